// clearing.hpp - the market as a chain rule.
//
// The chain fixes, for each slot, which orders the clearing runs on and the
// mechanism with every parameter that changes its result (the genesis
// record); the trades are then a pure function of the chain (clear_market,
// market.hpp). setm-negotiate computes that function; setm-mine and
// setm-verify compute it again and refuse a block whose trades of a slot
// differ from it in any field.
//
// The book of slot S at a block of time t: every offer and request for S on
// the chain up to and including that block, each with what earlier blocks
// left of it (its energy less its trades so far), that has not expired at t,
// that its owner has not withdrawn (a cancel record in that block or an
// earlier one: a cancel counts for the whole block that holds it, wherever
// it stands among its records, as an order does) and whose signer's
// credential is valid at t and not revoked. A block that
// holds any trade for S holds the whole clearing of that book, in the order
// clear_market makes it; a block without a trade for S leaves S open.
//
// Gate closure (genesis gate_minutes > 0): the book of S closes at
// gate(S) = the start of S's auction period - gate_minutes, where auction
// periods are auction_minutes long from UTC midnight (0: each slot is its
// own period). Orders for S are refused in blocks of time >= gate(S) and
// once S is cleared; trades for S only in blocks of time >= gate(S), and S
// is cleared at most once (the `cleared` table). So the clearing runs on
// exactly the orders that reached the chain before the gate.
// Without a gate, any block may clear S on what is on the chain at that
// block, and each clearing takes what the earlier ones left: the moment of
// the clearing is the miner's choice.
#pragma once

#include <cstdint>
#include <vector>

#include "market.hpp"
#include "records.hpp"
#include "state.hpp"

namespace setm {

// The market the chain clears with, from its genesis record.
MarketParams chain_market(const Genesis& g);

// The market parameters of a genesis record are valid (a known mechanism,
// rounds 1..kMaxRounds, a fee within the record bounds, a gate within a
// week, an auction period that is a whole number of slots dividing a day).
// Exit::bad_input "bad market".
Status check_market_genesis(const Genesis& g);
// A fee table as a genesis block must hold it: each fee within the record
// bounds, sorted by (seller_zone, buyer_zone), each pair once.
// Exit::bad_input "bad market".
Status check_zone_fees(const std::vector<ZoneFee>& table);
// The fee table from command-line entries "SELLER:BUYER=EUR" (EUR/MWh, at
// most 5 decimals; either zone may be empty, neither may hold ':'), sorted
// as a genesis block holds it. Exit::usage "bad --zone-fee": a malformed
// entry, a fee out of bounds, or a zone pair given twice.
Result<std::vector<ZoneFee>> parse_zone_fees(const std::vector<std::string>& entries);

bool has_gate(const Genesis& g);
// The time the book of `slot` closes (has_gate only).
std::int64_t gate_closure(const Genesis& g, std::int64_t slot);

// What the rules read of an offer or a request, whichever it is.
struct OrderFacts {
    Side side = Side::offer;
    ParticipantId owner{};
    std::int64_t slot = 0;
    std::int64_t energy_wh = 0;
    std::int64_t expires = 0;
};
// `order` holds Signed<Offer> or Signed<Request>.
OrderFacts order_facts(const Record& order);
OrderFacts order_facts(const OrderRecord& order);

// An offer or request as the market engine sees it, with `remaining` Wh.
MarketOrder market_order(const Record& order, std::int64_t remaining);
MarketOrder market_order(const OrderRecord& order, std::int64_t remaining);

// The book of `slot` at a block of time t whose changes `block` holds over
// the chain before it (block.base()): the orders with energy left, in the
// index's order (clear_market's result does not depend on it).
Result<std::vector<MarketOrder>> slot_book(const StateDelta& block, std::int64_t slot,
                                           std::int64_t t);

// The clearing of `slot` at a block of time t with the market `p`:
// clear_market on slot_book(block, slot, t). With the chain's market
// (chain_market) it is what a block at t that trades in the slot must hold;
// setm-negotiate may pass a what-if market. An engine error (e.g.
// "overflow", a book whose energy adds up beyond int64) keeps its reason
// and names the slot: "slot S cannot be cleared: ...".
Result<MarketResult> clear_slot(const StateDelta& block, std::int64_t slot, std::int64_t t,
                                const MarketParams& p);
// The same on a book already read (slot_book): setm-negotiate --compare
// clears one book with every mechanism.
Result<MarketResult> clear_book(std::vector<MarketOrder> book, std::int64_t slot,
                                const MarketParams& p);

// The trade record of one match of the chain's market `g`, made by `agent`
// at `time` (to be signed by the agent).
Result<Trade> trade_for(const Match& m, const Genesis& g, const ParticipantId& agent,
                        std::int64_t time);

// The trades of the chain's clearing of `slot` at a block of time t, made
// by `agent` at t, in the order a block holds them (to be signed by the
// agent): clear_slot with the chain's market, each match through trade_for.
Result<std::vector<Trade>> clearing_trades(const StateDelta& block, std::int64_t slot,
                                           std::int64_t t, const ParticipantId& agent);

// The trades of one slot (in block order) against the chain's clearing of
// its book. Exit::bad_input "not the clearing", naming the slot and the
// first field that differs; *bad (if given) is set to the position in
// `trades` of the first trade that differs, or of the last when trades are
// missing.
Status check_slot_trades(std::int64_t slot, const std::vector<const Trade*>& trades,
                         const std::vector<Match>& clearing, const char* mechanism,
                         std::size_t* bad = nullptr);

// Every slot that the block's trades name: its trades must be the chain's
// clearing of its book; with a gate, the slot is marked cleared at
// `height`. *bad_index (if given) is set to the position in `records` of
// the trade named by the error.
Status check_block_clearings(StateDelta& block, const std::vector<Record>& records, std::int64_t t,
                             std::uint64_t height, std::size_t* bad_index = nullptr);

} // namespace setm
