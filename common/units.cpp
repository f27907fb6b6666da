#include "units.hpp"

#include <cstdio>

namespace setm {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The run of digits at s[i...]; advances i past it.
std::string_view take_digits(std::string_view s, std::size_t& i) {
    std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return s.substr(start, i - start);
}

// Decimal digits to a non-negative int64; false on overflow.
bool to_int(std::string_view digits, std::int64_t& v) {
    v = 0;
    for (char c : digits)
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, c - '0', &v))
            return false;
    return true;
}

std::uint64_t magnitude(std::int64_t v) {
    return v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
}

std::uint64_t pow10(int places) {
    std::uint64_t p = 1;
    while (places-- > 0) p *= 10;
    return p;
}

// mag / 10^places as a decimal with exactly `places` digits after the point.
std::string fixed(std::uint64_t mag, int places) {
    std::uint64_t p = pow10(places);
    std::string frac = std::to_string(mag % p);
    return std::to_string(mag / p) + "." + std::string(places - frac.size(), '0') + frac;
}

// As fixed(), without trailing zeros (and without the point if none remain).
std::string shortest(std::uint64_t mag, int places) {
    std::string s = fixed(mag, places);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
}

Error bad(const char* reason, std::string detail) {
    return make_error(Exit::bad_input, reason, std::move(detail));
}

} // namespace

Result<std::int64_t> parse_energy(std::string_view s) {
    const std::string units = "Wh, kWh or MWh";
    if (s.empty()) return bad("bad energy", "empty; expected a number followed by " + units);
    std::size_t i = 0;
    std::string_view whole = take_digits(s, i), frac;
    if (whole.empty()) return bad("bad energy", "expected a number followed by " + units);
    if (i < s.size() && s[i] == '.') {
        frac = take_digits(s, ++i);
        if (frac.empty()) return bad("bad energy", "expected digits after '.'");
    }
    if (i < s.size() && s[i] == ' ') ++i;
    std::string_view unit = s.substr(i);
    std::size_t exponent;
    if (unit.empty()) return bad("bad energy", "missing unit; expected " + units);
    if (unit == "Wh")
        exponent = 0;
    else if (unit == "kWh")
        exponent = 3;
    else if (unit == "MWh")
        exponent = 6;
    else
        return bad("bad energy", "unknown unit; expected " + units);
    while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
    if (frac.size() > exponent) return bad("bad energy", "not a whole number of Wh");
    // Shift the decimal point by the unit's exponent: the digits are then Wh.
    std::string digits =
        std::string(whole) + std::string(frac) + std::string(exponent - frac.size(), '0');
    std::int64_t wh;
    if (!to_int(digits, wh)) return bad("bad energy", "too large");
    return wh;
}

Result<std::int64_t> parse_price(std::string_view s) {
    const char* expected = "expected EUR/MWh like 40, 40.5 or -3.25";
    std::size_t i = 0;
    bool negative = !s.empty() && s[0] == '-';
    if (negative) ++i;
    std::string_view whole = take_digits(s, i), frac;
    if (whole.empty()) return bad("bad price", expected);
    if (i < s.size() && s[i] == '.') {
        frac = take_digits(s, ++i);
        if (frac.empty()) return bad("bad price", expected);
    }
    if (i != s.size()) return bad("bad price", expected);
    if (frac.size() > 2) return bad("bad price", "at most two decimals");
    std::string digits = std::string(whole) + std::string(frac) + std::string(2 - frac.size(), '0');
    std::int64_t c;
    if (!to_int(digits, c)) return bad("bad price", "out of range");
    return negative ? -c : c;
}

std::string format_energy(std::int64_t wh) {
    std::string sign = wh < 0 ? "-" : "";
    std::uint64_t mag = magnitude(wh);
    if (mag >= 1000000) return sign + shortest(mag, 6) + " MWh";
    if (mag >= 1000) return sign + shortest(mag, 3) + " kWh";
    return sign + std::to_string(mag) + " Wh";
}

std::string format_price(std::int64_t c) { return (c < 0 ? "-" : "") + fixed(magnitude(c), 2); }

std::string format_money(std::int64_t m) { return (m < 0 ? "-" : "") + fixed(magnitude(m), 8); }

Status checked_accumulate(std::int64_t& total, std::int64_t v) {
    SETM_TRY(total, checked_add(total, v));
    return ok_status();
}

Result<std::int64_t> checked_add(std::int64_t a, std::int64_t b) {
    std::int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return bad("overflow", std::to_string(a) + " + " + std::to_string(b));
    return r;
}

Result<std::int64_t> checked_sub(std::int64_t a, std::int64_t b) {
    std::int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return bad("overflow", std::to_string(a) + " - " + std::to_string(b));
    return r;
}

Result<std::int64_t> checked_mul(std::int64_t a, std::int64_t b) {
    std::int64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return bad("overflow", std::to_string(a) + " * " + std::to_string(b));
    return r;
}

namespace {

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
    std::int64_t y;
    unsigned m, d;
};

Civil civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

unsigned days_in_month(std::int64_t y, unsigned m) {
    static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

// The number in s[pos, pos+n) if those are all digits, else -1.
int field(std::string_view s, std::size_t pos, std::size_t n) {
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (!is_digit(s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool punct(std::string_view s, std::size_t pos, char c) { return pos < s.size() && s[pos] == c; }

const char* kExpectedTime =
    "expected RFC 3339 like 2026-11-25T10:00:00Z or 2026-11-25T11:00:00+01:00 "
    "(seconds optional)";

// The zone designator at s[pos...] as seconds east of UTC: "Z", "+HH:MM"
// or "-HH:MM".
Result<std::int64_t> zone_offset(std::string_view s, std::size_t pos) {
    std::string_view z = s.substr(pos);
    if (z == "Z") return std::int64_t{0};
    if (z.empty())
        return bad("bad time", "no time zone: end it with Z (UTC) or an offset like +01:00");
    if (z[0] == '.') return bad("bad time", "fractional seconds are not accepted");
    if (z.size() != 6 || (z[0] != '+' && z[0] != '-') || z[3] != ':')
        return bad("bad time", kExpectedTime);
    int h = field(z, 1, 2), m = field(z, 4, 2);
    if (h < 0 || m < 0) return bad("bad time", kExpectedTime);
    if (h > 23 || m > 59) return bad("bad time", "no such offset: " + std::string(z));
    std::int64_t east = h * 3600 + m * 60;
    return z[0] == '-' ? -east : east;
}

struct Fields {
    int y, mo, d, h, mi, sec;
};

Status check_fields(const Fields& f) {
    if (f.y < 1970) return bad("bad time", "year before 1970");
    if (f.mo < 1 || f.mo > 12 || f.d < 1 ||
        static_cast<unsigned>(f.d) > days_in_month(f.y, static_cast<unsigned>(f.mo)))
        return bad("bad time", "no such date");
    if (f.h > 23 || f.mi > 59 || f.sec > 59) return bad("bad time", "no such time of day");
    return ok_status();
}

} // namespace

Result<std::int64_t> parse_utc(std::string_view s) {
    if (s.size() < 16) return bad("bad time", kExpectedTime);
    const bool with_seconds = punct(s, 16, ':');
    Fields f{field(s, 0, 4), field(s, 5, 2), field(s, 8, 2), field(s, 11, 2), field(s, 14, 2), 0};
    if (with_seconds) f.sec = s.size() >= 19 ? field(s, 17, 2) : -1;
    const bool shape =
        punct(s, 4, '-') && punct(s, 7, '-') && punct(s, 10, 'T') && punct(s, 13, ':');
    if (!shape || f.y < 0 || f.mo < 0 || f.d < 0 || f.h < 0 || f.mi < 0 || f.sec < 0)
        return bad("bad time", kExpectedTime);
    SETM_TRY(std::int64_t east, zone_offset(s, with_seconds ? 19 : 16));
    SETM_CHECK(check_fields(f));
    std::int64_t days =
        days_from_civil(f.y, static_cast<unsigned>(f.mo), static_cast<unsigned>(f.d));
    std::int64_t t = days * 86400 + f.h * 3600 + f.mi * 60 + f.sec - east;
    if (t < 0) return bad("bad time", "before 1970-01-01T00:00:00Z");
    return t;
}

std::string format_utc(std::int64_t t) {
    std::int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        --days;
    }
    Civil c = civil_from_days(days);
    long long h = secs / 3600, mi = secs / 60 % 60, s = secs % 60;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                  static_cast<long long>(c.y), c.m, c.d, h, mi, s);
    return buf;
}

bool valid_slot_minutes(int minutes) { return minutes == 15 || minutes == 30 || minutes == 60; }

Status check_slot_start(std::int64_t start, int minutes) {
    if (!valid_slot_minutes(minutes))
        return bad("bad slot", std::to_string(minutes) + "-minute slots; expected 15, 30 or 60");
    if (start % (minutes * 60) != 0)
        return bad("bad slot", format_utc(start) + " does not start a " + std::to_string(minutes) +
                                   "-minute slot");
    return ok_status();
}

} // namespace setm
