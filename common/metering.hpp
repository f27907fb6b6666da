// metering.hpp - settling what was delivered: trades capped by the meters.
//
// setm-verify --statement --metered. For each slot, every trade's energy
// is capped by what its seller's meter delivered and its buyer's meter
// consumed in that slot; a participant whose trades in a slot add up to
// more than its meter read shares the reading among them pro rata (exact
// integers, largest remainder: pro_rata). A trade settles the smaller of
// its two shares, at its own price and fee. What a participant delivered
// beyond its settled sales, less what it consumed beyond its settled
// purchases, is its imbalance: settled with the grid at the imbalance price
// of the tariff in force for the slot (records.hpp, Tariff). A missing
// reading is read as the least favourable to its holder: nothing delivered,
// everything it bought consumed. Every amount is energy x price exactly, so
// the totals balance to the unit as in the promised statement.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "statement.hpp"

namespace setm {

// `total` shared among `weights` (each >= 0, sum W > 0) in proportion:
// share_i = floor(total * w_i / W), then the units left over (fewer than
// the number of weights) go one each to the largest remainders
// total * w_i mod W, ties to the lower index. The shares add up to `total`
// exactly, and each differs from total * w_i / W by less than 1. With W =
// 0 every share is 0. total must be >= 0.
std::vector<std::int64_t> pro_rata(std::int64_t total, const std::vector<std::int64_t>& weights);

// One trade of a slot, as the settlement sees it (in chain order).
struct MeteredTrade {
    ParticipantId seller{}, buyer{};
    std::int64_t energy_wh = 0, price = 0, fee_price = 0;
};

// A participant's meter in one slot (the sum if it holds two meters).
struct MeterRead {
    std::int64_t delivered_wh = 0, consumed_wh = 0;
};

// The settled energy of each trade of one slot, in the trades' order: the
// smaller of its seller's share of delivered_wh and its buyer's share of
// consumed_wh (pro_rata over the participant's trades on that side, in
// their order, when they add up to more than the reading; a missing reading:
// 0 delivered, consumption not capped).
std::vector<std::int64_t> settle_slot(const std::vector<MeteredTrade>& trades,
                                      const std::map<ParticipantId, MeterRead>& reads);

struct MeteredLine {
    ParticipantId participant{};
    std::string name;
    std::int64_t slot = 0;
    bool read = false;                              // a reading for the slot is on the chain
    std::int64_t bought_wh = 0, sold_wh = 0;        // as traded
    std::int64_t delivered_wh = 0, consumed_wh = 0; // as read (missing: 0 and bought)
    std::int64_t settled_bought_wh = 0, settled_sold_wh = 0;
    std::int64_t imbalance_wh = 0;    // + delivered to the grid, - drawn from it
    std::int64_t imbalance_price = 0; // the tariff's, cEUR/MWh
    std::int64_t paid = 0, received = 0, fees = 0, fees_received = 0;
    std::int64_t imbalance = 0;      // money: + received from the grid, - paid to it
    std::int64_t grid_imbalance = 0; // money: the grid operator's side of every imbalance
    std::uint32_t trades = 0;
};

struct MeteredStatement {
    std::vector<MeteredLine> lines;  // by participant, then slot
    std::vector<MeteredLine> totals; // one per participant (slot = 0)
    std::int64_t traded_wh = 0, settled_wh = 0;
    std::int64_t paid = 0, received = 0, fees = 0, fees_received = 0;
    std::int64_t imbalance_wh = 0, imbalance = 0, grid_imbalance = 0;
    std::uint64_t trades = 0;
    std::optional<ParticipantId> grid_operator;
    // Buyers paid what sellers received plus the fees; the grid operator,
    // if any, received every fee; every imbalance has its opposite on the
    // grid's side (the operator's, or the grid's outside the market).
    bool balanced() const {
        return paid == received + fees && fees_received == (grid_operator ? fees : 0) &&
               imbalance + grid_imbalance == 0;
    }
};

// Collects trades, readings and tariffs block by block (an observer of
// verify_chain), counting the slots of `range` (slot bounds only: a
// metered statement settles whole slots).
class MeteredBuilder {
public:
    explicit MeteredBuilder(StatementRange range) : range_(range) {}
    Status add_block(const Block& b, std::uint64_t height, const StateReader& state);
    Result<MeteredStatement> finish() const;

private:
    Status settle(std::int64_t slot, MeteredStatement& out,
                  std::map<std::pair<ParticipantId, std::int64_t>, MeteredLine>& lines) const;
    std::int64_t tariff_for(std::int64_t slot) const;
    Result<ParticipantId> holder(const ParticipantId& key, const StateReader& state);
    StatementRange range_;
    std::optional<ParticipantId> grid_operator_;
    std::map<std::int64_t, std::vector<MeteredTrade>> trades_; // by slot, chain order
    std::map<std::int64_t, std::map<ParticipantId, MeterRead>> reads_;
    std::map<std::int64_t, std::int64_t> tariffs_;   // valid_from -> price (the later wins)
    std::map<ParticipantId, ParticipantId> holders_; // key -> stable id
    std::map<ParticipantId, std::string> names_;     // by stable id
};

std::string metered_line_json(const MeteredLine& l, const char* type);
std::string metered_balance_json(const MeteredStatement& s);

} // namespace setm
