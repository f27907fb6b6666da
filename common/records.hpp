// records.hpp - the typed records of setm and their JSON form.
//
// Each record is a plain struct (the signed body) with one cereal
// `serialize` listing its fields in canonical order. A signed record pairs
// a body with an Ed25519 signature over canonical_bytes(tag, chain, body).
// A record's id is SHA-256 of those canonical bytes, never of the signature.
//
// Units: energy in Wh, prices in cEUR/MWh, money in 1e-8 EUR, times in Unix
// seconds (JSON: "2026-11-25T10:00:00Z"). See units.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <cereal/types/array.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "bytes.hpp"
#include "canonical.hpp"
#include "error.hpp"
#include "json.hpp"

namespace setm {

using ParticipantId = std::array<std::uint8_t, 16>;

// id = first 16 bytes of SHA-256("setm/participant/v1" || ed25519 public key)
ParticipantId participant_id(const PublicKey& ed25519_public);

// The chain id a record is bound to before any chain exists (identities).
inline constexpr Hash32 kNoChain{};

// ---- roles ------------------------------------------------------------------
enum Role : std::uint8_t { role_producer = 1, role_consumer = 2, role_agent = 4 };
// "producer", "consumer", "prosumer" (= both), "agent"; error "bad role".
Result<std::uint8_t> parse_role(std::string_view name);
std::vector<std::string> role_names(std::uint8_t roles); // canonical order

// ---- bodies -------------------------------------------------------------------
// A participant's public identity, self-signed (proof of possession), like a
// certificate signing request. Bound to kNoChain.
struct Identity {
    static constexpr const char* tag = "setm/identity/v1";
    static constexpr const char* type = "identity";
    std::string name;
    PublicKey ed25519{};
    PublicKey x25519{};
    template <class A>
    void serialize(A& ar) {
        ar(name, ed25519, x25519);
    }
    ParticipantId signer() const { return participant_id(ed25519); }
};

// The genesis record: the authority and the chain's parameters. The hash of
// the genesis block is the chain id. Signed by the authority with kNoChain.
struct Genesis {
    static constexpr const char* tag = "setm/genesis/v1";
    static constexpr const char* type = "genesis";
    std::string chain_name;
    std::string authority_name;
    PublicKey authority_ed25519{};
    PublicKey authority_x25519{};
    std::uint32_t bits = 0;          // proof-of-work target, compact form
    std::uint32_t slot_minutes = 30; // 15, 30 or 60
    std::uint32_t max_records = 0;   // per block
    std::string energy_unit = "Wh";
    std::string price_unit = "cEUR/MWh";
    std::string money_unit = "1e-8 EUR";
    std::int64_t created = 0;
    template <class A>
    void serialize(A& ar) {
        ar(chain_name, authority_name, authority_ed25519, authority_x25519, bits, slot_minutes,
           max_records, energy_unit, price_unit, money_unit, created);
    }
    ParticipantId signer() const { return participant_id(authority_ed25519); }
};

// The authority admits a participant (the paper's uI and uA).
struct Credential {
    static constexpr const char* tag = "setm/credential/v1";
    static constexpr const char* type = "credential";
    std::uint64_t serial = 0;
    ParticipantId participant{};
    std::string name;
    PublicKey ed25519{};
    PublicKey x25519{};
    std::uint8_t roles = 0;
    std::string zone;               // grid zone, may be empty
    std::string meter;              // meter id, may be empty
    std::int64_t max_energy_wh = 0; // per slot; 0 = no limit
    std::int64_t valid_from = 0;
    std::int64_t valid_until = 0;
    ParticipantId authority{};
    template <class A>
    void serialize(A& ar) {
        ar(serial, participant, name, ed25519, x25519, roles, zone, meter, max_energy_wh,
           valid_from, valid_until, authority);
    }
    ParticipantId signer() const { return authority; }
};

struct Revocation {
    static constexpr const char* tag = "setm/revocation/v1";
    static constexpr const char* type = "revocation";
    std::uint64_t serial = 0;
    ParticipantId participant{};
    std::int64_t time = 0; // effective from
    std::string reason;
    ParticipantId authority{};
    template <class A>
    void serialize(A& ar) {
        ar(serial, participant, time, reason, authority);
    }
    ParticipantId signer() const { return authority; }
};

// A producer's SHARE message.
struct Offer {
    static constexpr const char* tag = "setm/offer/v1";
    static constexpr const char* type = "offer";
    ParticipantId producer{};
    std::int64_t slot = 0; // start, Unix seconds
    std::uint32_t slot_minutes = 30;
    std::int64_t energy_wh = 0;
    std::int64_t floor_price = 0;   // will not sell below (Table 1 min bid)
    std::int64_t opening_price = 0; // opens negotiation here (Table 1 max bid)
    std::string zone;
    std::int64_t expires = 0;
    std::uint64_t nonce = 0;
    template <class A>
    void serialize(A& ar) {
        ar(producer, slot, slot_minutes, energy_wh, floor_price, opening_price, zone, expires,
           nonce);
    }
    ParticipantId signer() const { return producer; }
};

// A consumer's REQUEST message.
struct Request {
    static constexpr const char* tag = "setm/request/v1";
    static constexpr const char* type = "request";
    ParticipantId consumer{};
    std::int64_t slot = 0;
    std::uint32_t slot_minutes = 30;
    std::int64_t energy_wh = 0;
    std::int64_t ceiling_price = 0; // will not buy above (Table 1 max bid)
    std::int64_t opening_price = 0; // opens negotiation here (Table 1 min bid)
    std::string zone;
    std::vector<std::string> from; // allowed offer ids or producer ids; empty = any
    std::int64_t expires = 0;
    std::uint64_t nonce = 0;
    template <class A>
    void serialize(A& ar) {
        ar(consumer, slot, slot_minutes, energy_wh, ceiling_price, opening_price, zone, from,
           expires, nonce);
    }
    ParticipantId signer() const { return consumer; }
};

// A matched trade, signed by the market agent (the paper's MiM agent).
struct Trade {
    static constexpr const char* tag = "setm/trade/v1";
    static constexpr const char* type = "trade";
    ParticipantId agent{};
    std::int64_t slot = 0;
    std::uint32_t slot_minutes = 30;
    Hash32 offer{};
    Hash32 request{};
    ParticipantId seller{};
    ParticipantId buyer{};
    std::int64_t energy_wh = 0;
    std::int64_t price = 0;     // cEUR/MWh paid to the seller
    std::int64_t fee_price = 0; // cEUR/MWh network fee (between zones)
    std::int64_t amount = 0;    // money: energy_wh * price
    std::int64_t fee = 0;       // money: energy_wh * fee_price
    std::string mechanism;      // pay-as-clear, pay-as-bid, negotiate
    std::uint32_t round = 0;    // agreement time (AT): negotiation round
    std::int64_t time = 0;      // when the agent matched it
    template <class A>
    void serialize(A& ar) {
        ar(agent, slot, slot_minutes, offer, request, seller, buyer, energy_wh, price, fee_price,
           amount, fee, mechanism, round, time);
    }
    ParticipantId signer() const { return agent; }
};

template <class Body>
struct Signed {
    Body body;
    Hash32 chain{};
    Signature signature{};
    template <class A>
    void serialize(A& ar) {
        ar(body, chain, signature);
    }

    Bytes signed_bytes() const { return canonical_bytes(Body::tag, chain, body); }
    Hash32 id() const { return sha256(signed_bytes()); }
};

template <class Body>
Signed<Body> sign_record(const Body& body, const Hash32& chain,
                         const std::array<std::uint8_t, 32>& seed) {
    Signed<Body> s{body, chain, {}};
    s.signature = ed25519_sign(seed, s.signed_bytes());
    return s;
}

// Strict signature check with the given public key.
template <class Body>
bool signature_valid(const Signed<Body>& s, const PublicKey& pub) {
    return ed25519_verify(pub, s.signed_bytes(), s.signature);
}

// Any record that can stand in a block.
using Record = std::variant<Signed<Genesis>, Signed<Credential>, Signed<Revocation>, Signed<Offer>,
                            Signed<Request>, Signed<Trade>>;

const char* record_type(const Record& r);
Hash32 record_id(const Record& r);
ParticipantId record_signer(const Record& r);
const Hash32& record_chain(const Record& r);

// ---- JSON ---------------------------------------------------------------------
// Writing: one object with "type", the body's fields, "chain", "id",
// "signature". Reading: strict (see json.hpp); "id" must match the body.
std::string to_json(const Signed<Identity>& r);
std::string to_json(const Record& r);
void write_json(JsonOut& out, const Record& r);

Result<Signed<Identity>> identity_from_json(const rapidjson::Value& obj);
// Any block record by its "type".
Result<Record> record_from_json(const rapidjson::Value& obj);
// Parse text then record_from_json; errors carry no line (caller adds it).
Result<Record> parse_record(std::string_view text);

std::string participant_hex(const ParticipantId& p);
Result<ParticipantId> participant_from_hex(std::string_view s);

} // namespace setm
