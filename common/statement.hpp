// statement.hpp - settlement statements from a verified chain.
//
// Per participant and slot: energy bought and sold, money paid and
// received, network fees paid; totals per participant; and the balance of
// the whole: what buyers pay equals what sellers receive plus fees, to the
// last unit (1e-8 EUR), because every amount is energy_wh * price exactly.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules.hpp"

namespace setm {

// A participant is named by its stable id, its first key's (state.hpp,
// holder_of): trades by every key it had count together, across hand-overs.
struct StatementLine {
    ParticipantId participant{};
    std::vector<ParticipantId> keys; // its keys, first to last, once handed over; else empty
    std::string name;
    std::int64_t slot = 0;
    std::int64_t bought_wh = 0, sold_wh = 0;
    std::int64_t paid = 0;          // money: amounts + fees of its purchases
    std::int64_t received = 0;      // money: amounts of its sales
    std::int64_t fees = 0;          // money: network fees among `paid`
    std::int64_t fees_received = 0; // money: network fees received as the grid operator
    std::uint32_t trades = 0;
};

struct Statement {
    std::vector<StatementLine> lines;  // by participant, then slot
    std::vector<StatementLine> totals; // one per participant (slot = 0)
    std::int64_t paid = 0, received = 0, fees = 0, fees_received = 0, energy_wh = 0;
    std::uint64_t trades = 0;
    std::optional<ParticipantId> grid_operator; // the genesis block's, if it names one
    // What buyers paid is what sellers received plus the fees, and the grid
    // operator, if any, received every fee: paid = received + fees_received.
    bool balanced() const {
        return paid == received + fees && fees_received == (grid_operator ? fees : 0);
    }
};

// Which trades a statement counts: those whose slot starts in
// [from_slot, to_slot) and whose block's height is in [from_height,
// to_height). An unset bound is open; an equal pair is an empty range.
struct StatementRange {
    std::optional<std::int64_t> from_slot, to_slot;
    std::optional<std::uint64_t> from_height, to_height;
    bool counts(std::int64_t slot, std::uint64_t height) const;
};

// A block height as given on a command line (--from-height, --to-height):
// a decimal whole number, 0 being the genesis block. A sign, a fraction,
// an exponent, leading zeros or spaces are refused: Exit::usage, reason
// "bad FLAG", the text and why in the detail.
Result<std::uint64_t> parse_height(std::string_view text, const char* flag);

// Exit::usage "bad range" when a range starts after it ends (--from after
// --to, or --from-height above --to-height).
Status check_range(const StatementRange& r);

// Collects trades block by block (an observer of verify_chain), keeping
// those the range counts.
class StatementBuilder {
public:
    explicit StatementBuilder(StatementRange range) : range_(range) {}
    Status add_block(const Block& b, std::uint64_t height, const StateReader& state);
    // With `tip` (the chain's state at its tip), each participant that was
    // handed over lists its keys, first to last.
    Result<Statement> finish(const StateReader* tip = nullptr) const;
    // Who a trade's key counts for: its participant's stable id and the
    // name on the key's credential.
    struct Party {
        ParticipantId holder{};
        std::string name;
    };

private:
    struct Money {
        std::int64_t paid = 0, received = 0, fees = 0, fees_received = 0;
    };
    Status add(const Party& p, std::int64_t slot, std::int64_t bought, std::int64_t sold,
               const Money& money);
    StatementRange range_;
    std::optional<ParticipantId> grid_operator_;
    std::map<std::pair<ParticipantId, std::int64_t>, StatementLine> lines_;
    std::uint64_t trades_ = 0;
};

std::string statement_line_json(const StatementLine& l, const char* type);
std::string statement_balance_json(const Statement& s);
// CSV per RFC 4180 (CRLF line ends, a header row, fields with a comma,
// quote or line break quoted, quotes doubled). Columns: type, participant,
// name, slot, bought_wh, sold_wh, energy_wh, paid, paid_eur, received,
// received_eur, fees, fees_eur, fees_received, fees_received_eur, trades,
// grid_operator, balanced. Each row fills exactly the fields of its JSON
// object (statement-line, statement-total, statement-balance) with the same
// values; the other cells are empty.
std::string statement_csv(const Statement& s);

} // namespace setm
