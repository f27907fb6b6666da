#include <catch2/catch.hpp>

#include <set>

#include "bytes.hpp"
#include "error.hpp"

using namespace setm;

TEST_CASE("error message names reason, detail and line") {
    Error e = make_error(Exit::bad_input, "duplicate key", "\"energy\"");
    e.at_line(7);
    CHECK(e.message() == "duplicate key: \"energy\" (line 7)");
    CHECK(static_cast<int>(e.code) == 65);
}

TEST_CASE("exit codes are distinct") {
    std::set<int> codes;
    for (Exit x : {Exit::ok, Exit::usage, Exit::bad_input, Exit::key_file, Exit::rejected,
                   Exit::verify_failed, Exit::unavailable, Exit::internal, Exit::io, Exit::busy})
        CHECK(codes.insert(static_cast<int>(x)).second);
}

TEST_CASE("hex round trip and errors") {
    Bytes b{0x00, 0xab, 0xff};
    CHECK(to_hex(b) == "00abff");
    auto r = from_hex("00ABff");
    REQUIRE(r.ok());
    CHECK(r.value() == b);
    CHECK(!from_hex("abc").ok());
    CHECK(!from_hex("zz").ok());
    CHECK(!from_hex_fixed<2>("00ab00").ok());
}
