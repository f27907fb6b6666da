// split_points (setm-mine --split): the fewest blocks of at most max
// records, never separating a slot's trades; checked against a brute force.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <random>

#include "miner.hpp"

using namespace setm;

namespace {

Record order() { return Signed<Offer>{}; }

Record trade(std::int64_t slot) {
    Signed<Trade> t;
    t.body.slot = slot;
    return t;
}

// May a block end before position k? Not if a slot trades on both sides.
bool cut_allowed(const std::vector<Record>& rs, std::size_t k) {
    std::map<std::int64_t, int> sides; // bit 1: before k, bit 2: from k on
    for (std::size_t i = 0; i < rs.size(); ++i)
        if (auto* t = std::get_if<Signed<Trade>>(&rs[i])) sides[t->body.slot] |= i < k ? 1 : 2;
    return std::none_of(sides.begin(), sides.end(), [](auto& s) { return s.second == 3; });
}

// The fewest blocks by dynamic programming over every allowed cut.
std::optional<std::size_t> fewest_blocks(const std::vector<Record>& rs, std::size_t max) {
    const std::size_t n = rs.size();
    std::vector<std::optional<std::size_t>> best(n + 1);
    best[0] = 0;
    for (std::size_t k = 1; k <= n; ++k) {
        if (k < n && !cut_allowed(rs, k)) continue;
        for (std::size_t j = k >= max ? k - max : 0; j < k; ++j)
            if (best[j] && (!best[k] || *best[j] + 1 < *best[k])) best[k] = *best[j] + 1;
    }
    return best[n];
}

} // namespace

TEST_CASE("split: an input that fits, or no limit, is one block") {
    std::vector<Record> rs(7, order());
    CHECK(split_points(rs, 10).value() == std::vector<std::size_t>{7});
    CHECK(split_points(rs, 7).value() == std::vector<std::size_t>{7});
    CHECK(split_points(rs, 0).value() == std::vector<std::size_t>{7});
}

TEST_CASE("split: orders are cut every max records") {
    std::vector<Record> rs(25, order());
    CHECK(split_points(rs, 10).value() == std::vector<std::size_t>{10, 20, 25});
}

TEST_CASE("split: a slot's trades stay in one block") {
    std::vector<Record> rs(8, order());
    for (int i = 0; i < 4; ++i) rs.push_back(trade(1));
    for (int i = 0; i < 4; ++i) rs.push_back(trade(2));
    CHECK(split_points(rs, 10).value() == std::vector<std::size_t>{8, 16});
}

TEST_CASE("split: a slot with more trades than max is refused, naming the first record") {
    std::vector<Record> rs(3, order());
    for (int i = 0; i < 11; ++i) rs.push_back(trade(5));
    std::size_t bad = 99;
    auto r = split_points(rs, 10, &bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().reason == "block too large");
    CHECK(bad == 3);
}

TEST_CASE("split: property: the fewest blocks the brute force finds, every rule kept") {
    std::mt19937 rng(12);
    for (int round = 0; round < 400; ++round) {
        std::vector<Record> rs;
        const std::size_t n = 1 + rng() % 30, max = 1 + rng() % 8;
        const unsigned slots = 1 + rng() % 4;
        for (std::size_t i = 0; i < n; ++i)
            rs.push_back(rng() % 3 == 0 ? order()
                                        : trade(static_cast<std::int64_t>(rng() % slots)));
        auto want = fewest_blocks(rs, max);
        auto got = split_points(rs, static_cast<std::uint32_t>(max));
        INFO("round " << round << " n " << n << " max " << max);
        REQUIRE(static_cast<bool>(got) == want.has_value());
        // The same records read in batches of any size (setm-mine --split)
        // cut in the same places.
        std::vector<std::vector<Record>> batches;
        for (std::size_t i = 0; i < n;) {
            const std::size_t k = std::min(n - i, std::size_t{1} + rng() % 5);
            batches.emplace_back(rs.begin() + static_cast<std::ptrdiff_t>(i),
                                 rs.begin() + static_cast<std::ptrdiff_t>(i + k));
            i += k;
        }
        std::size_t bad_flat = n, bad_batches = n;
        auto flat = split_points(rs, static_cast<std::uint32_t>(max), &bad_flat);
        auto in_batches = split_points(batches, static_cast<std::uint32_t>(max), &bad_batches);
        REQUIRE(static_cast<bool>(in_batches) == static_cast<bool>(flat));
        CHECK(bad_batches == bad_flat);
        if (flat) CHECK(*in_batches == *flat);
        if (!got) continue;
        CHECK(got->size() == *want);
        std::size_t start = 0;
        for (std::size_t end : *got) {
            CHECK(end > start);
            CHECK(end - start <= max);
            CHECK(cut_allowed(rs, end));
            start = end;
        }
        CHECK(start == n);
    }
}
