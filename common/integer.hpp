// integer.hpp - exact decimal integers, the only numbers setm reads.
//
// setm's records hold integers only (Wh, cEUR/MWh, 1e-8 EUR, Unix seconds,
// counters). A JSON number reaches setm as its text (RapidJSON's
// kParseNumbersAsStringsFlag) and is read here, exactly, never through a
// double. Accepted: -?(0|[1-9][0-9]*), i.e. JSON's integer syntax; "-0" is
// read as 0 (JSON allows it and it is the same integer). Anything with a
// fraction or an exponent ("1.0", "1e3") is not an integer, whatever its
// value.
#pragma once

#include <cstdint>
#include <string_view>

namespace setm {

enum class IntegerText {
    integer,     // fits: negative and magnitude below are exact
    not_integer, // a fraction, an exponent, or not a number at all
    too_large,   // integer syntax, but beyond -2^63 .. 2^64-1
};

struct DecimalInteger {
    IntegerText kind = IntegerText::not_integer;
    bool negative = false;       // never true for zero
    std::uint64_t magnitude = 0; // |value|; at most 2^63 when negative
};

DecimalInteger read_decimal_integer(std::string_view text);

// The value when it is an integer within [lo, hi], else nothing.
bool integer_as_int64(const DecimalInteger& d, std::int64_t& out);
bool integer_as_uint64(const DecimalInteger& d, std::uint64_t& out);

} // namespace setm
