#include "statement.hpp"

#include "integer.hpp"
#include "units.hpp"

namespace setm {

namespace {

// The participant a trade's key signs for, and the name on that key's
// credential.
Result<StatementBuilder::Party> party_of(const StateReader& st, const ParticipantId& key) {
    StatementBuilder::Party p;
    SETM_TRY(p.holder, holder_of(st, key));
    SETM_TRY(p.name, participant_name(st, key));
    return p;
}

// A handed-over participant's keys at the tip (none otherwise).
Result<std::vector<ParticipantId>> keys_at_tip(const StateReader* tip, const ParticipantId& p) {
    if (!tip) return std::vector<ParticipantId>{};
    SETM_TRY(auto link, tip->key_link(p));
    if (!link) return std::vector<ParticipantId>{};
    return keys_of(*tip, p);
}

} // namespace

bool StatementRange::counts(std::int64_t slot, std::uint64_t height) const {
    if ((from_slot && slot < *from_slot) || (to_slot && slot >= *to_slot)) return false;
    return !((from_height && height < *from_height) || (to_height && height >= *to_height));
}

Result<std::uint64_t> parse_height(std::string_view text, const char* flag) {
    const std::string quoted = "'" + std::string(text) + "'";
    auto bad = [&](const std::string& why) {
        return make_error(Exit::usage, std::string("bad ") + flag, quoted + " " + why);
    };
    const DecimalInteger d = read_decimal_integer(text);
    std::uint64_t h = 0;
    if (d.negative) // also one too large for an integer
        return bad("is negative; heights count from 0, the genesis block");
    if (!text.empty() && text[0] == '-') // "-0": JSON's integer, not a height
        return bad("is not a block height: a whole number, 0 being the genesis block");
    if (d.kind == IntegerText::too_large ||
        (d.kind == IntegerText::integer && !integer_as_uint64(d, h)))
        return bad("is too large for a block height");
    if (d.kind != IntegerText::integer)
        return bad("is not a block height: a whole number, 0 being the genesis block");
    return h;
}

Status check_range(const StatementRange& r) {
    if (r.from_slot && r.to_slot && *r.from_slot > *r.to_slot)
        return make_error(
            Exit::usage, "bad range",
            "--from " + format_utc(*r.from_slot) + " is after --to " + format_utc(*r.to_slot));
    if (r.from_height && r.to_height && *r.from_height > *r.to_height)
        return make_error(Exit::usage, "bad range",
                          "--from-height " + std::to_string(*r.from_height) +
                              " is above --to-height " + std::to_string(*r.to_height));
    return ok_status();
}

Status StatementBuilder::add(const Party& p, std::int64_t slot, std::int64_t bought,
                             std::int64_t sold, const Money& money) {
    StatementLine& l = lines_[{p.holder, slot}];
    l.participant = p.holder;
    l.name = p.name;
    l.slot = slot;
    SETM_CHECK(checked_accumulate(l.bought_wh, bought));
    SETM_CHECK(checked_accumulate(l.sold_wh, sold));
    SETM_CHECK(checked_accumulate(l.paid, money.paid));
    SETM_CHECK(checked_accumulate(l.received, money.received));
    SETM_CHECK(checked_accumulate(l.fees, money.fees));
    SETM_CHECK(checked_accumulate(l.fees_received, money.fees_received));
    ++l.trades;
    return ok_status();
}

// Each trade: the buyer pays amount + fee, the seller receives the amount,
// and the grid operator (if the genesis block names one) the fee.
Status StatementBuilder::add_block(const Block& b, std::uint64_t height, const StateReader& state) {
    const ParticipantId op = state.genesis().grid_operator;
    if (op != ParticipantId{}) grid_operator_ = op;
    std::optional<Party> op_party; // looked up once per block, at its first fee
    for (const auto& r : b.records) {
        const auto* t = std::get_if<Signed<Trade>>(&r);
        if (!t) continue;
        const Trade& tr = t->body;
        if (!range_.counts(tr.slot, height)) continue;
        SETM_TRY(Party seller, party_of(state, tr.seller));
        SETM_TRY(Party buyer, party_of(state, tr.buyer));
        SETM_TRY(std::int64_t paid, checked_add(tr.amount, tr.fee));
        SETM_CHECK(add(buyer, tr.slot, tr.energy_wh, 0, {paid, 0, tr.fee, 0}));
        SETM_CHECK(add(seller, tr.slot, 0, tr.energy_wh, {0, tr.amount, 0, 0}));
        if (grid_operator_ && tr.fee != 0) {
            if (!op_party) {
                SETM_TRY(op_party, party_of(state, *grid_operator_));
            }
            SETM_CHECK(add(*op_party, tr.slot, 0, 0, {0, 0, 0, tr.fee}));
        }
        ++trades_;
    }
    return ok_status();
}

Result<Statement> StatementBuilder::finish(const StateReader* tip) const {
    Statement s;
    s.trades = trades_;
    std::map<ParticipantId, StatementLine> totals;
    for (const auto& [key, line] : lines_) {
        s.lines.push_back(line);
        StatementLine& l = s.lines.back();
        SETM_TRY(l.keys, keys_at_tip(tip, l.participant));
        StatementLine& t = totals[l.participant];
        t.participant = l.participant;
        t.keys = l.keys;
        t.name = l.name;
        SETM_CHECK(checked_accumulate(t.bought_wh, l.bought_wh));
        SETM_CHECK(checked_accumulate(t.sold_wh, l.sold_wh));
        SETM_CHECK(checked_accumulate(t.paid, l.paid));
        SETM_CHECK(checked_accumulate(t.received, l.received));
        SETM_CHECK(checked_accumulate(t.fees, l.fees));
        SETM_CHECK(checked_accumulate(t.fees_received, l.fees_received));
        t.trades += l.trades;
        SETM_CHECK(checked_accumulate(s.paid, l.paid));
        SETM_CHECK(checked_accumulate(s.received, l.received));
        SETM_CHECK(checked_accumulate(s.fees, l.fees));
        SETM_CHECK(checked_accumulate(s.fees_received, l.fees_received));
        SETM_CHECK(checked_accumulate(s.energy_wh, l.bought_wh));
    }
    for (const auto& [p, t] : totals) s.totals.push_back(t);
    s.grid_operator = grid_operator_;
    if (!s.balanced())
        return make_error(Exit::internal, "unbalanced statement",
                          "paid " + format_money(s.paid) + " != received " +
                              format_money(s.received) + " + fees " + format_money(s.fees) +
                              " (the grid operator received " + format_money(s.fees_received) +
                              ")");
    return s;
}

std::string statement_line_json(const StatementLine& l, const char* type) {
    JsonOut o;
    o.begin_object()
        .field("type", type)
        .field("participant", participant_hex(l.participant))
        .field("name", l.name);
    if (!l.keys.empty()) {
        o.key("keys").begin_array();
        for (const auto& k : l.keys) o.str(participant_hex(k));
        o.end_array();
    }
    if (std::string(type) == "statement-line") o.field("slot", format_utc(l.slot));
    o.field("bought_wh", l.bought_wh).field("sold_wh", l.sold_wh);
    o.field("paid", l.paid).field("received", l.received).field("fees", l.fees);
    o.field("fees_received", l.fees_received);
    o.field("paid_eur", format_money(l.paid)).field("received_eur", format_money(l.received));
    o.field("fees_eur", format_money(l.fees));
    o.field("fees_received_eur", format_money(l.fees_received));
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
    o.field("fees_received", s.fees_received);
    o.field("paid_eur", format_money(s.paid)).field("received_eur", format_money(s.received));
    o.field("fees_eur", format_money(s.fees));
    o.field("fees_received_eur", format_money(s.fees_received));
    if (s.grid_operator) o.field("grid_operator", participant_hex(*s.grid_operator));
    o.field("balanced", s.balanced()).end_object();
    return o.str();
}

namespace {

// One RFC 4180 field: quoted when it holds a comma, a double quote, CR or
// LF, with each double quote doubled.
std::string csv_field(const std::string& v) {
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string q = "\"";
    for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string csv_row(const std::vector<std::string>& fields) {
    std::string row;
    for (std::size_t i = 0; i < fields.size(); ++i) row += (i ? "," : "") + csv_field(fields[i]);
    return row + "\r\n";
}

std::string csv_line(const char* type, const StatementLine& l, const std::string& slot) {
    using std::to_string;
    return csv_row({type, participant_hex(l.participant), l.name, slot, to_string(l.bought_wh),
                    to_string(l.sold_wh), "", to_string(l.paid), format_money(l.paid),
                    to_string(l.received), format_money(l.received), to_string(l.fees),
                    format_money(l.fees), to_string(l.fees_received), format_money(l.fees_received),
                    to_string(l.trades), "", ""});
}

} // namespace

std::string statement_csv(const Statement& s) {
    using std::to_string;
    std::string out =
        csv_row({"type", "participant", "name", "slot", "bought_wh", "sold_wh", "energy_wh", "paid",
                 "paid_eur", "received", "received_eur", "fees", "fees_eur", "fees_received",
                 "fees_received_eur", "trades", "grid_operator", "balanced"});
    for (const auto& l : s.lines) out += csv_line("statement-line", l, format_utc(l.slot));
    for (const auto& t : s.totals) out += csv_line("statement-total", t, "");
    out += csv_row({"statement-balance", "", "", "", "", "", to_string(s.energy_wh),
                    to_string(s.paid), format_money(s.paid), to_string(s.received),
                    format_money(s.received), to_string(s.fees), format_money(s.fees),
                    to_string(s.fees_received), format_money(s.fees_received), to_string(s.trades),
                    s.grid_operator ? participant_hex(*s.grid_operator) : std::string(),
                    s.balanced() ? "true" : "false"});
    return out;
}

} // namespace setm
