// Hand-overs (issue 16, point 3): a participant handed over to a new key
// keeps its history under its first key's id, the old key revoked in the
// same block; a renewal with another meter frees the old meter from its
// start (setm(7), HAND-OVERS). The rule, its refusals, and a property test
// of the key history against a brute-force model.
#include "fixtures.hpp"

#include <map>
#include <random>
#include <set>
#include <utility>

#include "metering.hpp"
#include "statement.hpp"

using namespace setm;
using namespace setm::test;

namespace {

Signed<Handover> handover(const TestChain& c, const SecretKey& from, const SecretKey& to,
                          std::int64_t time) {
    return sign_record(Handover{from.id(), to.id(), time, "key lost", c.authority.id()}, c.id,
                       c.authority.seed);
}

// The new key's credential, from `time`, with `serial`.
Signed<Credential> successor(const TestChain& c, const SecretKey& to, std::uint64_t serial,
                             std::int64_t time) {
    auto body = c.credential_body(to, role_producer, serial);
    body.valid_from = time;
    return c.admit(body);
}

Error refused(const MemoryState& st, const std::vector<Record>& rs, std::int64_t t) {
    return must_fail(apply_records(st, rs, t, 9));
}

} // namespace

TEST_CASE("handover: the new key carries on the participant, the old one is revoked",
          "[handover][chain]") {
    TestChain c;
    MemoryState st = c.market_state();
    const SecretKey p2 = key_of(9, "producer");
    TestChain::apply(st, {handover(c, c.producer, p2, kT0), successor(c, p2, 4, kT0)}, kT0, 2);
    CHECK(must(holder_of(st, p2.id())) == c.producer.id());
    CHECK(must(holder_of(st, c.producer.id())) == c.producer.id());
    CHECK(must(holder_of(st, c.consumer.id())) == c.consumer.id());
    CHECK(must(keys_of(st, c.producer.id())) ==
          std::vector<ParticipantId>{c.producer.id(), p2.id()});
    const KeyLink old = *must(st.key_link(c.producer.id()));
    CHECK(old.next == p2.id());
    CHECK(old.replaced == 2u);
    CHECK(old.replaced_at == kT0);
    CHECK(must(active_credential(st, p2.id(), kT0)).serial == 4u);
    // The old key signs nothing from the hand-over's time on.
    const Error e = refused(st, {c.sign(c.offer_body(c.producer), c.producer)}, kT0 + 1);
    CHECK(e.reason == "wrong user");
    CHECK(e.detail.find("was revoked at") != std::string::npos);
    CHECK(apply_records(st, {c.sign(c.offer_body(p2), p2)}, kT0 + 1, 3));
}

TEST_CASE("handover: a statement counts both keys' trades under the first key's id",
          "[handover][statement]") {
    TestChain c;
    MemoryState st = c.market_state();
    const SecretKey p2 = key_of(9, "producer");
    TestChain::apply(st, {handover(c, c.producer, p2, kT0), successor(c, p2, 4, kT0)}, kT0, 2);
    const auto request = c.sign(c.request_body(c.consumer), c.consumer);
    Block b;
    for (const SecretKey* k : {&std::as_const(c.producer), &p2}) { // one trade by each key
        const auto offer = c.sign(c.offer_body(*k), *k);
        b.records.push_back(c.sign(c.trade_body(offer, request, 1000, 4300), c.agent));
    }
    StatementBuilder sb({});
    REQUIRE(sb.add_block(b, 3, st));
    const Statement s = must(sb.finish(&st));
    REQUIRE(s.totals.size() == 2); // the producer (both keys) and the consumer
    const StatementLine& seller =
        s.totals[0].participant == c.producer.id() ? s.totals[0] : s.totals[1];
    CHECK(seller.participant == c.producer.id());
    CHECK(seller.sold_wh == 2000);
    CHECK(seller.trades == 2);
    CHECK(seller.keys == std::vector<ParticipantId>{c.producer.id(), p2.id()});
    CHECK(s.balanced());
    CHECK(statement_line_json(seller, "statement-total").find("\"keys\":[") != std::string::npos);
    // The consumer was never handed over: no keys listed, as before.
    const StatementLine& buyer =
        s.totals[0].participant == c.consumer.id() ? s.totals[0] : s.totals[1];
    CHECK(buyer.keys.empty());
    CHECK(statement_line_json(buyer, "statement-total").find("keys") == std::string::npos);
}

TEST_CASE(
    "handover: the metered statement settles the new key's reading against the old key's "
    "trade",
    "[handover][metering]") {
    TestChain c;
    MemoryState st = c.market_state();
    const SecretKey p2 = key_of(9, "producer");
    TestChain::apply(st, {handover(c, c.producer, p2, kT0), successor(c, p2, 4, kT0)}, kT0, 2);
    // Traded by the old key before the hand-over, read by the new one after.
    const auto offer = c.sign(c.offer_body(c.producer), c.producer);
    const auto request = c.sign(c.request_body(c.consumer), c.consumer);
    const Trade t = c.trade_body(offer, request, 1000, 4300);
    Block b;
    b.records = {Signed<Trade>{t, {}, {}},
                 Signed<Reading>{Reading{p2.id(), "m-p", t.slot, 30, 1000, 0}, {}, {}},
                 Signed<Reading>{Reading{c.consumer.id(), "m-c", t.slot, 30, 0, 1000}, {}, {}}};
    MeteredBuilder mb(StatementRange{});
    REQUIRE(mb.add_block(b, 3, st));
    const MeteredStatement s = must(mb.finish());
    CHECK(s.balanced());
    CHECK(s.settled_wh == 1000); // delivered in full: one participant, two keys
    CHECK(s.imbalance_wh == 0);
    REQUIRE(s.totals.size() == 2);
    for (const MeteredLine& l : s.totals) {
        CHECK((l.participant == c.producer.id() || l.participant == c.consumer.id()));
        CHECK(l.read);
    }
}

TEST_CASE("handover: refusals", "[handover][chain]") {
    TestChain c;
    MemoryState st = c.market_state();
    const SecretKey p2 = key_of(9, "producer"), p3 = key_of(10, "producer"),
                    n = key_of(11, "newcomer");
    SECTION("a participant that does not exist") {
        CHECK(refused(st, {handover(c, n, p2, kT0), successor(c, p2, 4, kT0)}, kT0).reason ==
              "unknown participant");
    }
    SECTION("the same key") {
        CHECK(refused(st, {handover(c, c.producer, c.producer, kT0)}, kT0).reason ==
              "bad hand-over");
    }
    SECTION("a new key already registered, or already a successor in the block") {
        CHECK(refused(st, {handover(c, c.producer, c.consumer, kT0)}, kT0).reason ==
              "already registered");
        CHECK(refused(st,
                      {handover(c, c.producer, p2, kT0), successor(c, p2, 4, kT0),
                       handover(c, c.consumer, p2, kT0)},
                      kT0)
                  .reason == "already registered");
    }
    SECTION("the hand-over alone, or its credential first") {
        CHECK(refused(st, {handover(c, c.producer, p2, kT0)}, kT0).reason ==
              "incomplete hand-over");
        CHECK(
            refused(st, {successor(c, p2, 4, kT0), handover(c, c.producer, p2, kT0)}, kT0).reason ==
            "already registered");
    }
    SECTION("a credential that does not start at the hand-over's time") {
        CHECK(refused(st, {handover(c, c.producer, p2, kT0), successor(c, p2, 4, kT0 + 60)}, kT0)
                  .reason == "gap in hand-over");
    }
    SECTION("a chain of replacements in one block") {
        CHECK(refused(st,
                      {handover(c, c.producer, p2, kT0), successor(c, p2, 4, kT0),
                       handover(c, p2, p3, kT0), successor(c, p3, 5, kT0)},
                      kT0)
                  .reason == "chain of replacements");
    }
    SECTION("already replaced, and a replaced key is never admitted again") {
        TestChain::apply(st, {handover(c, c.producer, p2, kT0), successor(c, p2, 4, kT0)}, kT0, 2);
        CHECK(refused(st, {handover(c, c.producer, p3, kT0 + 60), successor(c, p3, 5, kT0 + 60)},
                      kT0 + 60)
                  .reason == "already replaced");
        auto again = c.credential_body(c.producer, role_producer, 5);
        again.valid_from = kT0 + 60;
        CHECK(refused(st, {c.admit(again)}, kT0 + 60).reason == "replaced key");
        // In a later block, the new key may be handed over in turn.
        TestChain::apply(st, {handover(c, p2, p3, kT0 + 60), successor(c, p3, 5, kT0 + 60)},
                         kT0 + 60, 3);
        CHECK(must(keys_of(st, c.producer.id())) ==
              std::vector<ParticipantId>{c.producer.id(), p2.id(), p3.id()});
        CHECK(must(holder_of(st, p3.id())) == c.producer.id());
    }
    SECTION("a meter someone else holds") {
        auto q = c.credential_body(n, role_consumer, 4);
        q.meter = "M-9";
        TestChain::apply(st, {c.admit(q)}, kT0 - 30 * kMinute, 2);
        auto s = c.credential_body(p2, role_producer, 5);
        s.valid_from = kT0;
        s.meter = "M-9";
        CHECK(refused(st, {handover(c, c.producer, p2, kT0), c.admit(s)}, kT0).reason ==
              "meter taken");
    }
}

TEST_CASE("handover: the old key's meter passes to the new key", "[handover][chain]") {
    TestChain c;
    MemoryState st = c.empty_state();
    auto p = c.credential_body(c.producer, role_producer, 1);
    p.meter = "M-1";
    TestChain::apply(st, {c.admit(p)}, kT0 - kHour, 1);
    const SecretKey p2 = key_of(9, "producer");
    auto s = c.credential_body(p2, role_producer, 2);
    s.valid_from = kT0;
    s.meter = "M-1";
    CHECK(apply_records(st, {handover(c, c.producer, p2, kT0), c.admit(s)}, kT0, 2));
}

TEST_CASE("handover: a renewal with a new meter frees the old one from its start",
          "[handover][meter]") {
    TestChain c;
    MemoryState st = c.empty_state();
    auto p = c.credential_body(c.producer, role_producer, 1);
    p.meter = "M-1";
    TestChain::apply(st, {c.admit(p)}, kT0 - kHour, 1);
    auto renewal = p;
    renewal.serial = 2;
    renewal.meter = "M-2";
    renewal.valid_from = kT0 + kHour;
    renewal.valid_until = p.valid_until + kDay;
    TestChain::apply(st, {c.admit(renewal)}, kT0 - 30 * kMinute, 2);
    auto other = c.credential_body(c.consumer, role_consumer, 3);
    other.meter = "M-1";
    other.valid_from = kT0 + kHour - 1; // before the renewal starts: still the producer's
    CHECK(refused(st, {c.admit(other)}, kT0).reason == "meter taken");
    other.valid_from = kT0 + kHour;
    CHECK(apply_records(st, {c.admit(other)}, kT0, 3));
    // The new meter is taken from the renewal's start too.
    auto third = c.credential_body(c.agent, role_agent, 4);
    third.meter = "M-2";
    CHECK(refused(st, {c.admit(third)}, kT0).reason == "meter taken");
}

TEST_CASE("handover: the key history agrees with a brute-force model", "[handover][property]") {
    std::mt19937_64 rng(1616);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    std::vector<SecretKey> pool;
    for (std::uint8_t k = 0; k < 8; ++k) pool.push_back(key_of(20 + k, "k" + std::to_string(k)));
    std::size_t accepted = 0, refusals = 0;
    for (int round = 0; round < 30; ++round) {
        TestChain c;
        MemoryState st = c.empty_state();
        // The model: which keys the chain knows, which are replaced, and
        // each key's participant (its first key).
        std::set<int> known, replaced;
        std::map<int, int> holder;
        std::uint64_t serial = 1, height = 1;
        std::int64_t t = kT0;
        for (int k = 0; k < 3; ++k) { // three first keys
            TestChain::apply(st, {c.admit(pool[k], role_producer, serial++)}, t, height++);
            known.insert(k);
            holder[k] = k;
        }
        for (int step = 0; step < 12; ++step) {
            t += kMinute;
            const int from = pick(0, 7), to = pick(0, 7);
            const bool ok =
                from != to && known.count(from) && !replaced.count(from) && !known.count(to);
            auto d = apply_records(
                st, {handover(c, pool[from], pool[to], t), successor(c, pool[to], serial, t)}, t,
                height);
            REQUIRE(static_cast<bool>(d) == ok);
            if (!ok) {
                ++refusals;
                continue;
            }
            st.merge(*d, height++);
            ++serial;
            ++accepted;
            known.insert(to);
            replaced.insert(from);
            holder[to] = holder[from];
            for (int k = 0; k < 8; ++k) {
                if (!known.count(k)) continue;
                REQUIRE(must(holder_of(st, pool[k].id())) == pool[holder[k]].id());
                REQUIRE(static_cast<bool>(active_credential(st, pool[k].id(), t)) ==
                        !replaced.count(k));
            }
            // keys_of walks from the first key to the one in use.
            const auto keys = must(keys_of(st, pool[holder[to]].id()));
            REQUIRE(keys.back() == pool[to].id());
            for (const auto& k : keys) REQUIRE(must(holder_of(st, k)) == pool[holder[to]].id());
        }
    }
    CHECK(accepted > 20);
    CHECK(refusals > 100);
}
