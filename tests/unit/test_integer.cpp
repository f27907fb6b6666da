#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "integer.hpp"

using namespace setm;

namespace {

DecimalInteger read(const std::string& s) { return read_decimal_integer(s); }

} // namespace

TEST_CASE("integer: JSON integer syntax reads exactly") {
    std::int64_t i = 1;
    std::uint64_t u = 1;
    CHECK(integer_as_int64(read("0"), i));
    CHECK(i == 0);
    CHECK(integer_as_int64(read("-0"), i)); // the same integer as 0
    CHECK(i == 0);
    CHECK_FALSE(read("-0").negative);
    CHECK(integer_as_uint64(read("-0"), u));
    CHECK(u == 0);
    CHECK(integer_as_int64(read("-9223372036854775808"), i));
    CHECK(i == INT64_MIN);
    CHECK(integer_as_int64(read("9223372036854775807"), i));
    CHECK(i == INT64_MAX);
    CHECK_FALSE(integer_as_int64(read("9223372036854775808"), i));
    CHECK(integer_as_uint64(read("9223372036854775808"), u));
    CHECK(u == 9223372036854775808ull);
    CHECK(integer_as_uint64(read("18446744073709551615"), u));
    CHECK(u == UINT64_MAX);
    CHECK_FALSE(integer_as_uint64(read("-1"), u));
    CHECK(integer_as_int64(read("-1"), i));
    CHECK(i == -1);
    CHECK(integer_as_int64(read("1234567890123"), i));
    CHECK(i == 1234567890123);
}

TEST_CASE("integer: beyond 64 bits is too large, not wrapped") {
    for (const char* s : {"18446744073709551616", "-9223372036854775809", "99999999999999999999999",
                          "-18446744073709551615", "340282366920938463463374607431768211456"}) {
        INFO(s);
        const DecimalInteger d = read(s);
        CHECK(d.kind == IntegerText::too_large);
        std::int64_t i = 0;
        std::uint64_t u = 0;
        CHECK_FALSE(integer_as_int64(d, i));
        CHECK_FALSE(integer_as_uint64(d, u));
    }
    CHECK(read("-18446744073709551616").negative);
    CHECK_FALSE(read("18446744073709551616").negative);
}

TEST_CASE("integer: fractions, exponents and anything else are not integers") {
    for (const char* s : {"1.0",
                          "1.5",
                          "1e3",
                          "1E3",
                          "1e+3",
                          "-1e-3",
                          "0.0",
                          "-0.0",
                          "01",
                          "-01",
                          "00",
                          "",
                          "-",
                          "+1",
                          " 1",
                          "1 ",
                          "0x10",
                          "1,5",
                          "NaN",
                          "Infinity",
                          "--1",
                          "1-",
                          "1.00000000000000000000000000001e-330",
                          "18446744073709551616.5",
                          "99999999999999999999999e1"}) {
        INFO("\"" << s << "\"");
        const DecimalInteger d = read(s);
        CHECK(d.kind == IntegerText::not_integer);
        std::int64_t i = 0;
        CHECK_FALSE(integer_as_int64(d, i));
    }
}
