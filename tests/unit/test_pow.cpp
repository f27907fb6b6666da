#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "block.hpp"
#include "pow.hpp"

using namespace setm;

namespace {

// Bitcoin's GetHex: big-endian, 64 digits.
std::string u256_hex(const U256& x) { return hash_to_hex(u256_to_hash(x)); }

U256 u256_from_display_hex(const char* hex) { return u256_from_hash(hash_from_hex(hex).value()); }

BlockHeader bitcoin_genesis() {
    BlockHeader h;
    h.version = 1;
    h.merkle_root =
        hash_from_hex("4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b").value();
    h.time = 1231006505;
    h.bits = 0x1d00ffff;
    h.nonce = 2083236893;
    return h;
}

// A header no one has mined: mining it proves nothing was precomputed.
BlockHeader sample_header() {
    BlockHeader h = bitcoin_genesis();
    h.version = 0x20000000;
    h.prev = block_hash(bitcoin_genesis());
    h.time = 1764064800;
    h.nonce = 0;
    return h;
}

U256 target_for_zero_bits(unsigned n) {
    return decode_compact(bits_for_leading_zero_bits(n).value()).value();
}

// Little-endian +1 on a hash's bytes (the number it stands for, plus one).
Hash32 plus_one(Hash32 h) {
    for (auto& byte : h)
        if (++byte != 0) break;
    return h;
}

} // namespace

// ---- U256 -------------------------------------------------------------------

TEST_CASE("pow: U256 compares as a 256-bit number, most significant limb first") {
    U256 a = u256_from_u64(0xffffffffffffffffULL);
    U256 b;
    b.w[7] = 1; // 2^224
    CHECK(a < b);
    CHECK(b > a);
    CHECK(a == a);
    CHECK(a != b);
    CHECK(u256_from_u64(5) <= u256_from_u64(5));
    CHECK(u256_from_u64(4) < u256_from_u64(5));
    CHECK(U256{} < u256_from_u64(1));
}

TEST_CASE("pow: U256 from and to hash is UintToArith256 (little-endian)") {
    Hash32 h{};
    h[0] = 0x01;  // least significant byte
    h[31] = 0x80; // most significant byte
    const U256 x = u256_from_hash(h);
    CHECK(x.w[0] == 1);
    CHECK(x.w[7] == 0x80000000u);
    CHECK(bit_length(x) == 256);
    CHECK(u256_to_hash(x) == h);
    CHECK(u256_hex(x) == "8000000000000000000000000000000000000000000000000000000000000001");
}

TEST_CASE("pow: U256 shifts and bit length") {
    const U256 one = u256_from_u64(1);
    CHECK(bit_length(U256{}) == 0);
    CHECK(bit_length(one) == 1);
    for (unsigned n = 0; n < 256; ++n) {
        INFO("n = " << n);
        const U256 p = shift_left(one, n);
        CHECK(bit_length(p) == n + 1);
        CHECK(shift_right(p, n) == one);
    }
    CHECK(shift_left(one, 256) == U256{});
    CHECK(shift_left(one, 2000) == U256{});
    CHECK(shift_right(shift_left(one, 255), 256) == U256{});
    const U256 x = u256_from_u64(0x0123456789abcdefULL);
    CHECK(u256_hex(shift_left(x, 36)) ==
          std::string(40, '0') + "123456789abcdef" + std::string(9, '0'));
    CHECK(u256_hex(shift_right(shift_left(x, 36), 40)) == std::string(49, '0') + "0123456789abcde");
    CHECK(shift_right(shift_left(x, 100), 100) == x);
    CHECK(shift_left(x, 0) == x);
    CHECK(shift_right(x, 0) == x);
}

// ---- compact targets: Bitcoin Core's arith_uint256_tests "bignum_SetCompact" -

TEST_CASE("pow: decode_compact follows Bitcoin's SetCompact") {
    struct Case {
        std::uint32_t bits;
        const char* hex;       // GetHex
        std::uint32_t compact; // GetCompact of the decoded value
    };
    const Case valid[] = {
        {0x01123456, "0000000000000000000000000000000000000000000000000000000000000012",
         0x01120000},
        {0x02123456, "0000000000000000000000000000000000000000000000000000000000001234",
         0x02123400},
        {0x03123456, "0000000000000000000000000000000000000000000000000000000000123456",
         0x03123456},
        {0x04123456, "0000000000000000000000000000000000000000000000000000000012345600",
         0x04123456},
        {0x05009234, "0000000000000000000000000000000000000000000000000000000092340000",
         0x05009234},
        {0x20123456, "1234560000000000000000000000000000000000000000000000000000000000",
         0x20123456},
        // Bitcoin's genesis target.
        {0x1d00ffff, "00000000ffff0000000000000000000000000000000000000000000000000000",
         0x1d00ffff},
        // The widest values that fit: Bitcoin's overflow rule at its edges.
        {0x2100ffff, "ffff000000000000000000000000000000000000000000000000000000000000",
         0x2100ffff},
        {0x220000ff, "ff00000000000000000000000000000000000000000000000000000000000000",
         0x2100ff00},
    };
    for (const Case& c : valid) {
        INFO("bits = " << std::hex << c.bits);
        auto t = decode_compact(c.bits);
        REQUIRE(t.ok());
        CHECK(u256_hex(t.value()) == c.hex);
        CHECK(encode_compact(t.value()) == c.compact);
    }
}

TEST_CASE("pow: decode_compact refuses negative, overflowing and zero targets") {
    struct Case {
        std::uint32_t bits;
        const char* why;
    };
    const Case refused[] = {
        // Zero, including every "negative zero" (sign bit, zero mantissa) and
        // mantissas shifted out by a small size: Bitcoin gives 0, not negative.
        {0x00000000, "zero"},
        {0x00123456, "zero"},
        {0x01003456, "zero"},
        {0x02000056, "zero"},
        {0x03000000, "zero"},
        {0x04000000, "zero"},
        {0x00923456, "zero"},
        {0x01803456, "zero"},
        {0x02800056, "zero"},
        {0x03800000, "zero"},
        {0x04800000, "zero"},
        {0xff000000, "zero"},
        // Negative: sign bit with a nonzero mantissa.
        {0x01fedcba, "negative"},
        {0x04923456, "negative"},
        {0x1d80ffff, "negative"},
        // Wider than 256 bits.
        {0xff123456, "256 bits"},
        {0x23000001, "256 bits"},
        {0x22000100, "256 bits"},
        {0x21010000, "256 bits"},
    };
    for (const Case& c : refused) {
        INFO("bits = " << std::hex << c.bits);
        auto t = decode_compact(c.bits);
        REQUIRE_FALSE(t.ok());
        CHECK(t.error().code == Exit::bad_input);
        CHECK(t.error().reason == "bad target");
        CHECK_THAT(t.error().detail, Catch::Contains(c.why));
    }
}

TEST_CASE("pow: encode_compact is Bitcoin's GetCompact") {
    CHECK(encode_compact(U256{}) == 0u);
    // Never sets the sign bit: 0x80 becomes size 2, mantissa 0x0080.
    CHECK(encode_compact(u256_from_u64(0x80)) == 0x02008000u);
    CHECK(encode_compact(u256_from_u64(0x12)) == 0x01120000u);
    CHECK(encode_compact(u256_from_u64(0x123456789ULL)) == 0x05012345u);
    U256 ones;
    ones.w.fill(0xffffffff);
    CHECK(encode_compact(ones) == 0x2100ffffu);
    // Rounding is downwards: decode(encode(x)) <= x.
    const U256 x =
        u256_from_display_hex("00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    const U256 r = decode_compact(encode_compact(x)).value();
    CHECK(r <= x);
    CHECK(u256_hex(r) == "00000000ffff0000000000000000000000000000000000000000000000000000");
}

TEST_CASE("pow: bits for n leading zero bits") {
    CHECK(bits_for_leading_zero_bits(32).value() == 0x1d00ffffu); // Bitcoin mainnet
    CHECK(bits_for_leading_zero_bits(1).value() == 0x207fffffu);  // Bitcoin regtest
    CHECK(bits_for_leading_zero_bits(8).value() == 0x2000ffffu);
    CHECK(bits_for_leading_zero_bits(255).value() == 0x01010000u); // target 1
    for (unsigned n : {0u, 256u, 1000u}) {
        auto r = bits_for_leading_zero_bits(n);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == Exit::usage);
        CHECK(r.error().reason == "bad difficulty");
    }
    U256 ones;
    ones.w.fill(0xffffffff);
    for (unsigned n = 1; n <= 255; ++n) {
        INFO("n = " << n);
        auto bits = bits_for_leading_zero_bits(n);
        REQUIRE(bits.ok());
        auto t = decode_compact(bits.value());
        REQUIRE(t.ok());
        const U256 exact = shift_right(ones, n); // 2^(256-n) - 1
        CHECK(t.value() <= exact);
        // Still n leading zero bits exactly: rounding lost no more than the tail.
        CHECK(bit_length(t.value()) == 256 - n);
        CHECK(encode_compact(t.value()) == bits.value());
    }
}

TEST_CASE("pow: Bitcoin's genesis meets its target, and target + 1 does not") {
    const BlockHeader g = bitcoin_genesis();
    const U256 target = decode_compact(g.bits).value();
    CHECK(hash_meets_target(block_hash(g), target));
    CHECK(check_proof_of_work(block_hash(g), g.bits));
    // Boundary: the target itself meets it (<=), one more does not.
    const Hash32 at = u256_to_hash(target);
    CHECK(hash_meets_target(at, target));
    CHECK_FALSE(hash_meets_target(plus_one(at), target));
    // A 256x harder target than genesis's hash can satisfy.
    CHECK_FALSE(check_proof_of_work(block_hash(g), 0x1b00ffff));
    // Invalid bits never pass, not even for a zero hash.
    CHECK_FALSE(check_proof_of_work(Hash32{}, 0));
    CHECK_FALSE(check_proof_of_work(Hash32{}, 0x04923456));
    CHECK(check_proof_of_work(Hash32{}, 0x01010000));
}

// ---- mining -----------------------------------------------------------------

TEST_CASE("pow: mining with one thread finds the lowest nonce meeting the target") {
    const U256 target = target_for_zero_bits(8);
    const BlockHeader start = sample_header();
    const MineResult r = mine(start, target, 1, nullptr);
    REQUIRE(r.found);
    CHECK(r.hash == block_hash(r.header));
    CHECK(hash_meets_target(r.hash, target));
    CHECK(hash_to_hex(r.hash).substr(0, 2) == "00");
    // Only the nonce changed.
    BlockHeader same = r.header;
    same.nonce = start.nonce;
    CHECK(same == start);
    // One thread from nonce 0: every nonce before the winner was tried and failed.
    CHECK(r.hashes == std::uint64_t{r.header.nonce} + 1);
    BlockHeader h = start;
    for (h.nonce = 0; h.nonce < r.header.nonce; ++h.nonce)
        REQUIRE_FALSE(hash_meets_target(block_hash(h), target));
}

TEST_CASE("pow: mining with several threads finds a valid header") {
    const U256 target = target_for_zero_bits(8);
    for (unsigned threads : {2u, 3u, 4u}) {
        INFO("threads = " << threads);
        BlockHeader start = sample_header();
        start.time += threads; // a different search each time
        const MineResult r = mine(start, target, threads, nullptr);
        REQUIRE(r.found);
        CHECK(r.hash == block_hash(r.header));
        CHECK(hash_meets_target(r.hash, target));
        CHECK(r.header.time == start.time);
        CHECK(r.hashes >= 1);
    }
    // 0 threads counts as 1.
    const MineResult r0 = mine(sample_header(), target, 0, nullptr);
    CHECK(r0.found);
    CHECK(r0.header.nonce == mine(sample_header(), target, 1, nullptr).header.nonce);
}

TEST_CASE("pow: an exhausted nonce range returns found = false with every nonce tried") {
    // Target 1: no hash will meet it (probability 2^-255 per try).
    const U256 impossible = target_for_zero_bits(255);
    const BlockHeader start = sample_header();
    for (unsigned threads : {1u, 2u, 3u}) {
        INFO("threads = " << threads);
        const MineResult r = mine_range(start, impossible, 1000, 1999, threads, nullptr);
        CHECK_FALSE(r.found);
        CHECK(r.hashes == 1000);
        CHECK(r.header == start);
        CHECK(r.hash == Hash32{});
        // The top of the nonce space, where a 32-bit counter would wrap.
        const MineResult top =
            mine_range(start, impossible, 0xfffffff0u, 0xffffffffu, threads, nullptr);
        CHECK_FALSE(top.found);
        CHECK(top.hashes == 16);
    }
    CHECK(mine_range(start, impossible, 5, 5, 4, nullptr).hashes == 1); // threads > nonces
    CHECK(mine_range(start, impossible, 6, 5, 1, nullptr).hashes == 0); // empty range
}

TEST_CASE("pow: mining stops when asked") {
    const U256 impossible = target_for_zero_bits(255);
    std::atomic<bool> stop{true};
    const MineResult before = mine(sample_header(), impossible, 2, &stop);
    CHECK_FALSE(before.found);
    CHECK(before.hashes == 0);

    // Stopped from another thread while searching all 2^32 nonces.
    stop = false;
    std::thread stopper([&stop] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        stop = true;
    });
    const MineResult during = mine(sample_header(), impossible, 2, &stop);
    stopper.join();
    CHECK_FALSE(during.found);
    CHECK(during.hashes > 0);
    CHECK(during.hashes < (std::uint64_t{1} << 32));
}

TEST_CASE("pow: progress is reported on the calling thread about every 2^20 hashes") {
    const U256 impossible = target_for_zero_bits(255);
    const auto caller = std::this_thread::get_id();
    std::vector<std::uint64_t> seen;
    bool on_caller = true;
    const MineResult r = mine_range(
        sample_header(), impossible, 0, static_cast<std::uint32_t>(2 * kProgressInterval - 1), 1,
        nullptr, [&](std::uint64_t n) {
            seen.push_back(n);
            on_caller = on_caller && std::this_thread::get_id() == caller;
        });
    CHECK(r.hashes == 2 * kProgressInterval);
    CHECK(on_caller);
    REQUIRE(seen.size() == 2);
    CHECK(seen[0] == kProgressInterval);
    CHECK(seen[1] == 2 * kProgressInterval);
}

TEST_CASE("pow: an exception from progress stops every thread and propagates") {
    // Without the stop, the other thread would search all 2^32 nonces and
    // this test would take minutes.
    const U256 impossible = target_for_zero_bits(255);
    CHECK_THROWS_AS(mine(sample_header(), impossible, 2, nullptr,
                         [](std::uint64_t) { throw std::runtime_error("stop"); }),
                    std::runtime_error);
}

TEST_CASE("pow: mining is deterministic: any number of threads finds the lowest nonce") {
    // Threads search until they pass the lowest find, so the winner never
    // depends on scheduling: the same block, the same chain, every run.
    const U256 target = target_for_zero_bits(12);
    for (std::uint32_t time_shift = 0; time_shift < 5; ++time_shift) {
        BlockHeader start = sample_header();
        start.time += time_shift;
        const MineResult one = mine(start, target, 1, nullptr);
        REQUIRE(one.found);
        for (unsigned threads : {2u, 3u, 4u}) {
            INFO("threads = " << threads << ", time shift = " << time_shift);
            const MineResult many = mine(start, target, threads, nullptr);
            REQUIRE(many.found);
            CHECK(many.header.nonce == one.header.nonce);
            CHECK(many.hash == one.hash);
        }
    }
}
