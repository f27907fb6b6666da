#include <catch2/catch.hpp>

#include "block.hpp"
#include "bytes.hpp"

using namespace setm;

namespace {

// Bitcoin's genesis block header (mainnet), hashes as displayed.
BlockHeader bitcoin_genesis() {
    BlockHeader h;
    h.version = 1;
    h.prev = Hash32{};
    h.merkle_root =
        hash_from_hex("4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b").value();
    h.time = 1231006505;
    h.bits = 0x1d00ffff;
    h.nonce = 2083236893;
    return h;
}

// The same header as the 80 bytes Bitcoin serializes.
const char* const kGenesisHeaderHex =
    "01000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a"
    "29ab5f49"
    "ffff001d"
    "1dac2b7c";

} // namespace

TEST_CASE("block: Bitcoin's genesis header hashes to its known hash") {
    const BlockHeader g = bitcoin_genesis();
    CHECK(hash_to_hex(block_hash(g)) ==
          "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
    // Internal order: the displayed leading zeros are the last bytes.
    const Hash32 h = block_hash(g);
    CHECK(h[31] == 0x00);
    CHECK(h[0] == 0x6f);
}

TEST_CASE("block: serialization is Bitcoin's exact layout") {
    const auto bytes = serialize_header(bitcoin_genesis());
    CHECK(to_hex(bytes) == kGenesisHeaderHex);
}

TEST_CASE("block: serialize and parse round-trip") {
    const BlockHeader g = bitcoin_genesis();
    const auto bytes = serialize_header(g);
    auto parsed = parse_header(bytes.data(), bytes.size());
    REQUIRE(parsed.ok());
    CHECK(parsed.value() == g);

    // Every field distinct and with high bits set, including a negative version.
    BlockHeader x;
    x.version = -2;
    for (std::size_t i = 0; i < 32; ++i) {
        x.prev[i] = static_cast<std::uint8_t>(i + 1);
        x.merkle_root[i] = static_cast<std::uint8_t>(0xff - i);
    }
    x.time = 0xfedcba98;
    x.bits = 0x207fffff;
    x.nonce = 0xffffffff;
    const auto xb = serialize_header(x);
    CHECK(xb[0] == 0xfe);
    CHECK(xb[3] == 0xff);
    CHECK(xb[4] == 1);     // prev stored as is, not reversed
    CHECK(xb[36] == 0xff); // merkle root likewise
    CHECK(xb[68] == 0x98); // time little-endian
    auto xp = parse_header(xb.data(), xb.size());
    REQUIRE(xp.ok());
    CHECK(xp.value() == x);
    CHECK(serialize_header(xp.value()) == xb);
}

TEST_CASE("block: a header that is not exactly 80 bytes is refused") {
    const auto bytes = serialize_header(bitcoin_genesis());
    auto short_header = parse_header(bytes.data(), 79);
    REQUIRE_FALSE(short_header.ok());
    CHECK(short_header.error().code == Exit::bad_input);
    CHECK(short_header.error().reason == "bad header");

    std::array<std::uint8_t, 81> longer{};
    CHECK_FALSE(parse_header(longer.data(), longer.size()).ok());
    CHECK_FALSE(parse_header(nullptr, 0).ok());
}

TEST_CASE("block: hash hex is displayed reversed and parses back") {
    Hash32 h{};
    for (std::size_t i = 0; i < 32; ++i) h[i] = static_cast<std::uint8_t>(i);
    const std::string hex = hash_to_hex(h);
    CHECK(hex.substr(0, 4) == "1f1e");
    CHECK(hex.substr(60) == "0100");
    auto back = hash_from_hex(hex);
    REQUIRE(back.ok());
    CHECK(back.value() == h);

    // Upper case is accepted; wrong length and non-hex are not.
    auto upper = hash_from_hex("000000000019D6689C085AE165831E934FF763AE46A2A6C172B3F1B60A8CE26F");
    REQUIRE(upper.ok());
    CHECK(upper.value() == block_hash(bitcoin_genesis()));
    CHECK_FALSE(hash_from_hex(hex.substr(1)).ok());
    CHECK_FALSE(hash_from_hex(hex + "00").ok());
    auto bad = hash_from_hex(std::string(63, '0') + "g");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == Exit::bad_input);
}
