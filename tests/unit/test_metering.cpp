// Meter readings and the metered settlement (issue 14, point 1): the
// reading and tariff rules, pro_rata against a brute-force reference, the
// capping of trades by readings, and a metered statement that balances.
#include <algorithm>
#include <numeric>
#include <random>
#include <sstream>

#include "authority.hpp"
#include "fixtures.hpp"
#include "metering.hpp"
#include "negotiation.hpp"
#include "orders.hpp"

using namespace setm;
using namespace setm::test;

namespace {

constexpr std::int64_t kSlot = kT0 + 2 * kHour;
constexpr std::int64_t kAfter = kSlot + 30 * kMinute; // the slot is over

// A chain whose producer reads meter "m-p" and consumer "m-c", both rated
// 5 kWh a slot.
struct Metered {
    TestChain c;
    MemoryState st;
    std::uint64_t height = 1;
    Metered() : st(c.empty_state()) {
        Credential p = c.credential_body(c.producer, role_producer, 1);
        Credential q = c.credential_body(c.consumer, role_consumer, 2);
        p.meter = "m-p";
        q.meter = "m-c";
        p.max_energy_wh = q.max_energy_wh = 5000;
        TestChain::apply(st, {c.admit(p), c.admit(q), c.admit(c.agent, role_agent, 3)}, kT0 - kHour,
                         1);
    }
    Signed<Reading> reading(const SecretKey& by, const std::string& meter, std::int64_t delivered,
                            std::int64_t consumed, std::int64_t slot = kSlot) const {
        return make_reading(by, c.id, meter, slot, 30, delivered, consumed);
    }
    Status apply(const std::vector<Record>& block, std::int64_t t) {
        auto d = apply_records(st, block, t, height + 1);
        if (!d) return d.error();
        st.merge(d.value(), ++height);
        return ok_status();
    }
};

std::string reason_of(Status s) { return s ? std::string() : s.error().reason; }

// The reference for pro_rata: every way of rounding up exactly `left` of
// the shares, keeping the one with the largest sum of remainders, and of
// those the one whose rounded-up indices come first.
std::vector<std::int64_t> brute_pro_rata(std::int64_t total, const std::vector<std::int64_t>& w) {
    const std::int64_t sum = std::accumulate(w.begin(), w.end(), std::int64_t{0});
    std::vector<std::int64_t> floor(w.size()), rest(w.size());
    if (sum == 0) return floor;
    std::int64_t given = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        floor[i] = total * w[i] / sum;
        rest[i] = total * w[i] % sum;
        given += floor[i];
    }
    const std::int64_t left = total - given;
    std::vector<std::int64_t> best;
    std::int64_t best_rest = -1;
    for (unsigned mask = 0; mask < (1u << w.size()); ++mask) {
        if (__builtin_popcount(mask) != left) continue;
        std::int64_t r = 0;
        for (std::size_t i = 0; i < w.size(); ++i)
            if (mask & (1u << i)) r += rest[i];
        std::vector<std::int64_t> x = floor;
        for (std::size_t i = 0; i < w.size(); ++i)
            if (mask & (1u << i)) ++x[i];
        // Masks go up in value; the first with the best sum rounds up the
        // lowest indices only if compared by index lists: do so.
        auto indices = [&](const std::vector<std::int64_t>& v) {
            std::vector<std::size_t> out;
            for (std::size_t i = 0; i < v.size(); ++i)
                if (v[i] != floor[i]) out.push_back(i);
            return out;
        };
        if (r > best_rest || (r == best_rest && indices(x) < indices(best))) {
            best_rest = r;
            best = x;
        }
    }
    return best;
}

} // namespace

TEST_CASE("metering: pro_rata shares exactly, largest remainder first, ties to the lower index",
          "[metering]") {
    CHECK(pro_rata(10, {1, 1, 1}) == std::vector<std::int64_t>{4, 3, 3});
    CHECK(pro_rata(1500, {1000, 1000}) == std::vector<std::int64_t>{750, 750});
    CHECK(pro_rata(1001, {2000, 1000}) == std::vector<std::int64_t>{667, 334});
    CHECK(pro_rata(0, {5, 7}) == std::vector<std::int64_t>{0, 0});
    CHECK(pro_rata(5, {0, 0}) == std::vector<std::int64_t>{0, 0});
    CHECK(pro_rata(7, {}).empty());
    // Large values: total x weight beyond int64, still exact.
    const std::int64_t tw = 1'000'000'000'000;
    CHECK(pro_rata(tw - 1, {tw, tw, tw}) ==
          std::vector<std::int64_t>{333333333333, 333333333333, 333333333333});
}

TEST_CASE("metering: pro_rata agrees with a brute-force reference on random inputs",
          "[metering][property]") {
    std::mt19937_64 rng(14);
    for (int round = 0; round < 3000; ++round) {
        const std::size_t n = 1 + rng() % 7;
        std::vector<std::int64_t> w(n);
        for (auto& x : w) x = static_cast<std::int64_t>(rng() % (round % 3 == 0 ? 4 : 5000));
        const std::int64_t sum = std::accumulate(w.begin(), w.end(), std::int64_t{0});
        const std::int64_t total = sum == 0 ? 0 : static_cast<std::int64_t>(rng() % (sum + 1));
        const auto got = pro_rata(total, w);
        INFO("round " << round << " total " << total);
        REQUIRE(got == brute_pro_rata(total, w));
        if (sum == 0) continue;
        CHECK(std::accumulate(got.begin(), got.end(), std::int64_t{0}) == total);
        for (std::size_t i = 0; i < n; ++i) {
            CHECK(got[i] <= w[i]);
            CHECK(std::abs(got[i] * sum - total * w[i]) < sum);
        }
    }
}

TEST_CASE("metering: settle_slot caps each trade by its seller's and buyer's shares",
          "[metering]") {
    const ParticipantId s{1}, s2{2}, b{3}, b2{4};
    const std::vector<MeteredTrade> trades = {
        {s, b, 2000, 40, 0}, {s, b2, 1000, 40, 0}, {s2, b, 1000, 38, 0}};
    // Every meter covers its trades: all settle in full.
    std::map<ParticipantId, MeterRead> reads = {
        {s, {3000, 0}}, {s2, {1500, 0}}, {b, {0, 3500}}, {b2, {0, 1000}}};
    CHECK(settle_slot(trades, reads) == std::vector<std::int64_t>{2000, 1000, 1000});
    // s delivered 1.5 of its 3 kWh: its trades share it 1000/500; b2
    // consumed 400: its one trade is capped there.
    reads[s] = {1500, 0};
    reads[b2] = {0, 400};
    CHECK(settle_slot(trades, reads) == std::vector<std::int64_t>{1000, 400, 1000});
    // No reading of s2: nothing delivered; no reading of b: not capped.
    reads.erase(s2);
    reads.erase(b);
    CHECK(settle_slot(trades, reads) == std::vector<std::int64_t>{1000, 400, 0});
}

TEST_CASE("metering: settled energy never exceeds a trade, a delivery or a consumption",
          "[metering][property]") {
    std::mt19937_64 rng(141);
    for (int round = 0; round < 500; ++round) {
        std::vector<MeteredTrade> trades;
        const std::size_t n = 1 + rng() % 8;
        for (std::size_t i = 0; i < n; ++i) {
            const ParticipantId seller{static_cast<std::uint8_t>(rng() % 3)};
            const ParticipantId buyer{static_cast<std::uint8_t>(10 + rng() % 3)};
            trades.push_back({seller, buyer, static_cast<std::int64_t>(1 + rng() % 3000), 40, 0});
        }
        std::map<ParticipantId, MeterRead> reads;
        for (std::uint8_t p : {0, 1, 2, 10, 11, 12})
            if (rng() % 4)
                reads[ParticipantId{p}] = {static_cast<std::int64_t>(rng() % 6000),
                                           static_cast<std::int64_t>(rng() % 6000)};
        const auto settled = settle_slot(trades, reads);
        std::map<ParticipantId, std::int64_t> sold, bought;
        for (std::size_t i = 0; i < n; ++i) {
            CHECK(settled[i] >= 0);
            CHECK(settled[i] <= trades[i].energy_wh);
            sold[trades[i].seller] += settled[i];
            bought[trades[i].buyer] += settled[i];
        }
        for (const auto& [p, e] : sold) CHECK(e <= (reads.count(p) ? reads[p].delivered_wh : 0));
        for (const auto& [p, e] : bought)
            if (reads.count(p)) CHECK(e <= reads[p].consumed_wh);
    }
}

TEST_CASE("metering: a reading by its meter's holder once its slot is over", "[metering][rules]") {
    Metered m;
    const auto r = m.reading(m.c.producer, "m-p", 1500, 200);
    CHECK(reason_of(m.apply({r}, kSlot + 29 * kMinute)) == "slot not over");
    REQUIRE(m.apply({r}, kAfter));
    CHECK(must(m.st.reading("m-p", kSlot)) == r.id());
    CHECK_FALSE(must(m.st.reading("m-p", kSlot + 30 * kMinute)));
    // One reading per meter and slot.
    CHECK(reason_of(m.apply({m.reading(m.c.producer, "m-p", 1400, 200)}, kAfter)) ==
          "duplicate reading");
    // The next slot's is another.
    CHECK(m.apply({m.reading(m.c.producer, "m-p", 0, 0, kSlot + 30 * kMinute)}, kAfter + kHour));
}

TEST_CASE("metering: readings of another's meter, of no meter, above the rating, misaligned",
          "[metering][rules]") {
    Metered m;
    CHECK(reason_of(m.apply({m.reading(m.c.producer, "m-c", 0, 100)}, kAfter)) == "foreign meter");
    CHECK(reason_of(m.apply({m.reading(m.c.producer, "nope", 0, 100)}, kAfter)) == "unknown meter");
    CHECK(reason_of(m.apply({m.reading(m.c.agent, "", 0, 100)}, kAfter)) == "unknown meter");
    CHECK(reason_of(m.apply({m.reading(m.c.consumer, "m-c", 0, 5001)}, kAfter)) == "over rating");
    CHECK(m.apply({m.reading(m.c.consumer, "m-c", 0, 5000)}, kAfter)); // the rating itself
    CHECK(reason_of(m.apply({m.reading(m.c.producer, "m-p", 1, 0, kSlot + 60)}, kAfter)) ==
          "bad slot");
    // Signed by someone else than the participant it names: wrong user.
    Signed<Reading> forged = m.reading(m.c.producer, "m-p", 0, 0);
    forged.signature = sign_record(forged.body, m.c.id, m.c.consumer.seed).signature;
    CHECK(reason_of(m.apply({forged}, kAfter)) == "wrong user");
}

TEST_CASE("metering: a tariff is the authority's and prices only slots to come",
          "[metering][rules]") {
    Metered m;
    const Tariff t{10000, kSlot, kT0, m.c.authority.id()};
    CHECK(m.apply({sign_record(t, m.c.id, m.c.authority.seed)}, kT0));
    CHECK(reason_of(m.apply({sign_record(Tariff{5, kT0 - kHour, kT0, m.c.authority.id()}, m.c.id,
                                         m.c.authority.seed)},
                            kT0)) == "retroactive tariff");
    // By anyone else: wrong user, and issue_tariff says so before signing.
    CHECK(reason_of(m.apply(
              {sign_record(Tariff{5, kSlot, kT0, m.c.producer.id()}, m.c.id, m.c.producer.seed)},
              kT0)) == "wrong user");
    CHECK(must_fail(issue_tariff(m.st, m.c.producer, 5, kSlot, kT0)).reason == "not the authority");
    CHECK(must(issue_tariff(m.st, m.c.authority, 5, kSlot, kT0)).body.imbalance_price == 5);
}

TEST_CASE("metering: the metered statement settles the delivered energy and balances",
          "[metering][statement]") {
    const ParticipantId p{1}, q{2}, op{9};
    // Built by hand: two trades of one slot, a tariff, readings.
    Trade t1, t2;
    t1.seller = t2.seller = p;
    t1.buyer = t2.buyer = q;
    t1.slot = t2.slot = kSlot;
    t1.energy_wh = 2000;
    t1.price = 4000;
    t2.energy_wh = 1000;
    t2.price = 3800;
    t2.fee_price = 50;
    TestChain c(0, [](Genesis& g) { g.grid_operator = ParticipantId{9}; });
    MemoryState st = c.empty_state();
    Block b;
    b.records = {Signed<Trade>{t1, {}, {}}, Signed<Trade>{t2, {}, {}},
                 Signed<Tariff>{Tariff{10000, kSlot, kT0, {}}, {}, {}},
                 Signed<Reading>{Reading{p, "m-p", kSlot, 30, 1500, 0}, {}, {}},
                 Signed<Reading>{Reading{q, "m-c", kSlot, 30, 0, 3000}, {}, {}}};
    MeteredBuilder mb(StatementRange{});
    REQUIRE(mb.add_block(b, 2, st));
    const MeteredStatement s = must(mb.finish());
    REQUIRE(s.balanced());
    CHECK(s.traded_wh == 3000);
    CHECK(s.settled_wh == 1500); // p delivered half: 1000 + 500
    CHECK(s.paid == 1000 * 4000 + 500 * (3800 + 50));
    CHECK(s.received == 1000 * 4000 + 500 * 3800);
    CHECK(s.fees_received == 500 * 50);
    REQUIRE(s.lines.size() == 3); // p, q and the operator
    const MeteredLine& lp = s.lines[0];
    const MeteredLine& lq = s.lines[1];
    CHECK(lp.participant == p);
    CHECK(lp.imbalance_wh == 0);
    CHECK(lq.participant == q);
    CHECK(lq.imbalance_wh == -1500); // consumed 3 kWh, settled 1.5 kWh
    CHECK(lq.imbalance == -1500 * 10000);
    CHECK(s.lines[2].participant == op);
    CHECK(s.lines[2].grid_imbalance == 1500 * 10000);
    CHECK(s.imbalance + s.grid_imbalance == 0);
}

TEST_CASE(
    "metering: the agent's batch admits readings: new ones once, early ones carried, ones on "
    "the chain skipped, refused ones rejected by name",
    "[metering][negotiation]") {
    Metered m;
    const auto on_chain = m.reading(m.c.producer, "m-p", 1500, 0);
    REQUIRE(m.apply({on_chain}, kAfter));
    const auto fresh = m.reading(m.c.consumer, "m-c", 0, 800);
    const auto dup = m.reading(m.c.producer, "m-p", 1400, 0);
    const auto early = m.reading(m.c.consumer, "m-c", 0, 100, kSlot + 30 * kMinute);
    const std::vector<LineRecord> in{{on_chain, 1}, {fresh, 2}, {dup, 3}, {early, 4}, {fresh, 5}};
    BatchOptions opt;
    opt.market = chain_market(m.st.genesis());
    opt.now = kAfter + kMinute; // the next slot, `early`'s, ends at kAfter + 30 minutes
    opt.skip_invalid = true;
    const BatchResult r = must(run_batch(m.st, m.c.agent, in, opt));
    REQUIRE(r.readings.size() == 1);
    CHECK(record_id(r.readings[0]) == fresh.id());
    REQUIRE(r.early_readings.size() == 1);
    CHECK(record_id(r.early_readings[0]) == early.id());
    REQUIRE(r.rejected.size() == 1);
    CHECK(r.rejected[0].line == 3);
    CHECK(r.rejected[0].type == "reading");
    CHECK(r.rejected[0].error.reason == "duplicate reading");
    CHECK(r.new_orders().empty());
    CHECK(r.trades.empty());
    // Once every line passes, the block check_input built is the batch's.
    const BatchResult good = must(run_batch(m.st, m.c.agent, {{fresh, 1}, {early, 2}}, opt));
    CHECK(good.readings.size() == 1);
    CHECK(good.early_readings.size() == 1);
    // Without --skip-invalid the refused reading stops the batch.
    opt.skip_invalid = false;
    CHECK(must_fail(run_batch(m.st, m.c.agent, in, opt)).reason == "duplicate reading");
}

TEST_CASE(
    "metering: the agent's batch read from a stream a batch of lines at a time admits what the "
    "whole input does: a record repeated in a later batch of lines once, a refused line there "
    "stops it with the same error",
    "[metering][negotiation]") {
    Metered m;
    const auto on_chain = m.reading(m.c.producer, "m-p", 1500, 0);
    REQUIRE(m.apply({on_chain}, kAfter));
    const auto fresh = m.reading(m.c.consumer, "m-c", 0, 800);
    const auto early = m.reading(m.c.consumer, "m-c", 0, 100, kSlot + 30 * kMinute);
    std::vector<LineRecord> in;
    std::string text;
    auto add = [&](const Record& r) {
        in.push_back({r, in.size() + 1});
        text += to_json(r) + "\n";
    };
    add(fresh);
    add(early);
    for (int i = 0; i < 4100; ++i) add(on_chain); // skipped: on the chain; the next batch of lines
    add(fresh);
    add(early);
    BatchOptions opt;
    opt.market = chain_market(m.st.genesis());
    opt.now = kAfter + kMinute;
    const BatchResult whole = must(run_batch(m.st, m.c.agent, in, opt));
    std::istringstream lines(text);
    const BatchResult streamed = must(run_batch(m.st, m.c.agent, lines, opt));
    REQUIRE(streamed.readings.size() == 1);
    CHECK(record_id(streamed.readings[0]) == fresh.id());
    REQUIRE(streamed.early_readings.size() == 1);
    CHECK(record_id(streamed.early_readings[0]) == early.id());
    CHECK(whole.readings.size() == 1);
    CHECK(whole.early_readings.size() == 1);
    CHECK(streamed.block->records == whole.block->records);
    add(m.reading(m.c.producer, "m-p", 1400, 0)); // a second reading of the meter's slot
    const Error e = must_fail(run_batch(m.st, m.c.agent, in, opt));
    std::istringstream again(text);
    const Error f = must_fail(run_batch(m.st, m.c.agent, again, opt));
    CHECK(e.reason == "duplicate reading");
    CHECK(f.message() == e.message());
    CHECK(f.line == e.line);
}

TEST_CASE(
    "metering: the agent's batch read from a stream in batches of any size names the first line "
    "that fails, as a brute-force walk of the lines does: a bad signature still being verified "
    "when a later batch holds a refused order or bad JSON comes first",
    "[metering][negotiation][property]") {
    Metered m;
    BatchOptions opt;
    opt.market = chain_market(m.st.genesis());
    opt.now = kT0;
    opt.threads = 2; // the pool verifies a batch while the next one is read
    auto offer = [&](std::size_t i, std::uint64_t nonce, std::int64_t wh) {
        Offer o = m.c.offer_body(m.c.producer, nonce);
        o.slot = kSlot + static_cast<std::int64_t>(i) * 30 * kMinute; // a slot each: no limit
        o.expires = o.slot;
        o.energy_wh = wh;
        return m.c.sign(o, m.c.producer);
    };
    // What a rule says of an order over the producer's 5 kWh, whatever its line.
    const std::string over_limit =
        must_fail(run_batch(m.st, m.c.agent, {{offer(0, 1, 6000), 1}}, opt)).reason;
    std::mt19937 rng(20261204);
    for (int round = 0; round < 300; ++round) {
        const std::size_t n = 1 + rng() % 14;
        std::string text;
        std::vector<LineRecord> lines; // the records given, without bad JSON
        std::optional<std::pair<std::size_t, std::string>> first; // line, reason
        bool json_bad = false;
        for (std::size_t i = 0; i < n && !json_bad; ++i) {
            const unsigned kind = rng() % 10; // 0: bad signature, 1: over the limit, 2: bad JSON
            const std::size_t line = i + 1;
            if (kind == 2) {
                text += "{]\n";
                json_bad = true;
                if (!first) first = {{line, "bad JSON"}};
                break;
            }
            auto o = offer(i, static_cast<std::uint64_t>(round) * 100 + i, kind == 1 ? 6000 : 100);
            if (kind == 0) o.signature[7] ^= 0x20;
            if (kind == 0 && !first) first = {{line, "wrong user"}};
            if (kind == 1 && !first) first = {{line, over_limit}};
            text += to_json(Record(o)) + "\n";
            lines.push_back({o, line});
        }
        opt.stream_batch_lines = 1 + rng() % 5;
        std::istringstream in(text);
        const auto streamed = run_batch(m.st, m.c.agent, in, opt);
        INFO("round " << round << ", " << n << " lines, batches of " << opt.stream_batch_lines);
        if (!first) {
            REQUIRE(streamed.ok());
            CHECK(streamed.value().block->orders.size() == lines.size());
            continue;
        }
        REQUIRE(!streamed.ok());
        CHECK(streamed.error().line == first->first);
        CHECK(streamed.error().reason == first->second);
        if (json_bad) continue;
        // The whole input at once (check_input, no pool) agrees.
        const Error whole = must_fail(run_batch(m.st, m.c.agent, lines, opt));
        CHECK(whole.message() == streamed.error().message());
        CHECK(whole.line == streamed.error().line);
    }
}
