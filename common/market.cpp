#include "market.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "units.hpp"

namespace setm {

const char* mechanism_name(Mechanism m) {
    switch (m) {
    case Mechanism::pay_as_clear: return "pay-as-clear";
    case Mechanism::pay_as_bid: return "pay-as-bid";
    case Mechanism::negotiate: return "negotiate";
    }
    return "unknown";
}

Result<Mechanism> parse_mechanism(std::string_view name) {
    for (Mechanism m : {Mechanism::pay_as_clear, Mechanism::pay_as_bid, Mechanism::negotiate})
        if (name == mechanism_name(m)) return m;
    return make_error(Exit::usage, "bad mechanism",
                      "\"" + std::string(name) + "\" (use pay-as-clear, pay-as-bid or negotiate)");
}

namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);
constexpr std::int64_t kGone = std::numeric_limits<std::int64_t>::max();

// Rounds towards minus infinity (C++ division truncates towards zero). b > 0.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    const std::int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

// ---- checking the input ----------------------------------------------------------

Error order_error(const MarketOrder& o, const char* reason, const std::string& detail) {
    return make_error(Exit::bad_input, reason,
                      std::string(o.is_offer ? "offer " : "request ") + to_hex(o.id) + ": " + detail);
}

bool price_in_range(std::int64_t v) { return v >= -kMaxMarketPrice && v <= kMaxMarketPrice; }

Status check_order(const MarketOrder& o) {
    if (o.energy_wh < 0)
        return order_error(o, "bad energy", "negative remaining energy " + std::to_string(o.energy_wh) + " Wh");
    for (std::int64_t v : {o.limit_price, o.opening_price})
        if (!price_in_range(v))
            return order_error(o, "bad price", format_price(v) + " EUR/MWh is beyond +-" +
                                                   format_price(kMaxMarketPrice));
    if (o.is_offer && o.opening_price < o.limit_price)
        return order_error(o, "bad price", "opening ask below the floor");
    if (!o.is_offer && o.opening_price > o.limit_price)
        return order_error(o, "bad price", "opening bid above the ceiling");
    if (o.is_offer && !o.from.empty()) return order_error(o, "bad from", "an offer has no from list");
    return ok_status();
}

Status check_params(const MarketParams& p) {
    if (p.network_fee < 0 || p.network_fee > kMaxMarketPrice)
        return make_error(Exit::usage, "bad fee", "network fee " + format_price(p.network_fee) +
                                                      " EUR/MWh; must be 0 to " + format_price(kMaxMarketPrice));
    if (p.mechanism == Mechanism::negotiate && (p.rounds < 1 || p.rounds > kMaxRounds))
        return make_error(Exit::usage, "bad rounds", std::to_string(p.rounds) + " rounds; must be 1 to " +
                                                         std::to_string(kMaxRounds));
    return ok_status();
}

// Exactly 2N lower-case hex digits, as to_hex writes them.
template <std::size_t N>
bool parse_lower_hex(std::string_view s, std::array<std::uint8_t, N>& out) {
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    if (s.size() != 2 * N) return false;
    for (std::size_t i = 0; i < N; ++i) {
        const int hi = digit(s[2 * i]), lo = digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return true;
}

// ---- sorting -------------------------------------------------------------------

// Compact sort key, so that sorting a million orders moves 32 bytes each
// and rarely looks at the orders themselves.
struct SortKey {
    std::int64_t slot;
    std::uint64_t rank;      // side << 62 | merit price biased to be non-negative
    std::uint64_t id8;       // the id's first 8 bytes, big-endian: compares as the bytes do
    std::uint32_t index;     // into the orders
    std::uint32_t zone;      // interned zone, 0 when zones do not matter
};

constexpr int kSideShift = 62;

// Offers first, by floor ascending; then requests, by ceiling descending.
// |price| <= kMaxMarketPrice < 2^50, so the biased price fits below bit 62.
std::uint64_t merit_rank(const MarketOrder& o) {
    constexpr std::int64_t bias = std::int64_t{1} << 60;
    if (o.is_offer) return static_cast<std::uint64_t>(o.limit_price + bias);
    return std::uint64_t{1} << kSideShift | static_cast<std::uint64_t>(bias - o.limit_price);
}

bool is_request(const SortKey& k) { return (k.rank >> kSideShift) != 0; }

std::uint64_t id_prefix(const Hash32& id) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | id[i];
    return v;
}

std::array<std::uint64_t, 2> owner_words(const ParticipantId& p) {
    std::array<std::uint64_t, 2> w;
    std::memcpy(w.data(), p.data(), sizeof w);
    return w;
}

// ---- one slot's working data ---------------------------------------------------------

struct Item {
    MarketOrder* o;
    std::int64_t limit;      // floor or ceiling
    std::int64_t opening;
    std::int64_t left;       // remaining energy
    std::array<std::uint64_t, 2> owner;   // a copy, to refuse self trade without a memcmp
    std::uint32_t zone;      // interned; all 0 when zones do not matter
};

// Offers of one slot in a fixed order, with a min-tree over the floors of the
// offers not yet sold out: the next offer a request may take (floor <= bound)
// is found in O(log n) however many are sold out or too dear.
class OfferQueue {
public:
    void build(const std::vector<Item>& offers, const std::vector<std::uint32_t>& order) {
        order_.assign(order.begin(), order.end());
        leaves_ = 1;
        while (leaves_ < order_.size()) leaves_ *= 2;
        tree_.assign(2 * leaves_, kGone);
        where_.assign(offers.size(), 0);
        for (std::size_t i = 0; i < order_.size(); ++i) {
            tree_[leaves_ + i] = offers[order_[i]].limit;
            where_[order_[i]] = static_cast<std::uint32_t>(i);
        }
        for (std::size_t n = leaves_ - 1; n >= 1; --n) tree_[n] = std::min(tree_[2 * n], tree_[2 * n + 1]);
    }
    std::size_t size() const { return order_.size(); }
    const std::vector<std::uint32_t>& order() const { return order_; }
    std::uint32_t position(std::uint32_t offer) const { return where_[offer]; }
    // First position in [from, end) of an offer not sold out with floor <= bound.
    std::size_t find(std::size_t from, std::size_t end, std::int64_t bound) const {
        if (from >= end) return kNone;
        return find(1, 0, leaves_, from, end, bound);
    }
    void remove_offer(std::uint32_t offer) {
        std::size_t n = leaves_ + where_[offer];
        tree_[n] = kGone;
        for (n /= 2; n >= 1; n /= 2) tree_[n] = std::min(tree_[2 * n], tree_[2 * n + 1]);
    }

private:
    std::size_t find(std::size_t n, std::size_t lo, std::size_t hi, std::size_t from, std::size_t end,
                     std::int64_t bound) const {
        if (hi <= from || lo >= end || tree_[n] > bound) return kNone;
        if (hi - lo == 1) return lo;
        const std::size_t mid = lo + (hi - lo) / 2;
        const std::size_t r = find(2 * n, lo, mid, from, end, bound);
        return r != kNone ? r : find(2 * n + 1, mid, hi, from, end, bound);
    }

    std::vector<std::uint32_t> order_;   // offer positions in queue order
    std::vector<std::uint32_t> where_;   // offer position -> queue position
    std::vector<std::int64_t> tree_;     // 1-based heap of minimum floors; kGone when sold out
    std::size_t leaves_ = 1;
};

class Engine {
public:
    Engine(std::vector<MarketOrder>& orders, const MarketParams& p, MarketResult& out)
        : orders_(orders), p_(p), out_(out) {}

    // One slot: keys[begin, mid) are its offers, [mid, end) its requests, in
    // merit order. Writes what each order has left into its energy_wh, and the
    // keys of those with any left to keys[kept...] (kept <= begin: in place).
    Status slot(std::vector<SortKey>& keys, std::size_t begin, std::size_t mid, std::size_t end,
                std::size_t& kept);

private:
    Status load(const std::vector<SortKey>& keys, std::size_t begin, std::size_t mid, std::size_t end);
    void pay_as_clear();
    void allocate(std::optional<std::int64_t> uniform);
    void negotiate();
    void negotiate_pair(Item& r, std::uint32_t op);
    void build_queues(OfferQueue& all, OfferQueue& by_zone);
    std::pair<std::size_t, std::size_t> zone_range(const OfferQueue& q, std::uint32_t zone) const;
    template <class Visit>
    void scan(const OfferQueue& q, std::size_t from, std::size_t end, std::int64_t bound, Item& r, Visit visit);
    void chosen(const Item& r, std::vector<std::uint32_t>& out);
    void take(Item& r, std::uint32_t op, std::int64_t price, std::int64_t fee_price, std::uint32_t round);
    std::int64_t fee_between(const Item& r, const Item& of) const { return r.zone != of.zone ? p_.network_fee : 0; }
    bool self(const Item& r, const Item& of) const { return r.owner == of.owner; }

    std::vector<MarketOrder>& orders_;
    const MarketParams& p_;
    MarketResult& out_;
    SlotReport* report_ = nullptr;

    // Reused from slot to slot.
    std::vector<Item> offers_, requests_;
    // pay-as-*: (floor, id) and (zone, floor, id); negotiate: (opening, id) and (zone, opening, id).
    OfferQueue all_, by_zone_;
    std::vector<OfferQueue*> live_;       // queues to update when an offer sells out
    std::vector<std::uint32_t> scratch_, by_id_, by_owner_, candidates_;
    bool lookup_built_ = false;
};

Status Engine::load(const std::vector<SortKey>& keys, std::size_t begin, std::size_t mid, std::size_t end) {
    offers_.clear();
    requests_.clear();
    SlotReport& s = *report_;
    for (std::size_t k = begin; k < end; ++k) {
        // The orders lie scattered in memory: ask for the next ones early.
        if (k + 8 < end) __builtin_prefetch(&orders_[keys[k + 8].index]);
        MarketOrder& o = orders_[keys[k].index];
        (k < mid ? offers_ : requests_)
            .push_back(Item{&o, o.limit_price, o.opening_price, o.energy_wh, owner_words(o.owner), keys[k].zone});
        auto& total = k < mid ? s.offered_wh : s.requested_wh;
        SETM_TRY(total, checked_add(total, o.energy_wh));
        // One step per distinct price; merit order puts equal prices side by side.
        auto& curve = k < mid ? s.supply : s.demand;
        if (!curve.empty() && curve.back().first == o.limit_price)
            curve.back().second += o.energy_wh;   // cannot overflow: bounded by the checked total
        else
            curve.emplace_back(o.limit_price, o.energy_wh);
    }
    s.offers = offers_.size();
    s.requests = requests_.size();
    lookup_built_ = false;
    return ok_status();
}

Status Engine::slot(std::vector<SortKey>& keys, std::size_t begin, std::size_t mid, std::size_t end,
                    std::size_t& kept) {
    out_.slots.emplace_back();
    report_ = &out_.slots.back();
    report_->slot = keys[begin].slot;
    SETM_CHECK(load(keys, begin, mid, end));
    live_.clear();
    if (p_.mechanism == Mechanism::negotiate) negotiate();
    else if (p_.mechanism == Mechanism::pay_as_clear) pay_as_clear();
    else allocate(std::nullopt);
    // The items now hold everything the slot's keys did: the keys may be overwritten.
    for (const auto* side : {&offers_, &requests_})
        for (const Item& it : *side) {
            it.o->energy_wh = it.left;
            if (it.left > 0)
                keys[kept++] = SortKey{report_->slot, it.o->is_offer ? 0 : std::uint64_t{1} << kSideShift,
                                       id_prefix(it.o->id), static_cast<std::uint32_t>(it.o - orders_.data()), 0};
        }
    return ok_status();
}

// The aggregate crossing of the merit-ordered curves, then one price for all.
void Engine::pay_as_clear() {
    std::size_t i = 0, j = 0, last_i = 0, last_j = 0;
    std::int64_t lo = offers_.empty() ? 0 : offers_[0].left;
    std::int64_t lr = requests_.empty() ? 0 : requests_[0].left;
    std::int64_t walked = 0;
    bool crossed = false;
    while (i < offers_.size() && j < requests_.size() && requests_[j].limit >= offers_[i].limit) {
        const std::int64_t t = std::min(lo, lr);
        walked += t;   // bounded by the slot's checked totals
        lo -= t;
        lr -= t;
        last_i = i;
        last_j = j;
        crossed = true;
        if (lo == 0 && ++i < offers_.size()) lo = offers_[i].left;
        if (lr == 0 && ++j < requests_.size()) lr = requests_[j].left;
    }
    if (!crossed) return;
    // |prices| <= kMaxMarketPrice, so the sum cannot overflow.
    const std::int64_t price = floor_div(offers_[last_i].limit + requests_[last_j].limit, 2);
    report_->clearing_price = price;
    report_->crossing_wh = walked;
    allocate(price);
}

// Visit, in queue order, each offer in [from, end) not sold out with floor <=
// bound, until the request is filled.
template <class Visit>
void Engine::scan(const OfferQueue& q, std::size_t from, std::size_t end, std::int64_t bound, Item& r, Visit visit) {
    while (r.left > 0) {
        const std::size_t k = q.find(from, end, bound);
        if (k == kNone) return;
        visit(q.order()[k]);
        from = k + 1;
    }
}

// Offers a request's `from` list names, without duplicates, in merit order.
void Engine::chosen(const Item& r, std::vector<std::uint32_t>& out) {
    if (!lookup_built_) {
        by_id_.resize(offers_.size());
        for (std::uint32_t i = 0; i < by_id_.size(); ++i) by_id_[i] = i;
        by_owner_ = by_id_;
        std::sort(by_id_.begin(), by_id_.end(),
                  [&](std::uint32_t a, std::uint32_t b) { return offers_[a].o->id < offers_[b].o->id; });
        std::sort(by_owner_.begin(), by_owner_.end(), [&](std::uint32_t a, std::uint32_t b) {
            return offers_[a].o->owner != offers_[b].o->owner ? offers_[a].o->owner < offers_[b].o->owner : a < b;
        });
        lookup_built_ = true;
    }
    out.clear();
    for (const std::string& f : r.o->from) {
        Hash32 id{};
        ParticipantId owner{};
        if (parse_lower_hex(f, id)) {
            auto it = std::lower_bound(by_id_.begin(), by_id_.end(), id,
                                       [&](std::uint32_t a, const Hash32& v) { return offers_[a].o->id < v; });
            if (it != by_id_.end() && offers_[*it].o->id == id) out.push_back(*it);
        } else if (parse_lower_hex(f, owner)) {
            auto it = std::lower_bound(by_owner_.begin(), by_owner_.end(), owner,
                                       [&](std::uint32_t a, const ParticipantId& v) { return offers_[a].o->owner < v; });
            for (; it != by_owner_.end() && offers_[*it].o->owner == owner; ++it) out.push_back(*it);
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
}

// Positions [lo, hi) of one zone's offers in a queue grouped by zone.
std::pair<std::size_t, std::size_t> Engine::zone_range(const OfferQueue& q, std::uint32_t zone) const {
    const auto& ord = q.order();
    auto lo = std::partition_point(ord.begin(), ord.end(), [&](std::uint32_t a) { return offers_[a].zone < zone; });
    auto hi = std::partition_point(lo, ord.end(), [&](std::uint32_t a) { return offers_[a].zone == zone; });
    return {static_cast<std::size_t>(lo - ord.begin()), static_cast<std::size_t>(hi - ord.begin())};
}

// Builds a queue in the order of `order`, and one grouped by zone (stable, so
// each zone keeps that order); both are kept up to date by take().
void Engine::build_queues(OfferQueue& all, OfferQueue& by_zone) {
    all.build(offers_, scratch_);
    std::stable_sort(scratch_.begin(), scratch_.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return offers_[a].zone < offers_[b].zone; });
    by_zone.build(offers_, scratch_);
    live_ = {&all, &by_zone};
}

// pay-as-clear (uniform = the clearing price) and pay-as-bid (no uniform price).
void Engine::allocate(std::optional<std::int64_t> uniform) {
    const std::int64_t fee = p_.network_fee;
    scratch_.resize(offers_.size());
    for (std::uint32_t i = 0; i < scratch_.size(); ++i) scratch_[i] = i;   // merit order
    if (fee > 0) {
        build_queues(all_, by_zone_);
    } else {
        all_.build(offers_, scratch_);
        live_ = {&all_};
    }
    for (Item& r : requests_) {
        const std::int64_t c = r.limit;
        if (uniform && c < *uniform) break;   // and so are all after it
        auto price = [&](std::int64_t fee_price) { return uniform ? *uniform : c - fee_price; };
        if (!r.o->from.empty()) {
            chosen(r, candidates_);   // in merit order
            for (std::uint32_t op : candidates_) {
                if (r.left == 0) break;
                const Item& of = offers_[op];
                const std::int64_t fp = fee_between(r, of), pr = price(fp);
                if (of.left > 0 && !self(r, of) && of.limit <= pr && pr + fp <= c) take(r, op, pr, fp, 0);
            }
            continue;
        }
        // The highest floor an offer may have: in any zone (fee paid), and in
        // the buyer's own zone. Taking first from any zone up to the lower
        // bound, then from the own zone up to the higher, keeps merit order.
        const std::int64_t any_zone = uniform ? *uniform : c - fee;
        const std::int64_t own_zone = uniform ? *uniform : c;
        if (!uniform || c - fee >= *uniform)
            scan(all_, 0, all_.size(), any_zone, r, [&](std::uint32_t op) {
                const Item& of = offers_[op];
                if (self(r, of)) return;
                const std::int64_t fp = fee_between(r, of);
                take(r, op, price(fp), fp, 0);
            });
        if (fee > 0 && r.left > 0) {
            auto [lo, hi] = zone_range(by_zone_, r.zone);
            scan(by_zone_, lo, hi, own_zone, r, [&](std::uint32_t op) {
                if (!self(r, offers_[op])) take(r, op, price(0), 0, 0);
            });
        }
    }
}

// Requests in merit order; each negotiates with the offers in its own zone,
// then the others, by opening ask (+ fee) and id.
void Engine::negotiate() {
    const std::int64_t fee = p_.network_fee;
    scratch_.resize(offers_.size());
    for (std::uint32_t i = 0; i < scratch_.size(); ++i) scratch_[i] = i;
    std::sort(scratch_.begin(), scratch_.end(), [&](std::uint32_t a, std::uint32_t b) {
        const Item &x = offers_[a], &y = offers_[b];
        return x.opening != y.opening ? x.opening < y.opening : x.o->id < y.o->id;
    });
    build_queues(all_, by_zone_);
    // Pass 1, producers nearby: every request, in merit order, with the
    // offers of its own zone. Pass 2: what is left, with the offers of other
    // zones (paying the fee). So a far buyer with a high ceiling does not
    // take a zone's local supply before its own neighbours have had it.
    for (int pass = 1; pass <= 2; ++pass) {
        for (Item& r : requests_) {
            if (r.left == 0) continue;
            if (!r.o->from.empty()) {
                chosen(r, candidates_);
                std::sort(candidates_.begin(), candidates_.end(), [&](std::uint32_t a, std::uint32_t b) {
                    return all_.position(a) < all_.position(b);
                });
                for (std::uint32_t op : candidates_) {
                    if (r.left == 0) break;
                    if ((offers_[op].zone == r.zone) == (pass == 1)) negotiate_pair(r, op);
                }
                continue;
            }
            if (pass == 1) {
                auto [lo, hi] = zone_range(by_zone_, r.zone);
                scan(by_zone_, lo, hi, r.limit, r, [&](std::uint32_t op) { negotiate_pair(r, op); });
            } else {
                scan(all_, 0, all_.size(), r.limit - fee, r, [&](std::uint32_t op) {
                    if (offers_[op].zone != r.zone) negotiate_pair(r, op);
                });
            }
        }
    }
}

// Rounds k = 0..N between a request and an offer; a trade at the first overlap.
void Engine::negotiate_pair(Item& r, std::uint32_t op) {
    const Item& of = offers_[op];
    const std::int64_t fp = fee_between(r, of);
    // A pair that cannot agree even at k = N is not tried (see market.hpp).
    if (of.left == 0 || self(r, of) || of.limit + fp > r.limit) return;
    const std::int64_t n = p_.rounds;
    const std::int64_t bid0 = r.opening, bid_span = r.limit - r.opening;
    const std::int64_t ask0 = of.opening, ask_span = of.opening - of.limit;
    Negotiation neg;
    neg.offer = of.o->id;
    neg.request = r.o->id;
    neg.fee_price = fp;
    // Spans <= 2 * kMaxMarketPrice and k <= kMaxRounds: the products fit int64.
    for (std::int64_t k = 0; k <= n; ++k) {
        const std::int64_t bid = bid0 + bid_span * k / n;   // non-negative: / is floor
        const std::int64_t ask = ask0 - ask_span * k / n;
        neg.rounds.push_back(NegotiationRound{static_cast<std::uint32_t>(k), bid, ask});
        if (bid - fp >= ask) {
            neg.agreed = true;
            neg.price = floor_div(bid - fp + ask, 2);
            break;
        }
    }
    report_->negotiations.push_back(std::move(neg));
    const Negotiation& done = report_->negotiations.back();
    if (done.agreed) take(r, op, done.price, fp, done.rounds.back().round);
}

void Engine::take(Item& r, std::uint32_t op, std::int64_t price, std::int64_t fee_price, std::uint32_t round) {
    Item& of = offers_[op];
    const std::int64_t e = std::min(r.left, of.left);
    r.left -= e;
    of.left -= e;
    Match m;
    m.offer = of.o->id;
    m.request = r.o->id;
    m.seller = of.o->owner;
    m.buyer = r.o->owner;
    m.slot = report_->slot;
    m.energy_wh = e;
    m.price = price;
    m.fee_price = fee_price;
    m.round = round;
    out_.matches.push_back(m);
    report_->traded_wh += e;
    if (of.left == 0)
        for (OfferQueue* q : live_) q->remove_offer(op);
}

// Moves orders[keep[0].index], orders[keep[1].index], ... to the front of
// `orders` in that order, by swaps (no second copy of the orders), and drops
// the rest.
void gather_front(std::vector<MarketOrder>& orders, const std::vector<SortKey>& keep) {
    std::vector<std::uint32_t> at(orders.size()), where(orders.size());   // position <-> original index
    for (std::uint32_t i = 0; i < at.size(); ++i) at[i] = where[i] = i;
    for (std::uint32_t j = 0; j < keep.size(); ++j) {
        const std::uint32_t want = keep[j].index, from = where[want], displaced = at[j];
        if (from == j) continue;
        std::swap(orders[j], orders[from]);
        at[from] = displaced;
        where[displaced] = from;
        at[j] = want;
        where[want] = j;
    }
    orders.resize(keep.size());
}

} // namespace

Result<MarketResult> clear_market(std::vector<MarketOrder> orders, const MarketParams& p) {
    SETM_CHECK(check_params(p));
    if (orders.size() > std::numeric_limits<std::uint32_t>::max())
        return make_error(Exit::bad_input, "too many orders", std::to_string(orders.size()));
    // Zones matter only for fees and for negotiate's "producers nearby".
    const bool zones = p.network_fee > 0 || p.mechanism == Mechanism::negotiate;
    std::unordered_map<std::string_view, std::uint32_t> zone_ids;
    std::vector<SortKey> keys;
    keys.reserve(orders.size());
    for (std::size_t i = 0; i < orders.size(); ++i) {
        const MarketOrder& o = orders[i];
        SETM_CHECK(check_order(o));
        if (o.energy_wh == 0) continue;   // filled already: takes no part
        const std::uint32_t zone =
            zones ? zone_ids.emplace(o.zone, static_cast<std::uint32_t>(zone_ids.size())).first->second : 0;
        keys.push_back(SortKey{o.slot, merit_rank(o), id_prefix(o.id), static_cast<std::uint32_t>(i), zone});
    }
    // Ids compare as bytes; the orders are looked at only when 8 bytes tie.
    auto id_order = [&](const SortKey& a, const SortKey& b) {
        if (a.id8 != b.id8) return a.id8 < b.id8 ? -1 : 1;
        return std::memcmp(orders[a.index].id.data(), orders[b.index].id.data(), sizeof(Hash32));
    };
    std::sort(keys.begin(), keys.end(), [&](const SortKey& a, const SortKey& b) {
        if (a.slot != b.slot) return a.slot < b.slot;
        if (a.rank != b.rank) return a.rank < b.rank;
        if (int c = id_order(a, b); c != 0) return c < 0;
        return a.index < b.index;   // the same order twice: refused below
    });
    for (std::size_t k = 1; k < keys.size(); ++k)
        if (keys[k].slot == keys[k - 1].slot && keys[k].id8 == keys[k - 1].id8 &&
            orders[keys[k].index].id == orders[keys[k - 1].index].id)
            return order_error(orders[keys[k].index], "duplicate order", "given twice");

    MarketResult out;
    out.matches.reserve(keys.size());   // each match fills a request or sells out an offer
    Engine engine(orders, p, out);
    std::size_t kept = 0;
    for (std::size_t begin = 0; begin < keys.size();) {
        const std::int64_t slot = keys[begin].slot;
        std::size_t mid = begin, end = begin;
        while (mid < keys.size() && keys[mid].slot == slot && !is_request(keys[mid])) ++mid;
        end = mid;
        while (end < keys.size() && keys[end].slot == slot) ++end;
        SETM_CHECK(engine.slot(keys, begin, mid, end, kept));
        begin = end;
    }

    // Leftovers: by slot, offers first, then id.
    keys.resize(kept);
    std::sort(keys.begin(), keys.end(), [&](const SortKey& a, const SortKey& b) {
        if (a.slot != b.slot) return a.slot < b.slot;
        if (a.rank != b.rank) return a.rank < b.rank;
        return id_order(a, b) < 0;
    });
    gather_front(orders, keys);
    out.leftovers = std::move(orders);
    return out;
}

} // namespace setm
