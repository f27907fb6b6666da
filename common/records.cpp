#include "records.hpp"

#include <cstring>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

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
    if (name == "operator") return std::uint8_t{role_operator};
    return make_error(Exit::bad_input, "bad role",
                      std::string(name) + " (use producer, consumer, prosumer, agent or operator)");
}

std::vector<std::string> role_names(std::uint8_t roles) {
    std::vector<std::string> out;
    if (roles & role_producer) out.push_back("producer");
    if (roles & role_consumer) out.push_back("consumer");
    if (roles & role_agent) out.push_back("agent");
    if (roles & role_operator) out.push_back("operator");
    return out;
}

const char* record_type(const Record& r) {
    return std::visit([](const auto& s) { return std::decay_t<decltype(s.body)>::type; }, r);
}
Hash32 record_id(const Record& r) {
    return std::visit([](const auto& s) { return s.id(); }, r);
}
std::uint8_t record_signer_role(const Record& r) {
    return std::visit([](const auto& s) { return std::decay_t<decltype(s.body)>::signer_role; }, r);
}
ParticipantId record_signer(const Record& r) {
    return std::visit([](const auto& s) { return s.body.signer(); }, r);
}
const Hash32& record_chain(const Record& r) {
    return std::visit([](const auto& s) -> const Hash32& { return s.chain; }, r);
}

// ---- writing --------------------------------------------------------------------

namespace {

// Writes one field of a body's field list as its type or wrapper says.
struct JsonFieldWriter {
    JsonOut& o;
    template <class T>
    void operator()(const char* k, const T& v) const {
        if constexpr (std::is_same_v<T, std::string>)
            o.field(k, v);
        else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            o.key(k).begin_array();
            for (const auto& x : v) o.str(x);
            o.end_array();
        } else if constexpr (is_struct_list<T>::value) {
            o.key(k).begin_array();
            for (const auto& x : v) {
                o.begin_object();
                T::value_type::fields(x, *this);
                o.end_object();
            }
            o.end_array();
        } else if constexpr (std::is_integral_v<T>)
            o.field(k, v);
        else
            o.field(k, to_hex(v)); // byte arrays: keys, ids, participants
    }
    template <class T>
    void operator()(const char* k, TimeField<T> f) const {
        o.field(k, format_utc(f.value));
    }
    template <class T>
    void operator()(const char* k, NonNegativeField<T> f) const {
        o.field(k, f.value);
    }
    template <class T>
    void operator()(const char* k, RolesField<T> f) const {
        o.key(k).begin_array();
        for (const auto& r : role_names(f.value)) o.str(r);
        o.end_array();
    }
    template <class Fn>
    void operator()(const char* k, DerivedField<Fn> f) const {
        o.field(k, to_hex(f.compute()));
    }
};

template <class Body>
void write_body(JsonOut& o, const Body& b) {
    Body::fields(b, JsonFieldWriter{o});
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

template <class Body>
Status read_body(ObjectReader& in, Body& b);

// Reads one field of a body's field list strictly, as its type or wrapper
// says; after the first error it reads nothing more. Derived fields are
// checked once every field is read (finish()).
struct JsonFieldReader {
    explicit JsonFieldReader(ObjectReader& reader) : in(reader) {}
    ObjectReader& in;
    Status status = ok_status();
    struct DerivedCheck {
        const char* key;
        const char* mismatch;
        std::function<bool()> same;
    };
    std::vector<DerivedCheck> derived_checks;

    template <class T>
    Result<T> read(const char* k) {
        if constexpr (std::is_same_v<T, std::string>)
            return in.str(k);
        else if constexpr (std::is_same_v<T, std::vector<std::string>>)
            return in.str_array(k);
        else if constexpr (std::is_same_v<T, std::int64_t>)
            return in.i64(k);
        else if constexpr (std::is_same_v<T, std::uint64_t>)
            return in.u64(k);
        else if constexpr (std::is_same_v<T, std::uint32_t>)
            return in.u32(k);
        else if constexpr (is_struct_list<T>::value)
            return read_list<typename T::value_type>(k);
        else
            return in.hex_fixed<std::tuple_size_v<T>>(k);
    }
    template <class T>
    void set(T& into, Result<T> v) {
        if (!v)
            status = v.error();
        else
            into = std::move(v.value());
    }
    template <class T>
    void operator()(const char* k, T& v) {
        if (status) set(v, read<T>(k));
    }
    template <class T>
    void operator()(const char* k, TimeField<T> f) {
        if (status) set(f.value, read_time(k));
    }
    template <class T>
    void operator()(const char* k, NonNegativeField<T> f) {
        if (status) set(f.value, read_non_negative(k));
    }
    template <class T>
    void operator()(const char* k, RolesField<T> f) {
        if (status) set(f.value, read_roles(k));
    }
    template <class Fn>
    void operator()(const char* k, DerivedField<Fn> f) {
        if (!status) return;
        using V = std::decay_t<decltype(f.compute())>;
        auto claimed = read<V>(k);
        if (!claimed) {
            status = claimed.error();
            return;
        }
        derived_checks.push_back(
            {k, f.mismatch, [f, v = claimed.value()] { return f.compute() == v; }});
    }
    Status finish() {
        if (!status) return status;
        for (const auto& c : derived_checks)
            if (!c.same()) return in.field_error(c.key, c.mismatch);
        return ok_status();
    }

    // An array of objects, each read strictly by its own field list.
    template <class E>
    Result<std::vector<E>> read_list(const char* k) {
        SETM_TRY(const rapidjson::Value* list, in.array(k));
        std::vector<E> out;
        for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
            const rapidjson::Value& v = (*list)[i];
            if (!v.IsObject()) return in.field_error(k, "must be an array of objects");
            ObjectReader item(v, std::string(k) + "[" + std::to_string(i) + "]");
            E e{};
            SETM_CHECK(read_body(item, e));
            SETM_CHECK(item.finish());
            out.push_back(std::move(e));
        }
        return out;
    }
    Result<std::int64_t> read_time(const char* k) {
        SETM_TRY(std::string s, in.str(k));
        auto t = parse_utc(s);
        if (!t) return in.field_error(k, t.error().detail);
        return t.value();
    }
    Result<std::int64_t> read_non_negative(const char* k) {
        SETM_TRY(std::int64_t v, in.i64(k));
        if (v < 0) return in.field_error(k, "must not be negative");
        return v;
    }
    Result<std::uint8_t> read_roles(const char* k) {
        SETM_TRY(std::vector<std::string> roles, in.str_array(k));
        std::uint8_t bits = 0;
        for (const auto& r : roles) {
            auto bit = parse_role(r);
            if (!bit) return in.field_error(k, bit.error().detail);
            bits |= bit.value();
        }
        if (role_names(bits) != roles)
            return in.field_error(
                k, "must be distinct and in the order producer, consumer, agent, operator");
        return bits;
    }
};

template <class Body>
Status read_body(ObjectReader& in, Body& b) {
    JsonFieldReader reader(in);
    Body::fields(b, reader);
    return reader.finish();
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

namespace {

// The alternative of Record whose type name is `type`, read from obj.
template <std::size_t... I>
Result<Record> read_record_of_type(const rapidjson::Value& obj, std::string_view type,
                                   std::index_sequence<I...>) {
    std::optional<Result<Record>> out;
    auto try_kind = [&](auto kind) {
        using Body = decltype(kind);
        if (out || type != Body::type) return;
        auto r = read_signed<Body>(obj);
        out = r ? Result<Record>(Record(std::move(r.value()))) : Result<Record>(r.error());
    };
    (try_kind(std::variant_alternative_t<I, Record>{}.body), ...);
    if (out) return std::move(*out);
    return make_error(Exit::bad_input, "unknown record type", "\"" + std::string(type) + "\"");
}

} // namespace

Result<Record> record_from_json(const rapidjson::Value& obj) {
    if (!obj.IsObject()) return make_error(Exit::bad_input, "bad JSON", "expected an object");
    auto t = obj.FindMember("type");
    if (t == obj.MemberEnd() || !t->value.IsString())
        return make_error(Exit::bad_input, "missing field", "type");
    const std::string_view type(t->value.GetString(), t->value.GetStringLength());
    return read_record_of_type(obj, type, std::make_index_sequence<std::variant_size_v<Record>>{});
}

Result<Record> parse_record(std::string_view text) {
    SETM_TRY(rapidjson::Document d, parse_json_object(text));
    return record_from_json(d);
}

} // namespace setm
