#include "records.hpp"

#include <cstring>

#include "block.hpp"
#include "units.hpp"

namespace setm {

ParticipantId participant_id(const PublicKey& ed25519_public) {
    static const char prefix[] = "setm/participant/v1";
    Bytes b(prefix, prefix + std::strlen(prefix));
    b.insert(b.end(), ed25519_public.begin(), ed25519_public.end());
    const Hash32 h = sha256(b);
    ParticipantId id{};
    std::memcpy(id.data(), h.data(), id.size());
    return id;
}

std::string participant_hex(const ParticipantId& p) { return to_hex(p); }

Result<ParticipantId> participant_from_hex(std::string_view s) {
    auto r = from_hex_fixed<16>(s);
    if (!r) return make_error(Exit::bad_input, "bad participant id", r.error().detail);
    return r.value();
}

Result<std::uint8_t> parse_role(std::string_view name) {
    if (name == "producer") return std::uint8_t{role_producer};
    if (name == "consumer") return std::uint8_t{role_consumer};
    if (name == "prosumer") return std::uint8_t{role_producer | role_consumer};
    if (name == "agent") return std::uint8_t{role_agent};
    return make_error(Exit::bad_input, "bad role",
                      std::string(name) + " (use producer, consumer, prosumer or agent)");
}

std::vector<std::string> role_names(std::uint8_t roles) {
    std::vector<std::string> out;
    if (roles & role_producer) out.push_back("producer");
    if (roles & role_consumer) out.push_back("consumer");
    if (roles & role_agent) out.push_back("agent");
    return out;
}

const char* record_type(const Record& r) {
    return std::visit([](const auto& s) { return std::decay_t<decltype(s.body)>::type; }, r);
}
Hash32 record_id(const Record& r) {
    return std::visit([](const auto& s) { return s.id(); }, r);
}
ParticipantId record_signer(const Record& r) {
    return std::visit([](const auto& s) { return s.body.signer(); }, r);
}
const Hash32& record_chain(const Record& r) {
    return std::visit([](const auto& s) -> const Hash32& { return s.chain; }, r);
}

// ---- writing --------------------------------------------------------------------

namespace {

void put_time(JsonOut& o, const char* k, std::int64_t t) { o.field(k, format_utc(t)); }

void write_body(JsonOut& o, const Identity& b) {
    o.field("participant", participant_hex(b.signer())); // derived, checked on reading
    o.field("name", b.name);
    o.field("ed25519", to_hex(b.ed25519));
    o.field("x25519", to_hex(b.x25519));
}

void write_body(JsonOut& o, const Genesis& b) {
    o.field("chain_name", b.chain_name);
    o.field("authority_name", b.authority_name);
    o.field("authority_ed25519", to_hex(b.authority_ed25519));
    o.field("authority_x25519", to_hex(b.authority_x25519));
    o.field("bits", b.bits);
    o.field("slot_minutes", b.slot_minutes);
    o.field("max_records", b.max_records);
    o.field("energy_unit", b.energy_unit);
    o.field("price_unit", b.price_unit);
    o.field("money_unit", b.money_unit);
    put_time(o, "created", b.created);
}

void write_body(JsonOut& o, const Credential& b) {
    o.field("serial", b.serial);
    o.field("participant", participant_hex(b.participant));
    o.field("name", b.name);
    o.field("ed25519", to_hex(b.ed25519));
    o.field("x25519", to_hex(b.x25519));
    o.key("roles").begin_array();
    for (const auto& r : role_names(b.roles)) o.str(r);
    o.end_array();
    o.field("zone", b.zone);
    o.field("meter", b.meter);
    o.field("max_energy_wh", b.max_energy_wh);
    put_time(o, "valid_from", b.valid_from);
    put_time(o, "valid_until", b.valid_until);
    o.field("authority", participant_hex(b.authority));
}

void write_body(JsonOut& o, const Revocation& b) {
    o.field("serial", b.serial);
    o.field("participant", participant_hex(b.participant));
    put_time(o, "time", b.time);
    o.field("reason", b.reason);
    o.field("authority", participant_hex(b.authority));
}

void write_body(JsonOut& o, const Offer& b) {
    o.field("producer", participant_hex(b.producer));
    put_time(o, "slot", b.slot);
    o.field("slot_minutes", b.slot_minutes);
    o.field("energy_wh", b.energy_wh);
    o.field("floor_price", b.floor_price);
    o.field("opening_price", b.opening_price);
    o.field("zone", b.zone);
    put_time(o, "expires", b.expires);
    o.field("nonce", b.nonce);
}

void write_body(JsonOut& o, const Request& b) {
    o.field("consumer", participant_hex(b.consumer));
    put_time(o, "slot", b.slot);
    o.field("slot_minutes", b.slot_minutes);
    o.field("energy_wh", b.energy_wh);
    o.field("ceiling_price", b.ceiling_price);
    o.field("opening_price", b.opening_price);
    o.field("zone", b.zone);
    o.key("from").begin_array();
    for (const auto& f : b.from) o.str(f);
    o.end_array();
    put_time(o, "expires", b.expires);
    o.field("nonce", b.nonce);
}

void write_body(JsonOut& o, const Trade& b) {
    o.field("agent", participant_hex(b.agent));
    put_time(o, "slot", b.slot);
    o.field("slot_minutes", b.slot_minutes);
    o.field("offer", to_hex(b.offer));
    o.field("request", to_hex(b.request));
    o.field("seller", participant_hex(b.seller));
    o.field("buyer", participant_hex(b.buyer));
    o.field("energy_wh", b.energy_wh);
    o.field("price", b.price);
    o.field("fee_price", b.fee_price);
    o.field("amount", b.amount);
    o.field("fee", b.fee);
    o.field("mechanism", b.mechanism);
    o.field("round", b.round);
    put_time(o, "time", b.time);
}

template <class Body>
void write_signed(JsonOut& o, const Signed<Body>& s) {
    o.begin_object();
    o.field("type", Body::type);
    o.field("id", to_hex(s.id()));
    write_body(o, s.body);
    o.field("chain", hash_to_hex(s.chain)); // a block hash: shown as blocks are
    o.field("signature", to_hex(s.signature));
    o.end_object();
}

} // namespace

void write_json(JsonOut& out, const Record& r) {
    std::visit([&](const auto& s) { write_signed(out, s); }, r);
}

std::string to_json(const Record& r) {
    JsonOut o;
    write_json(o, r);
    return o.str();
}

std::string to_json(const Signed<Identity>& r) {
    JsonOut o;
    write_signed(o, r);
    return o.str();
}

// ---- reading --------------------------------------------------------------------

namespace {

Result<std::int64_t> get_time(ObjectReader& in, const char* k) {
    SETM_TRY(std::string s, in.str(k));
    auto t = parse_utc(s);
    if (!t) return in.field_error(k, t.error().detail);
    return t.value();
}

Result<ParticipantId> get_participant(ObjectReader& in, const char* k) {
    return in.hex_fixed<16>(k);
}

Result<std::int64_t> get_nonneg(ObjectReader& in, const char* k) {
    SETM_TRY(std::int64_t v, in.i64(k));
    if (v < 0) return in.field_error(k, "must not be negative");
    return v;
}

Status read_body(ObjectReader& in, Identity& b) {
    SETM_TRY(ParticipantId claimed, get_participant(in, "participant"));
    SETM_TRY(b.name, in.str("name"));
    SETM_TRY(b.ed25519, in.hex_fixed<32>("ed25519"));
    SETM_TRY(b.x25519, in.hex_fixed<32>("x25519"));
    if (claimed != b.signer())
        return in.field_error("participant", "does not belong to the ed25519 key");
    return ok_status();
}

Status read_body(ObjectReader& in, Genesis& b) {
    SETM_TRY(b.chain_name, in.str("chain_name"));
    SETM_TRY(b.authority_name, in.str("authority_name"));
    SETM_TRY(b.authority_ed25519, in.hex_fixed<32>("authority_ed25519"));
    SETM_TRY(b.authority_x25519, in.hex_fixed<32>("authority_x25519"));
    SETM_TRY(b.bits, in.u32("bits"));
    SETM_TRY(b.slot_minutes, in.u32("slot_minutes"));
    SETM_TRY(b.max_records, in.u32("max_records"));
    SETM_TRY(b.energy_unit, in.str("energy_unit"));
    SETM_TRY(b.price_unit, in.str("price_unit"));
    SETM_TRY(b.money_unit, in.str("money_unit"));
    SETM_TRY(b.created, get_time(in, "created"));
    return ok_status();
}

Status read_body(ObjectReader& in, Credential& b) {
    SETM_TRY(b.serial, in.u64("serial"));
    SETM_TRY(b.participant, get_participant(in, "participant"));
    SETM_TRY(b.name, in.str("name"));
    SETM_TRY(b.ed25519, in.hex_fixed<32>("ed25519"));
    SETM_TRY(b.x25519, in.hex_fixed<32>("x25519"));
    SETM_TRY(std::vector<std::string> roles, in.str_array("roles"));
    b.roles = 0;
    for (const auto& r : roles) {
        auto bit = parse_role(r);
        if (!bit) return in.field_error("roles", bit.error().detail);
        b.roles |= bit.value();
    }
    if (role_names(b.roles) != roles)
        return in.field_error("roles",
                              "must be distinct and in the order producer, consumer, agent");
    SETM_TRY(b.zone, in.str("zone"));
    SETM_TRY(b.meter, in.str("meter"));
    SETM_TRY(b.max_energy_wh, get_nonneg(in, "max_energy_wh"));
    SETM_TRY(b.valid_from, get_time(in, "valid_from"));
    SETM_TRY(b.valid_until, get_time(in, "valid_until"));
    SETM_TRY(b.authority, get_participant(in, "authority"));
    return ok_status();
}

Status read_body(ObjectReader& in, Revocation& b) {
    SETM_TRY(b.serial, in.u64("serial"));
    SETM_TRY(b.participant, get_participant(in, "participant"));
    SETM_TRY(b.time, get_time(in, "time"));
    SETM_TRY(b.reason, in.str("reason"));
    SETM_TRY(b.authority, get_participant(in, "authority"));
    return ok_status();
}

Status read_body(ObjectReader& in, Offer& b) {
    SETM_TRY(b.producer, get_participant(in, "producer"));
    SETM_TRY(b.slot, get_time(in, "slot"));
    SETM_TRY(b.slot_minutes, in.u32("slot_minutes"));
    SETM_TRY(b.energy_wh, get_nonneg(in, "energy_wh"));
    SETM_TRY(b.floor_price, in.i64("floor_price"));
    SETM_TRY(b.opening_price, in.i64("opening_price"));
    SETM_TRY(b.zone, in.str("zone"));
    SETM_TRY(b.expires, get_time(in, "expires"));
    SETM_TRY(b.nonce, in.u64("nonce"));
    return ok_status();
}

Status read_body(ObjectReader& in, Request& b) {
    SETM_TRY(b.consumer, get_participant(in, "consumer"));
    SETM_TRY(b.slot, get_time(in, "slot"));
    SETM_TRY(b.slot_minutes, in.u32("slot_minutes"));
    SETM_TRY(b.energy_wh, get_nonneg(in, "energy_wh"));
    SETM_TRY(b.ceiling_price, in.i64("ceiling_price"));
    SETM_TRY(b.opening_price, in.i64("opening_price"));
    SETM_TRY(b.zone, in.str("zone"));
    SETM_TRY(b.from, in.str_array("from"));
    SETM_TRY(b.expires, get_time(in, "expires"));
    SETM_TRY(b.nonce, in.u64("nonce"));
    return ok_status();
}

Status read_body(ObjectReader& in, Trade& b) {
    SETM_TRY(b.agent, get_participant(in, "agent"));
    SETM_TRY(b.slot, get_time(in, "slot"));
    SETM_TRY(b.slot_minutes, in.u32("slot_minutes"));
    SETM_TRY(b.offer, in.hex_fixed<32>("offer"));
    SETM_TRY(b.request, in.hex_fixed<32>("request"));
    SETM_TRY(b.seller, get_participant(in, "seller"));
    SETM_TRY(b.buyer, get_participant(in, "buyer"));
    SETM_TRY(b.energy_wh, get_nonneg(in, "energy_wh"));
    SETM_TRY(b.price, in.i64("price"));
    SETM_TRY(b.fee_price, in.i64("fee_price"));
    SETM_TRY(b.amount, in.i64("amount"));
    SETM_TRY(b.fee, in.i64("fee"));
    SETM_TRY(b.mechanism, in.str("mechanism"));
    SETM_TRY(b.round, in.u32("round"));
    SETM_TRY(b.time, get_time(in, "time"));
    return ok_status();
}

template <class Body>
Result<Signed<Body>> read_signed(const rapidjson::Value& obj) {
    ObjectReader in(obj);
    SETM_TRY(std::string type, in.str("type"));
    if (type != Body::type)
        return in.field_error("type",
                              "expected \"" + std::string(Body::type) + "\", got \"" + type + "\"");
    Signed<Body> s;
    SETM_TRY(Hash32 claimed, in.hex_fixed<32>("id"));
    SETM_CHECK(read_body(in, s.body));
    SETM_TRY(std::string chain_hex, in.str("chain"));
    auto chain = hash_from_hex(chain_hex);
    if (!chain) return in.field_error("chain", chain.error().detail);
    s.chain = chain.value();
    SETM_TRY(s.signature, in.hex_fixed<64>("signature"));
    SETM_CHECK(in.finish());
    if (s.id() != claimed)
        return make_error(Exit::bad_input, "id mismatch",
                          std::string(Body::type) + " " + to_hex(claimed) +
                              ": the fields do not hash to this id (changed after signing?)");
    return s;
}

} // namespace

Result<Signed<Identity>> identity_from_json(const rapidjson::Value& obj) {
    return read_signed<Identity>(obj);
}

Result<Record> record_from_json(const rapidjson::Value& obj) {
    if (!obj.IsObject()) return make_error(Exit::bad_input, "bad JSON", "expected an object");
    auto t = obj.FindMember("type");
    if (t == obj.MemberEnd() || !t->value.IsString())
        return make_error(Exit::bad_input, "missing field", "type");
    const std::string_view type(t->value.GetString(), t->value.GetStringLength());
    auto wrap = [](auto r) -> Result<Record> {
        if (!r) return std::move(r.error());
        return Record(std::move(r.value()));
    };
    if (type == Credential::type) return wrap(read_signed<Credential>(obj));
    if (type == Revocation::type) return wrap(read_signed<Revocation>(obj));
    if (type == Offer::type) return wrap(read_signed<Offer>(obj));
    if (type == Request::type) return wrap(read_signed<Request>(obj));
    if (type == Trade::type) return wrap(read_signed<Trade>(obj));
    if (type == Genesis::type) return wrap(read_signed<Genesis>(obj));
    return make_error(Exit::bad_input, "unknown record type", "\"" + std::string(type) + "\"");
}

Result<Record> parse_record(std::string_view text) {
    SETM_TRY(rapidjson::Document d, parse_json_object(text));
    return record_from_json(d);
}

} // namespace setm
