#include "integer.hpp"

namespace setm {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A number in JSON's full grammar (fraction, exponent): it is a number, just
// not an integer. Anything else is not a number either; both are refused.
DecimalInteger not_integer() { return DecimalInteger{IntegerText::not_integer, false, 0}; }

constexpr std::uint64_t kMinInt64Magnitude = std::uint64_t{1} << 63;

} // namespace

DecimalInteger read_decimal_integer(std::string_view s) {
    std::size_t i = 0;
    const bool minus = !s.empty() && s[0] == '-';
    if (minus) ++i;
    if (i == s.size() || !is_digit(s[i])) return not_integer();
    if (s[i] == '0' && i + 1 < s.size()) return not_integer(); // "0.5", "01", "0e1"
    DecimalInteger d;
    d.kind = IntegerText::integer;
    for (; i < s.size(); ++i) {
        if (!is_digit(s[i])) return not_integer();
        const auto digit = static_cast<std::uint64_t>(s[i] - '0');
        if (d.kind == IntegerText::integer &&
            (__builtin_mul_overflow(d.magnitude, 10u, &d.magnitude) ||
             __builtin_add_overflow(d.magnitude, digit, &d.magnitude)))
            d.kind = IntegerText::too_large; // keep scanning: "1e99999..." is still not an integer
    }
    if (d.kind == IntegerText::too_large) return DecimalInteger{IntegerText::too_large, minus, 0};
    d.negative = minus && d.magnitude != 0;
    if (d.negative && d.magnitude > kMinInt64Magnitude)
        return DecimalInteger{IntegerText::too_large, true, 0};
    return d;
}

bool integer_as_int64(const DecimalInteger& d, std::int64_t& out) {
    if (d.kind != IntegerText::integer) return false;
    if (d.negative) {
        // magnitude <= 2^63: 0 - magnitude in unsigned arithmetic, then the
        // two's complement conversion (defined since C++20).
        out = static_cast<std::int64_t>(0 - d.magnitude);
        return true;
    }
    if (d.magnitude > static_cast<std::uint64_t>(INT64_MAX)) return false;
    out = static_cast<std::int64_t>(d.magnitude);
    return true;
}

bool integer_as_uint64(const DecimalInteger& d, std::uint64_t& out) {
    if (d.kind != IntegerText::integer || d.negative) return false;
    out = d.magnitude;
    return true;
}

} // namespace setm
