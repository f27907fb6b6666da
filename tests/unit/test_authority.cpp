// The authority: proof of possession, issuing, status, the mutual key and
// sealed notes.
#include <catch2/catch.hpp>

#include <string>

#include "authority.hpp"
#include "fixtures.hpp"

using namespace setm;
using namespace setm::test;

namespace {

CredentialTerms terms(std::uint8_t roles) {
    CredentialTerms t;
    t.roles = roles;
    t.zone = "north";
    t.valid_from = kT0 - kDay;
    t.valid_until = kT0 + 30 * kDay;
    return t;
}

} // namespace

TEST_CASE("authority: check_identity", "[authority]") {
    const SecretKey k = key_of(9, "alice");
    const auto good = identity_of(k);
    REQUIRE(check_identity(good));

    SECTION("a forged self-signature") {
        // Alice's keys and name, signed by mallory.
        const auto forged = sign_record(good.body, kNoChain, key_of(10, "mallory").seed);
        const Status s = check_identity(forged);
        REQUIRE_FALSE(s);
        CHECK(s.error().code == Exit::rejected);
        CHECK(s.error().reason == "bad signature");
        auto renamed = good;
        renamed.body.name = "alice2";
        CHECK(check_identity(renamed).error().reason == "bad signature");
        auto flipped = good;
        flipped.signature[63] ^= 0x10;
        CHECK(check_identity(flipped).error().reason == "bad signature");
    }
    SECTION("a small-order Ed25519 key") {
        Signed<Identity> id;
        id.body.name = "zero";
        id.body.ed25519 = PublicKey{};
        id.body.ed25519[0] = 1; // y = 1: the neutral element
        id.body.x25519 = k.x25519;
        id.signature = Signature{};
        id.signature[0] =
            1; // with this key, R = identity and S = 0 "verify" any message in lax checkers
        const Status s = check_identity(id);
        REQUIRE_FALSE(s);
        CHECK(s.error().code == Exit::rejected);
        CHECK(s.error().reason == "weak key");
    }
    SECTION("a small-order X25519 key") {
        Identity body = good.body;
        body.x25519 = PublicKey{}; // all zero
        const Status s = check_identity(sign_record(body, kNoChain, k.seed));
        REQUIRE_FALSE(s);
        CHECK(s.error().code == Exit::rejected);
        CHECK(s.error().reason == "weak key");
        body.x25519[0] = 1; // u = 1: a point of order 4
        CHECK(check_identity(sign_record(body, kNoChain, k.seed)).error().reason == "weak key");
    }
    SECTION("bound to a chain") {
        Hash32 chain{};
        chain[0] = 1;
        const Status s = check_identity(sign_record(good.body, chain, k.seed));
        REQUIRE_FALSE(s);
        CHECK(s.error().code == Exit::rejected);
        CHECK(s.error().reason == "bad identity");
    }
}

TEST_CASE("authority: issue_credential", "[authority]") {
    TestChain c;
    const MemoryState st = c.market_state();
    const SecretKey alice = key_of(9, "alice");
    const auto id = identity_of(alice);

    const auto cred = must(issue_credential(st, c.authority, id, terms(role_consumer), 10));
    CHECK(cred.chain == c.id);
    CHECK(cred.body.participant == alice.id());
    CHECK(cred.body.name == "alice");
    CHECK(cred.body.authority == c.authority.id());
    CHECK(cred.body.serial == 10);
    CHECK(signature_valid(cred, c.authority.ed25519));
    CHECK(apply_records(st, {cred}, kT0, 2));

    // Not the authority of this chain.
    Error e = must_fail(issue_credential(st, c.producer, id, terms(role_consumer), 10));
    CHECK(e.code == Exit::rejected);
    CHECK(e.reason == "not the authority");
    // A failed proof of possession.
    auto forged = id;
    forged.body.name = "mallory";
    e = must_fail(issue_credential(st, c.authority, forged, terms(role_consumer), 10));
    CHECK(e.code == Exit::rejected);
    CHECK(e.reason == "bad signature");
    // The chain's rules: an active key, a taken serial, no role, a taken meter.
    e = must_fail(
        issue_credential(st, c.authority, identity_of(c.producer), terms(role_producer), 10));
    CHECK(e.code == Exit::bad_input);
    CHECK(e.reason == "already registered");
    CHECK(must_fail(issue_credential(st, c.authority, id, terms(role_consumer), 1)).reason ==
          "duplicate serial");
    CHECK(must_fail(issue_credential(st, c.authority, id, terms(0), 10)).reason ==
          "bad credential");
    MemoryState with_meter = c.empty_state();
    auto metered = c.credential_body(c.producer, role_producer, 1);
    metered.meter = "M1";
    TestChain::apply(with_meter, {c.admit(metered)}, kT0, 1);
    auto t = terms(role_consumer);
    t.meter = "M1";
    CHECK(must_fail(issue_credential(with_meter, c.authority, id, t, 2)).reason == "meter taken");
}

TEST_CASE("authority: issue_revocation and credential status", "[authority]") {
    TestChain c;
    MemoryState st = c.market_state();
    const auto rev = must(issue_revocation(st, c.authority, 2, kT0 + kHour, "moved away"));
    CHECK(rev.body.participant == c.consumer.id());
    CHECK(rev.body.authority == c.authority.id());
    CHECK(signature_valid(rev, c.authority.ed25519));
    CHECK(must_fail(issue_revocation(st, c.producer, 2, kT0, "x")).reason == "not the authority");
    CHECK(must_fail(issue_revocation(st, c.authority, 99, kT0, "x")).reason == "unknown serial");

    const RegistryEntry before = *must(st.credential(2));
    CHECK(status_at(before, kT0) == CredentialStatus::active);
    CHECK(status_at(before, before.credential.body.valid_from - 1) ==
          CredentialStatus::not_yet_valid);
    CHECK(status_at(before, before.credential.body.valid_until) == CredentialStatus::expired);
    TestChain::apply(st, {rev}, kT0, 2);
    const RegistryEntry after = *must(st.credential(2));
    CHECK(status_at(after, kT0 + kHour - 1) == CredentialStatus::active);
    CHECK(status_at(after, kT0 + kHour) == CredentialStatus::revoked);
    CHECK(std::string(status_name(CredentialStatus::not_yet_valid)) == "not yet valid");
    CHECK(must_fail(issue_revocation(st, c.authority, 2, kT0, "x")).reason == "already revoked");
}

TEST_CASE("authority: the mutual key", "[authority]") {
    const SecretKey a = key_of(11, "a"), b = key_of(12, "b"), e = key_of(13, "eve");
    Hash32 chain{};
    chain[0] = 7;
    const auto ab = must(mutual_key(a, b.x25519, chain, "trade-1"));
    const auto ba = must(mutual_key(b, a.x25519, chain, "trade-1"));
    CHECK(ab == ba);
    CHECK(must(mutual_key(a, b.x25519, chain, "trade-2")) != ab);
    CHECK(must(mutual_key(a, b.x25519, chain, "")) != ab);
    Hash32 other = chain;
    other[31] = 1;
    CHECK(must(mutual_key(a, b.x25519, other, "trade-1")) != ab);
    CHECK(must(mutual_key(a, e.x25519, chain, "trade-1")) != ab);
    CHECK(must(mutual_key(e, b.x25519, chain, "trade-1")) != ab);
    // A small-order peer key is refused, not turned into a predictable key.
    const Error weak = must_fail(mutual_key(a, PublicKey{}, chain, "trade-1"));
    CHECK(weak.code == Exit::rejected);
    CHECK(weak.reason == "weak key");
}

TEST_CASE("authority: sealed notes", "[authority]") {
    const SecretKey a = key_of(11, "a"), b = key_of(12, "b"), e = key_of(13, "eve");
    Hash32 chain{};
    chain[0] = 7;
    const auto key = must(mutual_key(a, b.x25519, chain, "trade-1"));
    const SealedNote n = seal_note(key, a.id(), b.id(), "trade-1", "meter reading 1234 kWh");
    const auto bkey = must(mutual_key(b, a.x25519, chain, "trade-1"));
    CHECK(must(open_note(bkey, n)) == "meter reading 1234 kWh");
    CHECK(n.ciphertext.size() == std::string("meter reading 1234 kWh").size() + 16);
    // Random nonces: the same note seals differently.
    CHECK(seal_note(key, a.id(), b.id(), "trade-1", "x").nonce !=
          seal_note(key, a.id(), b.id(), "trade-1", "x").nonce);

    auto expect_rejected = [&](const std::array<std::uint8_t, 32>& k, const SealedNote& note) {
        const Error err = must_fail(open_note(k, note));
        CHECK(err.code == Exit::rejected);
        CHECK(err.reason == "decryption failed");
    };
    SealedNote t = n;
    t.ciphertext[0] ^= 1;
    expect_rejected(key, t);
    t = n;
    t.ciphertext.back() ^= 1; // the tag
    expect_rejected(key, t);
    t = n;
    t.ciphertext.pop_back();
    expect_rejected(key, t);
    t = n;
    t.context = "trade-2";
    expect_rejected(key, t);
    t = n;
    t.from = e.id();
    expect_rejected(key, t);
    t = n;
    t.nonce[0] ^= 1;
    expect_rejected(key, t);
    // The wrong recipient: eve derives her own key with a.
    expect_rejected(must(mutual_key(e, a.x25519, chain, "trade-1")), n);

    // JSON round trip.
    rapidjson::Document d = must(parse_json_object(to_json(n)));
    const SealedNote back = must(sealed_note_from_json(d));
    CHECK(back.from == n.from);
    CHECK(back.to == n.to);
    CHECK(back.context == n.context);
    CHECK(back.nonce == n.nonce);
    CHECK(back.ciphertext == n.ciphertext);
    CHECK(must(open_note(key, back)) == "meter reading 1234 kWh");
    d.AddMember("extra", true, d.GetAllocator());
    CHECK(must_fail(sealed_note_from_json(d)).reason == "unknown field");
}
