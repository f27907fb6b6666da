#include <catch2/catch.hpp>

#include <string>

#include "json.hpp"

using namespace setm;
using namespace std::string_literals;

namespace {

// The reason of the error parsing `text`, or "" if it parsed.
std::string parse_reason(const std::string& text) {
    auto r = parse_json_object(text);
    if (r.ok()) return "";
    CHECK(r.error().code == Exit::bad_input);
    CHECK(!r.error().line);
    return r.error().reason;
}

rapidjson::Document parse_ok(const std::string& text) {
    auto r = parse_json_object(text);
    INFO(text);
    REQUIRE(r.ok());
    return std::move(r).value();
}

} // namespace

TEST_CASE("json: a plain object parses") {
    auto d = parse_ok(R"({"a":1,"b":"x","c":[true,null],"d":{"e":-2}})");
    CHECK(d["a"].GetInt64() == 1);
    CHECK(parse_reason(" \t\r\n{}\n ") == "");
}

TEST_CASE("json: the top value must be an object") {
    for (const char* t : {"[]", "1", "\"x\"", "null", "true"}) {
        INFO(t);
        auto r = parse_json_object(t);
        REQUIRE(!r.ok());
        CHECK(r.error().reason == "bad JSON");
        CHECK(r.error().detail == "expected an object");
    }
    CHECK(parse_reason("") == "bad JSON");
    CHECK(parse_reason("   ") == "bad JSON");
}

TEST_CASE("json: syntax errors name RapidJSON's message and the offset") {
    auto r = parse_json_object(R"({"a":})");
    REQUIRE(!r.ok());
    CHECK(r.error().reason == "bad JSON");
    CHECK(r.error().detail == "Invalid value at offset 5");
    CHECK(parse_reason(R"({"a":1,})") == "bad JSON");
    CHECK(parse_reason(R"({'a':1})") == "bad JSON");
    CHECK(parse_reason(R"({"a":01})") == "bad JSON");
    CHECK(parse_reason(R"({"a":1} // comment)") == "bad JSON");
}

TEST_CASE("json: trailing text after the object is an error") {
    CHECK(parse_reason(R"({"a":1}x)") == "bad JSON");
    CHECK(parse_reason(R"({"a":1} {"b":2})") == "bad JSON");
    CHECK(parse_reason(R"({"a":1}})") == "bad JSON");
    CHECK(parse_reason("{\"a\":1}\n") == "");
}

TEST_CASE("json: duplicate keys are refused at any depth") {
    auto r = parse_json_object(R"({"a":1,"b":2,"a":3})");
    REQUIRE(!r.ok());
    CHECK(r.error().reason == "duplicate key");
    CHECK(r.error().detail == "a");
    r = parse_json_object(R"({"h":{"t":1,"t":1}})");
    REQUIRE(!r.ok());
    CHECK(r.error().reason == "duplicate key");
    CHECK(r.error().detail == "h.t");
    r = parse_json_object(R"({"l":[{"x":1},{"x":1,"x":2}]})");
    REQUIRE(!r.ok());
    CHECK(r.error().reason == "duplicate key");
    CHECK(r.error().detail == "l[1].x");
    // Same key after unescaping.
    CHECK(parse_reason(R"({"a":1,"\u0061":2})") == "duplicate key");
    // Equal keys in different objects are fine.
    CHECK(parse_reason(R"({"a":{"a":1},"b":{"a":2}})") == "");
}

TEST_CASE("json: a byte-order mark is refused") {
    auto r = parse_json_object("\xef\xbb\xbf{}");
    REQUIRE(!r.ok());
    CHECK(r.error().reason == "byte-order mark");
}

TEST_CASE("json: invalid UTF-8 is refused") {
    CHECK(parse_reason("{\"a\":\"\xff\"}") == "bad JSON");
    CHECK(parse_reason("{\"a\":\"\xc3\"}") == "bad JSON");         // truncated
    CHECK(parse_reason("{\"a\":\"\xc0\xaf\"}") == "bad JSON");     // overlong '/'
    CHECK(parse_reason("{\"a\":\"\xed\xa0\x80\"}") == "bad JSON"); // raw surrogate
    CHECK(parse_reason("{\"\xff\":1}") == "bad JSON");
    CHECK(parse_reason(R"({"a":"\ud800"})") == "bad JSON"); // lone high escape
    CHECK(parse_reason(R"({"a":"\udc00"})") == "bad JSON"); // lone low escape
    CHECK(parse_reason(R"({"\udc00":1})") == "bad JSON");
    CHECK(parse_reason("{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}") == "");
    CHECK(parse_reason(R"({"a":"\ud83d\ude00"})") == "");
}

TEST_CASE("json: NUL bytes are refused wherever they are") {
    CHECK(parse_reason("{\"a\":\"x\0y\"}"s) == "bad JSON");
    CHECK(parse_reason("{\"a\":1}\0"s) == "bad JSON");
    CHECK(parse_reason("{\"a\":1}\0garbage"s) == "bad JSON");
    CHECK(parse_reason("\0{}"s) == "bad JSON");
    // An escaped NUL is a valid string character.
    auto d = parse_ok(R"({"a":"x\u0000y"})");
    CHECK(std::string(d["a"].GetString(), d["a"].GetStringLength()) == "x\0y"s);
}

TEST_CASE("json: raw control characters in strings are refused") {
    CHECK(parse_reason("{\"a\":\"x\ny\"}") == "bad JSON");
    CHECK(parse_reason("{\"a\":\"x\ty\"}") == "bad JSON");
}

TEST_CASE("json: NaN and Infinity are not JSON") {
    CHECK(parse_reason(R"({"a":NaN})") == "bad JSON");
    CHECK(parse_reason(R"({"a":Infinity})") == "bad JSON");
    CHECK(parse_reason(R"({"a":-Infinity})") == "bad JSON");
    CHECK(parse_reason(R"({"a":1e400})") == "bad JSON");
}

TEST_CASE("json: deep nesting is refused") {
    std::string deep = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
    auto r = parse_json_object(deep);
    REQUIRE(!r.ok());
    CHECK(r.error().reason == "bad JSON");
    std::string ok = "{\"a\":" + std::string(60, '[') + std::string(60, ']') + "}";
    CHECK(parse_reason(ok) == "");
}

TEST_CASE("json: reader gets typed fields and finish() accepts when all used") {
    auto d = parse_ok(R"({"s":"hi","i":-5,"u":18446744073709551615,"w":4294967295,)"
                      R"("b":false,"h":"00ABff","f":"0102","l":["x","y"],"o":{"k":1},"a":[1]})");
    ObjectReader r(d);
    CHECK(r.has("s"));
    CHECK(!r.has("zz"));
    CHECK(*r.str("s") == "hi");
    CHECK(*r.i64("i") == -5);
    CHECK(*r.u64("u") == 18446744073709551615ull);
    CHECK(*r.u32("w") == 4294967295u);
    CHECK(*r.boolean("b") == false);
    CHECK(*r.hex("h") == Bytes{0x00, 0xab, 0xff});
    auto f = r.hex_fixed<2>("f");
    REQUIRE(f.ok());
    CHECK((*f)[1] == 2);
    CHECK(*r.str_array("l") == std::vector<std::string>{"x", "y"});
    auto o = r.object("o");
    REQUIRE(o.ok());
    CHECK((*o)->IsObject());
    auto a = r.array("a");
    REQUIRE(a.ok());
    CHECK((*a)->Size() == 1);
    CHECK(r.finish().ok());
}

TEST_CASE("json: integer limits") {
    auto d = parse_ok(R"({"min":-9223372036854775808,"max":9223372036854775807,"z":-0})");
    ObjectReader r(d);
    CHECK(*r.i64("min") == INT64_MIN);
    CHECK(*r.i64("max") == INT64_MAX);
    CHECK(*r.i64("z") == 0);
    CHECK(*r.u64("max") == 9223372036854775807ull);
}

TEST_CASE("json: missing fields name the path") {
    auto d = parse_ok(R"({"header":{"a":1}})");
    ObjectReader top(d);
    auto m = top.str("body");
    REQUIRE(!m.ok());
    CHECK(m.error().code == Exit::bad_input);
    CHECK(m.error().reason == "missing field");
    CHECK(m.error().detail == "body");
    CHECK(!m.error().line);
    ObjectReader h(**top.object("header"), "header");
    auto t = h.i64("time");
    REQUIRE(!t.ok());
    CHECK(t.error().reason == "missing field");
    CHECK(t.error().detail == "header.time");
}

TEST_CASE("json: wrong types") {
    auto d = parse_ok(R"({"energy_wh":"5","s":5,"b":1,"o":[],"a":{},"l":["x",1],"n":null,"h":7})");
    ObjectReader r(d);
    auto e = r.i64("energy_wh");
    REQUIRE(!e.ok());
    CHECK(e.error().reason == "wrong type");
    CHECK(e.error().detail == "energy_wh: expected an integer");
    CHECK(r.u64("energy_wh").error().reason == "wrong type");
    CHECK(r.u32("energy_wh").error().reason == "wrong type");
    CHECK(r.str("s").error().reason == "wrong type");
    CHECK(r.str("n").error().reason == "wrong type");
    CHECK(r.i64("n").error().reason == "wrong type");
    CHECK(r.boolean("b").error().reason == "wrong type");
    CHECK(r.object("o").error().reason == "wrong type");
    CHECK(r.array("a").error().reason == "wrong type");
    CHECK(r.str_array("l").error().reason == "wrong type");
    CHECK(r.hex("h").error().reason == "wrong type");
    ObjectReader nested(d["o"], "o");
    CHECK(nested.str("x").error().reason == "wrong type");
}

TEST_CASE("json: fractions, exponents and out-of-range numbers are bad integers") {
    auto d = parse_ok(
        R"({"f":1.5,"one":1.0,"exp":1e3,"neg":-1,"big":18446744073709551616,)"
        R"("i64big":9223372036854775808,"u32big":4294967296,"negbig":-9223372036854775809})");
    ObjectReader r(d);
    for (const char* k : {"f", "one", "exp", "big"}) {
        INFO(k);
        CHECK(r.i64(k).error().reason == "bad integer");
        CHECK(r.u64(k).error().reason == "bad integer");
        CHECK(r.u32(k).error().reason == "bad integer");
    }
    CHECK(r.u64("one").error().detail == "one: expected an integer without fraction or exponent");
    CHECK(r.u64("big").error().detail == "big: out of range 0..18446744073709551615");
    CHECK(r.u64("neg").error().reason == "bad integer");
    CHECK(r.u32("neg").error().reason == "bad integer");
    CHECK(*r.i64("neg") == -1);
    CHECK(r.i64("i64big").error().reason == "bad integer");
    CHECK(*r.u64("i64big") == 9223372036854775808ull);
    CHECK(r.u32("u32big").error().reason == "bad integer");
    CHECK(r.u32("u32big").error().detail == "u32big: out of range 0..4294967295");
    CHECK(*r.u64("u32big") == 4294967296ull);
    CHECK(r.i64("negbig").error().reason == "bad integer");
}

TEST_CASE("json: numbers never reach floating point") {
    // With RapidJSON's full-precision flag this number read out of bounds
    // (SIGSEGV). It is read as text now: a number, but no integer.
    const std::string crash = "1.00000000000000000000000000001e-330";
    auto d =
        parse_ok(R"({"energy_wh":)" + crash + R"(,"s":)" + crash + R"(,"neg":-)" + crash +
                 R"(,"l":[)" + crash + R"(],"tiny":4.9e-324,"huge":1e308,"digits":)" +
                 std::string(300, '7') + R"(,"e":0e-257,"o":{"n":-)" + std::string(40, '9') + "}}");
    ObjectReader r(d);
    auto e = r.i64("energy_wh");
    REQUIRE(!e.ok());
    CHECK(e.error().code == Exit::bad_input);
    CHECK(e.error().message() ==
          "bad integer: energy_wh: expected an integer without fraction or exponent");
    CHECK(r.u64("neg").error().detail == "neg: expected an integer without fraction or exponent");
    CHECK(r.u32("tiny").error().detail == "tiny: expected an integer without fraction or exponent");
    CHECK(r.i64("huge").error().detail == "huge: expected an integer without fraction or exponent");
    CHECK(r.i64("e").error().detail == "e: expected an integer without fraction or exponent");
    CHECK(r.i64("digits").error().detail ==
          "digits: out of range -9223372036854775808..9223372036854775807");
    CHECK(r.str("s").error().reason == "wrong type");
    ObjectReader o(**r.object("o"), "o");
    CHECK(o.i64("n").error().detail ==
          "o.n: out of range -9223372036854775808..9223372036854775807");
    CHECK(r.str_array("l").error().reason == "wrong type");
}

TEST_CASE("json: bad hex is a field error") {
    auto d = parse_ok(R"({"h":"abc","g":"zz","f":"00"})");
    ObjectReader r(d, "x");
    auto h = r.hex("h");
    REQUIRE(!h.ok());
    CHECK(h.error().code == Exit::bad_input);
    CHECK(h.error().detail.rfind("x.h: ", 0) == 0);
    CHECK(!r.hex("g").ok());
    auto f = r.hex_fixed<2>("f");
    REQUIRE(!f.ok());
    CHECK(f.error().detail == "x.f: expected 4 hex digits, got 2");
}

TEST_CASE("json: finish() names the first unknown field in document order") {
    auto d = parse_ok(R"({"a":1,"zz":2,"b":3,"c":4})");
    ObjectReader r(d);
    CHECK(r.i64("a").ok());
    CHECK(r.i64("c").ok());
    auto f = r.finish();
    REQUIRE(!f.ok());
    CHECK(f.error().code == Exit::bad_input);
    CHECK(f.error().reason == "unknown field");
    CHECK(f.error().detail == "zz");
    CHECK(r.i64("zz").ok());
    CHECK(r.i64("b").ok());
    CHECK(r.finish().ok());

    // has() does not count as use; a failed read does.
    ObjectReader p(d, "rec");
    CHECK(p.has("a"));
    CHECK(p.str("a").error().reason == "wrong type");
    CHECK(p.finish().error().detail == "rec.zz");
}

TEST_CASE("json: JsonOut writes compact JSON in the order written") {
    JsonOut o;
    o.begin_object()
        .field("s", "x")
        .field("sv", std::string_view("y"))
        .field("i", std::int64_t{-3})
        .field("u", std::uint64_t{18446744073709551615ull})
        .field("w", std::uint32_t{7})
        .field("n", 5)
        .field("b", true)
        .key("z")
        .null()
        .key("l")
        .begin_array()
        .i64(1)
        .str("a")
        .end_array()
        .key("r")
        .raw(R"({"k":[1,2]})")
        .key("ra")
        .raw("[3]")
        .key("rn")
        .raw("42")
        .end_object();
    CHECK(o.str() == R"({"s":"x","sv":"y","i":-3,"u":18446744073709551615,"w":7,"n":5,"b":true,)"
                     R"("z":null,"l":[1,"a"],"r":{"k":[1,2]},"ra":[3],"rn":42})");
}

TEST_CASE("json: JsonOut escapes so that one record stays one line") {
    JsonOut o;
    o.begin_object().field("t", "a\nb\r\"c\\\t\x01\0d"s).end_object();
    std::string s = o.str();
    CHECK(s == R"({"t":"a\nb\r\"c\\\t\u0001\u0000d"})");
    CHECK(s.find('\n') == std::string::npos);
    auto back = parse_ok(s);
    CHECK(std::string(back["t"].GetString(), back["t"].GetStringLength()) ==
          "a\nb\r\"c\\\t\x01\0d"s);
}

TEST_CASE("json: raw arrays and objects at the top level") {
    JsonOut a;
    a.raw("[1,2]");
    CHECK(a.str() == "[1,2]");
    JsonOut b;
    b.begin_array().raw("{}").raw("\"s\"").raw("true").raw("null").end_array();
    CHECK(b.str() == R"([{},"s",true,null])");
}
