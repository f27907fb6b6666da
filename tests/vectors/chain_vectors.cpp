// chain_vectors.cpp - keys.json, the chain of blocks.json, records.json,
// merkle.json. Every value comes from common/: key_from_seed, sign_record,
// issue_credential, make_offer, run_batch (the market agent), mine_block,
// apply_records (the chain's rules), merkle_root, block_hash.
#include <array>
#include <set>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include "authority.hpp"
#include "clearing.hpp"
#include "merkle.hpp"
#include "miner.hpp"
#include "negotiation.hpp"
#include "orders.hpp"
#include "pow.hpp"
#include "record_stream.hpp"
#include "rules.hpp"
#include "state.hpp"
#include "units.hpp"
#include "vectors.hpp"

namespace setm::vectors {

namespace {

struct KeySpec {
    const char* name;
    const char* seed;
    const char* note;
};

// The published seeds. The first four are the README tutorial's; the last is
// RFC 8032's first Ed25519 test key, so its public key and signature of the
// empty message can be checked against the RFC itself.
const KeySpec kKeySpecs[] = {
    {"authority", "0101010101010101010101010101010101010101010101010101010101010101",
     "starts the chain, signs credentials and revocations"},
    {"agent", "0202020202020202020202020202020202020202020202020202020202020202",
     "the market agent, signs trades"},
    {"solar", "0303030303030303030303030303030303030303030303030303030303030303",
     "producer, zone north"},
    {"home", "0404040404040404040404040404040404040404040404040404040404040404",
     "consumer, zone north"},
    {"wind", "0505050505050505050505050505050505050505050505050505050505050505",
     "producer, zone south"},
    {"shop", "0606060606060606060606060606060606060606060606060606060606060606",
     "prosumer, zone south"},
    {"farm", "0707070707070707070707070707070707070707070707070707070707070707",
     "a producer of the market books"},
    {"school", "0808080808080808080808080808080808080808080808080808080808080808",
     "a consumer of the market books"},
    {"authority-2027", "0909090909090909090909090909090909090909090909090909090909090909",
     "the authority's successor: a hand-over names it in block 5"},
    {"home2", "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a",
     "home's second key, which a hand-over gives home's place"},
    {"rfc8032-test1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "RFC 8032 section 7.1 TEST 1"},
};

// Each key also signs this ASCII text (besides the empty message of RFC 8032's TEST 1).
constexpr const char* kKeyMessage = "setm test vector";

std::int64_t utc(const char* text) { return parse_utc(text).value(); }

Bytes ascii(const std::string& text) { return Bytes(text.begin(), text.end()); }

const std::string& name_of(const Keys& keys, const ParticipantId& p) {
    static const std::string none = "(none)";
    for (const auto& [name, key] : keys)
        if (key.id() == p) return name;
    return none;
}

} // namespace

Keys published_keys() {
    Keys keys;
    for (const KeySpec& k : kKeySpecs)
        keys.emplace(k.name, key_from_seed(from_hex_fixed<32>(k.seed).value(), k.name));
    return keys;
}

std::string keys_json(const Keys& keys) {
    JsonOut o;
    o.begin_object();
    o.field("format", "setm test vectors: keys");
    o.key("keys").begin_array();
    for (const KeySpec& spec : kKeySpecs) {
        const SecretKey& k = keys.at(spec.name);
        o.begin_object();
        o.field("name", spec.name).field("note", spec.note).field("seed", spec.seed);
        o.field("ed25519", to_hex(k.ed25519));
        o.field("participant", participant_hex(k.id()));
        o.field("x25519_private", to_hex(k.x25519_private()));
        o.field("x25519", to_hex(k.x25519));
        o.field("signature_of_empty_message", to_hex(ed25519_sign(k.seed, Bytes{})));
        o.field("message", kKeyMessage);
        o.field("signature_of_message", to_hex(ed25519_sign(k.seed, ascii(kKeyMessage))));
        o.end_object();
    }
    o.end_array();
    o.end_object();
    return o.str();
}

// ---- the chain ------------------------------------------------------------------

namespace {

// The times and terms below are also typed into the tools by
// tests/vectors/check-cli.sh, which must make the same blocks.
constexpr const char* kGenesisTime = "2026-11-25T08:00:00Z";
constexpr const char* kRegisterTime = "2026-11-25T08:00:30Z";
constexpr const char* kBlock1Time = "2026-11-25T08:01:00Z";
constexpr const char* kOrderTime = "2026-11-25T09:00:00Z";
constexpr const char* kNegotiateTime = "2026-11-25T09:30:00Z";
constexpr const char* kBlock2Time = "2026-11-25T09:31:00Z";
constexpr const char* kRevokeTime = "2026-11-25T10:00:00Z";
constexpr const char* kBlock3Time = "2026-11-25T10:01:00Z";
constexpr const char* kSlot = "2026-11-26T12:00:00Z";
constexpr const char* kReadTime = "2026-11-26T12:31:00Z"; // after the slot
constexpr const char* kTariffFrom = "2026-11-27T00:00:00Z";
constexpr const char* kRotateTime = "2026-11-26T13:00:00Z";
constexpr const char* kBlock5Time = "2026-11-26T13:01:00Z";
constexpr const char* kHandoverTime = "2026-11-26T14:00:00Z";
constexpr const char* kBlock6Time = "2026-11-26T14:01:00Z";

struct Registration {
    const char* name;
    std::uint8_t roles;
    const char* zone;
    const char* meter;
    std::int64_t max_energy_wh;
};
const Registration kRegistrations[] = {
    {"agent", role_agent, "", "", 0},
    {"solar", role_producer, "north", "", 200000},
    {"home", role_consumer, "north", "", 0},
    {"wind", role_producer, "south", "M-0005", 0},
    {"shop", role_producer | role_consumer, "south", "", 0},
};

struct OrderSpec {
    const char* owner;
    bool offer;
    std::int64_t energy_wh, price, opening;
    const char* from; // a key whose producer id the request is restricted to, or ""
};
// Negative floor, a prosumer on both sides, a `from` list, a fee between
// zones (the genesis's 5 EUR/MWh) and partial fills.
const OrderSpec kOrders[] = {
    {"solar", true, 5000, 4000, 5200, ""},      {"wind", true, 3000, -500, 3000, ""},
    {"shop", true, 1000, 4400, 4400, ""},       {"home", false, 4000, 4600, 3400, ""},
    {"shop", false, 2000, 4500, 3000, "solar"},
};

Genesis genesis_of(const SecretKey& authority) {
    Genesis g;
    g.chain_name = "vectors";
    g.authority_name = authority.name;
    g.authority_ed25519 = authority.ed25519;
    g.authority_x25519 = authority.x25519;
    g.bits = bits_for_leading_zero_bits(8).value();
    g.created = utc(kGenesisTime);
    g.network_fee = 500;
    g.zone_fees = {{"east", "north", 300}}; // a pair no order of the vectors trades across
    return g;
}

// Mines `records` on the chain's tip at `now` (as setm-mine does) and applies
// them to `st` by the chain's rules.
Status append(Chain& chain, MemoryState& st, std::vector<Record> records, const char* now,
              std::string note) {
    std::vector<std::uint32_t> times;
    for (const Block& b : chain.blocks) times.push_back(b.header.time);
    const std::uint32_t t = next_block_time(times, utc(now));
    SETM_TRY(Block b, mine_block(std::move(records), block_hash(chain.blocks.back().header), t,
                                 st.genesis().bits, 1));
    const std::uint64_t height = chain.blocks.size();
    SETM_CHECK(check_header(b, block_hash(chain.blocks.back().header), st.genesis().bits, times,
                            utc(now)));
    SETM_TRY(StateDelta d, apply_records(st, b.records, b.header.time, height));
    st.merge(d, height);
    chain.blocks.push_back(std::move(b));
    chain.notes.push_back(std::move(note));
    return ok_status();
}

Result<std::vector<Record>> credentials(const Keys& keys, const MemoryState& st) {
    std::vector<Record> out;
    std::uint64_t serial = 0;
    for (const Registration& r : kRegistrations) {
        CredentialTerms t;
        t.roles = r.roles;
        t.zone = r.zone;
        t.meter = r.meter;
        t.max_energy_wh = r.max_energy_wh;
        t.valid_from = utc(kRegisterTime);
        t.valid_until = t.valid_from + 365 * 86400;
        SETM_TRY(Signed<Credential> c, issue_credential(st, keys.at("authority"),
                                                        identity_of(keys.at(r.name)), t, ++serial));
        out.push_back(std::move(c));
    }
    return out;
}

std::string zone_of(const char* name) {
    for (const Registration& r : kRegistrations)
        if (std::string(r.name) == name) return r.zone;
    return {};
}

// The orders, then the agent's clearing of them (setm-negotiate's output).
Result<std::vector<Record>> market_block(const Keys& keys, const MemoryState& st) {
    std::vector<LineRecord> lines;
    for (const OrderSpec& o : kOrders) {
        OrderTerms t;
        t.slot = utc(kSlot);
        t.slot_minutes = st.genesis().slot_minutes;
        t.energy_wh = o.energy_wh;
        t.price = o.price;
        t.opening = o.opening;
        t.zone = zone_of(o.owner);
        t.nonce = 1;
        if (*o.from) t.from.push_back(participant_hex(keys.at(o.from).id()));
        const SecretKey& k = keys.at(o.owner);
        Record r = o.offer ? Record(make_offer(k, st.chain_id(), t))
                           : Record(make_request(k, st.chain_id(), t));
        SETM_CHECK(check_order(st, r, utc(kOrderTime)));
        lines.push_back({std::move(r), lines.size() + 1});
    }
    BatchOptions opt;
    opt.market = chain_market(st.genesis());
    opt.now = utc(kNegotiateTime);
    SETM_TRY(BatchResult res, run_batch(st, keys.at("agent"), lines, opt));
    std::vector<Record> out = res.new_orders();
    for (const auto& t : res.trades) out.push_back(t);
    return out;
}

} // namespace

Result<Chain> build_chain(const Keys& keys) {
    const SecretKey& authority = keys.at("authority");
    const Signed<Genesis> g = sign_record(genesis_of(authority), kNoChain, authority.seed);
    SETM_TRY(Block genesis, make_genesis_block(g, utc(kGenesisTime), 1));
    SETM_TRY(Hash32 chain_id, check_genesis_block(genesis));
    Chain chain;
    chain.blocks.push_back(std::move(genesis));
    chain.notes.push_back("the genesis block: one record, the chain's parameters");
    MemoryState st(g.body, chain_id);
    SETM_TRY(std::vector<Record> creds, credentials(keys, st));
    SETM_CHECK(append(chain, st, std::move(creds), kBlock1Time,
                      "five credentials: an odd number of leaves"));
    SETM_TRY(std::vector<Record> market, market_block(keys, st));
    Hash32 solar_offer{}; // kOrders[0], which the clearing leaves partly open
    for (const Record& r : market)
        if (auto* o = std::get_if<Signed<Offer>>(&r);
            o && o->body.producer == keys.at("solar").id())
            solar_offer = o->id();
    SETM_CHECK(append(chain, st, std::move(market), kBlock2Time,
                      "orders and the trades of their clearing (pay-as-clear, fee between zones)"));
    SETM_TRY(Signed<Revocation> rev,
             issue_revocation(st, authority, 5, utc(kRevokeTime), "meter tampered"));
    // solar withdraws what the clearing left of its offer.
    const Signed<Cancel> cancel =
        make_cancel(keys.at("solar"), chain_id, solar_offer, utc(kRevokeTime));
    SETM_CHECK(append(chain, st, {Record(rev), Record(cancel)}, kBlock3Time,
                      "a revocation and a cancel: two leaves"));
    // After the slot: wind's meter reading, and the authority's imbalance
    // price from the next day on.
    const Signed<Reading> reading =
        make_reading(keys.at("wind"), chain_id, "M-0005", utc(kSlot), 30, 2500, 120);
    SETM_TRY(Signed<Tariff> tariff,
             issue_tariff(st, authority, 12000, utc(kTariffFrom), utc(kReadTime)));
    SETM_CHECK(append(chain, st, {Record(reading), Record(tariff)}, kReadTime,
                      "a meter reading and a tariff"));
    RotationTerms rotation;
    rotation.time = utc(kRotateTime);
    rotation.reason = "yearly rotation";
    SETM_TRY(Signed<Authority> handover,
             issue_rotation(st, authority, identity_of(keys.at("authority-2027")), rotation));
    SETM_CHECK(append(chain, st, {Record(handover)}, kBlock5Time,
                      "the authority hands over to a new key: one leaf"));
    // home lost its key: the new authority hands home over to home2 (serial 6).
    CredentialTerms terms;
    terms.valid_from = utc(kHandoverTime);
    terms.valid_until = terms.valid_from + 365 * 86400;
    SETM_TRY(std::vector<Record> handed,
             issue_handover(st, keys.at("authority-2027"), keys.at("home").id(),
                            identity_of(keys.at("home2")), terms, 6, "key handed over"));
    SETM_CHECK(append(chain, st, std::move(handed), kBlock6Time,
                      "a hand-over, then the new key's credential: home's key revoked, home2 "
                      "carries on"));
    return chain;
}

// ---- records.json -----------------------------------------------------------------

namespace {

template <class T>
struct is_byte_array : std::false_type {};
template <std::size_t N>
struct is_byte_array<std::array<std::uint8_t, N>> : std::true_type {};

// A list of values that have a field list of their own (a table in a record).
template <class T>
struct is_struct_list : std::false_type {};
template <class E>
requires requires(E& e) {
    E::fields(e, [](const char*, auto&&) {});
}
struct is_struct_list<std::vector<E>> : std::true_type {};

template <class T>
std::string encoding_of();

// "list of (name enc, name enc, ...)": a u64 count, then each element's
// fields in this order.
template <class E>
std::string struct_list_encoding() {
    std::string out;
    auto add = [&out](const char* name, auto&& f) {
        if constexpr (!is_derived_field<std::decay_t<decltype(f)>>::value) {
            const auto& v = stored_value(f);
            out += std::string(out.empty() ? "" : ", ") + name + " " +
                   encoding_of<std::decay_t<decltype(v)>>();
        }
    };
    E e{};
    E::fields(e, add);
    return "list of (" + out + ")";
}

// How a field's type is encoded in the canonical bytes, named as setm(7)'s
// RECORDS section names them (README.md of the vectors).
template <class T>
std::string encoding_of() {
    if constexpr (std::is_same_v<T, std::string>)
        return "str";
    else if constexpr (std::is_same_v<T, std::vector<std::string>>)
        return "str[]";
    else if constexpr (std::is_same_v<T, std::uint8_t>)
        return "u8";
    else if constexpr (std::is_same_v<T, std::uint32_t>)
        return "u32";
    else if constexpr (std::is_same_v<T, std::int32_t>)
        return "i32";
    else if constexpr (std::is_same_v<T, std::uint64_t>)
        return "u64";
    else if constexpr (std::is_same_v<T, std::int64_t>)
        return "i64";
    else if constexpr (is_byte_array<T>::value)
        return "b" + std::to_string(std::tuple_size_v<T>);
    else if constexpr (is_struct_list<T>::value)
        return struct_list_encoding<typename T::value_type>();
    else
        return "cereal portable binary (setm(7))";
}

// A value's bytes inside an archive: its own encoding without the flag byte.
template <class T>
Bytes field_bytes(const T& v) {
    Bytes b = encode_binary(v);
    return Bytes(b.begin() + 1, b.end());
}

// The canonical bytes field by field: name, encoding, bytes.
struct LayoutWriter {
    JsonOut& o;
    Bytes& all;
    void entry(const char* name, const std::string& encoding, const Bytes& bytes) const {
        o.begin_object().field("field", name).field("encoding", encoding);
        o.field("hex", to_hex(bytes)).end_object();
        all.insert(all.end(), bytes.begin(), bytes.end());
    }
    template <class Field>
    void operator()(const char* name, Field&& f) const {
        if constexpr (!is_derived_field<std::decay_t<Field>>::value) {
            const auto& v = stored_value(f);
            entry(name, encoding_of<std::decay_t<decltype(v)>>(), field_bytes(v));
        }
    }
};

template <class Body>
Status write_layout(JsonOut& o, const Signed<Body>& s) {
    Bytes all;
    LayoutWriter w{o, all};
    o.key("layout").begin_array();
    w.entry("(archive flag: little-endian)", "u8", Bytes{1});
    w.entry("(domain tag)", "str", field_bytes(std::string(Body::tag)));
    w.entry("(chain id)", "b32", field_bytes(s.chain));
    Body::fields(s.body, w);
    o.end_array();
    if (all != s.signed_bytes())
        return make_error(Exit::internal, "layout differs",
                          std::string(Body::type) + ": the fields do not add up to its bytes");
    return ok_status();
}

template <class Body>
Status write_record(JsonOut& o, const Keys& keys, const std::string& where, const Signed<Body>& s,
                    const std::string& json) {
    const std::string& signer = name_of(keys, s.body.signer());
    o.begin_object();
    o.field("type", Body::type).field("where", where).field("signer", signer);
    o.field("public_key", to_hex(keys.at(signer).ed25519));
    o.field("chain", hash_to_hex(s.chain)).field("chain_bytes", to_hex(s.chain));
    SETM_CHECK(write_layout(o, s));
    o.field("canonical_hex", to_hex(s.signed_bytes()));
    o.field("id", to_hex(s.id())).field("signature", to_hex(s.signature));
    o.key("json").raw(json);
    o.end_object();
    if (!signature_valid(s, keys.at(signer).ed25519))
        return make_error(Exit::internal, "bad signature", Body::type);
    return ok_status();
}

// Every kind a block may hold must have a vector: a new kind of Record
// without one fails the generator, naming it (add it to build_chain).
template <std::size_t... I>
Status check_every_kind(const std::set<std::string>& seen, std::index_sequence<I...>) {
    std::string missing;
    auto check = [&](const char* type) {
        if (!seen.count(type)) missing += std::string(missing.empty() ? "" : ", ") + type;
    };
    (check(std::decay_t<decltype(std::variant_alternative_t<I, Record>{}.body)>::type), ...);
    if (missing.empty()) return ok_status();
    return make_error(Exit::internal, "no vector",
                      "for the kind(s) " + missing + ": add a record of each to build_chain");
}

} // namespace

Result<std::string> records_json(const Keys& keys, const Chain& chain) {
    JsonOut o;
    o.begin_object();
    o.field("format", "setm test vectors: records");
    o.key("records").begin_array();
    for (const KeySpec& spec : kKeySpecs) {
        const Signed<Identity> id = identity_of(keys.at(spec.name));
        SETM_CHECK(write_record(o, keys, std::string("identity of ") + spec.name, id, to_json(id)));
    }
    std::set<std::string> seen;
    for (std::size_t h = 0; h < chain.blocks.size(); ++h) {
        const auto& records = chain.blocks[h].records;
        for (std::size_t i = 0; i < records.size(); ++i) {
            const std::string where = "block " + std::to_string(h) + " record " + std::to_string(i);
            seen.insert(record_type(records[i]));
            SETM_CHECK(std::visit(
                [&](const auto& s) { return write_record(o, keys, where, s, to_json(records[i])); },
                records[i]));
        }
    }
    o.end_array();
    o.end_object();
    SETM_CHECK(check_every_kind(seen, std::make_index_sequence<std::variant_size_v<Record>>{}));
    return o.str();
}

// ---- blocks.json, merkle.json -----------------------------------------------------

namespace {

void write_header(JsonOut& o, const BlockHeader& h) {
    o.key("header").begin_object();
    o.field("version", static_cast<std::int64_t>(h.version));
    o.field("prev", hash_to_hex(h.prev)).field("merkle_root", hash_to_hex(h.merkle_root));
    o.field("time", h.time).field("bits", h.bits).field("nonce", h.nonce);
    o.end_object();
}

void write_block(JsonOut& o, const Block& b, std::size_t height, const std::string& note) {
    const auto raw = serialize_header(b.header);
    const Hash32 hash = block_hash(b.header);
    o.begin_object();
    o.field("height", static_cast<std::uint64_t>(height)).field("note", note);
    o.field("hash", hash_to_hex(hash)).field("hash_bytes", to_hex(hash));
    write_header(o, b.header);
    o.field("header_hex", to_hex(raw.data(), raw.size()));
    o.field("time_utc", format_utc(b.header.time));
    o.field("target", hash_to_hex(u256_to_hash(decode_compact(b.header.bits).value())));
    o.key("records").begin_array();
    for (const Record& r : b.records)
        o.begin_object()
            .field("type", record_type(r))
            .field("id", to_hex(record_id(r)))
            .end_object();
    o.end_array();
    o.key("leaf_hashes").begin_array();
    for (const Record& r : b.records) {
        const Hash32 id = record_id(r);
        o.str(to_hex(merkle_leaf_hash(id.data(), id.size())));
    }
    o.end_array();
    o.field("merkle_root_bytes", to_hex(b.header.merkle_root));
    o.end_object();
}

} // namespace

std::string blocks_json(const Chain& chain) {
    JsonOut o;
    o.begin_object();
    o.field("format", "setm test vectors: blocks");
    o.field("chain_id", hash_to_hex(block_hash(chain.blocks.front().header)));
    o.key("blocks").begin_array();
    for (std::size_t h = 0; h < chain.blocks.size(); ++h)
        write_block(o, chain.blocks[h], h, chain.notes[h]);
    o.end_array();
    o.end_object();
    return o.str();
}

// Trees of 0 to 9 leaves; leaf i is SHA-256 of the ASCII text "leaf i", 32
// bytes like a record id.
std::string merkle_json() {
    JsonOut o;
    o.begin_object();
    o.field("format", "setm test vectors: merkle trees (RFC 6962)");
    o.key("trees").begin_array();
    std::vector<Hash32> leaves;
    for (int n = 0; n <= 9; ++n) {
        o.begin_object().field("leaves", n);
        o.key("leaf_data").begin_array();
        for (const Hash32& l : leaves) o.str(to_hex(l));
        o.end_array();
        o.key("leaf_hashes").begin_array();
        for (const Hash32& l : leaves) o.str(to_hex(merkle_leaf_hash(l.data(), l.size())));
        o.end_array();
        o.field("root_bytes", to_hex(merkle_root(leaves)));
        o.field("root", hash_to_hex(merkle_root(leaves)));
        o.end_object();
        const std::string text = "leaf " + std::to_string(n);
        leaves.push_back(sha256(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    }
    o.end_array();
    o.end_object();
    return o.str();
}

} // namespace setm::vectors
