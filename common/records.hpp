// records.hpp - the typed records of setm and their JSON form.
//
// Each record is a plain struct (the signed body) with one field list
// (`fields`, in canonical order) from which its cereal `serialize` and its
// JSON reading and writing are derived. A signed record pairs
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
#include "record_fields.hpp"

namespace setm {

using ParticipantId = std::array<std::uint8_t, 16>;

// id = first 16 bytes of SHA-256("setm/participant/v1" || ed25519 public key)
ParticipantId participant_id(const PublicKey& ed25519_public);

// The chain id a record is bound to before any chain exists (identities).
inline constexpr Hash32 kNoChain{};

// ---- roles ------------------------------------------------------------------
// role_operator: the grid operator named in the genesis block (grid_operator),
// which receives the network fees; no other participant may hold it.
enum Role : std::uint8_t {
    role_producer = 1,
    role_consumer = 2,
    role_agent = 4,
    role_operator = 8,
};
inline constexpr std::uint8_t kAllRoles =
    role_producer | role_consumer | role_agent | role_operator;
// Who may sign a kind of record, beside the roles: its subject itself
// (identities, proof of possession), or the chain's authority.
inline constexpr std::uint8_t kSelfSigned = 0x40;
inline constexpr std::uint8_t kAuthoritySigns = 0x80;
// Signed by the owner of the order it names, whatever its roles: any
// participant with an active credential passes authentication, and the
// kind's rule checks that it owns the order (cancel).
inline constexpr std::uint8_t kOrderOwner = 0x20;
// Signed by the authority in office or by the chain's recovery key (the
// authority record: a hand-over to a new authority key).
inline constexpr std::uint8_t kAuthorityOrRecovery = 0x10;
// Signed by the holder of the meter it reads, whatever its roles: any
// participant with an active credential passes authentication, and the
// kind's rule checks that the credential names that meter (reading).
// The signer values above the roles are compared whole, never as bits.
inline constexpr std::uint8_t kMeterHolder = 0x30;
// "producer", "consumer", "prosumer" (= both), "agent", "operator"; error "bad role".
Result<std::uint8_t> parse_role(std::string_view name);
std::vector<std::string> role_names(std::uint8_t roles); // canonical order

// ---- bodies -------------------------------------------------------------------
// One place per kind: its tag and type name, who may sign it (signer_role),
// and its one field list (`fields`, see record_fields.hpp), which gives its
// canonical bytes, stored value and JSON form. The rule that applies it to
// the chain's state is its apply_kind overload in rules.cpp (a kind without
// one does not compile). Adding a kind: its struct here, an alternative at
// the end of Record below, its rule, its section in setm(7). The tests'
// testdata/fixtures/sign-record.py re-implements the canonical bytes on
// purpose, independently, and is checked against the tools byte for byte.
// A participant's public identity, self-signed (proof of possession), like a
// certificate signing request. Bound to kNoChain.
struct Identity {
    static constexpr const char* tag = "setm/identity/v1";
    static constexpr const char* type = "identity";
    std::string name;
    PublicKey ed25519{};
    PublicKey x25519{};
    static constexpr std::uint8_t signer_role = kSelfSigned;
    template <class Self, class Visit>
    static void fields(Self& b, Visit&& f) {
        f("participant", derived([&b] { return participant_id(b.ed25519); },
                                 "does not belong to the ed25519 key"));
        f("name", b.name);
        f("ed25519", b.ed25519);
        f("x25519", b.x25519);
    }
    template <class A>
    void serialize(A& ar) {
        fields(*this, CerealFields<A>{ar});
    }
    ParticipantId signer() const { return participant_id(ed25519); }
};

// One entry of the chain's fee table: the network fee, cEUR/MWh, on a trade
// from a seller in seller_zone to a buyer in buyer_zone (the two may be the
// same zone). A pair without an entry pays the genesis network_fee between
// two zones and nothing within one. In a genesis block the entries are
// sorted by (seller_zone, buyer_zone), each pair once (check_market_genesis).
struct ZoneFee {
    std::string seller_zone;
    std::string buyer_zone;
    std::int64_t fee = 0;
    template <class Self, class Visit>
    static void fields(Self& b, Visit&& f) {
        f("seller_zone", b.seller_zone);
        f("buyer_zone", b.buyer_zone);
        f("fee", b.fee);
    }
    template <class A>
    void serialize(A& ar) {
        fields(*this, CerealFields<A>{ar});
    }
    bool operator==(const ZoneFee& o) const {
        return seller_zone == o.seller_zone && buyer_zone == o.buyer_zone && fee == o.fee;
    }
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
    // The market the chain clears (clearing.hpp): the mechanism and every
    // parameter that changes its result are fixed here, once.
    std::string mechanism = "pay-as-clear"; // pay-as-clear, pay-as-bid, negotiate
    std::uint32_t rounds = 10;              // negotiate: N
    std::int64_t network_fee = 0;           // cEUR/MWh between zones
    // Gate closure: a slot's book closes gate_minutes before the start of
    // its auction period (auction_minutes long, aligned to UTC midnight;
    // 0 = the slot itself). gate_minutes 0: no gate, any block may clear a
    // slot on the orders on the chain at that block.
    std::uint32_t gate_minutes = 0;
    std::uint32_t auction_minutes = 0;
    // Fees by zone pair (see ZoneFee), and the participant who receives
    // every network fee in statements (all zero: nobody, the fees leave the
    // market). It registers with the operator role like any participant.
    std::vector<ZoneFee> zone_fees;
    ParticipantId grid_operator{};
    static constexpr std::uint8_t signer_role = kAuthoritySigns;
    template <class Self, class Visit>
    static void fields(Self& b, Visit&& f) {
        f("chain_name", b.chain_name);
        f("authority_name", b.authority_name);
        f("authority_ed25519", b.authority_ed25519);
        f("authority_x25519", b.authority_x25519);
        f("bits", b.bits);
        f("slot_minutes", b.slot_minutes);
        f("max_records", b.max_records);
        f("energy_unit", b.energy_unit);
        f("price_unit", b.price_unit);
        f("money_unit", b.money_unit);
        f("created", as_time(b.created));
        f("mechanism", b.mechanism);
        f("rounds", b.rounds);
        f("network_fee", b.network_fee);
        f("gate_minutes", b.gate_minutes);
        f("auction_minutes", b.auction_minutes);
        f("zone_fees", b.zone_fees);
        f("grid_operator", b.grid_operator);
    }
    template <class A>
    void serialize(A& ar) {
        fields(*this, CerealFields<A>{ar});
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
    static constexpr std::uint8_t signer_role = kAuthoritySigns;
    template <class Self, class Visit>
    static void fields(Self& b, Visit&& f) {
        f("serial", b.serial);
        f("participant", b.participant);
        f("name", b.name);
        f("ed25519", b.ed25519);
        f("x25519", b.x25519);
        f("roles", as_roles(b.roles));
        f("zone", b.zone);
        f("meter", b.meter);
        f("max_energy_wh", as_non_negative(b.max_energy_wh));
        f("valid_from", as_time(b.valid_from));
        f("valid_until", as_time(b.valid_until));
        f("authority", b.authority);
    }
    template <class A>
    void serialize(A& ar) {
        fields(*this, CerealFields<A>{ar});
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
    static constexpr std::uint8_t signer_role = kAuthoritySigns;
    template <class Self, class Visit>
    static void fields(Self& b, Visit&& f) {
        f("serial", b.serial);
        f("participant", b.participant);
        f("time", as_time(b.time));
        f("reason", b.reason);
        f("authority", b.authority);
    }
    template <class A>
    void serialize(A& ar) {
        fields(*this, CerealFields<A>{ar});
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
    static constexpr std::uint8_t signer_role = role_producer;
    template <class Self, class Visit>
    static void fields(Self& b, Visit&& f) {
        f("producer", b.producer);
        f("slot", as_time(b.slot));
        f("slot_minutes", b.slot_minutes);
        f("energy_wh", as_non_negative(b.energy_wh));
        f("floor_price", b.floor_price);
        f("opening_price", b.opening_price);
        f("zone", b.zone);
        f("expires", as_time(b.expires));
        f("nonce", b.nonce);
    }
    template <class A>
    void serialize(A& ar) {
        fields(*this, CerealFields<A>{ar});
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
    static constexpr std::uint8_t signer_role = role_consumer;
    template <class Self, class Visit>
    static void fields(Self& b, Visit&& f) {
        f("consumer", b.consumer);
        f("slot", as_time(b.slot));
        f("slot_minutes", b.slot_minutes);
        f("energy_wh", as_non_negative(b.energy_wh));
        f("ceiling_price", b.ceiling_price);
        f("opening_price", b.opening_price);
        f("zone", b.zone);
        f("from", b.from);
        f("expires", as_time(b.expires));
        f("nonce", b.nonce);
    }
    template <class A>
    void serialize(A& ar) {
        fields(*this, CerealFields<A>{ar});
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
    static constexpr std::uint8_t signer_role = role_agent;
    template <class Self, class Visit>
    static void fields(Self& b, Visit&& f) {
        f("agent", b.agent);
        f("slot", as_time(b.slot));
        f("slot_minutes", b.slot_minutes);
        f("offer", b.offer);
        f("request", b.request);
        f("seller", b.seller);
        f("buyer", b.buyer);
        f("energy_wh", as_non_negative(b.energy_wh));
        f("price", b.price);
        f("fee_price", b.fee_price);
        f("amount", b.amount);
        f("fee", b.fee);
        f("mechanism", b.mechanism);
        f("round", b.round);
        f("time", as_time(b.time));
    }
    template <class A>
    void serialize(A& ar) {
        fields(*this, CerealFields<A>{ar});
    }

    ParticipantId signer() const { return agent; }
};

// The owner of an offer or a request withdraws what is left of it (the
// part no trade has filled). Bound to the chain like orders; signed by the
// order's producer or consumer (kOrderOwner). From the block that holds it
// on, the clearing and the open book leave the order out (rules.cpp,
// clearing.hpp).
struct Cancel {
    static constexpr const char* tag = "setm/cancel/v1";
    static constexpr const char* type = "cancel";
    ParticipantId owner{};
    Hash32 order{};        // the offer's or request's id
    std::int64_t time = 0; // when the owner signed it
    static constexpr std::uint8_t signer_role = kOrderOwner;
    template <class Self, class Visit>
    static void fields(Self& b, Visit&& f) {
        f("owner", b.owner);
        f("order", b.order);
        f("time", as_time(b.time));
    }
    template <class A>
    void serialize(A& ar) {
        fields(*this, CerealFields<A>{ar});
    }

    ParticipantId signer() const { return owner; }
};

// The authority hands over to a new key (setm(7), AUTHORITY ROTATION).
// Signed by the authority in office, or by the recovery key when the
// authority's key is lost or leaked (kAuthorityOrRecovery; `signed_by` names
// which). From the block that holds it on, the new key signs credentials
// and revocations, and the former key's records are refused. `recovery`
// is the recovery key from then on (all zero: none); only the recovery key
// may change it. In block 0, after the genesis record, one authority record
// bound to kNoChain and naming the genesis authority's own keys sets the
// chain's recovery key (setm-auth init --recovery-key): a chain without one
// keeps the genesis block, and so the chain id, of before.
struct Authority {
    static constexpr const char* tag = "setm/authority/v1";
    static constexpr const char* type = "authority";
    ParticipantId signed_by{}; // the authority in office, or the recovery key
    std::string name;          // the authority's name from this record on
    PublicKey ed25519{};
    PublicKey x25519{};
    PublicKey recovery{}; // the recovery key from this record on; zero: none
    std::int64_t time = 0;
    std::string reason;
    static constexpr std::uint8_t signer_role = kAuthorityOrRecovery;
    template <class Self, class Visit>
    static void fields(Self& b, Visit&& f) {
        f("signed_by", b.signed_by);
        f("name", b.name);
        f("ed25519", b.ed25519);
        f("x25519", b.x25519);
        f("recovery", b.recovery);
        f("time", as_time(b.time));
        f("reason", b.reason);
    }
    template <class A>
    void serialize(A& ar) {
        fields(*this, CerealFields<A>{ar});
    }

    ParticipantId signer() const { return signed_by; }
};

// What a participant's meter measured in one slot, once the slot is over:
// the energy it delivered to the grid and the energy it consumed from it.
// Signed by the participant whose active credential names the meter
// (kMeterHolder); one reading per meter and slot, none before the slot
// ends, neither energy above the credential's max_energy_wh (the meter's
// rating per slot, 0 = none). setm-verify --statement --metered settles the
// trades of a slot against its readings (metering.hpp).
struct Reading {
    static constexpr const char* tag = "setm/reading/v1";
    static constexpr const char* type = "reading";
    ParticipantId participant{};
    std::string meter;
    std::int64_t slot = 0; // start, Unix seconds
    std::uint32_t slot_minutes = 30;
    std::int64_t delivered_wh = 0; // to the grid (export)
    std::int64_t consumed_wh = 0;  // from the grid (import)
    static constexpr std::uint8_t signer_role = kMeterHolder;
    template <class Self, class Visit>
    static void fields(Self& b, Visit&& f) {
        f("participant", b.participant);
        f("meter", b.meter);
        f("slot", as_time(b.slot));
        f("slot_minutes", b.slot_minutes);
        f("delivered_wh", as_non_negative(b.delivered_wh));
        f("consumed_wh", as_non_negative(b.consumed_wh));
    }
    template <class A>
    void serialize(A& ar) {
        fields(*this, CerealFields<A>{ar});
    }

    ParticipantId signer() const { return participant; }
};

// The authority's imbalance price, cEUR/MWh like every price: what a
// participant receives per MWh it delivered beyond its settled sales, and
// pays per MWh it consumed beyond its settled purchases, for the slots that
// start at or after valid_from. The tariff in force for a slot is the one
// with the latest valid_from at or before it (of two with the same
// valid_from, the later on the chain); none: price 0. A tariff may not take
// effect before the block that carries it.
struct Tariff {
    static constexpr const char* tag = "setm/tariff/v1";
    static constexpr const char* type = "tariff";
    std::int64_t imbalance_price = 0; // cEUR/MWh
    std::int64_t valid_from = 0;      // first slot it prices
    std::int64_t time = 0;            // when the authority signed it
    ParticipantId authority{};
    static constexpr std::uint8_t signer_role = kAuthoritySigns;
    template <class Self, class Visit>
    static void fields(Self& b, Visit&& f) {
        f("imbalance_price", b.imbalance_price);
        f("valid_from", as_time(b.valid_from));
        f("time", as_time(b.time));
        f("authority", b.authority);
    }
    template <class A>
    void serialize(A& ar) {
        fields(*this, CerealFields<A>{ar});
    }

    ParticipantId signer() const { return authority; }
};

// The authority hands a participant over to a new key (the old one lost or
// leaked): from `time` the old key is revoked (all its credentials, as a
// revocation does), and the new key, whose credential must follow in the
// same block and start at `time`, carries on the participant's history
// (setm(7), HAND-OVERS). Signed by the authority.
struct Handover {
    static constexpr const char* tag = "setm/handover/v1";
    static constexpr const char* type = "handover";
    ParticipantId participant{}; // the old key's participant id
    ParticipantId successor{};   // the new key's participant id
    std::int64_t time = 0;       // the old key revoked from, the new one's credential starts
    std::string reason;
    ParticipantId authority{};
    static constexpr std::uint8_t signer_role = kAuthoritySigns;
    template <class Self, class Visit>
    static void fields(Self& b, Visit&& f) {
        f("participant", b.participant);
        f("successor", b.successor);
        f("time", as_time(b.time));
        f("reason", b.reason);
        f("authority", b.authority);
    }
    template <class A>
    void serialize(A& ar) {
        fields(*this, CerealFields<A>{ar});
    }

    ParticipantId signer() const { return authority; }
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
// The same with a key prepared once, for many records.
template <class Body>
Signed<Body> sign_record(const Body& body, const Hash32& chain, const Ed25519Signer& key) {
    Signed<Body> s{body, chain, {}};
    s.signature = key.sign(s.signed_bytes());
    return s;
}

// Strict signature check with the given public key.
template <class Body>
bool signature_valid(const Signed<Body>& s, const PublicKey& pub) {
    return ed25519_verify(pub, s.signed_bytes(), s.signature);
}

// Any record that can stand in a block. The order of the alternatives is
// part of the stored format: cereal writes a record as the index of its
// alternative, then its fields, in blocks and in the orders index. New kinds
// go at the end; never reorder or remove one (old stores would read as
// other kinds).
using Record = std::variant<Signed<Genesis>, Signed<Credential>, Signed<Revocation>, Signed<Offer>,
                            Signed<Request>, Signed<Trade>, Signed<Cancel>, Signed<Reading>,
                            Signed<Tariff>, Signed<Authority>, Signed<Handover>>;

const char* record_type(const Record& r);
Hash32 record_id(const Record& r);
ParticipantId record_signer(const Record& r);
// The role its signer must hold, or kAuthoritySigns, kOrderOwner,
// kAuthorityOrRecovery or kMeterHolder.
std::uint8_t record_signer_role(const Record& r);
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
