// authority.hpp - the trusted server of the paper (user identification uI,
// user authentication uA): admitting participants, revoking them, and the
// mutual key two parties share (Figure 4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keyfile.hpp"
#include "records.hpp"
#include "rules.hpp"

namespace setm {

// Proof of possession: the identity's self-signature verifies, its keys are
// not weak. Exit::rejected otherwise.
Status check_identity(const Signed<Identity>& id);

struct CredentialTerms {
    std::uint8_t roles = 0;
    std::string zone;
    std::string meter;
    std::int64_t max_energy_wh = 0;
    std::int64_t valid_from = 0;
    std::int64_t valid_until = 0;
    // A renewal (setm-auth register --renew): the participant holds a
    // credential that lasts past the new one's start, and the new one takes
    // over from its start. Without it, such a participant is refused
    // ("already registered"), as a second registration by mistake would be.
    bool renew = false;
};

// The credential the authority signs for an identity, after checking it
// against the registry in `st` (one active credential per key, one per
// meter) and the terms. Exit::rejected for a failed proof of possession,
// Exit::bad_input for a refused registration.
Result<Signed<Credential>> issue_credential(const StateReader& st, const SecretKey& authority,
                                            const Signed<Identity>& id,
                                            const CredentialTerms& terms, std::uint64_t serial);

// The key signs for the chain's authority in office (st.authority()).
// Exit::rejected "not the authority" naming a former authority as such.
Status check_authority_key(const StateReader& st, const SecretKey& key);

// A hand-over of the authority (setm(7), AUTHORITY ROTATION).
struct RotationTerms {
    bool recovery = false; // signed by the recovery key, not the authority in office
    std::optional<Signed<Identity>> new_recovery; // the recovery key's successor (recovery only)
    std::int64_t time = 0;
    std::string reason;
};

// The authority record naming `successor` (its identity, with proof of
// possession) as the authority, signed by `key`: the authority in office, or
// with terms.recovery the chain's recovery key; checked by the chain's own
// rules first ("key in use", "no recovery key", ...).
Result<Signed<Authority>> issue_rotation(const StateReader& st, const SecretKey& key,
                                         const Signed<Identity>& successor,
                                         const RotationTerms& terms);

// Block 0's authority record: the genesis authority sets the recovery key.
Signed<Authority> genesis_recovery(const Genesis& g, const SecretKey& authority,
                                   const PublicKey& recovery);

// A hand-over (setm-auth register --replaces OLD, setm(7) HAND-OVERS): the
// hand-over record from the key `old` to the identity's key, from
// terms.valid_from, then the new key's credential, both checked by the
// chain's rules in that order, as their block will be. Terms not given
// (roles 0, zone, meter, limit empty) are the old key's latest
// credential's. Exit::bad_input for a refused hand-over.
Result<std::vector<Record>> issue_handover(const StateReader& st, const SecretKey& authority,
                                           const ParticipantId& old, const Signed<Identity>& id,
                                           CredentialTerms terms, std::uint64_t serial,
                                           const std::string& reason);

Result<Signed<Revocation>> issue_revocation(const StateReader& st, const SecretKey& authority,
                                            std::uint64_t serial, std::int64_t time,
                                            const std::string& reason);

// The imbalance price (cEUR/MWh) for the slots from valid_from on, signed
// at `now`, checked against the chain's rules as of `now` (Tariff in
// records.hpp): "not the authority", "retroactive tariff", "beyond limits".
Result<Signed<Tariff>> issue_tariff(const StateReader& st, const SecretKey& authority,
                                    std::int64_t imbalance_price, std::int64_t valid_from,
                                    std::int64_t now);

// Status of a registry entry at time t.
enum class CredentialStatus { active, revoked, expired, not_yet_valid, renewed };
const char* status_name(CredentialStatus s);
CredentialStatus status_at(const RegistryEntry& e, std::int64_t t);
// The same in the registry: an entry valid at t whose holder's renewal
// decides then (active_credential) is "renewed", not active.
Result<CredentialStatus> registry_status(const StateReader& st, const RegistryEntry& e,
                                         std::int64_t t);

// The mutual key: X25519(my, peer), then HKDF-SHA256 with the chain id as
// salt and info = "setm/mutual/v1" || both X25519 public keys in ascending
// order || context. Both sides derive the same 32 bytes; nobody else can.
Result<std::array<std::uint8_t, 32>> mutual_key(const SecretKey& me, const PublicKey& peer_x25519,
                                                const Hash32& chain, const std::string& context);

// A short private note sealed under the mutual key (XChaCha20-Poly1305,
// random nonce; the additional data binds sender, receiver and context).
struct SealedNote {
    ParticipantId from{};
    ParticipantId to{};
    std::string context;
    std::array<std::uint8_t, 24> nonce{};
    Bytes ciphertext;
};
std::string to_json(const SealedNote& n);
Result<SealedNote> sealed_note_from_json(const rapidjson::Value& obj);
SealedNote seal_note(const std::array<std::uint8_t, 32>& key, const ParticipantId& from,
                     const ParticipantId& to, const std::string& context, const std::string& note);
// Exit::rejected "decryption failed" for a tampered note or the wrong key.
Result<std::string> open_note(const std::array<std::uint8_t, 32>& key, const SealedNote& n);

} // namespace setm
