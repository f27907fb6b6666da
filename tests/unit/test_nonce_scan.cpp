#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <random>

#include "block.hpp"
#include "crypto.hpp"
#include "nonce_scan.hpp"

using namespace setm;

namespace {

using Header = std::array<std::uint8_t, 80>;

Header random_header(std::mt19937_64& rng) {
    Header h{};
    for (auto& b : h) b = static_cast<std::uint8_t>(rng());
    return h;
}

// SHA-256d of the header with `nonce` in bytes 76..79, by Crypto++.
Hash32 reference_hash(const Header& header, std::uint32_t nonce) {
    Header h = header;
    for (int i = 0; i < 4; ++i) h[76 + i] = static_cast<std::uint8_t>(nonce >> (8 * i));
    return Sha256dMidstate(h.data()).finish(h.data() + 64, 16);
}

// The hash's most significant 32 bits as a little-endian number.
std::uint32_t top_word(const Hash32& h) {
    return std::uint32_t{h[28]} | std::uint32_t{h[29]} << 8 | std::uint32_t{h[30]} << 16 |
           std::uint32_t{h[31]} << 24;
}

// The first nonce of [first, first + count) whose hash is at most
// target_top, by the reference hash: its offset (count when none) and hash.
ScanHit reference_scan(const Header& h, std::uint32_t target_top, std::uint32_t first,
                       std::uint64_t count) {
    for (std::uint64_t i = 0; i < count; ++i) {
        const Hash32 r = reference_hash(h, static_cast<std::uint32_t>(first + i));
        if (top_word(r) <= target_top) return {i, r};
    }
    return {count, {}};
}

// Every supported kernel finds what reference_scan finds.
void check_kernels(const Header& h, std::uint32_t target_top, std::uint32_t first,
                   std::uint64_t count) {
    const ScanHit expect = reference_scan(h, target_top, first, count);
    const NonceScan job = prepare_scan(h.data(), target_top);
    for (const ScanKernel& k : scan_kernels()) {
        if (!k.supported()) continue;
        INFO("kernel " << k.name << " first " << first << " count " << count);
        const ScanHit hit = k.scan(job, first, count);
        REQUIRE(hit.offset == expect.offset);
        if (expect.offset < count) REQUIRE(hit.hash == expect.hash);
    }
}

} // namespace

TEST_CASE("nonce scan: the portable kernel is always there and supported") {
    REQUIRE(find_scan_kernel("portable") != nullptr);
    REQUIRE(best_scan_kernel().supported());
    REQUIRE(find_scan_kernel("no-such-kernel") == nullptr);
}

TEST_CASE("nonce scan: every kernel hashes like Crypto++ on random headers") {
    std::mt19937_64 rng(20261202);
    for (const ScanKernel& k : scan_kernels()) {
        if (!k.supported()) continue;
        INFO("kernel " << k.name);
        for (int round = 0; round < 40; ++round) {
            const Header h = random_header(rng);
            const NonceScan job = prepare_scan(h.data(), 0xffffffff); // every nonce a candidate
            const auto nonce = static_cast<std::uint32_t>(rng());
            const ScanHit hit = k.scan(job, nonce, 1);
            REQUIRE(hit.offset == 0);
            REQUIRE(hit.hash == reference_hash(h, nonce));
        }
    }
}

TEST_CASE("nonce scan: every kernel returns the first candidate, for any count and target") {
    std::mt19937_64 rng(7);
    for (int round = 0; round < 30; ++round) {
        const Header h = random_header(rng);
        // About one nonce in 2^(32 - top bits) is a candidate: 1 in 8 .. 1 in 64.
        const std::uint32_t target_top = 0xffffffffu >> (3 + round % 4);
        const auto first = static_cast<std::uint32_t>(rng());
        const std::uint64_t count = 1 + rng() % 37; // not a multiple of the lanes
        check_kernels(h, target_top, first, count);
    }
}

TEST_CASE("nonce scan: the last nonce of the range is reachable") {
    std::mt19937_64 rng(99);
    const Header h = random_header(rng);
    const NonceScan job = prepare_scan(h.data(), 0xffffffff);
    for (const ScanKernel& k : scan_kernels()) {
        if (!k.supported()) continue;
        INFO("kernel " << k.name);
        const ScanHit hit = k.scan(job, 0xffffffffu, 1);
        REQUIRE(hit.offset == 0);
        REQUIRE(hit.hash == reference_hash(h, 0xffffffffu));
        REQUIRE(k.scan(job, 0, 0).offset == 0); // an empty range finds nothing
    }
}

TEST_CASE("nonce scan: every kernel finds the first candidate deep into a long range") {
    // Rare candidates (about 1 nonce in 512) over ranges of hundreds of
    // nonces: the hit falls in any lane of any register of any batch of the
    // lane kernels, and the range's end cuts a batch anywhere.
    std::mt19937_64 rng(512);
    for (int round = 0; round < 12; ++round) {
        const Header h = random_header(rng);
        const std::uint32_t target_top = 0xffffffffu >> 9;
        const auto first = static_cast<std::uint32_t>(rng());
        const std::uint64_t count = 100 + rng() % 1400;
        check_kernels(h, target_top, first, count);
    }
}

TEST_CASE("nonce scan: scan_hash is SHA-256d of the header with the nonce") {
    std::mt19937_64 rng(5);
    const Header h = random_header(rng);
    const NonceScan job = prepare_scan(h.data(), 0);
    for (std::uint32_t nonce : {0u, 1u, 0x12345678u, 0xffffffffu})
        REQUIRE(scan_hash(job, nonce) == reference_hash(h, nonce));
}

TEST_CASE("nonce scan: the best kernel is one of the supported kernels, chosen once") {
    const ScanKernel& best = best_scan_kernel();
    REQUIRE(best.supported());
    REQUIRE(find_scan_kernel(best.name) == &best);
    REQUIRE(&best_scan_kernel() == &best);
}
