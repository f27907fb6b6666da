// market.hpp - the market engine: match offers and requests of each slot.
//
// Pure and deterministic: no I/O, no signing, no chain. The caller (the
// market agent, setm-negotiate) authenticates the orders, subtracts what the
// chain already filled, calls clear_market(), and signs the matches.
//
// Units as everywhere in setm: energy in Wh, prices in cEUR/MWh. Every rule
// below can be checked by hand from the orders.
//
// Rules common to all mechanisms
//  - Each slot is cleared on its own. Orders with no remaining energy take
//    no part (they are neither counted nor left over).
//  - Nobody trades with itself: seller != buyer (a prosumer's request never
//    takes its own offer).
//  - A request's `from` list, when not empty, is honoured: it may trade only
//    with an offer whose id (to_hex, 64 lower-case hex digits) or whose
//    producer (participant_hex, 32 lower-case hex digits) is in the list.
//    Entries are compared exactly as the chain compares them (request_allows
//    in chain.cpp), so an upper-case entry names nothing.
//  - Network fee: fee_price = zone_fee(): the fee table's entry for the
//    seller's zone and the buyer's zone when it has one, else network_fee
//    when the two zones differ and 0 within one zone. The seller receives `price` per MWh, the
//    buyer pays price + fee_price per MWh. A pair is compatible only if
//        offer floor <= price   and   price + fee_price <= request ceiling,
//    exactly as the chain checks each trade (apply_trade in chain.cpp).
//  - Nothing is allocated beyond an order's remaining energy; an offer may
//    serve many requests and a request may buy from many offers.
//  - Merit order: offers by floor ascending, requests by ceiling descending,
//    ties by order id ascending (bytes, i.e. hex order). Results therefore
//    never depend on the order of the input.
//  - Rounding: "floor" below means rounding towards minus infinity, also for
//    negative prices (floor(-4401 / 2) = -2201).
//
// pay-as-clear and pay-as-bid: one allocation, solved exactly
//  Objective: the most welfare, then the most volume. The welfare of a
//  trade of e Wh is e * (ceiling - floor - fee_price): what the buyer would
//  pay at most less what the seller needs at least, the network fee counted
//  as a cost. Among allocations of equal welfare the one of most volume is
//  chosen (trades worth exactly 0 are made). Only pairs allowed above (not
//  its own, `from`, floor + fee_price <= ceiling) trade.
//  This is a transportation problem, solved as a minimum-cost flow
//  (transport.hpp, successive shortest paths): source -> offers (cost =
//  floor) -> buyers (cost = fee) -> sink (cost = -ceiling). Orders without
//  a constraint meet in their zone's pool (one arc per zone holds its
//  offers in merit order, so a million orders cost as little as a handful
//  of zones); a request with a `from` list, or whose owner also offers in
//  the slot, is linked to the offers it may take, one by one. The flow of a
//  zone pair is split between the zones' pooled sellers and buyers in merit
//  order: in an optimal flow every such pairing is a pair worth trading
//  (a pair worth less than 0 could be dropped for more welfare). Trades are
//  listed request by request in merit order, each request's offers in
//  merit order. With one zone and no constraint this is exactly the walk
//  down the merit-ordered curves: requests in merit order take offers in
//  merit order while ceiling >= floor.
//
// pay-as-clear (uniform price: the k = 1/2 double auction)
//  Prices are the flow's equilibrium prices (the dual potentials of
//  transport.hpp): a price P at which no order that traded would rather not
//  have, and no order left over would have traded (an offer left over has
//  floor >= P, a request left over ceiling <= P + fee). Such prices form an
//  interval [low, high]; P = floor((low + high) / 2). In one zone without
//  constraints the interval is [max(f_k, c_k+1), min(c_k, f_k+1)], f_k and
//  c_k the dearest offer and cheapest request that traded, f_k+1 and c_k+1
//  the next ones left over (a partly filled order is its own next one).
//  Every seller receives P and every buyer pays P + fee_price, whenever one
//  price for all sellers exists (always without a fee); otherwise each
//  zone's pooled sellers share one price (and a buyer pays its seller's
//  price plus the fee), each the midpoint of its own interval.
//  SlotReport::clearing_price is P when all trades share it;
//  SlotReport::crossing_wh is the energy walked down the merit-ordered
//  curves while ceiling >= floor, ignoring zones, fees, owners and `from`:
//  never less than what trades.
//
// pay-as-bid (discriminatory price)
//  The same allocation; price = the request's ceiling minus fee_price, so
//  the buyer pays exactly its ceiling per MWh in total.
//
// negotiate (the paper's negotiable prices; N = MarketParams::rounds)
//  Objective: none beyond its procedure, the paper's Algorithm 2 - each
//  request in turn bargains with the offers it can agree with, nearby
//  first. It does not maximise welfare (use pay-as-clear or pay-as-bid for
//  that); it keeps every rule above.
//  1. Producers nearby first: in a first pass every request, in merit order
//     (ceiling descending, id ascending), negotiates with the offers of its
//     own zone; in a second pass the requests with energy left, again in
//     merit order, negotiate with the offers of other zones. A far buyer
//     with a high ceiling thus never takes a zone's supply before that
//     zone's own consumers have had it.
//  2. Within a pass a request ranks the offers available to it (remaining
//     energy > 0, allowed by `from`, not its own) by opening ask + fee_price
//     ascending, then offer id.
//  3. With each candidate in turn until the request is filled, rounds
//     k = 0, 1, ..., N:
//        bid  b_k = opening_bid + floor((ceiling - opening_bid) * k / N)
//        ask  a_k = opening_ask - floor((opening_ask - floor) * k / N)
//     (each side rounds in its own favour; at k = N they reach their limits
//     exactly). The bid is what the buyer pays in total, so they agree at
//     the first k with b_k - fee_price >= a_k, at
//        price = floor((b_k - fee_price + a_k) / 2),
//     and trade min(both remaining energies). Match::round = k, the paper's
//     agreement time (AT). Every negotiation is kept, round by round, in
//     SlotReport::negotiations.
//  4. b_k only rises and a_k only falls, so a pair with
//     floor + fee_price > ceiling can never agree (not even at k = N): such
//     a candidate is passed over without rounds and without a record, and
//     every recorded negotiation ends in agreement.
//
// Output order: matches by slot, then in the order they were made (request
// by request in merit order, each request's offers in the order taken);
// slot reports by slot; leftovers by slot, offers before requests, then id.
//
// Errors (nothing is matched): Exit::usage "bad fee" (network_fee or a
// zone fee < 0 or above kMaxMarketPrice), "bad rounds" (negotiate, rounds outside
// 1..kMaxRounds); Exit::bad_input "bad energy" (negative), "bad price"
// (|price| > kMaxMarketPrice, offer opening below its floor, request
// opening above its ceiling), "bad from" (an offer with a from list),
// "duplicate order" (the same order given twice), "overflow" (a slot's
// total energy beyond int64). The price bound makes every sum, difference
// and product the engine computes fit in int64.
//
// Cost: one sort of all orders (O(n log n)), then per slot: pay-as-*, one
// shortest-path search per segment the flow fills, each over 2 + 2 * zones
// nodes plus one per constrained order and its links (so O(n * zones^2) for
// pooled orders; a slot where k requests are constrained adds their links
// to every search); negotiate, linear passes and, per trade, an O(log n)
// search in a min-tree over the offers' floors.
// Memory per order (x86-64): the input, sizeof(MarketOrder) = 144 bytes
// (plus a zone longer than 15 bytes and any `from`), is reused in place for
// the leftovers (which keep its capacity: shrink_to_fit to let go of it, at
// the price of a copy). The engine adds a 32-byte sort key per order, 8
// bytes per order while gathering the leftovers, and for the largest slot
// 56 bytes per order plus: pay-as-*, 16 per pooled order (its segment), 12
// per pooled order in the split, about 100 per constrained order and per
// link, and 24 per trade before it is recorded; negotiate, per offer 4 and
// 24 to 40 per search tree (two) and 8 when a request has a `from`.
// Output: 136 bytes per Match (capacity for one match per order is reserved
// up front, address space only until used), 16 per curve step, and for
// negotiate 112 per negotiation plus 24 per round.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bytes.hpp"
#include "error.hpp"
#include "records.hpp"

namespace setm {

// Prices (and the network fee) beyond this are refused: 1e13 EUR/MWh.
inline constexpr std::int64_t kMaxMarketPrice = 1'000'000'000'000'000;
inline constexpr std::uint32_t kMaxRounds = 1000;

enum class Mechanism { pay_as_clear, pay_as_bid, negotiate };

// "pay-as-clear", "pay-as-bid", "negotiate"
const char* mechanism_name(Mechanism m);
// Exit::usage "bad mechanism" for any other name.
Result<Mechanism> parse_mechanism(std::string_view name);

struct MarketOrder {
    Hash32 id{}; // order id (record id)
    bool is_offer = false;
    ParticipantId owner{};      // producer or consumer
    std::int64_t slot = 0;      // slot start (Unix seconds)
    std::int64_t energy_wh = 0; // REMAINING energy (the caller subtracted fills)
    std::int64_t limit_price =
        0; // offer: floor (won't sell below); request: ceiling (won't pay above)
    std::int64_t opening_price =
        0; // offer: opening ask (>= floor); request: opening bid (<= ceiling)
    std::string zone;
    std::vector<std::string>
        from; // request only: allowed offer ids (64 hex) or producer ids (32 hex); empty = any
};

struct MarketParams {
    Mechanism mechanism = Mechanism::pay_as_clear;
    std::uint32_t rounds = 10;      // negotiate: N, 1..kMaxRounds
    std::int64_t network_fee = 0;   // cEUR/MWh between zones, >= 0
    std::vector<ZoneFee> zone_fees; // by (seller_zone, buyer_zone), each pair once
};

// The fee, cEUR/MWh, on a trade from a seller in seller_zone to a buyer in
// buyer_zone: the table's entry for the pair, else network_fee between two
// zones and 0 within one. `table` is sorted by (seller_zone, buyer_zone).
std::int64_t zone_fee(const std::vector<ZoneFee>& table, std::int64_t network_fee,
                      std::string_view seller_zone, std::string_view buyer_zone);
inline std::int64_t zone_fee(const MarketParams& p, std::string_view seller_zone,
                             std::string_view buyer_zone) {
    return zone_fee(p.zone_fees, p.network_fee, seller_zone, buyer_zone);
}
// The lowest fee any pair of zones can pay (0 when a zone pair may trade free).
std::int64_t lowest_fee(const MarketParams& p);

struct Match {
    Hash32 offer{}, request{};
    ParticipantId seller{}, buyer{};
    std::int64_t slot = 0;
    std::int64_t energy_wh = 0;
    std::int64_t price = 0;     // to the seller, cEUR/MWh
    std::int64_t fee_price = 0; // network fee, cEUR/MWh (0 within a zone)
    std::uint32_t round = 0;    // negotiate: round of agreement (AT); else 0
};

struct NegotiationRound {
    std::uint32_t round = 0;
    std::int64_t bid = 0; // b_k, what the buyer would pay in total
    std::int64_t ask = 0; // a_k, what the seller would receive
};

struct Negotiation {
    Hash32 offer{}, request{};
    std::int64_t fee_price = 0;
    std::vector<NegotiationRound> rounds;
    bool agreed = false;
    std::int64_t price = 0;
};

struct SlotReport {
    std::int64_t slot = 0;
    std::size_t offers = 0, requests = 0;
    std::int64_t offered_wh = 0, requested_wh = 0, traded_wh = 0;
    std::optional<std::int64_t> clearing_price; // pay-as-clear only
    std::int64_t crossing_wh = 0;               // pay-as-clear: where the curves cross
    // Stepped merit-order curves: (price, energy of that step), one step per
    // distinct floor (supply, ascending) or ceiling (demand, descending).
    std::vector<std::pair<std::int64_t, std::int64_t>> supply, demand;
    std::vector<Negotiation> negotiations; // negotiate only
};

struct MarketResult {
    std::vector<Match> matches;
    std::vector<MarketOrder> leftovers; // energy_wh = what remains
    std::vector<SlotReport> slots;      // slots with energy on offer or asked for, ascending
};

Result<MarketResult> clear_market(std::vector<MarketOrder> orders, const MarketParams& p);

// explain_slot(), the text charts of a slot for a person: chart.hpp.

} // namespace setm
