// slot_totals.hpp - keeping one order's energy from overflowing a slot.
//
// The market adds up the energy offered and asked for in each slot. Within
// the record bounds (limits.hpp) that takes millions of orders of 1 TWh to
// overflow, but one slot's sum must still never fail a whole batch: the
// agent first picks out the orders that would carry a slot's total beyond
// int64 and rejects them by name (setm-negotiate --skip-invalid), so that
// the others settle.
#pragma once

#include <cstddef>
#include <vector>

#include "market.hpp"

namespace setm {

// Indexes (ascending) of the orders that do not fit: per slot and side,
// orders are added in id order (so the result does not depend on the order
// of the input); an order whose energy would carry the total beyond
// INT64_MAX is named and not added, and the next ones are tried.
std::vector<std::size_t> orders_beyond_slot_totals(const std::vector<MarketOrder>& orders);

} // namespace setm
