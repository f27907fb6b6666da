// Chain rules: admission, authentication (Algorithm 1), orders, trades,
// blocks, deferred signatures, headers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "merkle.hpp"
#include "miner.hpp"
#include "rules.hpp"

using namespace setm;
using namespace setm::test;

namespace {

// The error of applying `records` as one block at time t on st.
Error refused(const MemoryState& st, const std::vector<Record>& records, std::int64_t t,
              std::size_t* bad_index = nullptr, unsigned threads = 1) {
    return must_fail(apply_records(st, records, t, 9, threads, bad_index));
}

bool accepted(const MemoryState& st, const std::vector<Record>& records, std::int64_t t) {
    auto r = apply_records(st, records, t, 9);
    if (!r) UNSCOPED_INFO(r.error().message());
    return r.ok();
}

// The rules of each record alone, applied in turn (the clearing of the
// block's slots is tested on its own below).
bool rules_accept(const StateReader& st, const std::vector<Record>& records, std::int64_t t) {
    StateDelta d(st);
    for (const auto& r : records)
        if (Status s = apply_record(d, r, t, 9); !s) {
            UNSCOPED_INFO(s.error().message());
            return false;
        }
    return true;
}

// Applies records by their own rules alone, or the test fails.
void apply_rules(MemoryState& st, const std::vector<Record>& records, std::int64_t t,
                 std::uint64_t height) {
    StateDelta d(st);
    for (const auto& r : records) REQUIRE(apply_record(d, r, t, height));
    st.merge(d, height);
}

} // namespace

// ---- admission ------------------------------------------------------------------------

TEST_CASE("chain: credentials are admitted into the registry", "[chain]") {
    TestChain c;
    MemoryState st = c.empty_state();
    const auto creds = c.admit_all();
    TestChain::apply(st, creds, kT0, 1);
    CHECK(*must(st.serial_of(c.producer.id())) == 1);
    CHECK(*must(st.serial_of(c.consumer.id())) == 2);
    CHECK(*must(st.serial_of(c.agent.id())) == 3);
    const auto e = *must(st.credential(2));
    CHECK(e.credential.body.participant == c.consumer.id());
    CHECK_FALSE(e.revoked);
    CHECK(e.height == 1);
    for (const auto& r : creds) CHECK(st.records.at(record_id(r)) == 1);
    CHECK_FALSE(must(st.serial_of(key_of(9, "x").id())).has_value());
}

TEST_CASE("chain: one active credential per key", "[chain]") {
    TestChain c;
    MemoryState st = c.market_state();
    auto again = c.credential_body(c.producer, role_producer | role_consumer, 10);
    Error e = refused(st, {c.admit(again)}, kT0);
    CHECK(e.code == Exit::bad_input);
    CHECK(e.reason == "already registered");

    // Starting when the old one ends is fine.
    auto after = again;
    after.valid_from = c.credential_body(c.producer, role_producer, 1).valid_until;
    after.valid_until = after.valid_from + kDay;
    CHECK(accepted(st, {c.admit(after)}, kT0));

    // After a revocation, a new credential is admitted (same block or later).
    CHECK(accepted(st, {c.revoke(c.producer, 1, kT0), c.admit(again)}, kT0));
    TestChain::apply(st, {c.revoke(c.producer, 1, kT0)}, kT0, 2);
    TestChain::apply(st, {c.admit(again)}, kT0 + 60, 3);
    CHECK(*must(st.serial_of(c.producer.id())) == 10);

    // A serial is used once.
    const SecretKey newcomer = key_of(9, "newcomer");
    e = refused(st, {c.admit(newcomer, role_consumer, 2)}, kT0 + 120);
    CHECK(e.reason == "duplicate serial");
}

TEST_CASE("chain: one active credential per meter", "[chain]") {
    TestChain c;
    MemoryState st = c.empty_state();
    auto p = c.credential_body(c.producer, role_producer, 1);
    p.meter = "DE-0001";
    TestChain::apply(st, {c.admit(p)}, kT0, 1);
    auto q = c.credential_body(c.consumer, role_consumer, 2);
    q.meter = "DE-0001";
    const Error e = refused(st, {c.admit(q)}, kT0);
    CHECK(e.code == Exit::bad_input);
    CHECK(e.reason == "meter taken");
    // Two in one block: the second sees the first.
    MemoryState fresh = c.empty_state();
    std::size_t bad = 99;
    CHECK(refused(fresh, {c.admit(p), c.admit(q)}, kT0, &bad).reason == "meter taken");
    CHECK(bad == 1);
    // Free again after a revocation.
    CHECK(accepted(st, {c.revoke(c.producer, 1, kT0), c.admit(q)}, kT0));
    q.meter = "DE-0002";
    CHECK(accepted(st, {c.admit(q)}, kT0));

    // Like a key, a meter is taken only while its credential lasts: the
    // holder can renew it for when the old one ends ...
    auto renewal = p;
    renewal.serial = 7;
    renewal.valid_from = p.valid_until;
    renewal.valid_until = p.valid_until + 365 * kDay;
    CHECK(accepted(st, {c.admit(renewal)}, kT0));
    // ... and another participant may take it over then, but not earlier.
    auto successor = c.credential_body(c.consumer, role_consumer, 8);
    successor.meter = "DE-0001";
    successor.valid_from = p.valid_until;
    successor.valid_until = p.valid_until + kDay;
    CHECK(accepted(st, {c.admit(successor)}, kT0));
    successor.valid_from = p.valid_until - 1;
    CHECK(refused(st, {c.admit(successor)}, kT0).reason == "meter taken");
}

TEST_CASE("chain: malformed credentials and revocations", "[chain]") {
    TestChain c;
    const MemoryState st = c.market_state();
    const SecretKey k = key_of(9, "k");
    auto body = c.credential_body(k, role_consumer, 20);

    auto b = body;
    b.participant = c.producer.id();
    CHECK(refused(st, {c.admit(b)}, kT0).reason == "bad credential");
    b = body;
    b.roles = 0;
    CHECK(refused(st, {c.admit(b)}, kT0).reason == "bad credential");
    b.roles = 16;
    CHECK(refused(st, {c.admit(b)}, kT0).reason == "bad credential");
    b.roles = role_operator; // the genesis block names no grid operator
    CHECK(refused(st, {c.admit(b)}, kT0).reason == "not the grid operator");
    b = body;
    b.valid_until = b.valid_from;
    CHECK(refused(st, {c.admit(b)}, kT0).reason == "bad credential");
    b = body;
    b.ed25519 = PublicKey{};
    b.ed25519[0] = 1; // the identity point: small order
    b.participant = participant_id(b.ed25519);
    CHECK(refused(st, {c.admit(b)}, kT0).reason == "weak key");
    CHECK(accepted(st, {c.admit(body)}, kT0));

    CHECK(refused(st, {c.revoke(k, 77, kT0)}, kT0).reason == "unknown serial");
    CHECK(refused(st, {c.revoke(k, 1, kT0)}, kT0).reason == "bad revocation");
    MemoryState st2 = c.market_state();
    TestChain::apply(st2, {c.revoke(c.producer, 1, kT0)}, kT0, 2);
    auto twice = c.revoke(c.producer, 1, kT0 + 1);
    CHECK(refused(st2, {twice}, kT0 + 10).reason == "already revoked");
}

// ---- authentication (Algorithm 1) -----------------------------------------------------

TEST_CASE("chain: a revoked participant is the wrong user", "[chain]") {
    TestChain c;
    MemoryState st = c.market_state();
    const auto offer = c.sign(c.offer_body(c.producer), c.producer);
    CHECK(accepted(st, {offer}, kT0));

    // Revoked from kT0 + 10 min: an offer placed before then still counts.
    TestChain::apply(st, {c.revoke(c.producer, 1, kT0 + 10 * kMinute)}, kT0, 2);
    CHECK(must(st.credential(1))->revoked);
    CHECK(accepted(st, {offer}, kT0 + 5 * kMinute));
    const Error e = refused(st, {offer}, kT0 + 10 * kMinute);
    CHECK(e.code == Exit::rejected);
    CHECK(e.reason == "wrong user");
    CHECK(e.detail.find("revoked") != std::string::npos);
    // Revocation and offer in the same block: the offer sees the revocation.
    MemoryState fresh = c.market_state();
    CHECK(refused(fresh, {c.revoke(c.producer, 1, kT0), offer}, kT0).reason == "wrong user");
}

TEST_CASE("chain: credentials outside their validity window", "[chain]") {
    TestChain c;
    MemoryState st = c.empty_state();
    auto p = c.credential_body(c.producer, role_producer, 1);
    p.valid_from = kT0;
    p.valid_until = kT0 + kHour;
    TestChain::apply(st, {c.admit(p)}, kT0 - 2 * kHour, 1);
    auto o = c.offer_body(c.producer);
    o.slot = kT0 + 3 * kHour;
    o.expires = kT0 + 3 * kHour;
    const auto offer = c.sign(o, c.producer);

    Error e = refused(st, {offer}, kT0 - 1);
    CHECK(e.code == Exit::rejected);
    CHECK(e.reason == "wrong user");
    CHECK(e.detail.find("not valid until") != std::string::npos);
    CHECK(accepted(st, {offer}, kT0));
    CHECK(accepted(st, {offer}, kT0 + kHour - 1));
    e = refused(st, {offer}, kT0 + kHour);
    CHECK(e.code == Exit::rejected);
    CHECK(e.detail.find("expired") != std::string::npos);
}

TEST_CASE("chain: an unregistered signer is the wrong user", "[chain]") {
    TestChain c;
    const MemoryState st = c.market_state();
    const SecretKey stranger = key_of(9, "stranger");
    const Error e = refused(st, {c.sign(c.offer_body(stranger), stranger)}, kT0);
    CHECK(e.code == Exit::rejected);
    CHECK(e.reason == "wrong user");
    CHECK(e.detail.find("not registered") != std::string::npos);
}

TEST_CASE("chain: each record needs its role", "[chain]") {
    TestChain c;
    const MemoryState st = c.market_state();
    // The consumer signs an offer, the producer a request, the consumer a trade.
    Error e = refused(st, {c.sign(c.offer_body(c.consumer), c.consumer)}, kT0);
    CHECK(e.code == Exit::rejected);
    CHECK(e.reason == "wrong user");
    CHECK(e.detail.find("no producer role") != std::string::npos);
    e = refused(st, {c.sign(c.request_body(c.producer), c.producer)}, kT0);
    CHECK(e.detail.find("no consumer role") != std::string::npos);

    const auto offer = c.sign(c.offer_body(c.producer), c.producer);
    const auto request = c.sign(c.request_body(c.consumer), c.consumer);
    auto t = c.trade_body(offer, request, 1000, 5000);
    t.agent = c.consumer.id();
    e = refused(st, {offer, request, c.sign(t, c.consumer)}, kT0);
    CHECK(e.reason == "wrong user");
    CHECK(e.detail.find("no agent role") != std::string::npos);
    // The authority is not a producer either.
    auto by_authority = c.offer_body(c.authority);
    CHECK(refused(st, {c.sign(by_authority, c.authority)}, kT0).reason == "wrong user");
}

TEST_CASE("chain: a record signed for another chain", "[chain]") {
    TestChain c;
    const MemoryState st = c.market_state();
    Hash32 other = c.id;
    other[7] ^= 1;
    const auto offer = sign_record(c.offer_body(c.producer), other, c.producer.seed);
    Error e = refused(st, {offer}, kT0);
    CHECK(e.code == Exit::rejected);
    CHECK(e.reason == "wrong chain");
    // Not bound to any chain (as identities and genesis are).
    e = refused(st, {sign_record(c.offer_body(c.producer), kNoChain, c.producer.seed)}, kT0);
    CHECK(e.reason == "wrong chain");
    CHECK(accepted(st, {sign_record(c.offer_body(c.producer), c.id, c.producer.seed)}, kT0));
}

TEST_CASE("chain: only the authority admits and revokes", "[chain]") {
    TestChain c;
    const MemoryState st = c.market_state();
    const SecretKey mallory = key_of(9, "mallory");
    auto body = c.credential_body(mallory, role_producer | role_consumer, 20);

    // Signed by mallory, claiming to be the authority: the signature fails.
    std::size_t bad = 99;
    Error e = refused(st, {sign_record(body, c.id, mallory.seed)}, kT0, &bad);
    CHECK(e.code == Exit::rejected);
    CHECK(e.reason == "wrong user");
    CHECK(e.detail.find("bad signature") != std::string::npos);
    CHECK(bad == 0);
    // Signed by the producer, naming itself as authority.
    body.authority = c.producer.id();
    e = refused(st, {sign_record(body, c.id, c.producer.seed)}, kT0);
    CHECK(e.code == Exit::rejected);
    CHECK(e.detail.find("not this chain's authority") != std::string::npos);
    // A revocation by a non-authority.
    Revocation r{1, c.producer.id(), kT0, "spite", c.authority.id()};
    e = refused(st, {sign_record(r, c.id, c.consumer.seed)}, kT0);
    CHECK(e.code == Exit::rejected);
    CHECK(e.reason == "wrong user");
    // A genesis record inside a later block.
    auto g = c.genesis.body;
    g.chain_name = "second";
    e = refused(st, {sign_record(g, c.id, c.authority.seed)}, kT0);
    CHECK(e.reason == "misplaced genesis");
}

TEST_CASE("chain: a record is applied once", "[chain]") {
    TestChain c;
    MemoryState st = c.market_state();
    const auto offer = c.sign(c.offer_body(c.producer), c.producer);
    std::size_t bad = 99;
    Error e = refused(st, {offer, offer}, kT0, &bad);
    CHECK(e.code == Exit::bad_input);
    CHECK(e.reason == "duplicate record");
    CHECK(bad == 1);
    CHECK(e.detail.find(to_hex(offer.id())) != std::string::npos);

    TestChain::apply(st, {offer}, kT0, 2);
    CHECK(refused(st, {offer}, kT0 + 60).reason == "duplicate record");
    // Credentials too, and the genesis record.
    CHECK(refused(st, {c.admit(c.producer, role_producer, 1)}, kT0 + 60).reason ==
          "duplicate record");
    CHECK(refused(st, {c.genesis}, kT0 + 60).reason == "duplicate record");
    // Same fields but another nonce: another order.
    CHECK(accepted(st, {c.sign(c.offer_body(c.producer, 2), c.producer)}, kT0 + 60));
}

// ---- orders ---------------------------------------------------------------------------

TEST_CASE("chain: offer and request rules", "[chain]") {
    TestChain c;
    MemoryState st = c.empty_state();
    auto pc = c.credential_body(c.producer, role_producer, 1);
    pc.max_energy_wh = 5000;
    TestChain::apply(st, {c.admit(pc), c.admit(c.consumer, role_consumer, 2)}, kT0 - kHour, 1);
    const Offer good = c.offer_body(c.producer);
    REQUIRE(accepted(st, {c.sign(good, c.producer)}, kT0));
    auto offer_error = [&](const std::function<void(Offer&)>& change, std::int64_t t = kT0) {
        Offer o = good;
        change(o);
        return refused(st, {c.sign(o, c.producer)}, t);
    };

    Error e = offer_error([](Offer&) {}, good.slot);
    CHECK(e.code == Exit::bad_input);
    CHECK(e.reason == "slot begun");
    CHECK(offer_error([](Offer&) {}, good.slot + 1).reason == "slot begun");
    CHECK(offer_error([](Offer& o) { o.expires = kT0; }).reason == "expired");
    CHECK(offer_error([](Offer& o) { o.energy_wh = 5001; }).reason == "over limit");
    CHECK(offer_error([](Offer& o) { o.energy_wh = 0; }).reason == "bad energy");
    CHECK(offer_error([](Offer& o) { o.zone = "south"; }).reason == "bad zone");
    CHECK(offer_error([](Offer& o) { o.slot += 60; }).reason == "bad slot");
    CHECK(offer_error([](Offer& o) { o.slot += 15 * kMinute; }).reason == "bad slot");
    CHECK(offer_error([](Offer& o) { o.slot_minutes = 60; }).reason == "bad slot");
    CHECK(offer_error([](Offer& o) { o.opening_price = o.floor_price - 1; }).reason == "bad price");
    // Exactly at the limit, and a negative floor price, are fine.
    CHECK(accepted(st,
                   {c.sign(
                       [&] {
                           Offer o = good;
                           o.energy_wh = 5000;
                           o.floor_price = -300;
                           return o;
                       }(),
                       c.producer)},
                   kT0));

    const Request rq = c.request_body(c.consumer);
    REQUIRE(accepted(st, {c.sign(rq, c.consumer)}, kT0));
    auto request_error = [&](const std::function<void(Request&)>& change) {
        Request r = rq;
        change(r);
        return refused(st, {c.sign(r, c.consumer)}, kT0);
    };
    CHECK(request_error([](Request& r) { r.opening_price = r.ceiling_price + 1; }).reason ==
          "bad price");
    CHECK(request_error([](Request& r) { r.from = {"abc"}; }).reason == "bad from");
    // Ids are compared as written: only lower-case hex can ever match.
    CHECK(request_error([](Request& r) { r.from = {std::string(32, 'z')}; }).reason == "bad from");
    CHECK(request_error([&](Request& r) {
              r.from = {"F" + participant_hex(c.producer.id()).substr(1)};
          }).reason == "bad from");
    CHECK(accepted(st,
                   {c.sign(
                       [&] {
                           Request r = rq;
                           r.from = {participant_hex(c.producer.id()), std::string(64, 'a')};
                           return r;
                       }(),
                       c.consumer)},
                   kT0));
    CHECK(request_error([](Request& r) { r.expires = kT0 - 1; }).reason == "expired");
    CHECK(request_error([](Request& r) { r.zone = "south"; }).reason == "bad zone");
    CHECK(request_error([](Request& r) { r.slot -= 4 * kHour; }).reason == "slot begun");
    // The consumer has no limit (0 = none).
    CHECK(accepted(st,
                   {c.sign(
                       [&] {
                           Request r = rq;
                           r.energy_wh = 1000000000;
                           return r;
                       }(),
                       c.consumer)},
                   kT0));
}

// ---- trades ---------------------------------------------------------------------------

namespace {

// The market after block 2: producer offer (5 kWh, floor 40.00, zone north),
// consumer request (5 kWh, ceiling 70.00, north), a second producer
// (prosumer, key 5) and a consumer in zone "south" (key 6) with orders.
// The chain's fee between zones: 10 EUR/MWh (none within a zone).
void ten_eur_between_zones(Genesis& g) { g.network_fee = 1000; }

struct Market {
    TestChain c{0, ten_eur_between_zones};
    SecretKey prosumer = key_of(5, "prosumer");
    SecretKey southerner = key_of(6, "southerner");
    Signed<Offer> offer, offer2;
    Signed<Request> request, south_request, self_request;
    MemoryState st = c.market_state();
    static constexpr std::int64_t t = kT0 + 10 * kMinute;

    Market() {
        auto south = c.credential_body(southerner, role_consumer, 6);
        south.zone = "south";
        TestChain::apply(st, {c.admit(prosumer, role_producer | role_consumer, 5), c.admit(south)},
                         kT0 - kHour, 1);
        offer = c.sign(c.offer_body(c.producer), c.producer);
        offer2 = c.sign(c.offer_body(prosumer), prosumer);
        request = c.sign(c.request_body(c.consumer), c.consumer);
        auto sr = c.request_body(southerner);
        sr.zone = "south";
        south_request = c.sign(sr, southerner);
        self_request = c.sign(c.request_body(prosumer), prosumer);
        TestChain::apply(st, {offer, offer2, request, south_request, self_request}, kT0, 2);
    }
    Signed<Trade> sign(const Trade& t) const { return c.sign(t, c.agent); }
    Trade trade(const Signed<Offer>& o, const Signed<Request>& r, std::int64_t e, std::int64_t p,
                std::int64_t fee = 0) const {
        return c.trade_body(o, r, e, p, fee);
    }
    Error trade_error(const Trade& tr) const { return refused(st, {sign(tr)}, t); }
};

} // namespace

TEST_CASE("chain: a valid trade fills both orders", "[chain][trade]") {
    Market m;
    const auto tr = m.sign(m.trade(m.offer, m.request, 2000, 5000));
    apply_rules(m.st, {tr}, m.t, 3);
    CHECK(must(m.st.order(m.offer.id()))->filled_wh == 2000);
    CHECK(must(m.st.order(m.request.id()))->filled_wh == 2000);
    // Orders and their trade in one block.
    TestChain& c = m.c;
    MemoryState fresh = c.market_state();
    const auto o = c.sign(c.offer_body(c.producer, 7), c.producer);
    const auto r = c.sign(c.request_body(c.consumer, 7), c.consumer);
    CHECK(rules_accept(fresh, {o, r, m.sign(m.trade(o, r, 5000, 4000))}, kT0));
    // ... but not before them.
    CHECK(refused(fresh, {m.sign(m.trade(o, r, 5000, 4000)), o, r}, kT0).reason == "unknown offer");
}

TEST_CASE("chain: trade rules", "[chain][trade]") {
    Market m;
    REQUIRE(rules_accept(m.st, {m.sign(m.trade(m.offer, m.request, 5000, 4000))}, m.t));

    SECTION("unknown orders") {
        Trade tr = m.trade(m.offer, m.request, 1000, 5000);
        tr.offer[0] ^= 1;
        CHECK(m.trade_error(tr).reason == "unknown offer");
        tr = m.trade(m.offer, m.request, 1000, 5000);
        tr.offer = m.request.id(); // a request is not an offer
        CHECK(m.trade_error(tr).reason == "unknown offer");
        tr = m.trade(m.offer, m.request, 1000, 5000);
        tr.request = m.offer.id();
        CHECK(m.trade_error(tr).reason == "unknown request");
    }
    SECTION("parties") {
        Trade tr = m.trade(m.offer, m.request, 1000, 5000);
        tr.seller = m.prosumer.id();
        CHECK(m.trade_error(tr).reason == "bad parties");
        const Error e = m.trade_error(m.trade(m.offer2, m.self_request, 1000, 5000));
        CHECK(e.code == Exit::bad_input);
        CHECK(e.reason == "self trade");
    }
    SECTION("prices") {
        Error e = m.trade_error(m.trade(m.offer, m.request, 1000, 3999));
        CHECK(e.reason == "price out of limits");
        CHECK(e.detail.find("floor") != std::string::npos);
        e = m.trade_error(m.trade(m.offer, m.request, 1000, 7001));
        CHECK(e.reason == "price out of limits");
        CHECK(rules_accept(m.st, {m.sign(m.trade(m.offer, m.request, 1000, 7000))}, m.t));
        // Between zones: price plus fee must stay under the ceiling.
        CHECK(
            rules_accept(m.st, {m.sign(m.trade(m.offer, m.south_request, 1000, 6000, 1000))}, m.t));
        e = m.trade_error(m.trade(m.offer, m.south_request, 1000, 6001, 1000));
        CHECK(e.reason == "price out of limits");
        CHECK(e.detail.find("plus fee") != std::string::npos);
        CHECK(m.trade_error(m.trade(m.offer, m.south_request, 1000, 6000, -1)).reason == "bad fee");
        // Between zones, exactly the chain's fee.
        e = m.trade_error(m.trade(m.offer, m.south_request, 1000, 5000, 999));
        CHECK(e.reason == "bad fee");
        CHECK(e.detail.find("is 10.00 EUR/MWh, not 9.99") != std::string::npos);
        // Within one zone there is no fee.
        CHECK(m.trade_error(m.trade(m.offer, m.request, 1000, 5000, 1)).reason == "bad fee");
    }
    SECTION("amounts") {
        Trade tr = m.trade(m.offer, m.south_request, 1000, 5000, 1000);
        REQUIRE(tr.amount == 5000000);
        tr.amount += 1;
        CHECK(m.trade_error(tr).reason == "bad amount");
        tr = m.trade(m.offer, m.south_request, 1000, 5000, 1000);
        tr.fee -= 1;
        CHECK(m.trade_error(tr).reason == "bad amount");
        tr = m.trade(m.offer, m.request, 0, 5000);
        CHECK(m.trade_error(tr).reason == "bad energy");
        tr = m.trade(m.offer, m.request, 1000, 5000);
        tr.mechanism = "lottery";
        CHECK(m.trade_error(tr).reason == "bad mechanism");
        tr = m.trade(m.offer, m.request, 1000, 5000);
        tr.slot += 30 * kMinute;
        CHECK(m.trade_error(tr).reason == "bad slot");
    }
    SECTION("no over-fill, within a block or across blocks") {
        // The offer serves two requests: 3 kWh + 3 kWh of 5 kWh.
        const auto a = m.sign(m.trade(m.offer, m.request, 3000, 5000));
        const auto b = m.sign(m.trade(m.offer, m.south_request, 3000, 5000, 1000));
        std::size_t bad = 99;
        Error e = refused(m.st, {a, b}, m.t, &bad);
        CHECK(e.reason == "double selling");
        CHECK(bad == 1);
        apply_rules(m.st, {a}, m.t, 3);
        e = refused(m.st, {b}, m.t + 60);
        CHECK(e.code == Exit::bad_input);
        CHECK(e.reason == "double selling");
        // Exactly the rest is fine.
        CHECK(rules_accept(m.st, {m.sign(m.trade(m.offer, m.south_request, 2000, 5000, 1000))},
                           m.t + 60));
        // The request side: 3 kWh bought, 2 kWh more from the prosumer is fine, 3 kWh is not.
        CHECK(rules_accept(m.st, {m.sign(m.trade(m.offer2, m.request, 2000, 5000))}, m.t + 60));
        CHECK(refused(m.st, {m.sign(m.trade(m.offer2, m.request, 2001, 5000))}, m.t + 60).reason ==
              "over filled");
    }
    SECTION("a request's from list is honoured") {
        TestChain& c = m.c;
        auto only_prosumer = c.request_body(c.consumer, 2);
        only_prosumer.from = {participant_hex(m.prosumer.id())};
        const auto rq1 = c.sign(only_prosumer, c.consumer);
        auto only_offer = c.request_body(c.consumer, 3);
        only_offer.from = {to_hex(m.offer.id())};
        const auto rq2 = c.sign(only_offer, c.consumer);
        TestChain::apply(m.st, {rq1, rq2}, m.t, 3);

        const Error e = m.trade_error(m.trade(m.offer, rq1, 1000, 5000));
        CHECK(e.code == Exit::bad_input);
        CHECK(e.reason == "not chosen");
        CHECK(rules_accept(m.st, {m.sign(m.trade(m.offer2, rq1, 1000, 5000))}, m.t));
        CHECK(rules_accept(m.st, {m.sign(m.trade(m.offer, rq2, 1000, 5000))}, m.t));
        CHECK(m.trade_error(m.trade(m.offer2, rq2, 1000, 5000)).reason == "not chosen");
    }
}

// ---- blocks and signatures ------------------------------------------------------------

TEST_CASE("chain: a block holds at most max_records", "[chain]") {
    TestChain c(3);
    const MemoryState st = c.empty_state();
    auto recs = c.admit_all();
    CHECK(accepted(st, recs, kT0));
    recs.push_back(c.admit(key_of(9, "k"), role_consumer, 4));
    const Error e = refused(st, recs, kT0);
    CHECK(e.code == Exit::bad_input);
    CHECK(e.reason == "block too large");
}

TEST_CASE("chain: a bad signature is reported at its index, on 2 threads", "[chain][sig]") {
    TestChain c;
    const MemoryState st = c.market_state();
    std::vector<Record> batch;
    for (std::uint64_t n = 0; n < 9; ++n)
        batch.push_back(c.sign(c.offer_body(c.producer, n), c.producer));
    auto corrupt = [](Record& r) { std::get<Signed<Offer>>(r).signature[10] ^= 4; };

    for (unsigned threads : {1u, 2u}) {
        INFO("threads " << threads);
        REQUIRE(must(apply_records(st, batch, kT0, 9, threads)).orders.size() == 9);
        for (std::size_t at : {std::size_t{0}, std::size_t{5}, std::size_t{8}}) {
            auto b = batch;
            corrupt(b[at]);
            std::size_t bad = 99;
            const Error e = refused(st, b, kT0, &bad, threads);
            CHECK(e.code == Exit::rejected);
            CHECK(e.reason == "wrong user");
            CHECK(e.detail.find("bad signature") != std::string::npos);
            CHECK(bad == at);
            CHECK(e.detail.find(to_hex(record_id(b[at]))) != std::string::npos);
        }
        // Two bad: the first is named.
        auto two = batch;
        corrupt(two[6]);
        corrupt(two[3]);
        std::size_t bad = 99;
        refused(st, two, kT0, &bad, threads);
        CHECK(bad == 3);
        // A bad signature before a broken rule is the first failure ...
        auto mixed = batch;
        corrupt(mixed[2]);
        std::get<Signed<Offer>>(mixed[7]).body.zone = "south"; // bad zone (and signature)
        const Error e1 = refused(st, mixed, kT0, &bad, threads);
        CHECK(bad == 2);
        CHECK(e1.reason == "wrong user");
        // ... and a broken rule before a bad signature is.
        mixed = batch;
        mixed[1] = c.sign(
            [&] {
                Offer o = c.offer_body(c.producer, 100);
                o.zone = "south";
                return o;
            }(),
            c.producer);
        corrupt(mixed[4]);
        const Error e2 = refused(st, mixed, kT0, &bad, threads);
        CHECK(bad == 1);
        CHECK(e2.reason == "bad zone");
    }
}

TEST_CASE("chain: DeferredSignatures on several threads", "[chain][sig]") {
    TestChain c;
    std::vector<Record> recs;
    for (std::uint64_t n = 0; n < 12; ++n)
        recs.push_back(c.sign(c.offer_body(c.producer, n), c.producer));
    DeferredSignatures d;
    for (std::size_t i = 0; i < recs.size(); ++i) d.add(100 + i, recs[i], c.producer.ed25519);
    for (unsigned threads : {1u, 2u, 3u, 8u}) CHECK_FALSE(d.verify(threads).has_value());
    DeferredSignatures bad;
    for (std::size_t i = 0; i < recs.size(); ++i)
        bad.add(100 + i, recs[i], (i == 9 || i == 4) ? c.consumer.ed25519 : c.producer.ed25519);
    for (unsigned threads : {0u, 1u, 2u, 3u, 8u}) {
        INFO(threads);
        REQUIRE(bad.verify(threads).has_value());
        CHECK(*bad.verify(threads) == 104);
    }
    CHECK(bad.size() == 12);
    bad.clear();
    CHECK_FALSE(bad.verify(2).has_value());
}

TEST_CASE("chain: SignaturePool verifies while tasks are added", "[chain][sig]") {
    TestChain c;
    std::vector<Record> recs;
    for (std::uint64_t n = 0; n < 40; ++n)
        recs.push_back(c.sign(c.offer_body(c.producer, n), c.producer));
    for (unsigned threads : {0u, 1u, 2u, 4u}) {
        INFO(threads);
        SignaturePool pool(threads); // 0: the caller of first_bad() checks them all
        for (std::size_t i = 0; i < recs.size(); ++i) pool.add(i / 4, recs[i], c.producer.ed25519);
        CHECK_FALSE(pool.first_bad().has_value());
        // Emptied by first_bad(): the next round reports only its own tasks,
        // the lowest failing tag whatever order the workers finish in.
        for (std::size_t i = 0; i < recs.size(); ++i) {
            const bool wrong = i == 37 || i == 22 || i == 23;
            pool.add(1000 + i / 4, recs[i], wrong ? c.consumer.ed25519 : c.producer.ed25519);
        }
        const auto bad = pool.first_bad();
        REQUIRE(bad.has_value());
        CHECK(*bad == 1005);
        CHECK_FALSE(pool.first_bad().has_value());
    }
    // A pool destroyed with tasks it never checked stops its workers.
    SignaturePool dropped(2);
    for (const Record& r : recs) dropped.add(0, r, c.producer.ed25519);
}

TEST_CASE("chain: apply_rules hands every signature over and checks none", "[chain][sig]") {
    TestChain c;
    const MemoryState st = c.market_state();
    std::vector<Record> recs = {c.sign(c.offer_body(c.producer, 1), c.producer),
                                c.sign(c.offer_body(c.producer, 2), c.producer)};
    std::get<Signed<Offer>>(recs[1]).signature[0] ^= 1;
    DeferredSignatures sigs;
    const StateDelta d = must(apply_rules(st, recs, kT0, 9, sigs));
    CHECK(d.orders.size() == 2);
    REQUIRE(sigs.size() == 2);
    CHECK(*sigs.verify(1) == 1);
    // apply_records, the same rules with the signatures checked, refuses it.
    std::size_t at = 0;
    const Error e = must_fail(apply_records(st, recs, kT0, 9, 2, &at));
    CHECK(e.reason == "wrong user");
    CHECK(at == 1);
    // A rule that fails is named as apply_records names it.
    recs[1] = recs[0];
    DeferredSignatures again;
    const Error dup = must_fail(apply_rules(st, recs, kT0, 9, again));
    CHECK(dup.reason == "duplicate record");
    CHECK(dup.detail.rfind("offer ", 0) == 0);
}

// setm-verify's apply_records (ids given, signatures to a pool that checks
// them while the rules run) against apply_records (all checked after the
// rules): the same changes, the same first failure, wherever a bad
// signature and a failing rule fall, whatever the number of workers.
TEST_CASE("chain: the pooled apply_records finds what apply_records finds", "[chain][sig]") {
    TestChain c;
    const MemoryState st = c.market_state();
    std::vector<Record> good;
    for (std::uint64_t n = 0; n < 40; ++n)
        good.push_back(c.sign(c.offer_body(c.producer, n + 1), c.producer));
    auto outcome = [](const Result<StateDelta>& r) {
        return r ? "ok " + std::to_string(r->orders.size()) + " " +
                       std::to_string(r->records.size())
                 : r.error().reason + ": " + r.error().detail;
    };
    // (bad signature at, duplicate at); 40 = none.
    const std::vector<std::pair<std::size_t, std::size_t>> cases = {
        {40, 40}, {39, 40}, {0, 40}, {40, 39}, {40, 1}, {5, 30}, {30, 5}, {12, 12}, {3, 4}};
    for (const auto& [sig, dup] : cases) {
        std::vector<Record> recs = good;
        if (dup < 40) recs[dup] = recs[dup - 1 > 0 ? dup - 1 : 0];
        if (sig < 40) std::visit([](auto& s) { s.signature[7] ^= 4; }, recs[sig]);
        const std::string want = outcome(apply_records(st, recs, kT0, 9, 2));
        const std::vector<Hash32> ids = record_ids(recs, 2);
        for (unsigned workers : {0u, 1u, 3u}) {
            INFO("bad signature at " << sig << ", duplicate at " << dup << ", " << workers);
            SignaturePool pool(workers);
            CHECK(outcome(apply_records(st, recs, ids, kT0, 9, pool)) == want);
            CHECK_FALSE(pool.first_bad().has_value()); // left empty
        }
    }
}

TEST_CASE("chain: MemoryState::merge moves what the copying merge copies", "[chain][state]") {
    TestChain c;
    MemoryState copied = c.market_state(), moved = c.market_state();
    for (std::uint64_t block = 0; block < 3; ++block) {
        std::vector<Record> recs;
        for (std::uint64_t n = 0; n < 5; ++n)
            recs.push_back(c.sign(c.offer_body(c.producer, block * 10 + n + 1), c.producer));
        StateDelta a = must(apply_records(copied, recs, kT0, 9 + block, 1));
        StateDelta b = must(apply_records(moved, recs, kT0, 9 + block, 1));
        copied.merge(a, 9 + block);
        moved.merge(std::move(b), 9 + block);
        CHECK(copied.records == moved.records);
        CHECK(std::equal(
            copied.slot_orders.begin(), copied.slot_orders.end(), moved.slot_orders.begin(),
            moved.slot_orders.end(), [](const auto& x, const auto& y) {
                return !(x.first < y.first) && !(y.first < x.first) && x.second == y.second;
            }));
        CHECK(copied.orders.size() == moved.orders.size());
        CHECK(copied.credentials.size() == moved.credentials.size());
        CHECK(copied.participants == moved.participants);
        CHECK(copied.holders == moved.holders);
    }
    CHECK(moved.orders.size() == copied.orders.size());
}

TEST_CASE("chain: authenticate checks the signature on the spot without a queue", "[chain][sig]") {
    TestChain c;
    const MemoryState st = c.market_state();
    auto offer = c.sign(c.offer_body(c.producer), c.producer);
    CHECK(authenticate(st, offer, kT0));
    offer.signature[0] ^= 1;
    const Status s = authenticate(st, offer, kT0);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == Exit::rejected);
    CHECK(s.error().reason == "wrong user");
    // The queue keeps a pointer to the record: it must outlive the queue's
    // use (a Signed<Offer> passed directly would convert to a temporary).
    const Record rec = offer;
    DeferredSignatures q;
    CHECK(authenticate(st, rec, kT0, &q, 4)); // deferred: passes now, fails later
    REQUIRE(q.size() == 1);
    CHECK(*q.verify(1) == 4);
}

// ---- headers ----------------------------------------------------------------------------

TEST_CASE("chain: median_time of the last 11", "[chain][header]") {
    CHECK(median_time({}) == 0);
    CHECK(median_time({7}) == 7);
    CHECK(median_time({1, 2}) == 2);
    CHECK(median_time({5, 1, 3}) == 3);
    CHECK(median_time({10, 1, 9, 2, 8, 3, 7, 4, 6, 5, 11}) == 6);
    // Only the last 11 count: the 100s at the front are ignored.
    CHECK(median_time({100, 100, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}) == 6);
    CHECK(median_time({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 100, 100}) == 8);
}

namespace {

struct Headers {
    TestChain c;
    Hash32 prev = block_hash(c.genesis_block.header);
    std::vector<Record> recs = {c.admit(c.producer, role_producer, 1)};
    Block b = must(mine_block(recs, prev, static_cast<std::uint32_t>(kT0), c.genesis.body.bits, 1));
    std::vector<std::uint32_t> times{static_cast<std::uint32_t>(kT0 - kHour)};
    Status check(const Block& blk, std::int64_t now = kT0) const {
        return check_header(blk, prev, c.genesis.body.bits, times, now);
    }
};

Error header_error(const Status& s) {
    if (s) FAIL("header accepted");
    return s.error();
}

} // namespace

TEST_CASE("chain: check_header", "[chain][header]") {
    Headers h;
    REQUIRE(h.check(h.b));
    CHECK(check_proof_of_work(block_hash(h.b.header), h.b.header.bits));

    SECTION("bad link") {
        Hash32 other = h.prev;
        other[0] ^= 1;
        const Error e = header_error(check_header(h.b, other, h.c.genesis.body.bits, h.times, kT0));
        CHECK(e.code == Exit::verify_failed);
        CHECK(e.reason == "bad link");
    }
    SECTION("bad merkle root") {
        Block b = h.b; // same header, other records
        b.records.push_back(h.c.admit(h.c.consumer, role_consumer, 2));
        CHECK(header_error(h.check(b)).reason == "bad merkle root");
        b.records.clear();
        CHECK(header_error(h.check(b)).reason == "bad merkle root");
    }
    SECTION("bad proof of work") {
        Block b = h.b;
        do ++b.header.nonce;
        while (check_proof_of_work(block_hash(b.header), b.header.bits));
        const Error e = header_error(h.check(b));
        CHECK(e.code == Exit::verify_failed);
        CHECK(e.reason == "bad proof of work");
    }
    SECTION("bad target or version") {
        CHECK(header_error(check_header(h.b, h.prev, h.c.genesis.body.bits + 1, h.times, kT0))
                  .reason == "bad target");
        Block b = must(
            mine_block(h.recs, h.prev, static_cast<std::uint32_t>(kT0), h.c.genesis.body.bits, 1));
        b.header.version = 2;
        CHECK(header_error(h.check(b)).reason == "bad version");
    }
    SECTION("time not after the median") {
        std::vector<std::uint32_t> times(11, static_cast<std::uint32_t>(kT0));
        Error e = header_error(check_header(h.b, h.prev, h.c.genesis.body.bits, times, kT0));
        CHECK(e.code == Exit::verify_failed);
        CHECK(e.reason == "bad time");
        // One second after the median is enough, whatever the newest time.
        for (auto& t : times) t = static_cast<std::uint32_t>(kT0 - 1);
        times.back() = static_cast<std::uint32_t>(kT0 + 500);
        CHECK(check_header(h.b, h.prev, h.c.genesis.body.bits, times, kT0));
        times.assign({static_cast<std::uint32_t>(kT0 + 1)});
        CHECK(header_error(check_header(h.b, h.prev, h.c.genesis.body.bits, times, kT0)).reason ==
              "bad time");
    }
    SECTION("time more than 2 h ahead") {
        CHECK(h.check(h.b, kT0 - 2 * kHour)); // exactly 2 h ahead is allowed
        const Error e = header_error(h.check(h.b, kT0 - 2 * kHour - 1));
        CHECK(e.code == Exit::verify_failed);
        CHECK(e.reason == "bad time");
        CHECK(e.detail.find("2 hours") != std::string::npos);
    }
}

TEST_CASE("chain: next_block_time never falls behind the median", "[chain][header]") {
    CHECK(next_block_time({}, kT0) == kT0);
    const std::vector<std::uint32_t> times(11, static_cast<std::uint32_t>(kT0 + 100));
    CHECK(next_block_time(times, kT0) == kT0 + 101);
    CHECK(next_block_time(times, kT0 + 500) == kT0 + 500);
}

TEST_CASE("chain: genesis blocks", "[chain][header]") {
    TestChain c;
    CHECK(must(check_genesis_block(c.genesis_block)) == block_hash(c.genesis_block.header));
    CHECK(c.genesis_block.header.prev == Hash32{});
    CHECK(c.genesis_block.header.merkle_root == merkle_root({c.genesis.id()}));

    Block b = c.genesis_block;
    b.records.push_back(c.admit(c.producer, role_producer, 1));
    CHECK(must_fail(check_genesis_block(b)).reason == "bad genesis");

    auto g = c.genesis;
    g.signature[3] ^= 1;
    CHECK(must_fail(check_genesis_block(must(make_genesis_block(g, kT0, 1)))).reason ==
          "bad genesis");

    auto g20 = c.genesis.body;
    g20.slot_minutes = 20;
    CHECK(must_fail(check_genesis_block(must(
                        make_genesis_block(sign_record(g20, kNoChain, c.authority.seed), kT0, 1))))
              .reason == "bad genesis");
    auto bound = sign_record(c.genesis.body, c.id, c.authority.seed);
    CHECK(must_fail(check_genesis_block(must(make_genesis_block(bound, kT0, 1)))).reason ==
          "bad genesis");
}

TEST_CASE("chain: block_to_json", "[chain]") {
    TestChain c;
    rapidjson::Document d = must(parse_json_object(block_to_json(c.genesis_block, 0)));
    CHECK(std::string(d["type"].GetString()) == "block");
    CHECK(d["height"].GetUint64() == 0);
    CHECK(std::string(d["hash"].GetString()) == hash_to_hex(c.id));
    REQUIRE(d["records"].IsArray());
    REQUIRE(d["records"].Size() == 1);
    CHECK(must(record_from_json(d["records"][0u])).index() == 0);
    const auto header = must(from_hex(d["header_hex"].GetString()));
    CHECK(must(parse_header(header.data(), header.size())) == c.genesis_block.header);
}

namespace {
void name_grid_operator(Genesis& g) { g.grid_operator = key_of(5, "grid").id(); }
} // namespace

TEST_CASE("chain: only the grid operator the genesis block names holds the operator role",
          "[chain]") {
    TestChain c(0, name_grid_operator);
    const MemoryState st = c.market_state();
    const SecretKey grid = key_of(5, "grid");
    CHECK(
        refused(st, {c.admit(c.credential_body(key_of(9, "k"), role_operator, 20))}, kT0).reason ==
        "not the grid operator");
    StateDelta d =
        must(apply_records(st, {c.admit(grid, role_operator | role_consumer, 20)}, kT0, 2));
    (void)d;
}
