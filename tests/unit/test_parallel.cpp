// Work on every core (issue 12, point 2): parallel_for, a signing key
// prepared once, signatures checked once per process, records decoded on
// several threads: every result is the serial one, whatever the threads.
#include <catch2/catch.hpp>

#include <atomic>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "orders.hpp"
#include "parallel.hpp"
#include "record_stream.hpp"

using namespace setm;
using namespace setm::test;

TEST_CASE("parallel: every item once, on workers below the thread count", "[parallel]") {
    for (std::size_t n : {0u, 1u, 5u, 64u, 1000u})
        for (unsigned threads : {0u, 1u, 2u, 3u, 8u})
            for (std::size_t chunk : {0u, 1u, 7u, 64u}) {
                INFO(n << " items, " << threads << " threads, chunk " << chunk);
                std::vector<std::atomic<int>> hits(n);
                std::atomic<unsigned> worst{0};
                parallel_for_workers(
                    n, threads,
                    [&](unsigned w, std::size_t i) {
                        ++hits[i];
                        for (unsigned seen = worst;
                             w > seen && !worst.compare_exchange_weak(seen, w);) {
                        }
                    },
                    chunk);
                for (std::size_t i = 0; i < n; ++i) REQUIRE(hits[i] == 1);
                CHECK(worst < std::max(threads, 1u));
            }
}

TEST_CASE("parallel: an exception in a worker reaches the caller", "[parallel]") {
    for (unsigned threads : {1u, 2u, 4u}) {
        std::atomic<int> done{0};
        CHECK_THROWS_AS(parallel_for(
                            500, threads,
                            [&](std::size_t i) {
                                if (i == 321) throw std::runtime_error("item 321");
                                ++done;
                            },
                            8),
                        std::runtime_error);
        CHECK(done < 500);
    }
}

TEST_CASE("parallel: a key prepared once signs as ed25519_sign does", "[parallel][crypto]") {
    const Seed seed = seed_of(9);
    const Ed25519Signer key(seed);
    for (std::size_t len : {0u, 1u, 64u, 300u}) {
        Bytes m(len);
        for (std::size_t i = 0; i < len; ++i) m[i] = static_cast<std::uint8_t>(i * 7 + len);
        const Signature s = key.sign(m);
        CHECK(s == ed25519_sign(seed, m));
        CHECK(ed25519_verify(ed25519_public(seed), m, s));
    }
    TestChain c;
    const Offer o = c.offer_body(c.producer, 5);
    const auto prepared = sign_record(o, c.id, Ed25519Signer(c.producer.seed));
    CHECK(prepared.signature == sign_record(o, c.id, c.producer.seed).signature);
}

TEST_CASE("parallel: a profile signed with the key prepared once is the same bytes",
          "[parallel][crypto][orders]") {
    TestChain c;
    const Ed25519Signer producer(c.producer.seed), consumer(c.consumer.seed);
    for (std::uint64_t n = 0; n < 4; ++n) {
        OrderTerms t;
        t.slot = kT0 + 2 * kHour + static_cast<std::int64_t>(n) * 30 * kMinute;
        t.energy_wh = 1000 + static_cast<std::int64_t>(n);
        t.price = 40'000;
        t.zone = "north";
        t.nonce = n;
        const Record a = make_offer(c.producer, producer, c.id, t);
        CHECK(to_json(a) == to_json(Record(make_offer(c.producer, c.id, t))));
        const Record b = make_request(c.consumer, consumer, c.id, t);
        CHECK(to_json(b) == to_json(Record(make_request(c.consumer, c.id, t))));
        const auto r = make_reading(c.producer, c.id, "m", t.slot, 30, 5, 1, &producer);
        CHECK(r.signature == make_reading(c.producer, c.id, "m", t.slot, 30, 5, 1).signature);
    }
}

TEST_CASE("parallel: signatures checked once, remembered only when good", "[parallel][sig]") {
    TestChain c;
    std::vector<Record> recs;
    for (std::uint64_t n = 0; n < 40; ++n)
        recs.push_back(c.sign(c.offer_body(c.producer, n), c.producer));
    Record forged = recs[7];
    std::get<Signed<Offer>>(forged).signature[5] ^= 1;
    DeferredSignatures d;
    for (std::size_t i = 0; i < recs.size(); ++i)
        d.add(i, i == 7 ? forged : recs[i], c.producer.ed25519);
    for (unsigned threads : {1u, 2u, 4u}) {
        CheckedSignatures checked;
        REQUIRE(d.verify(threads, &checked) == std::optional<std::size_t>(7));
        CHECK(checked.size() == 39); // the forged one is not remembered
        // The second pass trusts what the first found good and checks the rest.
        CHECK(d.verify(threads, &checked) == std::optional<std::size_t>(7));
        CHECK(checked.size() == 39);
    }
    // What is remembered is (id, key, signature): the same record under
    // another key, or another signature, is checked again.
    CheckedSignatures checked;
    DeferredSignatures good;
    good.add(0, recs[0], c.producer.ed25519);
    REQUIRE_FALSE(good.verify(1, &checked));
    DeferredSignatures other_key;
    other_key.add(3, recs[0], c.consumer.ed25519);
    CHECK(other_key.verify(1, &checked) == std::optional<std::size_t>(3));
    const auto& s = std::get<Signed<Offer>>(recs[0]);
    CHECK(checked.contains(s.id(), c.producer.ed25519, s.signature));
    CHECK_FALSE(checked.contains(s.id(), c.consumer.ed25519, s.signature));
}

TEST_CASE("parallel: records decoded on several threads, the same records and errors",
          "[parallel][stream]") {
    TestChain c;
    std::string text;
    const std::size_t n = 9000; // more than one batch of 4096
    for (std::uint64_t k = 0; k < n; ++k)
        text += to_json(Record(c.sign(c.offer_body(c.producer, k), c.producer))) + "\n";
    std::vector<std::vector<LineRecord>> got;
    for (unsigned threads : {1u, 2u, 5u}) {
        std::istringstream in(text);
        got.push_back(must(read_records(in, threads)));
        REQUIRE(got.back().size() == n);
        for (std::size_t i = 0; i < n; ++i) {
            REQUIRE(got.back()[i].line == i + 1);
            REQUIRE(record_id(got.back()[i].record) == record_id(got.front()[i].record));
        }
    }
    // A bad record at line 5000 and stray text at line 8000: the first wins,
    // as when reading one by one.
    std::string bad = text;
    auto line_start = [](const std::string& s, std::size_t line) {
        std::size_t at = 0;
        for (std::size_t l = 1; l < line; ++l) at = s.find('\n', at) + 1;
        return at;
    };
    bad.insert(line_start(bad, 8000), "nonsense\n");
    bad.insert(line_start(bad, 5000), "{\"type\":\"offer\"}\n");
    for (unsigned threads : {1u, 2u, 5u}) {
        std::istringstream in(bad);
        auto r = read_records(in, threads);
        REQUIRE_FALSE(r);
        CHECK(r.error().line == 5000);
    }
    std::string stray = text;
    stray.insert(0, "{}");
    stray.insert(line_start(stray, 3), "x\n");
    std::istringstream in(stray);
    auto r = read_records(in, 2);
    REQUIRE_FALSE(r);
    CHECK(r.error().line == 1); // {} is not a record: before the stray text of line 3
}
