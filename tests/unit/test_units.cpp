#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "units.hpp"

using namespace setm;

namespace {

std::int64_t energy(const char* s) {
    auto r = parse_energy(s);
    INFO(s);
    REQUIRE(r.ok());
    return *r;
}

std::string energy_error(const char* s) {
    auto r = parse_energy(s);
    INFO(s);
    REQUIRE(!r.ok());
    CHECK(r.error().code == Exit::bad_input);
    CHECK(r.error().reason == "bad energy");
    return r.error().detail;
}

std::int64_t price(const char* s) {
    auto r = parse_price(s);
    INFO(s);
    REQUIRE(r.ok());
    return *r;
}

std::string price_error(const char* s) {
    auto r = parse_price(s);
    INFO(s);
    REQUIRE(!r.ok());
    CHECK(r.error().code == Exit::bad_input);
    CHECK(r.error().reason == "bad price");
    return r.error().detail;
}

std::int64_t utc(const char* s) {
    auto r = parse_utc(s);
    INFO(s);
    REQUIRE(r.ok());
    return *r;
}

bool bad_time(const char* s) {
    auto r = parse_utc(s);
    INFO(s);
    if (r.ok()) return false;
    CHECK(r.error().code == Exit::bad_input);
    CHECK(r.error().reason == "bad time");
    return true;
}

} // namespace

TEST_CASE("units: energy in Wh, kWh and MWh") {
    CHECK(energy("0Wh") == 0);
    CHECK(energy("2500Wh") == 2500);
    CHECK(energy("5kWh") == 5000);
    CHECK(energy("5 kWh") == 5000);
    CHECK(energy("2.5kWh") == 2500);
    CHECK(energy("0.25MWh") == 250000);
    CHECK(energy("0.0015MWh") == 1500);
    CHECK(energy("1.000000MWh") == 1000000);
    CHECK(energy("1.5000000000000000000000kWh") == 1500);
    CHECK(energy("007Wh") == 7);
    CHECK(energy("9223372036854775807Wh") == INT64_MAX);
    CHECK(energy("9223372036854.775807MWh") == INT64_MAX);
}

TEST_CASE("units: energy that is not a whole number of Wh") {
    CHECK(energy_error("1.5Wh") == "not a whole number of Wh");
    CHECK(energy_error("1.0005kWh") == "not a whole number of Wh");
    CHECK(energy_error("0.0000001MWh") == "not a whole number of Wh");
}

TEST_CASE("units: malformed energy") {
    CHECK(energy_error("") == "empty; expected a number followed by Wh, kWh or MWh");
    CHECK(energy_error("5") == "missing unit; expected Wh, kWh or MWh");
    CHECK(energy_error("5 ") == "missing unit; expected Wh, kWh or MWh");
    CHECK(energy_error("5kW") == "unknown unit; expected Wh, kWh or MWh");
    for (const char* s :
         {"5kwh", "5KWh", "5mWh", "5wh", "5  kWh", "5kWh ", " 5kWh", "kWh", "-5kWh", "+5kWh",
          ".5kWh", "5.kWh", "1e3Wh", "5,5kWh", "5\tkWh", "0x10Wh", "5kWh\n"}) {
        INFO(s);
        CHECK(!parse_energy(s).ok());
    }
}

TEST_CASE("units: energy overflow") {
    CHECK(energy_error("9223372036854775808Wh") == "too large");
    CHECK(energy_error("9223372036854.775808MWh") == "too large");
    CHECK(energy_error("9223372036854776kWh") == "too large");
    CHECK(energy("9223372036854775kWh") == 9223372036854775000);
    CHECK(energy_error("99999999999999999999999999999Wh") == "too large");
}

TEST_CASE("units: prices in cEUR/MWh") {
    CHECK(price("40") == 4000);
    CHECK(price("40.5") == 4050);
    CHECK(price("40.50") == 4050);
    CHECK(price("-3.25") == -325);
    CHECK(price("0") == 0);
    CHECK(price("-0") == 0);
    CHECK(price("0.01") == 1);
    CHECK(price("-0.01") == -1);
    CHECK(price("92233720368547758.07") == INT64_MAX);
    CHECK(price("-92233720368547758.07") == -INT64_MAX);
}

TEST_CASE("units: malformed prices") {
    CHECK(price_error("40.123") == "at most two decimals");
    CHECK(price_error("92233720368547758.08") == "out of range");
    CHECK(price_error("1000000000000000000000") == "out of range");
    for (const char* s : {"", "-", "+40", "40.", ".5", "4 0", "40 ", " 40", "40EUR", "1e2", "--1",
                          "40,5", "0x10", "4O"}) {
        INFO(s);
        CHECK(!parse_price(s).ok());
    }
}

TEST_CASE("units: format energy exactly") {
    CHECK(format_energy(0) == "0 Wh");
    CHECK(format_energy(800) == "800 Wh");
    CHECK(format_energy(999) == "999 Wh");
    CHECK(format_energy(1000) == "1 kWh");
    CHECK(format_energy(5000) == "5 kWh");
    CHECK(format_energy(2500) == "2.5 kWh");
    CHECK(format_energy(1001) == "1.001 kWh");
    CHECK(format_energy(999999) == "999.999 kWh");
    CHECK(format_energy(1000000) == "1 MWh");
    CHECK(format_energy(1200000) == "1.2 MWh");
    CHECK(format_energy(1234567) == "1.234567 MWh");
    CHECK(format_energy(INT64_MAX) == "9223372036854.775807 MWh");
    CHECK(format_energy(-2500) == "-2.5 kWh");
    CHECK(format_energy(INT64_MIN) == "-9223372036854.775808 MWh");
    for (std::int64_t wh : {0LL, 1LL, 999LL, 1000LL, 1500LL, 250000LL, 1000001LL, 123456789012LL}) {
        auto back = parse_energy(format_energy(wh));
        REQUIRE(back.ok());
        CHECK(*back == wh);
    }
}

TEST_CASE("units: format prices and money") {
    CHECK(format_price(4000) == "40.00");
    CHECK(format_price(4050) == "40.50");
    CHECK(format_price(-325) == "-3.25");
    CHECK(format_price(-5) == "-0.05");
    CHECK(format_price(0) == "0.00");
    CHECK(format_price(INT64_MIN) == "-92233720368547758.08");
    CHECK(format_money(0) == "0.00000000");
    CHECK(format_money(23000000) == "0.23000000");
    CHECK(format_money(kMoneyPerEuro) == "1.00000000");
    CHECK(format_money(-1) == "-0.00000001");
    CHECK(format_money(-150000000) == "-1.50000000");
    CHECK(format_money(INT64_MAX) == "92233720368.54775807");
    CHECK(format_money(INT64_MIN) == "-92233720368.54775808");
    for (const char* p : {"40", "40.5", "-3.25", "0.01"}) {
        auto back = parse_price(format_price(*parse_price(p)));
        REQUIRE(back.ok());
        CHECK(*back == *parse_price(p));
    }
}

TEST_CASE("units: money is energy times price, exactly") {
    // 5 kWh at 40.50 EUR/MWh = 0.2025 EUR
    auto m = money_for(*parse_energy("5kWh"), *parse_price("40.50"));
    REQUIRE(m.ok());
    CHECK(format_money(*m) == "0.20250000");
    CHECK(format_money(*money_for(1, 1)) == "0.00000001");
    CHECK(format_money(*money_for(1000000, -325)) == "-3.25000000");
}

TEST_CASE("units: checked arithmetic") {
    CHECK(*checked_add(2, 3) == 5);
    CHECK(*checked_sub(2, 3) == -1);
    CHECK(*checked_mul(-4, 3) == -12);
    CHECK(*checked_add(INT64_MAX, 0) == INT64_MAX);
    CHECK(*checked_sub(INT64_MIN, 0) == INT64_MIN);
    for (auto r : {checked_add(INT64_MAX, 1), checked_add(INT64_MIN, -1), checked_sub(INT64_MIN, 1),
                   checked_sub(0, INT64_MIN), checked_mul(INT64_MAX, 2), checked_mul(INT64_MIN, -1),
                   money_for(INT64_MAX / 100, 101)}) {
        REQUIRE(!r.ok());
        CHECK(r.error().code == Exit::bad_input);
        CHECK(r.error().reason == "overflow");
    }
    CHECK(checked_add(INT64_MAX, 1).error().detail == "9223372036854775807 + 1");
}

TEST_CASE("units: UTC times") {
    CHECK(utc("1970-01-01T00:00Z") == 0);
    CHECK(utc("1970-01-01T00:00:01Z") == 1);
    CHECK(utc("2000-03-01T00:00Z") == 951868800);
    CHECK(utc("2026-11-25T10:00Z") == 1795600800);
    CHECK(utc("2026-11-25T10:00:00Z") == 1795600800);
    CHECK(utc("2028-02-29T23:59:59Z") == 1835481599);
    CHECK(utc("2038-01-19T03:14:08Z") == 2147483648);
    CHECK(utc("9999-12-31T23:59:59Z") == 253402300799);
    CHECK(utc("2100-03-01T00:00Z") - utc("2100-02-28T00:00Z") == 86400);     // 2100 is not leap
    CHECK(utc("2000-03-01T00:00Z") - utc("2000-02-28T00:00Z") == 2 * 86400); // 2000 is
}

TEST_CASE("units: UTC round trips") {
    for (const char* s : {"1970-01-01T00:00:00Z", "2026-11-25T10:00:00Z", "2026-11-25T10:00:05Z",
                          "2028-02-29T00:00:00Z", "2028-02-29T12:34:56Z", "2000-02-29T23:59:00Z",
                          "2026-12-31T23:45:00Z", "2027-01-01T00:15:00Z", "9999-12-31T23:59:59Z"}) {
        INFO(s);
        CHECK(format_utc(utc(s)) == s);
    }
    // The short form setm wrote before is still read, and written with seconds.
    CHECK(format_utc(utc("2026-11-25T10:00Z")) == "2026-11-25T10:00:00Z");
    for (std::int64_t t = 0; t < 200LL * 366 * 86400; t += 86400 * 7 + 3661) {
        auto back = parse_utc(format_utc(t));
        REQUIRE(back.ok());
        CHECK(*back == t);
    }
    CHECK(format_utc(-1) == "1969-12-31T23:59:59Z");
}

TEST_CASE("units: RFC 3339 offsets are converted to UTC") {
    const std::int64_t t = utc("2026-11-25T10:00:00Z");
    CHECK(utc("2026-11-25T10:00:00+00:00") == t); // date -u -Iseconds
    CHECK(utc("2026-11-25T10:00:00-00:00") == t);
    CHECK(utc("2026-11-25T10:00+00:00") == t);
    CHECK(utc("2026-11-25T11:00:00+01:00") == t);
    CHECK(utc("2026-11-25T05:30:00-04:30") == t);
    CHECK(utc("2026-11-26T09:59:00+23:59") == t);
    CHECK(utc("2026-11-24T10:01:00-23:59") == t);
    CHECK(utc("2027-01-01T00:30:00+01:00") == utc("2026-12-31T23:30:00Z")); // across a year
}

TEST_CASE("units: a time without a zone or with fractional seconds says why") {
    auto r = parse_utc("2026-11-25T10:00:00");
    REQUIRE(!r.ok());
    CHECK(r.error().detail == "no time zone: end it with Z (UTC) or an offset like +01:00");
    r = parse_utc("2026-11-25T10:00:00.5Z");
    REQUIRE(!r.ok());
    CHECK(r.error().detail == "fractional seconds are not accepted");
    r = parse_utc("2026-11-25T10:00:00+25:00");
    REQUIRE(!r.ok());
    CHECK(r.error().detail == "no such offset: +25:00");
}

TEST_CASE("units: UTC times that do not exist or are not in the syntax") {
    for (const char* s : {"2026-02-29T10:00Z",
                          "2100-02-29T10:00Z",
                          "2026-04-31T10:00Z",
                          "2026-13-01T10:00Z",
                          "2026-00-01T10:00Z",
                          "2026-01-00T10:00Z",
                          "2026-01-32T10:00Z",
                          "2026-11-25T24:00Z",
                          "2026-11-25T23:60Z",
                          "2026-11-25T23:59:60Z",
                          "1969-12-31T23:59Z",
                          "0000-01-01T00:00Z",
                          "2026-11-25T10:00",
                          "2026-11-25T10:00:00",
                          "2026-11-25t10:00Z",
                          "2026-11-25T10:00z",
                          "2026-11-25 10:00Z",
                          "2026-11-25T10:00:00+24:00",
                          "2026-11-25T10:00:00+01:60",
                          "2026-11-25T10:00:00+0100",
                          "2026-11-25T10:00:00+01",
                          "2026-11-25T10:00:00 +01:00",
                          "2026-11-25T10:00:",
                          "2026-11-25T10:00:0Z",
                          "1970-01-01T00:30:00+01:00",
                          "2026-11-25T10Z",
                          "2026-11-25",
                          "2026-11-25T10:00:00.5Z",
                          "26-11-25T10:00Z",
                          "+2026-11-25T10:00Z",
                          "2026-1-25T10:00Z",
                          "2026-11-25T1:00Z",
                          "2026/11/25T10:00Z",
                          "2026-11-25T10:0aZ",
                          "2026-11-25T10:00Z ",
                          " 2026-11-25T10:00Z",
                          "2026-11-25T-1:00Z",
                          "",
                          "10000-01-01T00:00Z"}) {
        CHECK(bad_time(s));
    }
}

TEST_CASE("units: slots") {
    CHECK(valid_slot_minutes(15));
    CHECK(valid_slot_minutes(30));
    CHECK(valid_slot_minutes(60));
    for (int m : {0, -15, 1, 5, 10, 20, 45, 90, 120, 1440}) CHECK(!valid_slot_minutes(m));

    std::int64_t t = utc("2026-11-25T10:00Z");
    CHECK(check_slot_start(t, 15).ok());
    CHECK(check_slot_start(t, 30).ok());
    CHECK(check_slot_start(t, 60).ok());
    CHECK(check_slot_start(utc("2026-11-25T10:45Z"), 15).ok());
    CHECK(!check_slot_start(utc("2026-11-25T10:45Z"), 30).ok());
    CHECK(!check_slot_start(utc("2026-11-25T10:00:01Z"), 15).ok());

    auto s = check_slot_start(utc("2026-11-25T10:10Z"), 30);
    REQUIRE(!s.ok());
    CHECK(s.error().code == Exit::bad_input);
    CHECK(s.error().reason == "bad slot");
    CHECK(s.error().detail == "2026-11-25T10:10:00Z does not start a 30-minute slot");

    auto len = check_slot_start(t, 20);
    REQUIRE(!len.ok());
    CHECK(len.error().reason == "bad slot");
}
