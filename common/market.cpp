#include "market.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "transport.hpp"
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
    return make_error(
        Exit::bad_input, reason,
        std::string(o.is_offer ? "offer " : "request ") + to_hex(o.id) + ": " + detail);
}

bool price_in_range(std::int64_t v) { return v >= -kMaxMarketPrice && v <= kMaxMarketPrice; }

Status check_order(const MarketOrder& o) {
    if (o.energy_wh < 0)
        return order_error(o, "bad energy",
                           "negative remaining energy " + std::to_string(o.energy_wh) + " Wh");
    for (std::int64_t v : {o.limit_price, o.opening_price})
        if (!price_in_range(v))
            return order_error(
                o, "bad price",
                format_price(v) + " EUR/MWh is beyond +-" + format_price(kMaxMarketPrice));
    if (o.is_offer && o.opening_price < o.limit_price)
        return order_error(o, "bad price", "opening ask below the floor");
    if (!o.is_offer && o.opening_price > o.limit_price)
        return order_error(o, "bad price", "opening bid above the ceiling");
    if (o.is_offer && !o.from.empty())
        return order_error(o, "bad from", "an offer has no from list");
    return ok_status();
}

Status check_fee(const std::string& what, std::int64_t fee) {
    if (fee >= 0 && fee <= kMaxMarketPrice) return ok_status();
    return make_error(
        Exit::usage, "bad fee",
        what + " " + format_price(fee) + " EUR/MWh; must be 0 to " + format_price(kMaxMarketPrice));
}

Status check_params(const MarketParams& p) {
    SETM_CHECK(check_fee("network fee", p.network_fee));
    for (const ZoneFee& z : p.zone_fees)
        SETM_CHECK(check_fee("fee from zone \"" + z.seller_zone + "\" to \"" + z.buyer_zone + "\"",
                             z.fee));
    if (p.mechanism == Mechanism::negotiate && (p.rounds < 1 || p.rounds > kMaxRounds))
        return make_error(
            Exit::usage, "bad rounds",
            std::to_string(p.rounds) + " rounds; must be 1 to " + std::to_string(kMaxRounds));
    return ok_status();
}

} // namespace

std::int64_t zone_fee(const std::vector<ZoneFee>& table, std::int64_t network_fee,
                      std::string_view seller_zone, std::string_view buyer_zone) {
    auto it = std::lower_bound(
        table.begin(), table.end(), std::pair{seller_zone, buyer_zone},
        [](const ZoneFee& z, const auto& key) {
            return std::pair<std::string_view, std::string_view>{z.seller_zone, z.buyer_zone} < key;
        });
    if (it != table.end() && it->seller_zone == seller_zone && it->buyer_zone == buyer_zone)
        return it->fee;
    return seller_zone != buyer_zone ? network_fee : 0;
}

std::int64_t lowest_fee(const MarketParams& p) {
    std::int64_t low = p.network_fee;
    for (const ZoneFee& z : p.zone_fees) low = std::min(low, z.fee);
    return low;
}

namespace {

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
    std::uint64_t rank;  // side << 62 | merit price biased to be non-negative
    std::uint64_t id8;   // the id's first 8 bytes, big-endian: compares as the bytes do
    std::uint32_t index; // into the orders
    std::uint32_t zone;  // interned zone, 0 when zones do not matter
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
    std::int64_t limit; // floor or ceiling
    std::int64_t opening;
    std::int64_t left;                  // remaining energy
    std::array<std::uint64_t, 2> owner; // a copy, to refuse self trade without a memcmp
    std::uint32_t zone;                 // interned; all 0 when zones do not matter
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
        for (std::size_t n = leaves_ - 1; n >= 1; --n)
            tree_[n] = std::min(tree_[2 * n], tree_[2 * n + 1]);
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
    std::size_t find(std::size_t n, std::size_t lo, std::size_t hi, std::size_t from,
                     std::size_t end, std::int64_t bound) const {
        if (hi <= from || lo >= end || tree_[n] > bound) return kNone;
        if (hi - lo == 1) return lo;
        const std::size_t mid = lo + (hi - lo) / 2;
        const std::size_t r = find(2 * n, lo, mid, from, end, bound);
        return r != kNone ? r : find(2 * n + 1, mid, hi, from, end, bound);
    }

    std::vector<std::uint32_t> order_; // offer positions in queue order
    std::vector<std::uint32_t> where_; // offer position -> queue position
    std::vector<std::int64_t> tree_;   // 1-based heap of minimum floors; kGone when sold out
    std::size_t leaves_ = 1;
};

// Offer positions sorted by id and by (producer, position), to find what a
// request's `from` list names; built on the first request of a slot that has one.
struct FromLookup {
    std::vector<std::uint32_t> by_id, by_owner;
    bool built = false;
};

// Everything the clearing of one slot works on, reused from slot to slot.
// Plain data: the functions below do the work.
struct SlotBook {
    const MarketParams& params;
    MarketResult& out;
    SlotReport* report = nullptr; // out.slots.back()
    std::vector<Item> offers{}, requests{};
    // pay-as-*: (floor, id) and (zone, floor, id); negotiate: (opening, id) and (zone, opening,
    // id).
    OfferQueue all{}, by_zone{};
    std::vector<OfferQueue*> live{}; // queues to update when an offer sells out
    std::vector<std::uint32_t> scratch{}, candidates{};
    FromLookup lookup{};
    std::int64_t min_fee = 0; // lowest_fee(params): bounds negotiate's scan across zones
};

std::int64_t fee_between(const SlotBook& b, const Item& r, const Item& of) {
    if (b.params.zone_fees.empty()) return r.zone != of.zone ? b.params.network_fee : 0;
    return zone_fee(b.params, of.o->zone, r.o->zone);
}

bool self_trade(const Item& r, const Item& of) { return r.owner == of.owner; }

// keys[begin, mid) are the slot's offers, [mid, end) its requests, in merit
// order: their items, the slot's totals and its stepped curves.
Status load_slot(SlotBook& b, std::vector<MarketOrder>& orders, const std::vector<SortKey>& keys,
                 std::size_t begin, std::size_t mid, std::size_t end) {
    b.offers.clear();
    b.requests.clear();
    SlotReport& s = *b.report;
    for (std::size_t k = begin; k < end; ++k) {
        // The orders lie scattered in memory: ask for the next ones early.
        if (k + 8 < end) __builtin_prefetch(&orders[keys[k + 8].index]);
        MarketOrder& o = orders[keys[k].index];
        (k < mid ? b.offers : b.requests)
            .push_back(Item{&o, o.limit_price, o.opening_price, o.energy_wh, owner_words(o.owner),
                            keys[k].zone});
        auto& total = k < mid ? s.offered_wh : s.requested_wh;
        SETM_TRY(total, checked_add(total, o.energy_wh));
        // One step per distinct price; merit order puts equal prices side by side.
        auto& curve = k < mid ? s.supply : s.demand;
        if (!curve.empty() && curve.back().first == o.limit_price)
            curve.back().second += o.energy_wh; // cannot overflow: bounded by the checked total
        else
            curve.emplace_back(o.limit_price, o.energy_wh);
    }
    s.offers = b.offers.size();
    s.requests = b.requests.size();
    b.lookup.built = false;
    return ok_status();
}

// A trade of `e` Wh between request r and offer op.
void record(SlotBook& b, Item& r, std::uint32_t op, std::int64_t e, std::int64_t price,
            std::int64_t fee_price, std::uint32_t round) {
    Item& of = b.offers[op];
    r.left -= e;
    of.left -= e;
    Match m;
    m.offer = of.o->id;
    m.request = r.o->id;
    m.seller = of.o->owner;
    m.buyer = r.o->owner;
    m.slot = b.report->slot;
    m.energy_wh = e;
    m.price = price;
    m.fee_price = fee_price;
    m.round = round;
    b.out.matches.push_back(m);
    b.report->traded_wh += e;
    if (of.left == 0)
        for (OfferQueue* q : b.live) q->remove_offer(op);
}

// A trade of all the energy the request or the offer has left.
void take(SlotBook& b, Item& r, std::uint32_t op, std::int64_t price, std::int64_t fee_price,
          std::uint32_t round) {
    record(b, r, op, std::min(r.left, b.offers[op].left), price, fee_price, round);
}

// Visit, in queue order, each offer in [from, end) not sold out with floor <=
// bound, until the request is filled.
template <class Visit>
void scan(const OfferQueue& q, std::size_t from, std::size_t end, std::int64_t bound, Item& r,
          Visit visit) {
    while (r.left > 0) {
        const std::size_t k = q.find(from, end, bound);
        if (k == kNone) return;
        visit(q.order()[k]);
        from = k + 1;
    }
}

// ---- the offers a request may take ---------------------------------------------------

void build_lookup(FromLookup& l, const std::vector<Item>& offers) {
    l.by_id.resize(offers.size());
    for (std::uint32_t i = 0; i < l.by_id.size(); ++i) l.by_id[i] = i;
    l.by_owner = l.by_id;
    std::sort(l.by_id.begin(), l.by_id.end(),
              [&](std::uint32_t a, std::uint32_t b) { return offers[a].o->id < offers[b].o->id; });
    std::sort(l.by_owner.begin(), l.by_owner.end(), [&](std::uint32_t a, std::uint32_t b) {
        return offers[a].o->owner != offers[b].o->owner ? offers[a].o->owner < offers[b].o->owner
                                                        : a < b;
    });
    l.built = true;
}

// Adds the offers one entry of a `from` list names (an offer id or a producer).
void add_named(const FromLookup& l, const std::vector<Item>& offers, const std::string& f,
               std::vector<std::uint32_t>& out) {
    Hash32 id{};
    ParticipantId owner{};
    if (parse_lower_hex(f, id)) {
        auto it =
            std::lower_bound(l.by_id.begin(), l.by_id.end(), id,
                             [&](std::uint32_t a, const Hash32& v) { return offers[a].o->id < v; });
        if (it != l.by_id.end() && offers[*it].o->id == id) out.push_back(*it);
    } else if (parse_lower_hex(f, owner)) {
        auto it = std::lower_bound(
            l.by_owner.begin(), l.by_owner.end(), owner,
            [&](std::uint32_t a, const ParticipantId& v) { return offers[a].o->owner < v; });
        for (; it != l.by_owner.end() && offers[*it].o->owner == owner; ++it) out.push_back(*it);
    }
}

// Offers a request's `from` list names, without duplicates, in merit order.
void chosen(SlotBook& b, const Item& r, std::vector<std::uint32_t>& out) {
    if (!b.lookup.built) build_lookup(b.lookup, b.offers);
    out.clear();
    for (const std::string& f : r.o->from) add_named(b.lookup, b.offers, f, out);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
}

// Positions [lo, hi) of one zone's offers in a queue grouped by zone.
std::pair<std::size_t, std::size_t> zone_range(const std::vector<Item>& offers, const OfferQueue& q,
                                               std::uint32_t zone) {
    const auto& ord = q.order();
    auto lo = std::partition_point(ord.begin(), ord.end(),
                                   [&](std::uint32_t a) { return offers[a].zone < zone; });
    auto hi = std::partition_point(lo, ord.end(),
                                   [&](std::uint32_t a) { return offers[a].zone == zone; });
    return {static_cast<std::size_t>(lo - ord.begin()), static_cast<std::size_t>(hi - ord.begin())};
}

// Builds b.all in the order of b.scratch, and b.by_zone grouped by zone
// (stable, so each zone keeps that order); both are kept up to date by take().
void build_queues(SlotBook& b) {
    b.all.build(b.offers, b.scratch);
    std::stable_sort(b.scratch.begin(), b.scratch.end(), [&](std::uint32_t x, std::uint32_t y) {
        return b.offers[x].zone < b.offers[y].zone;
    });
    b.by_zone.build(b.offers, b.scratch);
    b.live = {&b.all, &b.by_zone};
}

// ---- pay-as-clear and pay-as-bid: the transportation problem ------------------------

// The last offer and request of the walk along the merit-ordered curves
// while they cross, and the energy walked (SlotReport::crossing_wh).
std::int64_t crossing_energy(const std::vector<Item>& offers, const std::vector<Item>& requests) {
    std::size_t i = 0, j = 0;
    std::int64_t lo = offers.empty() ? 0 : offers[0].left;
    std::int64_t lr = requests.empty() ? 0 : requests[0].left;
    std::int64_t walked = 0;
    while (i < offers.size() && j < requests.size() && requests[j].limit >= offers[i].limit) {
        const std::int64_t t = std::min(lo, lr);
        walked += t; // bounded by the slot's checked totals
        lo -= t;
        lr -= t;
        if (lo == 0 && ++i < offers.size()) lo = offers[i].left;
        if (lr == 0 && ++j < requests.size()) lr = requests[j].left;
    }
    return walked;
}

// The slot's network (transport.hpp). Nodes: source, sink, then per zone an
// "out" node (its sellers) and an "in" node (its buyers), then a node for
// each offer a constrained request may take, then each constrained request.
// A request is constrained when it has a `from` list or its owner also
// offers in the slot: it is linked to the offers it may take, one by one.
// All other orders meet in their zone's pool: the zone's offers are one arc
// source -> out (one segment per offer, merit order), its buyers one arc
// in -> sink; out -> in arcs of every zone pair carry the fee as cost.
struct SlotNetwork {
    FlowNetwork net;
    std::vector<std::uint32_t> zones;         // interned zone of each local zone, by zone name
    std::vector<std::string_view> zone_names; // of each local zone
    std::vector<std::pair<std::uint32_t, std::uint32_t>> local; // (interned, local), sorted
    std::vector<std::uint32_t> offer_node;        // per offer: its own node, or 0 (pooled)
    std::vector<std::uint32_t> request_node;      // per request: its own node, or 0 (pooled)
    std::vector<std::uint32_t> pool_out, pool_in; // per local zone: arc index or kNoArc
    std::vector<std::vector<std::uint32_t>> pooled_offers, pooled_requests; // per zone, by segment
    std::vector<std::uint32_t> to_pool;    // per offer with a node: its arc to the pool
    std::vector<std::uint32_t> zone_pairs; // arc of local zones (i, j) at i * Z + j
    struct Direct {
        std::uint32_t arc, offer, request;
    };
    std::vector<Direct> direct; // offer node -> request node
};

constexpr std::uint32_t kNoArc = static_cast<std::uint32_t>(-1);
constexpr std::uint32_t kSource = 0, kSink = 1;

std::uint32_t zone_count(const SlotNetwork& s) {
    return static_cast<std::uint32_t>(s.zones.size());
}
std::uint32_t out_node(std::uint32_t z) { return 2 + 2 * z; }
std::uint32_t in_node(std::uint32_t z) { return 3 + 2 * z; }

std::uint32_t local_zone(const SlotNetwork& s, std::uint32_t zone) {
    return std::lower_bound(s.local.begin(), s.local.end(), std::make_pair(zone, 0u))->second;
}

// The slot's zones, ordered by name (interned numbers follow the input's
// order, which must not matter).
void place_zones(SlotNetwork& s, const SlotBook& b) {
    std::vector<std::pair<std::string_view, std::uint32_t>> named;
    for (const auto* side : {&b.offers, &b.requests})
        for (const Item& it : *side) named.emplace_back(it.o->zone, it.zone);
    std::sort(named.begin(), named.end());
    named.erase(std::unique(named.begin(), named.end()), named.end());
    for (const auto& [name, id] : named) { // without a fee every zone is interned as 0
        if (std::find(s.zones.begin(), s.zones.end(), id) != s.zones.end()) continue;
        s.local.emplace_back(id, static_cast<std::uint32_t>(s.zones.size()));
        s.zones.push_back(id);
        s.zone_names.push_back(name);
    }
    std::sort(s.local.begin(), s.local.end());
}

// Which requests are constrained, and the offers each may take: allowed,
// not its own, and worth trading (floor + fee <= ceiling).
struct Choices {
    std::vector<bool> constrained;
    std::vector<std::vector<std::uint32_t>> offers;
};

Choices constrained_choices(SlotBook& b) {
    std::vector<std::array<std::uint64_t, 2>> sellers;
    for (const Item& of : b.offers) sellers.push_back(of.owner);
    std::sort(sellers.begin(), sellers.end());
    Choices c{std::vector<bool>(b.requests.size(), false),
              std::vector<std::vector<std::uint32_t>>(b.requests.size())};
    for (std::size_t k = 0; k < b.requests.size(); ++k) {
        const Item& r = b.requests[k];
        const bool seller = std::binary_search(sellers.begin(), sellers.end(), r.owner);
        if (r.o->from.empty() && !seller) continue;
        c.constrained[k] = true;
        if (r.o->from.empty()) {
            b.candidates.resize(b.offers.size());
            for (std::uint32_t i = 0; i < b.candidates.size(); ++i) b.candidates[i] = i;
        } else {
            chosen(b, r, b.candidates);
        }
        for (std::uint32_t op : b.candidates) {
            const Item& of = b.offers[op];
            if (!self_trade(r, of) && of.limit + fee_between(b, r, of) <= r.limit)
                c.offers[k].push_back(op);
        }
    }
    return c;
}

// Nodes: the zones' and one per offer a constrained request may take and
// per constrained request that may take any.
std::uint32_t place_nodes(SlotNetwork& s, const SlotBook& b, const Choices& c) {
    place_zones(s, b);
    std::uint32_t nodes = 2 + 2 * zone_count(s);
    s.offer_node.assign(b.offers.size(), 0);
    s.request_node.assign(b.requests.size(), 0);
    for (std::size_t k = 0; k < b.requests.size(); ++k)
        for (std::uint32_t op : c.offers[k])
            if (s.offer_node[op] == 0) s.offer_node[op] = nodes++;
    for (std::size_t k = 0; k < b.requests.size(); ++k)
        if (!c.offers[k].empty()) s.request_node[k] = nodes++;
    return nodes;
}

// Source -> each zone's pooled offers, and -> each offer with a node
// (which may also sell into its zone's pool).
void add_supply(SlotNetwork& s, const SlotBook& b) {
    const std::uint32_t zc = zone_count(s);
    std::vector<std::vector<Segment>> pools(zc);
    s.pooled_offers.assign(zc, {});
    s.to_pool.assign(b.offers.size(), kNoArc);
    for (std::uint32_t op = 0; op < b.offers.size(); ++op) {
        const Item& of = b.offers[op];
        const std::uint32_t z = local_zone(s, of.zone);
        if (const std::uint32_t node = s.offer_node[op]) {
            add_arc(s.net, kSource, node, {Segment{of.limit, of.left}});
            s.to_pool[op] = add_arc(s.net, node, out_node(z), {Segment{0, kUnlimited}});
        } else {
            pools[z].push_back(Segment{of.limit, of.left});
            s.pooled_offers[z].push_back(op);
        }
    }
    s.pool_out.assign(zc, kNoArc);
    for (std::uint32_t z = 0; z < zc; ++z)
        if (!pools[z].empty()) s.pool_out[z] = add_arc(s.net, kSource, out_node(z), pools[z]);
}

// Every zone's sellers to every zone's buyers, at the fee between them.
void add_zone_pairs(SlotNetwork& s, const MarketParams& p) {
    const std::uint32_t zc = zone_count(s);
    for (std::uint32_t i = 0; i < zc; ++i)
        for (std::uint32_t j = 0; j < zc; ++j) {
            const std::int64_t fee = zone_fee(p, s.zone_names[i], s.zone_names[j]);
            s.zone_pairs.push_back(
                add_arc(s.net, out_node(i), in_node(j), {Segment{fee, kUnlimited}}));
        }
}

// Each zone's pooled requests -> sink (ceilings as negative costs, so the
// dearest buyer is served first), and each constrained request from the
// offers it may take.
void add_demand(SlotNetwork& s, SlotBook& b, const Choices& c) {
    const std::uint32_t zc = zone_count(s);
    std::vector<std::vector<Segment>> pools(zc);
    s.pooled_requests.assign(zc, {});
    for (std::uint32_t k = 0; k < b.requests.size(); ++k) {
        const Item& r = b.requests[k];
        if (const std::uint32_t node = s.request_node[k]) {
            for (std::uint32_t op : c.offers[k]) {
                const Segment fee{fee_between(b, r, b.offers[op]), kUnlimited};
                s.direct.push_back({add_arc(s.net, s.offer_node[op], node, {fee}), op, k});
            }
            add_arc(s.net, node, kSink, {Segment{-r.limit, r.left}});
        } else if (!c.constrained[k]) {
            const std::uint32_t z = local_zone(s, r.zone);
            pools[z].push_back(Segment{-r.limit, r.left});
            s.pooled_requests[z].push_back(k);
        }
    }
    s.pool_in.assign(zc, kNoArc);
    for (std::uint32_t z = 0; z < zc; ++z)
        if (!pools[z].empty()) s.pool_in[z] = add_arc(s.net, in_node(z), kSink, pools[z]);
}

SlotNetwork build_network(SlotBook& b) {
    const Choices c = constrained_choices(b);
    SlotNetwork s;
    s.net = make_network(place_nodes(s, b, c), kSource, kSink);
    add_supply(s, b);
    add_zone_pairs(s, b.params);
    add_demand(s, b, c);
    return s;
}

// ---- from flows to trades ---------------------------------------------------------

struct Flow {
    std::uint32_t offer = 0, request = 0;
    std::int64_t energy = 0;
};

// (order, energy it sends into or takes from its zone's pool), per zone, in
// merit order.
using PoolShares = std::vector<std::vector<std::pair<std::uint32_t, std::int64_t>>>;

PoolShares seller_shares(const SlotNetwork& s, const SlotBook& b) {
    PoolShares shares(zone_count(s));
    std::vector<std::size_t> segment(zone_count(s), 0);
    for (std::uint32_t op = 0; op < b.offers.size(); ++op) {
        const std::uint32_t z = local_zone(s, b.offers[op].zone);
        const std::int64_t e = s.offer_node[op]
                                   ? arc_flow(s.net.arcs[s.to_pool[op]])
                                   : segment_flow(s.net.arcs[s.pool_out[z]], segment[z]++);
        if (e > 0) shares[z].emplace_back(op, e);
    }
    return shares;
}

PoolShares buyer_shares(const SlotNetwork& s) {
    PoolShares shares(zone_count(s));
    for (std::uint32_t z = 0; z < zone_count(s); ++z)
        for (std::size_t k = 0; k < s.pooled_requests[z].size(); ++k)
            if (const std::int64_t e = segment_flow(s.net.arcs[s.pool_in[z]], k))
                shares[z].emplace_back(s.pooled_requests[z][k], e);
    return shares;
}

// The flow as trades: each zone pair's flow split between that zone's
// sellers and the other's buyers in merit order (any split is a trade
// both sides accept: market.hpp), then the direct links; sorted by request
// and offer, i.e. merit order.
std::vector<Flow> flows_to_trades(const SlotNetwork& s, const SlotBook& b) {
    PoolShares sellers = seller_shares(s, b), buyers = buyer_shares(s);
    const std::uint32_t zc = zone_count(s);
    std::vector<std::size_t> at_seller(zc, 0), at_buyer(zc, 0);
    std::vector<Flow> trades;
    for (std::uint32_t i = 0; i < zc; ++i)
        for (std::uint32_t j = 0; j < zc; ++j) {
            std::int64_t left = arc_flow(s.net.arcs[s.zone_pairs[i * zc + j]]);
            while (left > 0) {
                auto& [op, sold] = sellers[i][at_seller[i]];
                auto& [rq, bought] = buyers[j][at_buyer[j]];
                const std::int64_t e = std::min({left, sold, bought});
                trades.push_back(Flow{op, rq, e});
                left -= e;
                if ((sold -= e) == 0) ++at_seller[i];
                if ((bought -= e) == 0) ++at_buyer[j];
            }
        }
    for (const SlotNetwork::Direct& d : s.direct)
        if (const std::int64_t e = arc_flow(s.net.arcs[d.arc]))
            trades.push_back(Flow{d.offer, d.request, e});
    std::sort(trades.begin(), trades.end(), [](const Flow& x, const Flow& y) {
        return x.request != y.request ? x.request < y.request : x.offer < y.offer;
    });
    return trades;
}

// ---- prices ---------------------------------------------------------------------

std::uint32_t seller_node(const SlotNetwork& s, const SlotBook& b, std::uint32_t op) {
    return s.offer_node[op] ? s.offer_node[op] : out_node(local_zone(s, b.offers[op].zone));
}

// pay-as-clear: each seller's price is the midpoint of the range of
// equilibrium prices at its node, all sellers sharing one when such a price
// exists (else one per zone and per directly linked offer).
Result<std::vector<std::int64_t>> clearing_prices(const SlotNetwork& s, const SlotBook& b,
                                                  const std::vector<Flow>& trades) {
    std::vector<std::uint32_t> nodes;
    for (const Flow& f : trades) nodes.push_back(seller_node(s, b, f.offer));
    std::sort(nodes.begin(), nodes.end());
    nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
    std::optional<PotentialRange> range = potentials(s.net, nodes);
    if (!range) range = potentials(s.net, {});
    if (!range) return make_error(Exit::internal, "no prices", "the clearing has no equilibrium");
    std::vector<std::int64_t> price(s.net.nodes, 0);
    for (std::uint32_t v : nodes) price[v] = floor_div(range->low[v] + range->high[v], 2);
    return price;
}

// Solves the slot's transportation problem and records its trades.
Status pay_as(SlotBook& b) {
    SlotNetwork s = build_network(b);
    solve_min_cost(s.net);
    const std::vector<Flow> trades = flows_to_trades(s, b);
    b.report->crossing_wh = crossing_energy(b.offers, b.requests);
    std::vector<std::int64_t> price;
    if (b.params.mechanism == Mechanism::pay_as_clear && !trades.empty()) {
        SETM_TRY(price, clearing_prices(s, b, trades));
    }
    for (const Flow& f : trades) {
        Item &r = b.requests[f.request], &of = b.offers[f.offer];
        const std::int64_t fee = fee_between(b, r, of);
        const std::int64_t p = price.empty() ? r.limit - fee : price[seller_node(s, b, f.offer)];
        record(b, r, f.offer, f.energy, p, fee, 0);
    }
    // One price for all: the clearing price (the chart marks it).
    if (!price.empty() &&
        std::all_of(b.out.matches.end() - static_cast<std::ptrdiff_t>(trades.size()),
                    b.out.matches.end(),
                    [&](const Match& m) { return m.price == b.out.matches.back().price; }))
        b.report->clearing_price = b.out.matches.back().price;
    return ok_status();
}

// ---- negotiate -----------------------------------------------------------------

// Rounds k = 0..N between a request and an offer; a trade at the first overlap.
void negotiate_pair(SlotBook& b, Item& r, std::uint32_t op) {
    const Item& of = b.offers[op];
    const std::int64_t fp = fee_between(b, r, of);
    // A pair that cannot agree even at k = N is not tried (see market.hpp).
    if (of.left == 0 || self_trade(r, of) || of.limit + fp > r.limit) return;
    const std::int64_t n = b.params.rounds;
    const std::int64_t bid0 = r.opening, bid_span = r.limit - r.opening;
    const std::int64_t ask0 = of.opening, ask_span = of.opening - of.limit;
    Negotiation neg;
    neg.offer = of.o->id;
    neg.request = r.o->id;
    neg.fee_price = fp;
    // Spans <= 2 * kMaxMarketPrice and k <= kMaxRounds: the products fit int64.
    for (std::int64_t k = 0; k <= n; ++k) {
        const std::int64_t bid = bid0 + bid_span * k / n; // non-negative: / is floor
        const std::int64_t ask = ask0 - ask_span * k / n;
        neg.rounds.push_back(NegotiationRound{static_cast<std::uint32_t>(k), bid, ask});
        if (bid - fp >= ask) {
            neg.agreed = true;
            neg.price = floor_div(bid - fp + ask, 2);
            break;
        }
    }
    b.report->negotiations.push_back(std::move(neg));
    const Negotiation& done = b.report->negotiations.back();
    if (done.agreed) take(b, r, op, done.price, fp, done.rounds.back().round);
}

// A request with a `from` list: the offers it names in queue order, those
// of its own zone in pass 1, the others in pass 2.
void negotiate_chosen(SlotBook& b, Item& r, bool own_zone) {
    chosen(b, r, b.candidates);
    std::sort(b.candidates.begin(), b.candidates.end(), [&](std::uint32_t x, std::uint32_t y) {
        return b.all.position(x) < b.all.position(y);
    });
    for (std::uint32_t op : b.candidates) {
        if (r.left == 0) break;
        if ((b.offers[op].zone == r.zone) == own_zone) negotiate_pair(b, r, op);
    }
}

// Any other request: the offers of its own zone (pass 1) or of the other
// zones (pass 2) that could agree, in queue order.
void negotiate_merit(SlotBook& b, Item& r, bool own_zone) {
    if (own_zone) {
        auto [lo, hi] = zone_range(b.offers, b.by_zone, r.zone);
        scan(b.by_zone, lo, hi, r.limit, r, [&](std::uint32_t op) { negotiate_pair(b, r, op); });
    } else {
        scan(b.all, 0, b.all.size(), r.limit - b.min_fee, r, [&](std::uint32_t op) {
            if (b.offers[op].zone != r.zone) negotiate_pair(b, r, op);
        });
    }
}

// Requests in merit order; each negotiates with the offers in its own zone,
// then the others, by opening ask (+ fee) and id.
void negotiate(SlotBook& b) {
    b.scratch.resize(b.offers.size());
    for (std::uint32_t i = 0; i < b.scratch.size(); ++i) b.scratch[i] = i;
    std::sort(b.scratch.begin(), b.scratch.end(), [&](std::uint32_t x, std::uint32_t y) {
        const Item &p = b.offers[x], &q = b.offers[y];
        return p.opening != q.opening ? p.opening < q.opening : p.o->id < q.o->id;
    });
    build_queues(b);
    // Pass 1, producers nearby: every request, in merit order, with the
    // offers of its own zone. Pass 2: what is left, with the offers of other
    // zones (paying the fee). So a far buyer with a high ceiling does not
    // take a zone's local supply before its own neighbours have had it.
    for (int pass = 1; pass <= 2; ++pass) {
        for (Item& r : b.requests) {
            if (r.left == 0) continue;
            if (!r.o->from.empty())
                negotiate_chosen(b, r, pass == 1);
            else
                negotiate_merit(b, r, pass == 1);
        }
    }
}

// ---- the slots in turn -----------------------------------------------------------

// One slot: keys[begin, mid) are its offers, [mid, end) its requests, in
// merit order. Writes what each order has left into its energy_wh, and the
// keys of those with any left to keys[kept...] (kept <= begin: in place).
Status clear_slot(SlotBook& b, std::vector<MarketOrder>& orders, std::vector<SortKey>& keys,
                  std::size_t begin, std::size_t mid, std::size_t end, std::size_t& kept) {
    b.out.slots.emplace_back();
    b.report = &b.out.slots.back();
    b.report->slot = keys[begin].slot;
    SETM_CHECK(load_slot(b, orders, keys, begin, mid, end));
    b.live.clear();
    if (b.params.mechanism == Mechanism::negotiate)
        negotiate(b);
    else
        SETM_CHECK(pay_as(b));
    // The items now hold everything the slot's keys did: the keys may be overwritten.
    for (const auto* side : {&b.offers, &b.requests})
        for (const Item& it : *side) {
            it.o->energy_wh = it.left;
            if (it.left > 0)
                keys[kept++] = SortKey{
                    b.report->slot, it.o->is_offer ? 0 : std::uint64_t{1} << kSideShift,
                    id_prefix(it.o->id), static_cast<std::uint32_t>(it.o - orders.data()), 0};
        }
    return ok_status();
}

// Each slot in turn (the keys sorted by slot, offers before requests);
// returns how many keys at the front now name orders with energy left.
Result<std::size_t> clear_slots(std::vector<MarketOrder>& orders, std::vector<SortKey>& keys,
                                const MarketParams& p, MarketResult& out) {
    SlotBook book{p, out};
    book.min_fee = lowest_fee(p);
    std::size_t kept = 0;
    for (std::size_t begin = 0; begin < keys.size();) {
        const std::int64_t slot = keys[begin].slot;
        std::size_t mid = begin, end = begin;
        while (mid < keys.size() && keys[mid].slot == slot && !is_request(keys[mid])) ++mid;
        end = mid;
        while (end < keys.size() && keys[end].slot == slot) ++end;
        SETM_CHECK(clear_slot(book, orders, keys, begin, mid, end, kept));
        begin = end;
    }
    return kept;
}

// Moves orders[keep[0].index], orders[keep[1].index], ... to the front of
// `orders` in that order, by swaps (no second copy of the orders), and drops
// the rest.
void gather_front(std::vector<MarketOrder>& orders, const std::vector<SortKey>& keep) {
    std::vector<std::uint32_t> at(orders.size()),
        where(orders.size()); // position <-> original index
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

// Ids compare as bytes; the orders are looked at only when 8 bytes tie.
int compare_ids(const std::vector<MarketOrder>& orders, const SortKey& a, const SortKey& b) {
    if (a.id8 != b.id8) return a.id8 < b.id8 ? -1 : 1;
    return std::memcmp(orders[a.index].id.data(), orders[b.index].id.data(), sizeof(Hash32));
}

// A sort key for each order with energy left (checking every order), sorted
// by slot, merit and id; the same order twice is refused.
Result<std::vector<SortKey>> merit_keys(const std::vector<MarketOrder>& orders,
                                        const MarketParams& p) {
    // Zones matter only for fees and for negotiate's "producers nearby".
    const bool zones =
        p.network_fee > 0 || !p.zone_fees.empty() || p.mechanism == Mechanism::negotiate;
    std::unordered_map<std::string_view, std::uint32_t> zone_ids;
    std::vector<SortKey> keys;
    keys.reserve(orders.size());
    for (std::size_t i = 0; i < orders.size(); ++i) {
        const MarketOrder& o = orders[i];
        SETM_CHECK(check_order(o));
        if (o.energy_wh == 0) continue; // filled already: takes no part
        const std::uint32_t zone =
            zones ? zone_ids.emplace(o.zone, static_cast<std::uint32_t>(zone_ids.size()))
                        .first->second
                  : 0;
        keys.push_back(
            SortKey{o.slot, merit_rank(o), id_prefix(o.id), static_cast<std::uint32_t>(i), zone});
    }
    std::sort(keys.begin(), keys.end(), [&](const SortKey& a, const SortKey& b) {
        if (a.slot != b.slot) return a.slot < b.slot;
        if (a.rank != b.rank) return a.rank < b.rank;
        if (int c = compare_ids(orders, a, b); c != 0) return c < 0;
        return a.index < b.index; // the same order twice: refused below
    });
    for (std::size_t k = 1; k < keys.size(); ++k)
        if (keys[k].slot == keys[k - 1].slot && keys[k].id8 == keys[k - 1].id8 &&
            orders[keys[k].index].id == orders[keys[k - 1].index].id)
            return order_error(orders[keys[k].index], "duplicate order", "given twice");
    return keys;
}

} // namespace

Result<MarketResult> clear_market(std::vector<MarketOrder> orders, const MarketParams& p) {
    SETM_CHECK(check_params(p));
    if (orders.size() > std::numeric_limits<std::uint32_t>::max())
        return make_error(Exit::bad_input, "too many orders", std::to_string(orders.size()));
    SETM_TRY(std::vector<SortKey> keys, merit_keys(orders, p));

    MarketResult out;
    out.matches.reserve(keys.size()); // each match fills a request or sells out an offer
    SETM_TRY(const std::size_t kept, clear_slots(orders, keys, p, out));

    // Leftovers: by slot, offers first, then id.
    keys.resize(kept);
    std::sort(keys.begin(), keys.end(), [&](const SortKey& a, const SortKey& b) {
        if (a.slot != b.slot) return a.slot < b.slot;
        if (a.rank != b.rank) return a.rank < b.rank;
        return compare_ids(orders, a, b) < 0;
    });
    gather_front(orders, keys);
    out.leftovers = std::move(orders);
    return out;
}

} // namespace setm
