#include "open_book.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

#include "clearing.hpp"
#include "units.hpp"

namespace setm {

namespace {

// The owner's name if its credential is valid at t and not revoked, or
// nullopt; a store error is an error, not an inactive owner.
Result<std::optional<std::string>> active_name(const StateReader& st, const ParticipantId& p,
                                               std::int64_t t) {
    auto c = active_credential(st, p, t);
    if (c) return std::optional<std::string>(c->name);
    if (c.error().code == Exit::rejected) return std::optional<std::string>{};
    return c.error();
}

OpenOrder open_order(const OrderEntry& e, const std::string& name) {
    const std::int64_t remaining = order_facts(e.order).energy_wh - e.filled_wh;
    const MarketOrder m = market_order(e.order, remaining);
    OpenOrder o;
    o.id = m.id;
    o.side = m.is_offer ? Side::offer : Side::request;
    o.owner = m.owner;
    o.name = name;
    o.zone = m.zone;
    o.slot = m.slot;
    o.energy_wh = order_facts(e.order).energy_wh;
    o.remaining_wh = remaining;
    o.limit_price = m.limit_price;
    o.opening_price = m.opening_price;
    o.expires = order_facts(e.order).expires;
    o.height = e.height;
    o.from = m.from;
    return o;
}

// Offers cheapest first, requests dearest first: the price a buyer reads first.
bool book_order(const OpenOrder& a, const OpenOrder& b) {
    const std::int64_t pa = a.side == Side::offer ? a.limit_price : -a.limit_price;
    const std::int64_t pb = b.side == Side::offer ? b.limit_price : -b.limit_price;
    return std::tie(a.slot, a.side, pa, a.height, a.id) <
           std::tie(b.slot, b.side, pb, b.height, b.id);
}

} // namespace

Status check_open_book_query(const Genesis& g, const OpenBookQuery& q) {
    if (!q.slot) return ok_status();
    auto s = check_slot_start(*q.slot, static_cast<int>(g.slot_minutes));
    if (!s) return make_error(Exit::usage, "bad slot", s.error().detail);
    return ok_status();
}

Result<std::vector<OpenOrder>> open_book(const StateReader& st, const OpenBookQuery& q) {
    const Genesis& g = st.genesis();
    SETM_CHECK(check_open_book_query(g, q));
    // Slots that have begun hold nothing open.
    const std::int64_t never = std::numeric_limits<std::int64_t>::max();
    const std::int64_t first = q.slot ? *q.slot : q.now < never ? q.now + 1 : never;
    const std::int64_t last = q.slot ? *q.slot : never;
    std::vector<OpenOrder> out;
    std::map<ParticipantId, std::optional<std::string>> names;
    std::map<std::int64_t, bool> cleared;
    SETM_CHECK(st.each_slot_order(first, last, [&](const SlotOrder& so) -> Status {
        if (so.key.slot <= q.now || (q.side && so.key.side != *q.side)) return ok_status();
        if (has_gate(g)) {
            auto c = cleared.find(so.key.slot);
            if (c == cleared.end()) {
                SETM_TRY(auto h, st.cleared(so.key.slot));
                c = cleared.emplace(so.key.slot, h.has_value()).first;
            }
            if (c->second) return ok_status();
        }
        SETM_TRY(auto e, st.order(so.key.id));
        if (!e)
            return make_error(Exit::io, "store damaged",
                              "slot_orders names a missing order " + to_hex(so.key.id));
        if (e->filled_wh >= so.energy_wh || order_facts(e->order).expires <= q.now)
            return ok_status();
        SETM_TRY(const auto cancel, st.cancellation(so.key.id));
        if (cancel) return ok_status();
        auto n = names.find(so.key.owner);
        if (n == names.end()) {
            SETM_TRY(auto name, active_name(st, so.key.owner, q.now));
            n = names.emplace(so.key.owner, std::move(name)).first;
        }
        if (!n->second) return ok_status();
        OpenOrder o = open_order(*e, *n->second);
        if (has_gate(g)) {
            o.gate = gate_closure(g, o.slot);
            o.gate_closed = q.now >= *o.gate;
        }
        out.push_back(std::move(o));
        return ok_status();
    }));
    std::sort(out.begin(), out.end(), book_order);
    return out;
}

} // namespace setm
