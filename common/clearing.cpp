#include "clearing.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "limits.hpp"
#include "units.hpp"

namespace setm {

MarketParams chain_market(const Genesis& g) {
    MarketParams p;
    if (auto m = parse_mechanism(g.mechanism)) p.mechanism = *m;
    p.rounds = g.rounds;
    p.network_fee = g.network_fee;
    p.zone_fees = g.zone_fees;
    return p;
}

Status check_zone_fees(const std::vector<ZoneFee>& table) {
    auto bad = [](const std::string& detail) {
        return make_error(Exit::bad_input, "bad market", detail);
    };
    for (std::size_t i = 0; i < table.size(); ++i) {
        const ZoneFee& z = table[i];
        const std::string pair = "zone fee \"" + z.seller_zone + "\" to \"" + z.buyer_zone + "\"";
        if (z.fee < 0 || !price_within_limits(z.fee))
            return bad(pair + " " + format_price(z.fee) + " EUR/MWh; must be 0 to " +
                       format_price(kMaxRecordPrice));
        if (i > 0 && std::tie(table[i - 1].seller_zone, table[i - 1].buyer_zone) >=
                         std::tie(z.seller_zone, z.buyer_zone))
            return bad(pair +
                       " is given twice or out of order (sorted by seller zone, then "
                       "buyer zone, each pair once)");
    }
    return ok_status();
}

namespace {

Result<ZoneFee> parse_zone_fee(const std::string& text) {
    auto bad = [&](const std::string& why) {
        return make_error(Exit::usage, "bad --zone-fee", "'" + text + "' " + why);
    };
    const std::size_t eq = text.rfind('='), colon = text.find(':');
    if (eq == std::string::npos || colon == std::string::npos || colon > eq ||
        text.find(':', colon + 1) < eq)
        return bad("is not SELLER_ZONE:BUYER_ZONE=EUR/MWH (one ':' between the zones)");
    ZoneFee z;
    z.seller_zone = text.substr(0, colon);
    z.buyer_zone = text.substr(colon + 1, eq - colon - 1);
    auto fee = parse_price(std::string_view(text).substr(eq + 1));
    if (!fee) return bad(fee.error().detail);
    z.fee = *fee;
    if (z.fee < 0 || !price_within_limits(z.fee))
        return bad("must be 0 to " + format_price(kMaxRecordPrice) + " EUR/MWh");
    return z;
}

} // namespace

Result<std::vector<ZoneFee>> parse_zone_fees(const std::vector<std::string>& entries) {
    std::vector<ZoneFee> table;
    for (const auto& e : entries) {
        SETM_TRY(ZoneFee z, parse_zone_fee(e));
        table.push_back(std::move(z));
    }
    auto pair = [](const ZoneFee& z) { return std::tie(z.seller_zone, z.buyer_zone); };
    std::stable_sort(table.begin(), table.end(),
                     [&](const ZoneFee& a, const ZoneFee& b) { return pair(a) < pair(b); });
    for (std::size_t i = 1; i < table.size(); ++i)
        if (pair(table[i - 1]) == pair(table[i]))
            return make_error(Exit::usage, "bad --zone-fee",
                              "zone \"" + table[i].seller_zone + "\" to \"" + table[i].buyer_zone +
                                  "\" is given twice");
    return table;
}

Status check_market_genesis(const Genesis& g) {
    auto bad = [](const std::string& detail) {
        return make_error(Exit::bad_input, "bad market", detail);
    };
    if (!parse_mechanism(g.mechanism))
        return bad("mechanism \"" + g.mechanism + "\" (pay-as-clear, pay-as-bid or negotiate)");
    if (g.rounds < 1 || g.rounds > kMaxRounds)
        return bad(std::to_string(g.rounds) + " rounds; must be 1 to " +
                   std::to_string(kMaxRounds));
    if (g.network_fee < 0 || !price_within_limits(g.network_fee))
        return bad("network fee " + format_price(g.network_fee) + " EUR/MWh; must be 0 to " +
                   format_price(kMaxRecordPrice));
    SETM_CHECK(check_zone_fees(g.zone_fees));
    if (g.gate_minutes > 7 * 24 * 60)
        return bad("a gate " + std::to_string(g.gate_minutes) + " minutes ahead; at most a week");
    const std::uint32_t a = g.auction_minutes;
    if (a != 0 && (g.slot_minutes == 0 || a % g.slot_minutes != 0 || 1440 % a != 0))
        return bad("auction periods of " + std::to_string(a) +
                   " minutes; must be whole slots that divide a day");
    return ok_status();
}

bool has_gate(const Genesis& g) { return g.gate_minutes > 0; }

std::int64_t gate_closure(const Genesis& g, std::int64_t slot) {
    const std::int64_t period =
        std::int64_t{g.auction_minutes != 0 ? g.auction_minutes : g.slot_minutes} * 60;
    std::int64_t start = slot / period * period;
    if (start > slot) start -= period; // rounds towards minus infinity
    return start - std::int64_t{g.gate_minutes} * 60;
}

namespace {

// The same for a Record and an OrderRecord, each holding an offer or a request.
template <class V>
OrderFacts facts_of(const V& r) {
    if (auto* o = std::get_if<Signed<Offer>>(&r))
        return {Side::offer, o->body.producer, o->body.slot, o->body.energy_wh, o->body.expires};
    const Request& q = std::get<Signed<Request>>(r).body;
    return {Side::request, q.consumer, q.slot, q.energy_wh, q.expires};
}

template <class V>
MarketOrder market_order_of(const V& r, std::int64_t remaining) {
    MarketOrder m;
    m.id = std::visit([](const auto& s) { return s.id(); }, r);
    m.energy_wh = remaining;
    if (auto* o = std::get_if<Signed<Offer>>(&r)) {
        m.is_offer = true;
        m.owner = o->body.producer;
        m.slot = o->body.slot;
        m.limit_price = o->body.floor_price;
        m.opening_price = o->body.opening_price;
        m.zone = o->body.zone;
    } else {
        const auto& q = std::get<Signed<Request>>(r);
        m.owner = q.body.consumer;
        m.slot = q.body.slot;
        m.limit_price = q.body.ceiling_price;
        m.opening_price = q.body.opening_price;
        m.zone = q.body.zone;
        m.from = q.body.from;
    }
    return m;
}

} // namespace

OrderFacts order_facts(const Record& r) { return facts_of(r); }
OrderFacts order_facts(const OrderRecord& r) { return facts_of(r); }
MarketOrder market_order(const Record& r, std::int64_t remaining) {
    return market_order_of(r, remaining);
}
MarketOrder market_order(const OrderRecord& r, std::int64_t remaining) {
    return market_order_of(r, remaining);
}

namespace {

// The participant's credential is valid at t and not revoked (the rules'
// own test); a store error is an error, not an inactive participant.
Result<bool> active_at(const StateReader& st, const ParticipantId& p, std::int64_t t) {
    auto c = active_credential(st, p, t);
    if (c) return true;
    if (c.error().code == Exit::rejected) return false;
    return c.error();
}

// What the order had filled before this block's trades.
Result<std::int64_t> filled_before(const StateDelta& block, const Hash32& id,
                                   const OrderEntry& now) {
    if (!block.orders.count(id)) return now.filled_wh; // untouched by this block
    if (!block.base()) return std::int64_t{0};
    SETM_TRY(auto before, block.base()->order(id));
    return before ? before->filled_wh : std::int64_t{0};
}

} // namespace

Result<std::vector<MarketOrder>> slot_book(const StateDelta& block, std::int64_t slot,
                                           std::int64_t t) {
    std::vector<MarketOrder> book;
    std::map<ParticipantId, bool> active;
    SETM_CHECK(block.each_slot_order(slot, slot, [&](const SlotOrder& so) -> Status {
        SETM_TRY(auto e, block.order(so.key.id));
        if (!e)
            return make_error(Exit::io, "store damaged",
                              "slot_orders names a missing order " + to_hex(so.key.id));
        SETM_TRY(const std::int64_t filled, filled_before(block, so.key.id, *e));
        const std::int64_t left = so.energy_wh - filled;
        if (left <= 0 || order_facts(e->order).expires <= t) return ok_status();
        SETM_TRY(const auto cancel, block.cancellation(so.key.id));
        if (cancel) return ok_status(); // withdrawn in this block or an earlier one
        auto it = active.find(so.key.owner);
        if (it == active.end()) {
            SETM_TRY(const bool a, active_at(block, so.key.owner, t));
            it = active.emplace(so.key.owner, a).first;
        }
        if (it->second) book.push_back(market_order(e->order, left));
        return ok_status();
    }));
    return book;
}

Result<MarketResult> clear_slot(const StateDelta& block, std::int64_t slot, std::int64_t t,
                                const MarketParams& p) {
    SETM_TRY(std::vector<MarketOrder> book, slot_book(block, slot, t));
    return clear_book(std::move(book), slot, p);
}

Result<MarketResult> clear_book(std::vector<MarketOrder> book, std::int64_t slot,
                                const MarketParams& p) {
    auto cleared = clear_market(std::move(book), p);
    if (!cleared) {
        Error e = cleared.error();
        e.detail = "slot " + format_utc(slot) + " cannot be cleared: " + e.detail;
        return e;
    }
    return cleared;
}

Result<Trade> trade_for(const Match& m, const Genesis& g, const ParticipantId& agent,
                        std::int64_t time) {
    Trade t;
    t.agent = agent;
    t.slot = m.slot;
    t.slot_minutes = g.slot_minutes;
    t.offer = m.offer;
    t.request = m.request;
    t.seller = m.seller;
    t.buyer = m.buyer;
    t.energy_wh = m.energy_wh;
    t.price = m.price;
    t.fee_price = m.fee_price;
    SETM_TRY(t.amount, money_for(m.energy_wh, m.price));
    SETM_TRY(t.fee, money_for(m.energy_wh, m.fee_price));
    t.mechanism = g.mechanism;
    t.round = m.round;
    t.time = time;
    return t;
}

Result<std::vector<Trade>> clearing_trades(const StateDelta& block, std::int64_t slot,
                                           std::int64_t t, const ParticipantId& agent) {
    const Genesis& g = block.genesis();
    SETM_TRY(MarketResult cleared, clear_slot(block, slot, t, chain_market(g)));
    std::vector<Trade> out;
    out.reserve(cleared.matches.size());
    for (const Match& m : cleared.matches) {
        SETM_TRY(Trade tr, trade_for(m, g, agent, t));
        out.push_back(std::move(tr));
    }
    return out;
}

namespace {

// The first field in which a trade differs from the clearing's match.
std::string first_difference(const Trade& t, const Match& m, const char* mechanism) {
    auto differ = [](const char* field, const std::string& got, const std::string& want) {
        return std::string(field) + " " + got + " where the clearing has " + want;
    };
    if (t.offer != m.offer) return differ("offer", to_hex(t.offer), to_hex(m.offer));
    if (t.request != m.request) return differ("request", to_hex(t.request), to_hex(m.request));
    if (t.seller != m.seller)
        return differ("seller", participant_hex(t.seller), participant_hex(m.seller));
    if (t.buyer != m.buyer)
        return differ("buyer", participant_hex(t.buyer), participant_hex(m.buyer));
    if (t.energy_wh != m.energy_wh)
        return differ("energy", format_energy(t.energy_wh), format_energy(m.energy_wh));
    if (t.price != m.price)
        return differ("price", format_price(t.price), format_price(m.price) + " EUR/MWh");
    if (t.fee_price != m.fee_price)
        return differ("fee", format_price(t.fee_price), format_price(m.fee_price) + " EUR/MWh");
    if (t.mechanism != mechanism) return differ("mechanism", t.mechanism, mechanism);
    if (t.round != m.round)
        return differ("round", std::to_string(t.round), std::to_string(m.round));
    return {};
}

std::string describe(const Match& m) {
    return format_energy(m.energy_wh) + " from offer " + to_hex(m.offer) + " to request " +
           to_hex(m.request) + " at " + format_price(m.price) + " EUR/MWh";
}

} // namespace

Status check_slot_trades(std::int64_t slot, const std::vector<const Trade*>& trades,
                         const std::vector<Match>& clearing, const char* mechanism,
                         std::size_t* bad) {
    auto fail = [&](std::size_t at, const std::string& what) {
        if (bad) *bad = at;
        return make_error(Exit::bad_input, "not the clearing",
                          "slot " + format_utc(slot) + ": " + what);
    };
    const std::size_t n = std::min(trades.size(), clearing.size());
    for (std::size_t i = 0; i < n; ++i)
        if (std::string d = first_difference(*trades[i], clearing[i], mechanism); !d.empty())
            return fail(i, "trade " + std::to_string(i + 1) + " of " +
                               std::to_string(clearing.size()) + ": " + d);
    if (trades.size() > clearing.size())
        return fail(n, "the clearing makes " + std::to_string(clearing.size()) + " trade" +
                           (clearing.size() == 1 ? "" : "s") + ", the block holds " +
                           std::to_string(trades.size()));
    if (trades.size() < clearing.size())
        return fail(trades.empty() ? 0 : trades.size() - 1,
                    "the clearing makes " + std::to_string(clearing.size()) +
                        " trades, the block holds " + std::to_string(trades.size()) +
                        "; missing: " + describe(clearing[n]));
    return ok_status();
}

Status check_block_clearings(StateDelta& block, const std::vector<Record>& records, std::int64_t t,
                             std::uint64_t height, std::size_t* bad_index) {
    std::map<std::int64_t, std::vector<std::size_t>> by_slot; // trades' positions
    for (std::size_t i = 0; i < records.size(); ++i)
        if (auto* tr = std::get_if<Signed<Trade>>(&records[i])) by_slot[tr->body.slot].push_back(i);
    const Genesis& g = block.genesis();
    const MarketParams market = chain_market(g);
    for (const auto& [slot, positions] : by_slot) {
        auto cleared = clear_slot(block, slot, t, market);
        if (!cleared) {
            if (bad_index) *bad_index = positions.front();
            return cleared.error();
        }
        std::vector<const Trade*> trades;
        for (std::size_t i : positions) trades.push_back(&std::get<Signed<Trade>>(records[i]).body);
        std::size_t bad = 0;
        Status s = check_slot_trades(slot, trades, cleared->matches, g.mechanism.c_str(), &bad);
        if (!s) {
            if (bad_index) *bad_index = positions[bad];
            return s;
        }
        if (has_gate(g)) block.cleared_slots[slot] = height;
    }
    return ok_status();
}

} // namespace setm
