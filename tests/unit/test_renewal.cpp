// Renewals (issue 16, point 1): a participant's credentials may overlap, and
// at each time the one with the latest start decides (setm(7), RENEWALS).
// The resolution rule on its own, against a brute-force reference over random
// credential sets, and the chain's rules around it.
#include "fixtures.hpp"

#include <random>

#include "authority.hpp"

using namespace setm;
using namespace setm::test;

namespace {

RegistryEntry entry(std::uint64_t serial, std::int64_t from, std::int64_t until,
                    std::optional<std::int64_t> revoked_at = std::nullopt,
                    std::int64_t block_time = 0) {
    RegistryEntry e;
    e.credential.body.serial = serial;
    e.credential.body.name = "s" + std::to_string(serial);
    e.credential.body.valid_from = from;
    e.credential.body.valid_until = until;
    if (revoked_at) {
        e.revoked = true;
        e.revoked_at = *revoked_at;
        e.revoked_block_time = block_time;
    }
    return e;
}

std::optional<std::uint64_t> decides(const std::vector<RegistryEntry>& es, std::int64_t t) {
    auto i = deciding_credential(es, t);
    if (!i) return std::nullopt;
    return es[*i].credential.body.serial;
}

// The reference: a credential decides when it holds t, is not revoked for
// t, and no other such credential beats it (a later start, or the same
// start and a higher serial). Pairwise, with no ordering trick.
std::optional<std::uint64_t> reference(const std::vector<RegistryEntry>& es, std::int64_t t) {
    auto usable = [&](const RegistryEntry& e) {
        const Credential& c = e.credential.body;
        const bool revoked = e.revoked && e.revoked_at <= std::max(t, e.revoked_block_time);
        return !revoked && c.valid_from <= t && t < c.valid_until;
    };
    std::optional<std::uint64_t> found;
    for (const auto& x : es) {
        if (!usable(x)) continue;
        bool beaten = false;
        for (const auto& y : es) {
            if (&x == &y || !usable(y)) continue;
            const Credential &a = x.credential.body, &b = y.credential.body;
            if (b.valid_from > a.valid_from ||
                (b.valid_from == a.valid_from && b.serial > a.serial))
                beaten = true;
        }
        if (!beaten) {
            if (found) FAIL("two credentials decide at " << t);
            found = x.credential.body.serial;
        }
    }
    return found;
}

} // namespace

TEST_CASE("renewal: the latest start decides, ties by serial", "[renewal]") {
    // old [0, 100), renewal [60, 200): old until 60, the renewal from 60 on
    const std::vector<RegistryEntry> es{entry(1, 0, 100), entry(2, 60, 200)};
    CHECK(decides(es, -1) == std::nullopt);
    CHECK(decides(es, 0) == 1u);
    CHECK(decides(es, 59) == 1u);
    CHECK(decides(es, 60) == 2u); // the overlap belongs to the renewal
    CHECK(decides(es, 99) == 2u);
    CHECK(decides(es, 100) == 2u); // no gap where the old one ends
    CHECK(decides(es, 199) == 2u);
    CHECK(decides(es, 200) == std::nullopt);
    // Renewed for exactly when the old one ends: no gap either.
    const std::vector<RegistryEntry> back_to_back{entry(1, 0, 100), entry(2, 100, 200)};
    CHECK(decides(back_to_back, 99) == 1u);
    CHECK(decides(back_to_back, 100) == 2u);
    // The same start: the higher serial, whatever the order given.
    CHECK(decides({entry(5, 0, 100), entry(3, 0, 300)}, 50) == 5u);
    CHECK(decides({entry(3, 0, 300), entry(5, 0, 100)}, 150) == 3u);
}

TEST_CASE("renewal: a revoked credential never decides, from its revocation on", "[renewal]") {
    // The renewal is revoked at 80: before 80 it decides, after it the old
    // one (if it is not revoked) holds what is left of its own validity.
    std::vector<RegistryEntry> es{entry(1, 0, 100), entry(2, 60, 200, 80, 70)};
    CHECK(decides(es, 70) == 2u);
    CHECK(decides(es, 80) == 1u);
    CHECK(decides(es, 100) == std::nullopt);
    // A revocation dated later than its block still takes effect at the
    // block's time at the latest (revoked_for): here at 75, carried at 75.
    es[1] = entry(2, 60, 200, 90, 75);
    CHECK(decides(es, 75) == 2u); // 90 has not come at 75 ...
    es[1] = entry(2, 60, 200, 50, 75);
    CHECK(decides(es, 65) == 1u); // ... and a backdated one holds for every query after it
    CHECK(decides(es, 75) == 1u);
}

TEST_CASE("renewal: the resolution agrees with a brute-force reference", "[renewal][property]") {
    std::mt19937_64 rng(1616);
    auto pick = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };
    TestChain c;
    std::size_t decided = 0, overlaps = 0;
    for (int round = 0; round < 400; ++round) {
        const int n = static_cast<int>(pick(1, 7));
        std::vector<RegistryEntry> es;
        for (int k = 0; k < n; ++k) {
            const std::int64_t from = pick(0, 40) * 10, until = from + pick(1, 30) * 10;
            const bool revoked = pick(0, 3) == 0;
            const std::int64_t serial = static_cast<std::int64_t>(es.size()) * 3 + pick(1, 3);
            es.push_back(entry(static_cast<std::uint64_t>(serial), from, until,
                               revoked ? std::optional<std::int64_t>(pick(0, 700)) : std::nullopt,
                               pick(0, 700)));
        }
        std::shuffle(es.begin(), es.end(), rng);
        // The same set as a chain's registry, split between a base and a
        // delta over it, read through active_credential.
        MemoryState base = c.empty_state();
        StateDelta delta(base);
        for (auto& e : es) {
            e.credential.body.participant = c.producer.id();
            StateTables& into = pick(0, 1) ? static_cast<StateTables&>(base) : delta;
            into.credentials[e.credential.body.serial] = e;
            into.holders.insert({c.producer.id(), e.credential.body.serial});
        }
        for (int q = 0; q < 40; ++q) {
            const std::int64_t t = pick(-10, 720);
            const auto want = reference(es, t);
            REQUIRE(decides(es, t) == want);
            auto got = active_credential(delta, c.producer.id(), t);
            REQUIRE(static_cast<bool>(got) == want.has_value());
            if (want) {
                REQUIRE(got->serial == *want);
                ++decided;
            } else {
                REQUIRE(got.error().reason == "wrong user");
            }
            std::size_t holding = 0;
            for (const auto& e : es)
                holding += e.credential.body.valid_from <= t && t < e.credential.body.valid_until;
            overlaps += holding > 1;
        }
    }
    // The draw exercised both outcomes and real overlaps.
    CHECK(decided > 2000);
    CHECK(overlaps > 2000);
}

namespace {

Error refused_with(const MemoryState& st, const std::vector<Record>& rs, std::int64_t t) {
    auto d = apply_records(st, rs, t, 9);
    if (d) FAIL("the block was accepted");
    return d.error();
}

} // namespace

TEST_CASE("renewal: the chain admits a renewal ahead and follows it", "[renewal][chain]") {
    TestChain c;
    MemoryState st = c.empty_state();
    // The producer: [kT0 - 1 d, kT0 + 3 h); renewed ahead, in zone "south"
    // with a limit, from kT0 + 1 h to a year on.
    auto old = c.credential_body(c.producer, role_producer, 1);
    old.valid_until = kT0 + 3 * kHour;
    old.meter = "DE-1";
    TestChain::apply(st, {c.admit(old), c.admit(c.consumer, role_consumer, 2)}, kT0 - kHour, 1);
    auto renewal = old;
    renewal.serial = 3;
    renewal.valid_from = kT0 + kHour;
    renewal.valid_until = kT0 + 365 * kDay;
    renewal.zone = "south";
    renewal.max_energy_wh = 2000;
    TestChain::apply(st, {c.admit(renewal)}, kT0 - 30 * kMinute, 2); // keeps its meter
    CHECK(must(st.serials_of_holder(c.producer.id())) == std::vector<std::uint64_t>{1, 3});

    // Before the renewal starts the old credential decides (it no longer
    // blocks its holder) ...
    CHECK(must(active_credential(st, c.producer.id(), kT0)).serial == 1u);
    auto offer = c.offer_body(c.producer);
    offer.energy_wh = 5000; // above the renewal's limit, within the old one's
    CHECK(apply_records(st, {c.sign(offer, c.producer)}, kT0, 3));
    // ... from its start on, in the overlap, the renewal does: its zone,
    // its limit.
    auto late = c.offer_body(c.producer, 2);
    late.slot = kT0 + 4 * kHour;
    late.expires = kT0 + 3 * kHour;
    const std::int64_t overlap = kT0 + kHour + 10 * kMinute;
    CHECK(refused_with(st, {c.sign(late, c.producer)}, overlap).reason == "bad zone");
    late.zone = "south";
    CHECK(refused_with(st, {c.sign(late, c.producer)}, overlap).reason == "over limit");
    late.energy_wh = 2000;
    CHECK(apply_records(st, {c.sign(late, c.producer)}, overlap, 3));
    // No gap where the old one ends, and the new period after it.
    CHECK(must(active_credential(st, c.producer.id(), kT0 + 3 * kHour - 1)).serial == 3u);
    CHECK(must(active_credential(st, c.producer.id(), kT0 + 3 * kHour)).serial == 3u);
    CHECK(must(active_credential(st, c.producer.id(), kT0 + 100 * kDay)).serial == 3u);
}

TEST_CASE("renewal: what a renewal may not do", "[renewal][chain]") {
    TestChain c;
    MemoryState st = c.empty_state();
    auto old = c.credential_body(c.producer, role_producer, 1);
    old.meter = "DE-1";
    TestChain::apply(st, {c.admit(old), c.admit(c.consumer, role_consumer, 2)}, kT0 - kHour, 1);
    auto r = old;
    r.serial = 3;
    // The same start: two credentials would speak for one key from then on.
    CHECK(refused_with(st, {c.admit(r)}, kT0).reason == "already registered");
    // A later start that ends first would hand back to the old one.
    r.valid_from = kT0;
    r.valid_until = old.valid_until - 1;
    CHECK(refused_with(st, {c.admit(r)}, kT0).reason == "already registered");
    r.valid_until = old.valid_until;
    CHECK(refused_with(st, {c.admit(r)}, kT0).reason == "already registered");
    // An earlier start overlapping it.
    r.valid_from = old.valid_from - kDay;
    r.valid_until = old.valid_until + kDay;
    CHECK(refused_with(st, {c.admit(r)}, kT0).reason == "already registered");
    // The other refusals hold for a renewal: another's meter, the operator
    // role, a taken serial.
    r.valid_from = kT0;
    r.valid_until = old.valid_until + kDay;
    auto consumer_meter = c.credential_body(c.consumer, role_consumer, 4);
    consumer_meter.meter = "DE-9";
    consumer_meter.valid_from = kT0 + kDay;
    consumer_meter.valid_until = kT0 + 400 * kDay;
    TestChain::apply(st, {c.admit(consumer_meter)}, kT0 - 30 * kMinute, 2);
    r.meter = "DE-9";
    CHECK(refused_with(st, {c.admit(r)}, kT0).reason == "meter taken");
    r.meter = "DE-1";
    r.roles = role_operator;
    CHECK(refused_with(st, {c.admit(r)}, kT0).reason == "not the grid operator");
    r.roles = role_producer;
    r.serial = 2;
    CHECK(refused_with(st, {c.admit(r)}, kT0).reason == "duplicate serial");
    r.serial = 5;
    CHECK(apply_records(st, {c.admit(r)}, kT0, 3));
    // A renewal's new meter is free; the old meter stays its old
    // credential's until that one ends.
    r.meter = "DE-2";
    StateDelta d = must(apply_records(st, {c.admit(r)}, kT0, 3));
    st.merge(d, 3);
    auto other = c.credential_body(c.agent, role_agent, 6);
    other.meter = "DE-1";
    CHECK(refused_with(st, {c.admit(other)}, kT0).reason == "meter taken");
    other.valid_from = old.valid_until;
    other.valid_until = old.valid_until + kDay;
    CHECK(apply_records(st, {c.admit(other)}, kT0, 4));
}

TEST_CASE("renewal: a revocation revokes the key, every credential of it", "[renewal][chain]") {
    TestChain c;
    MemoryState st = c.empty_state();
    auto old = c.credential_body(c.producer, role_producer, 1);
    TestChain::apply(st, {c.admit(old)}, kT0 - kHour, 1);
    auto renewal = old;
    renewal.serial = 2;
    renewal.valid_from = kT0 + kDay;
    renewal.valid_until = old.valid_until + kDay;
    TestChain::apply(st, {c.admit(renewal)}, kT0 - 30 * kMinute, 2);
    // Revoking the old serial also revokes the renewal: one key.
    // Scheduled an hour ahead, in a block at kT0.
    TestChain::apply(st, {c.revoke(c.producer, 1, kT0 + kHour)}, kT0, 3);
    CHECK(must(st.credential(1))->revoked);
    CHECK(must(st.credential(2))->revoked);
    CHECK(must(st.credential(2))->revoked_at == kT0 + kHour);
    CHECK(must(active_credential(st, c.producer.id(), kT0 + 1)).serial == 1u);
    CHECK(active_credential(st, c.producer.id(), kT0 + 2 * kDay).error().detail.find("revoked") !=
          std::string::npos);
    CHECK(refused_with(st, {c.revoke(c.producer, 2, kT0)}, kT0 + 1).reason == "already revoked");
    // A credential admitted after the revocation admits the key again.
    auto again = old;
    again.serial = 3;
    again.valid_from = kT0 + 1;
    TestChain::apply(st, {c.admit(again)}, kT0 + 1, 4);
    CHECK(must(active_credential(st, c.producer.id(), kT0 + 2)).serial == 3u);
}

TEST_CASE("renewal: the authority renews only when asked to", "[renewal][authority]") {
    TestChain c;
    MemoryState st = c.empty_state();
    TestChain::apply(st, {c.admit(c.producer, role_producer, 1)}, kT0 - kHour, 1);
    Identity idb{c.producer.name, c.producer.ed25519, c.producer.x25519};
    const Signed<Identity> id = sign_record(idb, kNoChain, c.producer.seed);
    CredentialTerms t;
    t.roles = role_producer | role_consumer;
    t.valid_from = kT0;
    t.valid_until = kT0 + 400 * kDay;
    auto plain = issue_credential(st, c.authority, id, t, 2);
    REQUIRE_FALSE(plain);
    CHECK(plain.error().reason == "already registered");
    t.renew = true;
    const auto renewed = must(issue_credential(st, c.authority, id, t, 2));
    CHECK(renewed.body.roles == (role_producer | role_consumer));
    // Nothing to renew: a newcomer, or a participant whose credential ends
    // before the renewal would start.
    t.valid_from = kT0 + 365 * kDay;
    CHECK(issue_credential(st, c.authority, id, t, 2).error().reason == "nothing to renew");
}
