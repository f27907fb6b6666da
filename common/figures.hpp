// figures.hpp - what a clearing achieved, to compare mechanisms on one book
// (setm-negotiate --compare and --report).
//
// Pure arithmetic over the orders a slot was cleared on and its matches.
// Money in the chain's unit (1e-8 EUR: energy in Wh times a price in
// cEUR/MWh, exactly), prices in cEUR/MWh. For a trade of e Wh:
//   amount          e * price                     (to the seller)
//   fee             e * fee_price                 (the network fee)
//   buyer surplus   e * (ceiling - price - fee_price)
//   seller surplus  e * (price - floor)
//   welfare         buyer + seller surplus = e * (ceiling - floor - fee_price)
// The average price is volume-weighted: floor(sum of amounts / energy).
// Every sum is overflow-checked (reason "overflow").
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "error.hpp"
#include "market.hpp"

namespace setm {

struct ClearingFigures {
    std::int64_t slot = 0; // 0 for the total of all slots
    std::int64_t traded_wh = 0;
    std::uint64_t trades = 0;
    std::optional<std::int64_t> price_min, price_max, price_average; // none without a trade
    std::int64_t amount = 0, fees = 0;
    std::int64_t buyer_surplus = 0, seller_surplus = 0, welfare = 0;
};

// One entry per slot report of `result`, in its order; `book` holds every
// order the result's matches name (else Exit::internal "unknown order").
Result<std::vector<ClearingFigures>> slot_figures(const std::vector<MarketOrder>& book,
                                                  const MarketResult& result);

// The sum over slots (slot = 0), the average over all their energy.
Result<ClearingFigures> total_figures(const std::vector<ClearingFigures>& slots);

} // namespace setm
