// units.hpp - exact fixed-point quantities and UTC time slots.
//
//  energy: int64 Wh            ("5kWh", "2500Wh", "0.25MWh"; no fraction of a Wh)
//  price:  int64 cEUR/MWh      (hundredths of a euro per MWh; "40", "40.5", "-3.25")
//  money:  int64 units of 1e-8 EUR, so that  money = energy_Wh * price_cEUR/MWh
//          exactly: 1 Wh * 0.01 EUR/MWh = 1e-8 EUR. Nothing is ever rounded.
//  time:   int64 Unix seconds, written as RFC 3339 UTC "2026-11-25T10:00:00Z".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "error.hpp"

namespace setm {

constexpr std::int64_t kMoneyPerEuro = 100000000; // 1e8 money units per EUR

// Errors are Exit::bad_input with reason "bad energy" / "bad price" / "bad time".
Result<std::int64_t> parse_energy(std::string_view s); // >= 0, in Wh
Result<std::int64_t> parse_price(std::string_view s);  // cEUR/MWh, may be negative
std::string format_energy(std::int64_t wh); // "5 kWh", "2.5 kWh", "800 Wh", "1.2 MWh" (exact)
std::string format_price(std::int64_t c);   // "40.00" (EUR/MWh)
std::string format_money(std::int64_t m);   // "0.23000000" (EUR, 8 decimals)

// Overflow-checked arithmetic; error reason "overflow".
Result<std::int64_t> checked_add(std::int64_t a, std::int64_t b);
Result<std::int64_t> checked_sub(std::int64_t a, std::int64_t b);
Result<std::int64_t> checked_mul(std::int64_t a, std::int64_t b);
// total += v, unless it overflows (then total is unchanged).
Status checked_accumulate(std::int64_t& total, std::int64_t v);
// money for energy at price: checked_mul(wh, price)
inline Result<std::int64_t> money_for(std::int64_t wh, std::int64_t price) {
    return checked_mul(wh, price);
}

// RFC 3339 without fractional seconds: "2026-11-25T10:00:00Z",
// "2026-11-25T11:00:00+01:00" (any offset up to +-23:59, converted to UTC),
// and the short form without seconds "2026-11-25T10:00Z" that setm wrote
// before; years 1970..9999. Error reason "bad time".
Result<std::int64_t> parse_utc(std::string_view s);
// RFC 3339 in UTC with seconds: "2026-11-25T10:00:00Z" (what jq's
// fromdateiso8601 and date -d read).
std::string format_utc(std::int64_t t);

// Slot lengths are 15, 30 or 60 minutes; a slot starts on a multiple of its length.
bool valid_slot_minutes(int minutes);
Status check_slot_start(std::int64_t start, int minutes); // reason "bad slot"

} // namespace setm
