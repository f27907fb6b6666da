#include "authority.hpp"

#include <algorithm>

#include "crypto.hpp"
#include "units.hpp"

namespace setm {

Status check_identity(const Signed<Identity>& id) {
    const std::string who =
        "identity " + participant_hex(id.body.signer()) + " (" + id.body.name + ")";
    if (id.chain != kNoChain)
        return make_error(Exit::rejected, "bad identity", who + " is bound to a chain");
    if (!ed25519_public_key_acceptable(id.body.ed25519))
        return make_error(Exit::rejected, "weak key",
                          who + ": Ed25519 key of small order or not canonical");
    if (!signature_valid(id, id.body.ed25519))
        return make_error(Exit::rejected, "bad signature",
                          who + ": no proof of possession of the key");
    std::array<std::uint8_t, 32> probe{};
    probe[0] = 1;
    if (!x25519_agree(probe, id.body.x25519))
        return make_error(Exit::rejected, "weak key", who + ": X25519 key of small order");
    return ok_status();
}

Status check_authority_key(const StateReader& st, const SecretKey& key) {
    SETM_TRY(const AuthorityState a, st.authority());
    if (key.ed25519 == a.current().ed25519) return ok_status();
    for (std::size_t i = 0; i + 1 < a.terms.size(); ++i)
        if (key.ed25519 == a.terms[i].ed25519)
            return make_error(Exit::rejected, "not the authority",
                              "this key is a former authority: " + a.terms[i].name +
                                  " handed over to " + a.terms[i + 1].name + " in block " +
                                  std::to_string(a.terms[i + 1].from_height))
                .with_hint("sign with the key of the authority in office");
    if (a.terms.size() == 1)
        return make_error(Exit::rejected, "not the authority", "this key did not start the chain");
    return make_error(Exit::rejected, "not the authority",
                      "this key is not the authority in office, " + a.current().name +
                          " since block " + std::to_string(a.current().from_height));
}

namespace {

// The authority's intent, beside the chain's rule: a registration of a
// participant who holds a credential lasting past the new start is a
// renewal only when asked for one, and a renewal renews something.
Status check_renew_intent(const StateReader& st, const Credential& c, bool renew) {
    SETM_TRY(const auto serials, st.serials_of_holder(c.participant));
    std::optional<std::uint64_t> held;
    for (std::uint64_t s : serials) {
        SETM_TRY(auto e, st.credential(s));
        if (e && !e->revoked && e->credential.body.valid_until > c.valid_from) held = s;
    }
    const std::string who = participant_hex(c.participant) + " (" + c.name + ")";
    if (held && !renew)
        return make_error(Exit::bad_input, "already registered",
                          who + " holds active credential serial " + std::to_string(*held))
            .with_hint("to renew it ahead of its end, register with --renew");
    if (!held && renew)
        return make_error(Exit::bad_input, "nothing to renew",
                          who + " holds no credential that lasts past " + format_utc(c.valid_from))
            .with_hint("register without --renew");
    return ok_status();
}

} // namespace

Result<Signed<Credential>> issue_credential(const StateReader& st, const SecretKey& authority,
                                            const Signed<Identity>& id,
                                            const CredentialTerms& terms, std::uint64_t serial) {
    SETM_CHECK(check_identity(id));
    SETM_CHECK(check_authority_key(st, authority));
    Credential c;
    c.serial = serial;
    c.participant = id.body.signer();
    c.name = id.body.name;
    c.ed25519 = id.body.ed25519;
    c.x25519 = id.body.x25519;
    c.roles = terms.roles;
    c.zone = terms.zone;
    c.meter = terms.meter;
    c.max_energy_wh = terms.max_energy_wh;
    c.valid_from = terms.valid_from;
    c.valid_until = terms.valid_until;
    c.authority = authority.id();
    Signed<Credential> s = sign_record(c, st.chain_id(), authority.seed);
    // The chain's own rules decide; run them now so a refusal comes early.
    StateDelta trial(st);
    Status ok = apply_record(trial, s, terms.valid_from, 0);
    if (!ok) return ok.error();
    SETM_CHECK(check_renew_intent(st, c, terms.renew)); // after the chain's own refusals
    return s;
}

namespace {

// What a hand-over's new credential keeps of the old key's latest one when
// not given: the roles, the zone, the meter, the limit.
Status inherit_terms(const StateReader& st, const ParticipantId& old, CredentialTerms& t) {
    SETM_TRY(auto serial, st.serial_of(old));
    if (!serial)
        return make_error(Exit::bad_input, "unknown participant",
                          participant_hex(old) + " holds no credential on this chain");
    SETM_TRY(auto e, st.credential(*serial));
    if (!e) return make_error(Exit::io, "store unreadable", "registry names a missing credential");
    const Credential& c = e->credential.body;
    if (t.roles == 0) t.roles = c.roles;
    if (t.zone.empty()) t.zone = c.zone;
    if (t.meter.empty()) t.meter = c.meter;
    if (t.max_energy_wh == 0) t.max_energy_wh = c.max_energy_wh;
    return ok_status();
}

} // namespace

Result<std::vector<Record>> issue_handover(const StateReader& st, const SecretKey& authority,
                                           const ParticipantId& old, const Signed<Identity>& id,
                                           CredentialTerms terms, std::uint64_t serial,
                                           const std::string& reason) {
    SETM_CHECK(check_identity(id));
    SETM_CHECK(check_authority_key(st, authority));
    SETM_CHECK(inherit_terms(st, old, terms));
    const Handover h{old, id.body.signer(), terms.valid_from, reason, authority.id()};
    const Signed<Handover> handover = sign_record(h, st.chain_id(), authority.seed);
    StateDelta trial(st); // the chain's rules, as the block will run them
    SETM_CHECK(apply_record(trial, handover, terms.valid_from, 0));
    SETM_TRY(Signed<Credential> c, issue_credential(trial, authority, id, terms, serial));
    return std::vector<Record>{handover, c};
}

Result<Signed<Revocation>> issue_revocation(const StateReader& st, const SecretKey& authority,
                                            std::uint64_t serial, std::int64_t time,
                                            const std::string& reason) {
    SETM_CHECK(check_authority_key(st, authority));
    SETM_TRY(auto entry, st.credential(serial));
    if (!entry)
        return make_error(Exit::bad_input, "unknown serial",
                          "no credential with serial " + std::to_string(serial));
    if (entry->revoked)
        return make_error(Exit::bad_input, "already revoked", "serial " + std::to_string(serial));
    Revocation r{serial, entry->credential.body.participant, time, reason, authority.id()};
    return sign_record(r, st.chain_id(), authority.seed);
}

namespace {

// Which key signs a rotation: the authority in office, or with
// terms.recovery the recovery key.
Status check_rotation_signer(const StateReader& st, const SecretKey& key,
                             const RotationTerms& terms) {
    SETM_TRY(const AuthorityState a, st.authority());
    if (terms.new_recovery && !terms.recovery)
        return make_error(Exit::usage, "recovery key kept",
                          "only the recovery key may name a new recovery key")
            .with_hint("sign with the recovery key: --recovery --key RECOVERY.key");
    if (!terms.recovery) return check_authority_key(st, key);
    if (a.recovery == PublicKey{})
        return make_error(Exit::rejected, "no recovery key",
                          "the chain was started without one (setm-auth init --recovery-key)")
            .with_hint("sign with the key of the authority in office, without --recovery");
    if (key.ed25519 != a.recovery)
        return make_error(Exit::rejected, "not the recovery key",
                          "this key is not the chain's recovery key " +
                              participant_hex(participant_id(a.recovery)));
    return ok_status();
}

} // namespace

Result<Signed<Authority>> issue_rotation(const StateReader& st, const SecretKey& key,
                                         const Signed<Identity>& successor,
                                         const RotationTerms& terms) {
    SETM_CHECK(check_identity(successor));
    if (terms.new_recovery) SETM_CHECK(check_identity(*terms.new_recovery));
    SETM_CHECK(check_rotation_signer(st, key, terms));
    SETM_TRY(const AuthorityState a, st.authority());
    Authority b;
    b.signed_by = key.id();
    b.name = successor.body.name;
    b.ed25519 = successor.body.ed25519;
    b.x25519 = successor.body.x25519;
    b.recovery = terms.new_recovery ? terms.new_recovery->body.ed25519 : a.recovery;
    b.time = terms.time;
    b.reason = terms.reason;
    Signed<Authority> s = sign_record(b, st.chain_id(), key.seed);
    StateDelta trial(st); // the chain's own rules decide; run them now
    Status ok = apply_record(trial, s, terms.time, 0);
    if (!ok) return ok.error();
    return s;
}

Signed<Authority> genesis_recovery(const Genesis& g, const SecretKey& authority,
                                   const PublicKey& recovery) {
    Authority b;
    b.signed_by = authority.id();
    b.name = g.authority_name;
    b.ed25519 = g.authority_ed25519;
    b.x25519 = g.authority_x25519;
    b.recovery = recovery;
    b.time = g.created;
    b.reason = "the recovery key, set at init";
    return sign_record(b, kNoChain, authority.seed);
}

Result<Signed<Tariff>> issue_tariff(const StateReader& st, const SecretKey& authority,
                                    std::int64_t imbalance_price, std::int64_t valid_from,
                                    std::int64_t now) {
    SETM_CHECK(check_authority_key(st, authority));
    const Signed<Tariff> t = sign_record(Tariff{imbalance_price, valid_from, now, authority.id()},
                                         st.chain_id(), authority.seed);
    StateDelta trial(st);
    SETM_CHECK(apply_record(trial, t, now, 0));
    return t;
}

const char* status_name(CredentialStatus s) {
    switch (s) {
    case CredentialStatus::active: return "active";
    case CredentialStatus::revoked: return "revoked";
    case CredentialStatus::expired: return "expired";
    case CredentialStatus::not_yet_valid: return "not yet valid";
    case CredentialStatus::renewed: return "renewed";
    }
    return "unknown";
}

CredentialStatus status_at(const RegistryEntry& e, std::int64_t t) {
    if (e.revoked && e.revoked_at <= t) return CredentialStatus::revoked; // as of t, historically
    if (t >= e.credential.body.valid_until) return CredentialStatus::expired;
    if (t < e.credential.body.valid_from) return CredentialStatus::not_yet_valid;
    return CredentialStatus::active;
}

Result<CredentialStatus> registry_status(const StateReader& st, const RegistryEntry& e,
                                         std::int64_t t) {
    const CredentialStatus s = status_at(e, t);
    if (s != CredentialStatus::active) return s;
    auto c = active_credential(st, e.credential.body.participant, t);
    if (!c) return c.error().code == Exit::rejected ? s : Result<CredentialStatus>(c.error());
    return c->serial == e.credential.body.serial ? s : CredentialStatus::renewed;
}

Result<std::array<std::uint8_t, 32>> mutual_key(const SecretKey& me, const PublicKey& peer_x25519,
                                                const Hash32& chain, const std::string& context) {
    auto shared = x25519_agree(me.x25519_private(), peer_x25519);
    if (!shared) return shared.error();
    const std::string tag = "setm/mutual/v1";
    Bytes info(tag.begin(), tag.end());
    const PublicKey& a = std::min(me.x25519, peer_x25519);
    const PublicKey& b = std::max(me.x25519, peer_x25519);
    info.insert(info.end(), a.begin(), a.end());
    info.insert(info.end(), b.begin(), b.end());
    info.insert(info.end(), context.begin(), context.end());
    const Bytes k = hkdf_sha256(Bytes(shared->begin(), shared->end()),
                                Bytes(chain.begin(), chain.end()), info, 32);
    std::array<std::uint8_t, 32> out{};
    std::copy(k.begin(), k.end(), out.begin());
    return out;
}

namespace {
Bytes note_aad(const ParticipantId& from, const ParticipantId& to, const std::string& context) {
    const std::string tag = "setm/note/v1";
    Bytes aad(tag.begin(), tag.end());
    aad.insert(aad.end(), from.begin(), from.end());
    aad.insert(aad.end(), to.begin(), to.end());
    aad.insert(aad.end(), context.begin(), context.end());
    return aad;
}
} // namespace

SealedNote seal_note(const std::array<std::uint8_t, 32>& key, const ParticipantId& from,
                     const ParticipantId& to, const std::string& context, const std::string& note) {
    SealedNote n{from, to, context, {}, {}};
    random_bytes(n.nonce.data(), n.nonce.size());
    n.ciphertext =
        aead_seal(key, n.nonce, note_aad(from, to, context), Bytes(note.begin(), note.end()));
    return n;
}

Result<std::string> open_note(const std::array<std::uint8_t, 32>& key, const SealedNote& n) {
    auto plain = aead_open(key, n.nonce, note_aad(n.from, n.to, n.context), n.ciphertext);
    if (!plain)
        return make_error(Exit::rejected, "decryption failed",
                          "the note was tampered with or is not for this key");
    return std::string(plain->begin(), plain->end());
}

std::string to_json(const SealedNote& n) {
    JsonOut o;
    o.begin_object();
    o.field("type", "sealed-note");
    o.field("from", participant_hex(n.from));
    o.field("to", participant_hex(n.to));
    o.field("context", n.context);
    o.field("nonce", to_hex(n.nonce));
    o.field("ciphertext", to_hex(n.ciphertext));
    o.end_object();
    return o.str();
}

Result<SealedNote> sealed_note_from_json(const rapidjson::Value& obj) {
    ObjectReader in(obj);
    SETM_TRY(std::string type, in.str("type"));
    if (type != "sealed-note") return in.field_error("type", "expected \"sealed-note\"");
    SealedNote n;
    SETM_TRY(n.from, in.hex_fixed<16>("from"));
    SETM_TRY(n.to, in.hex_fixed<16>("to"));
    SETM_TRY(n.context, in.str("context"));
    SETM_TRY(n.nonce, in.hex_fixed<24>("nonce"));
    SETM_TRY(n.ciphertext, in.hex("ciphertext"));
    SETM_CHECK(in.finish());
    return n;
}

} // namespace setm
