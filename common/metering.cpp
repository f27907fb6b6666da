#include "metering.hpp"

#include <algorithm>
#include <numeric>

#include "units.hpp"

namespace setm {

std::vector<std::int64_t> pro_rata(std::int64_t total, const std::vector<std::int64_t>& weights) {
    __extension__ typedef unsigned __int128 U; // total x weight: up to 2^126
    std::vector<std::int64_t> share(weights.size(), 0);
    U sum = 0;
    for (std::int64_t w : weights) sum += static_cast<U>(w);
    if (sum == 0 || total <= 0) return share;
    std::vector<U> rest(weights.size());
    std::int64_t given = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        const U exact = static_cast<U>(total) * static_cast<U>(weights[i]);
        share[i] = static_cast<std::int64_t>(exact / sum);
        rest[i] = exact % sum;
        given += share[i];
    }
    std::vector<std::size_t> order(weights.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return rest[a] > rest[b]; });
    for (std::size_t k = 0; given < total; ++k, ++given) ++share[order[k]];
    return share;
}

namespace {

// One side of a slot's trades: each trade's share of its participant's
// reading (`cap` of each participant; absent: not capped).
std::vector<std::int64_t> side_shares(const std::vector<MeteredTrade>& trades, bool seller_side,
                                      const std::map<ParticipantId, std::int64_t>& cap) {
    std::map<ParticipantId, std::vector<std::size_t>> of;
    for (std::size_t i = 0; i < trades.size(); ++i)
        of[seller_side ? trades[i].seller : trades[i].buyer].push_back(i);
    std::vector<std::int64_t> out(trades.size());
    for (const auto& [p, idx] : of) {
        std::vector<std::int64_t> w;
        std::int64_t sum = 0;
        for (std::size_t i : idx) {
            w.push_back(trades[i].energy_wh);
            sum += trades[i].energy_wh; // within limits: no overflow
        }
        const auto c = cap.find(p);
        const std::vector<std::int64_t> s =
            c == cap.end() || c->second >= sum ? w : pro_rata(c->second, w);
        for (std::size_t k = 0; k < idx.size(); ++k) out[idx[k]] = s[k];
    }
    return out;
}

} // namespace

std::vector<std::int64_t> settle_slot(const std::vector<MeteredTrade>& trades,
                                      const std::map<ParticipantId, MeterRead>& reads) {
    std::map<ParticipantId, std::int64_t> delivered, consumed;
    for (const auto& t : trades) {
        const auto r = reads.find(t.seller);
        delivered[t.seller] = r == reads.end() ? 0 : r->second.delivered_wh;
        if (const auto b = reads.find(t.buyer); b != reads.end())
            consumed[t.buyer] = b->second.consumed_wh;
    }
    const auto sell = side_shares(trades, true, delivered);
    const auto buy = side_shares(trades, false, consumed);
    std::vector<std::int64_t> out(trades.size());
    for (std::size_t i = 0; i < trades.size(); ++i) out[i] = std::min(sell[i], buy[i]);
    return out;
}

// The participant key signs for (its stable id, across hand-overs), named
// by the credential of the newest key seen.
Result<ParticipantId> MeteredBuilder::holder(const ParticipantId& key, const StateReader& state) {
    if (const auto h = holders_.find(key); h != holders_.end()) return h->second;
    SETM_TRY(const ParticipantId p, holder_of(state, key));
    SETM_TRY(names_[p], participant_name(state, key));
    holders_[key] = p;
    return p;
}

Status MeteredBuilder::add_block(const Block& b, std::uint64_t, const StateReader& state) {
    const ParticipantId op = state.genesis().grid_operator;
    if (op != ParticipantId{}) {
        SETM_TRY(grid_operator_, holder(op, state));
    }
    for (const auto& r : b.records) {
        if (const auto* t = std::get_if<Signed<Trade>>(&r)) {
            const Trade& tr = t->body;
            if (!range_.counts(tr.slot, 0)) continue;
            SETM_TRY(const ParticipantId seller, holder(tr.seller, state));
            SETM_TRY(const ParticipantId buyer, holder(tr.buyer, state));
            trades_[tr.slot].push_back({seller, buyer, tr.energy_wh, tr.price, tr.fee_price});
        } else if (const auto* m = std::get_if<Signed<Reading>>(&r)) {
            const Reading& rd = m->body;
            if (!range_.counts(rd.slot, 0)) continue;
            SETM_TRY(const ParticipantId p, holder(rd.participant, state));
            MeterRead& into = reads_[rd.slot][p];
            SETM_CHECK(checked_accumulate(into.delivered_wh, rd.delivered_wh));
            SETM_CHECK(checked_accumulate(into.consumed_wh, rd.consumed_wh));
        } else if (const auto* f = std::get_if<Signed<Tariff>>(&r)) {
            tariffs_[f->body.valid_from] = f->body.imbalance_price;
        }
    }
    return ok_status();
}

std::int64_t MeteredBuilder::tariff_for(std::int64_t slot) const {
    auto it = tariffs_.upper_bound(slot);
    if (it == tariffs_.begin()) return 0;
    return std::prev(it)->second;
}

namespace {

using Lines = std::map<std::pair<ParticipantId, std::int64_t>, MeteredLine>;

MeteredLine& line_of(Lines& lines, const ParticipantId& p, std::int64_t slot) {
    MeteredLine& l = lines[{p, slot}];
    l.participant = p;
    l.slot = slot;
    return l;
}

// Money of one settled trade on the lines of its two parties and the grid
// operator (the fee).
Status add_trade(Lines& lines, const MeteredTrade& t, std::int64_t settled, std::int64_t slot,
                 const std::optional<ParticipantId>& op, MeteredStatement& out) {
    SETM_TRY(std::int64_t amount, money_for(settled, t.price));
    SETM_TRY(std::int64_t fee, money_for(settled, t.fee_price));
    SETM_TRY(std::int64_t paid, checked_add(amount, fee));
    MeteredLine& b = line_of(lines, t.buyer, slot);
    SETM_CHECK(checked_accumulate(b.bought_wh, t.energy_wh));
    SETM_CHECK(checked_accumulate(b.settled_bought_wh, settled));
    SETM_CHECK(checked_accumulate(b.paid, paid));
    SETM_CHECK(checked_accumulate(b.fees, fee));
    ++b.trades;
    MeteredLine& s = line_of(lines, t.seller, slot);
    SETM_CHECK(checked_accumulate(s.sold_wh, t.energy_wh));
    SETM_CHECK(checked_accumulate(s.settled_sold_wh, settled));
    SETM_CHECK(checked_accumulate(s.received, amount));
    ++s.trades;
    if (op && fee != 0)
        SETM_CHECK(checked_accumulate(line_of(lines, *op, slot).fees_received, fee));
    SETM_CHECK(checked_accumulate(out.traded_wh, t.energy_wh));
    SETM_CHECK(checked_accumulate(out.settled_wh, settled));
    ++out.trades;
    return ok_status();
}

} // namespace

// One slot: its trades settled against its readings, then each
// participant's imbalance, priced by the tariff in force.
Status MeteredBuilder::settle(std::int64_t slot, MeteredStatement& out, Lines& lines) const {
    static const std::vector<MeteredTrade> no_trades;
    static const std::map<ParticipantId, MeterRead> no_reads;
    const auto t = trades_.find(slot);
    const auto r = reads_.find(slot);
    const auto& trades = t == trades_.end() ? no_trades : t->second;
    const auto& reads = r == reads_.end() ? no_reads : r->second;
    const std::vector<std::int64_t> settled = settle_slot(trades, reads);
    for (std::size_t i = 0; i < trades.size(); ++i)
        SETM_CHECK(add_trade(lines, trades[i], settled[i], slot, grid_operator_, out));
    for (const auto& [p, m] : reads) line_of(lines, p, slot).read = true;
    const std::int64_t price = tariff_for(slot);
    std::int64_t grid = 0;
    for (auto& [key, l] : lines) {
        if (key.second != slot) continue;
        const auto m = reads.find(l.participant);
        l.delivered_wh = m == reads.end() ? 0 : m->second.delivered_wh;
        l.consumed_wh = m == reads.end() ? l.bought_wh : m->second.consumed_wh;
        l.imbalance_price = price;
        SETM_TRY(std::int64_t surplus, checked_sub(l.delivered_wh, l.settled_sold_wh));
        SETM_TRY(std::int64_t drawn, checked_sub(l.consumed_wh, l.settled_bought_wh));
        SETM_TRY(l.imbalance_wh, checked_sub(surplus, drawn));
        SETM_TRY(l.imbalance, money_for(l.imbalance_wh, price));
        SETM_CHECK(checked_accumulate(grid, l.imbalance));
        SETM_CHECK(checked_accumulate(out.imbalance_wh, l.imbalance_wh));
        SETM_CHECK(checked_accumulate(out.imbalance, l.imbalance));
    }
    SETM_TRY(std::int64_t opposite, checked_sub(0, grid));
    SETM_CHECK(checked_accumulate(out.grid_imbalance, opposite));
    if (grid_operator_ && opposite != 0)
        line_of(lines, *grid_operator_, slot).grid_imbalance = opposite;
    return ok_status();
}

namespace {

Status add_to(MeteredLine& t, const MeteredLine& l) {
    for (auto [into, v] : {std::pair{&t.bought_wh, l.bought_wh},
                           {&t.sold_wh, l.sold_wh},
                           {&t.delivered_wh, l.delivered_wh},
                           {&t.consumed_wh, l.consumed_wh},
                           {&t.settled_bought_wh, l.settled_bought_wh},
                           {&t.settled_sold_wh, l.settled_sold_wh},
                           {&t.imbalance_wh, l.imbalance_wh},
                           {&t.paid, l.paid},
                           {&t.received, l.received},
                           {&t.fees, l.fees},
                           {&t.fees_received, l.fees_received},
                           {&t.imbalance, l.imbalance},
                           {&t.grid_imbalance, l.grid_imbalance}})
        SETM_CHECK(checked_accumulate(*into, v));
    t.trades += l.trades;
    t.read = t.read || l.read;
    return ok_status();
}

} // namespace

Result<MeteredStatement> MeteredBuilder::finish() const {
    MeteredStatement s;
    s.grid_operator = grid_operator_;
    std::vector<std::int64_t> slots;
    for (const auto& [slot, v] : trades_) slots.push_back(slot);
    for (const auto& [slot, v] : reads_) slots.push_back(slot);
    std::sort(slots.begin(), slots.end());
    slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
    Lines lines;
    for (std::int64_t slot : slots) SETM_CHECK(settle(slot, s, lines));
    std::map<ParticipantId, MeteredLine> totals;
    for (auto& [key, l] : lines) {
        const auto n = names_.find(l.participant);
        l.name = n == names_.end() ? std::string() : n->second;
        s.lines.push_back(l);
        MeteredLine& t = totals[l.participant];
        t.participant = l.participant;
        t.name = l.name;
        SETM_CHECK(add_to(t, l));
        SETM_CHECK(checked_accumulate(s.paid, l.paid));
        SETM_CHECK(checked_accumulate(s.received, l.received));
        SETM_CHECK(checked_accumulate(s.fees, l.fees));
        SETM_CHECK(checked_accumulate(s.fees_received, l.fees_received));
    }
    for (const auto& [p, t] : totals) s.totals.push_back(t);
    if (!s.balanced())
        return make_error(Exit::internal, "unbalanced statement",
                          "paid " + format_money(s.paid) + " != received " +
                              format_money(s.received) + " + fees " + format_money(s.fees) +
                              ", or imbalances " + format_money(s.imbalance) + " against " +
                              format_money(s.grid_imbalance));
    return s;
}

std::string metered_line_json(const MeteredLine& l, const char* type) {
    JsonOut o;
    o.begin_object()
        .field("type", type)
        .field("participant", participant_hex(l.participant))
        .field("name", l.name);
    const bool line = std::string(type) == "metered-line";
    if (line) o.field("slot", format_utc(l.slot)).field("read", l.read);
    o.field("bought_wh", l.bought_wh).field("sold_wh", l.sold_wh);
    o.field("delivered_wh", l.delivered_wh).field("consumed_wh", l.consumed_wh);
    o.field("settled_bought_wh", l.settled_bought_wh).field("settled_sold_wh", l.settled_sold_wh);
    o.field("imbalance_wh", l.imbalance_wh);
    if (line) o.field("imbalance_price", format_price(l.imbalance_price));
    o.field("paid", l.paid).field("received", l.received).field("fees", l.fees);
    o.field("fees_received", l.fees_received).field("imbalance", l.imbalance);
    o.field("grid_imbalance", l.grid_imbalance);
    o.field("paid_eur", format_money(l.paid)).field("received_eur", format_money(l.received));
    o.field("imbalance_eur", format_money(l.imbalance));
    o.field("trades", l.trades).end_object();
    return o.str();
}

std::string metered_balance_json(const MeteredStatement& s) {
    JsonOut o;
    o.begin_object().field("type", "metered-balance").field("trades", s.trades);
    o.field("traded_wh", s.traded_wh).field("settled_wh", s.settled_wh);
    o.field("paid", s.paid).field("received", s.received).field("fees", s.fees);
    o.field("fees_received", s.fees_received);
    o.field("imbalance_wh", s.imbalance_wh).field("imbalance", s.imbalance);
    o.field("grid_imbalance", s.grid_imbalance);
    o.field("paid_eur", format_money(s.paid)).field("received_eur", format_money(s.received));
    o.field("fees_eur", format_money(s.fees)).field("imbalance_eur", format_money(s.imbalance));
    if (s.grid_operator) o.field("grid_operator", participant_hex(*s.grid_operator));
    o.field("balanced", s.balanced()).end_object();
    return o.str();
}

} // namespace setm
