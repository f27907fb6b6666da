// Authority rotation: the hand-over record, the recovery key of block 0,
// and every authority record checked against the authority valid at its
// place in the chain (setm(7), AUTHORITY ROTATION).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "authority.hpp"
#include "fixtures.hpp"
#include "store.hpp"
#include "verify.hpp"

using namespace setm;
using namespace setm::test;

namespace {

const SecretKey kNew = key_of(20, "authority-2");
const SecretKey kThird = key_of(21, "authority-3");
const SecretKey kRecovery = key_of(22, "recovery");

Authority handover_body(const SecretKey& signer, const SecretKey& successor,
                        const PublicKey& recovery = PublicKey{}) {
    Authority a;
    a.signed_by = signer.id();
    a.name = successor.name;
    a.ed25519 = successor.ed25519;
    a.x25519 = successor.x25519;
    a.recovery = recovery;
    a.time = kT0;
    a.reason = "test";
    return a;
}

Signed<Authority> handover(const TestChain& c, const SecretKey& signer, const SecretKey& successor,
                           const PublicKey& recovery = PublicKey{}) {
    return c.sign(handover_body(signer, successor, recovery), signer);
}

Signed<Credential> admit_by(const TestChain& c, const SecretKey& auth, const SecretKey& who,
                            std::uint64_t serial) {
    Credential body = c.credential_body(who, role_producer, serial);
    body.authority = auth.id();
    return c.sign(body, auth);
}

// The error of applying one block to st.
Error refused(const MemoryState& st, const std::vector<Record>& records, std::uint64_t h = 2) {
    return must_fail(apply_records(st, records, kT0, h));
}

// A genesis block with the recovery key after the genesis record.
Block recovery_genesis(const TestChain& c, const PublicKey& recovery) {
    return must(mine_block({c.genesis, genesis_recovery(c.genesis.body, c.authority, recovery)},
                           Hash32{}, static_cast<std::uint32_t>(kT0 - kHour), c.genesis.body.bits,
                           1));
}

// The state after a genesis block with a recovery key (its own chain id).
MemoryState recovery_state(const TestChain& c, const Block& g0) {
    const Hash32 id = must(check_genesis_block(g0));
    MemoryState st(c.genesis.body, id);
    StateDelta d(st);
    REQUIRE(apply_genesis_records(d, g0));
    st.merge(d, 0);
    return st;
}

} // namespace

TEST_CASE("rotation: the authority hands over; its former key is refused", "[rotation]") {
    TestChain c;
    MemoryState st = c.market_state();
    const Signed<Credential> before = admit_by(c, c.authority, key_of(30, "early"), 10);
    TestChain::apply(st, {before, handover(c, c.authority, kNew)}, kT0, 2);
    const AuthorityState a = must(st.authority());
    REQUIRE(a.terms.size() == 2);
    CHECK(a.current().ed25519 == kNew.ed25519);
    CHECK(a.current().from_height == 2);
    CHECK(a.terms[0].ed25519 == c.authority.ed25519);

    const Error e = refused(st, {admit_by(c, c.authority, key_of(31, "late"), 11)}, 3);
    CHECK(e.reason == "wrong user");
    CHECK_THAT(e.detail, Catch::Contains("signed by a former authority"));
    CHECK_THAT(e.detail, Catch::Contains("in block 2"));
    const Error rev = refused(st, {c.revoke(c.producer, 1, kT0)}, 3);
    CHECK_THAT(rev.detail, Catch::Contains("signed by a former authority"));
    // The new key admits and revokes.
    TestChain::apply(st, {admit_by(c, kNew, key_of(31, "late"), 11)}, kT0 + 1, 3);
    Revocation r{1, c.producer.id(), kT0, "test", kNew.id()};
    TestChain::apply(st, {c.sign(r, kNew)}, kT0 + 2, 4);
    // Another hand-over by the former key is refused too.
    const Error again = refused(st, {handover(c, c.authority, kThird)}, 5);
    CHECK_THAT(again.detail, Catch::Contains("signed by a former authority"));
}

TEST_CASE("rotation: within a block, records after the hand-over need the new key", "[rotation]") {
    TestChain c;
    const MemoryState st = c.market_state();
    const Error e = refused(
        st, {handover(c, c.authority, kNew), admit_by(c, c.authority, key_of(30, "x"), 10)});
    CHECK_THAT(e.detail, Catch::Contains("signed by a former authority"));
    CHECK(apply_records(
        st, {handover(c, c.authority, kNew), admit_by(c, kNew, key_of(30, "x"), 10)}, kT0, 2));
}

TEST_CASE("rotation: refusals", "[rotation]") {
    TestChain c;
    const MemoryState st = c.market_state();
    SECTION("signed by a key that is not the authority") {
        const Error e = refused(st, {handover(c, kThird, kNew)});
        CHECK(e.reason == "wrong user");
        CHECK_THAT(e.detail, Catch::Contains("not this chain's authority, and the chain has no "
                                             "recovery key"));
    }
    SECTION("a participant signs one") {
        const Error e = refused(st, {handover(c, c.producer, kNew)});
        CHECK_THAT(e.detail, Catch::Contains("not this chain's authority"));
    }
    SECTION("to a key in use") {
        CHECK(refused(st, {handover(c, c.authority, c.authority)}).reason == "key in use");
        const Error p = refused(st, {handover(c, c.authority, c.producer)});
        CHECK(p.reason == "key in use");
        CHECK_THAT(p.detail, Catch::Contains("credential serial 1"));
    }
    SECTION("the authority sets a recovery key") {
        const Error e = refused(st, {handover(c, c.authority, kNew, kRecovery.ed25519)});
        CHECK(e.reason == "recovery key kept");
    }
    SECTION("a weak key") {
        Authority b = handover_body(c.authority, kNew);
        b.ed25519 = PublicKey{};
        b.ed25519[0] = 1;
        CHECK(refused(st, {c.sign(b, c.authority)}).reason == "weak key");
    }
    SECTION("a bad signature") {
        auto h = handover(c, c.authority, kNew);
        h.signature[5] ^= 1;
        CHECK(refused(st, {h}).reason == "wrong user");
    }
}

TEST_CASE("rotation: the recovery key of block 0", "[rotation]") {
    TestChain c;
    const Block g0 = recovery_genesis(c, kRecovery.ed25519);
    const Hash32 id = must(check_genesis_block(g0));
    CHECK(id != c.id); // the recovery key is part of the chain id
    MemoryState st = recovery_state(c, g0);
    CHECK(must(st.authority()).recovery == kRecovery.ed25519);
    auto on = [&](Authority b, const SecretKey& k) { return sign_record(b, id, k.seed); };

    SECTION("it hands over, keeping itself") {
        TestChain::apply(st, {on(handover_body(kRecovery, kNew, kRecovery.ed25519), kRecovery)},
                         kT0, 1);
        const AuthorityState a = must(st.authority());
        CHECK(a.current().ed25519 == kNew.ed25519);
        CHECK(a.recovery == kRecovery.ed25519);
        // The authority it replaced is a former one now.
        Credential body = c.credential_body(c.producer, role_producer, 1);
        const Error e =
            must_fail(apply_records(st, {sign_record(body, id, c.authority.seed)}, kT0 + 1, 2));
        CHECK_THAT(e.detail, Catch::Contains("signed by a former authority"));
    }
    SECTION("it names a new recovery key") {
        TestChain::apply(st, {on(handover_body(kRecovery, kNew, kThird.ed25519), kRecovery)}, kT0,
                         1);
        CHECK(must(st.authority()).recovery == kThird.ed25519);
    }
    SECTION("never none") {
        const Error e =
            must_fail(apply_records(st, {on(handover_body(kRecovery, kNew), kRecovery)}, kT0, 1));
        CHECK(e.reason == "recovery key kept");
    }
    SECTION("the authority keeps the recovery key") {
        TestChain::apply(st, {on(handover_body(c.authority, kNew, kRecovery.ed25519), c.authority)},
                         kT0, 1);
        const Error e = must_fail(
            apply_records(st, {on(handover_body(kNew, kThird, kThird.ed25519), kNew)}, kT0 + 1, 2));
        CHECK(e.reason == "recovery key kept");
    }
    SECTION("it signs no credential") {
        Credential body = c.credential_body(c.producer, role_producer, 1);
        body.authority = kRecovery.id();
        const Error e =
            must_fail(apply_records(st, {sign_record(body, id, kRecovery.seed)}, kT0, 1));
        CHECK_THAT(e.detail, Catch::Contains("signs authority records only"));
    }
    SECTION("no credential names the recovery key or an authority's key, past or present") {
        auto admit = [&](const SecretKey& who, std::uint64_t serial) {
            return sign_record(c.credential_body(who, role_producer, serial), id, c.authority.seed);
        };
        Error e = must_fail(apply_records(st, {admit(kRecovery, 1)}, kT0, 1));
        CHECK(e.reason == "key in use");
        CHECK_THAT(e.detail, Catch::Contains("the credential's key is the chain's recovery key"));
        e = must_fail(apply_records(st, {admit(c.authority, 1)}, kT0, 1));
        CHECK(e.reason == "key in use");
        CHECK_THAT(e.detail, Catch::Contains("is the authority"));
        TestChain::apply(st, {on(handover_body(c.authority, kNew, kRecovery.ed25519), c.authority)},
                         kT0, 1);
        Credential former = c.credential_body(c.authority, role_producer, 1);
        former.authority = kNew.id();
        e = must_fail(apply_records(st, {sign_record(former, id, kNew.seed)}, kT0 + 1, 2));
        CHECK(e.reason == "key in use"); // a former authority's key stays out of the market
        CHECK(apply_records(st, {[&] {
                                Credential ok = c.credential_body(c.producer, role_producer, 1);
                                ok.authority = kNew.id();
                                return sign_record(ok, id, kNew.seed);
                            }()},
                            kT0 + 1, 2));
    }
    SECTION("the new authority may not be the recovery key") {
        const Error e = must_fail(apply_records(
            st, {on(handover_body(c.authority, kRecovery, kRecovery.ed25519), c.authority)}, kT0,
            1));
        CHECK(e.reason == "key in use");
    }
}

TEST_CASE("rotation: block 0's authority record", "[rotation]") {
    TestChain c;
    auto block0 = [&](Signed<Authority> r) {
        return must(mine_block({c.genesis, r}, Hash32{}, static_cast<std::uint32_t>(kT0 - kHour),
                               c.genesis.body.bits, 1));
    };
    const Signed<Authority> good = genesis_recovery(c.genesis.body, c.authority, kRecovery.ed25519);
    REQUIRE(check_genesis_block(block0(good)));
    Authority b = good.body;
    b.ed25519 = kNew.ed25519; // a hand-over in block 0
    CHECK(
        must_fail(check_genesis_block(block0(sign_record(b, kNoChain, c.authority.seed)))).reason ==
        "bad genesis");
    b = good.body;
    b.recovery = c.authority.ed25519;
    CHECK(
        must_fail(check_genesis_block(block0(sign_record(b, kNoChain, c.authority.seed)))).reason ==
        "bad genesis");
    CHECK(must_fail(check_genesis_block(block0(sign_record(good.body, c.id, c.authority.seed))))
              .reason == "bad genesis");
    CHECK(must_fail(check_genesis_block(block0(sign_record(good.body, kNoChain, kNew.seed))))
              .reason == "bad genesis");
}

TEST_CASE("rotation: issue_rotation", "[rotation]") {
    TestChain c;
    const MemoryState st = c.market_state();
    RotationTerms t;
    t.time = kT0;
    t.reason = "yearly";
    const auto r = must(issue_rotation(st, c.authority, identity_of(kNew), t));
    CHECK(r.body.ed25519 == kNew.ed25519);
    CHECK(r.body.signed_by == c.authority.id());
    CHECK(must_fail(issue_rotation(st, kThird, identity_of(kNew), t)).reason ==
          "not the authority");
    CHECK(must_fail(issue_rotation(st, c.authority, identity_of(c.authority), t)).reason ==
          "key in use");
    t.recovery = true;
    CHECK(must_fail(issue_rotation(st, c.authority, identity_of(kNew), t)).reason ==
          "no recovery key");
    // After the hand-over, the former key may not issue credentials.
    MemoryState after = c.market_state();
    TestChain::apply(after, {r}, kT0, 2);
    CredentialTerms ct;
    ct.roles = role_producer;
    ct.zone = "north";
    ct.valid_from = kT0;
    ct.valid_until = kT0 + kDay;
    const Error e =
        must_fail(issue_credential(after, c.authority, identity_of(key_of(40, "z")), ct, 20));
    CHECK(e.reason == "not the authority");
    CHECK_THAT(e.detail, Catch::Contains("former authority"));
    CHECK(issue_credential(after, kNew, identity_of(key_of(40, "z")), ct, 20));
}

TEST_CASE("rotation: the store keeps the authority; verify replays it", "[rotation]") {
    TestChain c;
    TempDir dir;
    const Block g0 = recovery_genesis(c, kRecovery.ed25519);
    const Hash32 id = must(check_genesis_block(g0));
    Store s = must(Store::create(dir / "chain", g0));
    CHECK(must(must(s.snapshot())->state().authority()).recovery == kRecovery.ed25519);
    auto append = [&](std::vector<Record> recs, std::int64_t now) {
        const Tip t = tip_of(s);
        const Block b = must(mine_block(std::move(recs), t.hash, next_block_time(t.last_times, now),
                                        g0.header.bits, 1));
        return s.append_if_tip(b, t.hash, now, 1);
    };
    Credential early = c.credential_body(c.producer, role_producer, 1);
    REQUIRE(append({sign_record(early, id, c.authority.seed)}, kT0));
    REQUIRE(
        append({sign_record(handover_body(kRecovery, kNew, kRecovery.ed25519), id, kRecovery.seed)},
               kT0 + kMinute));
    Credential late = c.credential_body(c.consumer, role_consumer, 2);
    const Status old_key = append({sign_record(late, id, c.authority.seed)}, kT0 + 2 * kMinute);
    REQUIRE_FALSE(old_key);
    CHECK_THAT(old_key.error().detail, Catch::Contains("signed by a former authority"));
    late.authority = kNew.id();
    REQUIRE(append({sign_record(late, id, kNew.seed)}, kT0 + 2 * kMinute));

    auto snap = must(s.snapshot());
    const AuthorityState a = must(snap->state().authority());
    CHECK(a.terms.size() == 2);
    CHECK(a.current().from_height == 2);
    // The whole chain verifies again: the early credential by the former key
    // in block 1 stays valid there.
    const VerifiedChain v = must(verify_chain(snap->state(), kT0 + kHour, 1, {}));
    CHECK(v.report.height == 3);
    CHECK(v.report.by_type.at("authority") == 2);
    CHECK(must(v.state->authority()) == a);
}
