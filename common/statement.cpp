#include "statement.hpp"

#include "units.hpp"

namespace setm {

namespace {

Result<std::string> name_of(const StateReader& st, const ParticipantId& p) {
    SETM_TRY(auto serial, st.serial_of(p));
    if (!serial) return std::string();
    SETM_TRY(auto e, st.credential(*serial));
    return e ? e->credential.body.name : std::string();
}

Status accumulate(std::int64_t& into, std::int64_t v) {
    SETM_TRY(into, checked_add(into, v));
    return ok_status();
}

} // namespace

Status StatementBuilder::add(const ParticipantId& p, const std::string& name, std::int64_t slot,
                             std::int64_t bought, std::int64_t sold, std::int64_t paid,
                             std::int64_t received, std::int64_t fees) {
    StatementLine& l = lines_[{p, slot}];
    l.participant = p;
    l.name = name;
    l.slot = slot;
    SETM_CHECK(accumulate(l.bought_wh, bought));
    SETM_CHECK(accumulate(l.sold_wh, sold));
    SETM_CHECK(accumulate(l.paid, paid));
    SETM_CHECK(accumulate(l.received, received));
    SETM_CHECK(accumulate(l.fees, fees));
    ++l.trades;
    return ok_status();
}

Status StatementBuilder::add_block(const Block& b, const StateReader& state) {
    for (const auto& r : b.records) {
        const auto* t = std::get_if<Signed<Trade>>(&r);
        if (!t) continue;
        const Trade& tr = t->body;
        if ((from_ && tr.slot < *from_) || (to_ && tr.slot >= *to_)) continue;
        SETM_TRY(std::string seller, name_of(state, tr.seller));
        SETM_TRY(std::string buyer, name_of(state, tr.buyer));
        SETM_TRY(std::int64_t paid, checked_add(tr.amount, tr.fee));
        SETM_CHECK(add(tr.buyer, buyer, tr.slot, tr.energy_wh, 0, paid, 0, tr.fee));
        SETM_CHECK(add(tr.seller, seller, tr.slot, 0, tr.energy_wh, 0, tr.amount, 0));
        ++trades_;
    }
    return ok_status();
}

Result<Statement> StatementBuilder::finish() const {
    Statement s;
    s.trades = trades_;
    std::map<ParticipantId, StatementLine> totals;
    for (const auto& [key, l] : lines_) {
        s.lines.push_back(l);
        StatementLine& t = totals[l.participant];
        t.participant = l.participant;
        t.name = l.name;
        SETM_CHECK(accumulate(t.bought_wh, l.bought_wh));
        SETM_CHECK(accumulate(t.sold_wh, l.sold_wh));
        SETM_CHECK(accumulate(t.paid, l.paid));
        SETM_CHECK(accumulate(t.received, l.received));
        SETM_CHECK(accumulate(t.fees, l.fees));
        t.trades += l.trades;
        SETM_CHECK(accumulate(s.paid, l.paid));
        SETM_CHECK(accumulate(s.received, l.received));
        SETM_CHECK(accumulate(s.fees, l.fees));
        SETM_CHECK(accumulate(s.energy_wh, l.bought_wh));
    }
    for (const auto& [p, t] : totals) s.totals.push_back(t);
    if (!s.balanced())
        return make_error(Exit::internal, "unbalanced statement",
                          "paid " + format_money(s.paid) + " != received " +
                              format_money(s.received) + " + fees " + format_money(s.fees));
    return s;
}

std::string statement_line_json(const StatementLine& l, const char* type) {
    JsonOut o;
    o.begin_object()
        .field("type", type)
        .field("participant", participant_hex(l.participant))
        .field("name", l.name);
    if (std::string(type) == "statement-line") o.field("slot", format_utc(l.slot));
    o.field("bought_wh", l.bought_wh).field("sold_wh", l.sold_wh);
    o.field("paid", l.paid).field("received", l.received).field("fees", l.fees);
    o.field("paid_eur", format_money(l.paid)).field("received_eur", format_money(l.received));
    o.field("trades", l.trades).end_object();
    return o.str();
}

std::string statement_balance_json(const Statement& s) {
    JsonOut o;
    o.begin_object()
        .field("type", "statement-balance")
        .field("trades", s.trades)
        .field("energy_wh", s.energy_wh);
    o.field("paid", s.paid).field("received", s.received).field("fees", s.fees);
    o.field("paid_eur", format_money(s.paid)).field("received_eur", format_money(s.received));
    o.field("fees_eur", format_money(s.fees)).field("balanced", s.balanced()).end_object();
    return o.str();
}

std::string statement_csv(const Statement& s) {
    std::string out = "type,participant,name,slot,bought_wh,sold_wh,paid,received,fees,trades\n";
    auto row = [&](const char* type, const StatementLine& l, const std::string& slot) {
        std::string name = l.name;
        for (char& c : name)
            if (c == ',' || c == '"' || c == '\n' || c == '\r') c = ' ';
        out += std::string(type) + "," + participant_hex(l.participant) + "," + name + "," + slot +
               "," + std::to_string(l.bought_wh) + "," + std::to_string(l.sold_wh) + "," +
               std::to_string(l.paid) + "," + std::to_string(l.received) + "," +
               std::to_string(l.fees) + "," + std::to_string(l.trades) + "\n";
    };
    for (const auto& l : s.lines) row("line", l, format_utc(l.slot));
    for (const auto& t : s.totals) row("total", t, "");
    out += "balance,,,," + std::to_string(s.energy_wh) + "," + std::to_string(s.energy_wh) + "," +
           std::to_string(s.paid) + "," + std::to_string(s.received) + "," +
           std::to_string(s.fees) + "," + std::to_string(s.trades) + "\n";
    return out;
}

} // namespace setm
