// explain.hpp - setm-verify --explain: what was checked in a block, in
// words a student follows (the tool only prints the lines).
//
// Per block: its hash and time, the proof of work and link (or, for the
// genesis block, the chain id), the merkle root, then one line per record
// naming its signer as Algorithm 1 identifies (uI) and authenticates (uA)
// it. A trade also gets the checks of the market rule, with numbers: the
// seller's floor against the price it gets, the buyer's ceiling against
// the price plus the network fee it pays, the energy, how much of each
// order is filled after this trade and what remains, the money and the
// fee. Big blocks stay readable: only the first `max_records` records are
// narrated, then one line sums up the rest (their kinds, and for trades
// their energy, money and fees).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "block_records.hpp"
#include "state.hpp"

namespace setm {

constexpr std::size_t kExplainRecords = 10; // records narrated in full per block

// One trade as its narration needs it.
struct TradeStory {
    Trade trade;
    std::string seller, buyer;                 // names (credential's, else hex)
    std::string seller_zone, buyer_zone;       // the orders' zones
    std::int64_t floor_price = 0;              // the offer's, cEUR/MWh
    std::int64_t ceiling_price = 0;            // the request's, cEUR/MWh
    std::int64_t offer_wh = 0, request_wh = 0; // each order's energy as signed
    std::int64_t offer_filled = 0;             // of the offer, after this trade
    std::int64_t request_filled = 0;           // of the request, after this trade
};

// The lines narrating one trade's checks (indented to sit under its record line).
std::vector<std::string> explain_trade(const TradeStory& s);

// The lines narrating block `b` at `height`; `after` is the state with the
// block applied (what setm::verify_chain hands its BlockObserver). Errors
// only when the state cannot be read (or a trade names an order it lacks).
Result<std::vector<std::string>> explain_block(const Block& b, std::uint64_t height,
                                               const StateReader& after,
                                               std::size_t max_records = kExplainRecords);

// The lines of a block whose signatures were not checked (setm-verify
// --assume-valid): each "signature valid" becomes "signature assumed valid".
void mark_signatures_assumed(std::vector<std::string>& lines);

} // namespace setm
