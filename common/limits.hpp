// limits.hpp - the sane upper bounds every record must keep.
//
// A record within these bounds can never make the arithmetic of the chain,
// the market or a statement overflow on its own: energy x price fits in
// int64 with room to spare (10^12 Wh x 10^6 cEUR/MWh = 10^18 money units,
// below 2^63 ~ 9.2 x 10^18). The bounds are part of the chain's rules:
// setm-offer and setm-request check them when an order is made, setm-auth
// when a credential is made, and every block's records are checked against
// them when mined, negotiated and verified. Documented in setm(7), LIMITS.
#pragma once

#include <cstddef>
#include <cstdint>

#include "error.hpp"
#include "records.hpp"

namespace setm {

// Energy of one order, one trade, or a credential's limit per slot: 1 TWh.
inline constexpr std::int64_t kMaxRecordEnergyWh = 1'000'000'000'000;
// Any price, ceiling, floor, opening or network fee, either sign:
// 10,000 EUR/MWh in cEUR/MWh (the EU day-ahead and intraday caps are below).
inline constexpr std::int64_t kMaxRecordPrice = 1'000'000;
// Offer ids or producer ids in one request's `from` list.
inline constexpr std::size_t kMaxFromEntries = 1'000;
// Rows of one CSV profile given to setm-offer or setm-request (a year of
// 15-minute slots is 35,040).
inline constexpr std::size_t kMaxProfileRows = 40'000;

// Exit::bad_input, reason "beyond limits", naming the field and the bound,
// for the first value of `r` outside the bounds above.
Status check_record_limits(const Record& r);

// The same bounds for a price given on its own (setm-negotiate --network-fee).
bool price_within_limits(std::int64_t price);

} // namespace setm
