#include "json.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include "integer.hpp"

namespace setm {

namespace {

// Deeper nesting is refused so that nothing downstream (Accept, our own
// walks) can be driven into a stack overflow; real records nest 3 or 4 deep.
constexpr int kMaxDepth = 64;

Error bad_json(std::string detail) {
    return make_error(Exit::bad_input, "bad JSON", std::move(detail));
}

// Input text ends up in error messages: keep them on one line.
std::string printable(std::string_view s) {
    std::string out;
    for (char c : s) {
        unsigned char u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f) ? '?' : c;
    }
    return out;
}

std::string_view name_of(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

// The reader only validates raw UTF-8; a "\udc00" escape still decodes to a
// lone surrogate, so decoded strings are checked again.
bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t n;
        std::uint32_t cp;
        if (c < 0x80) {
            ++i;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else
            return false;
        if (s.size() - i <= n) return false;
        for (std::size_t k = 1; k <= n; ++k) {
            unsigned char d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xc0) != 0x80) return false;
            cp = cp << 6 | (d & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// Duplicate keys, nesting depth and decoded UTF-8, at every level.
Status check_value(const rapidjson::Value& v, const std::string& path, int depth) {
    if (depth > kMaxDepth)
        return bad_json("nested deeper than " + std::to_string(kMaxDepth) + " levels");
    if (v.IsString() && !valid_utf8(name_of(v)))
        return bad_json("invalid UTF-8 in a string at " + printable(path));
    if (v.IsArray()) {
        for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
            SETM_CHECK(check_value(v[i], path + "[" + std::to_string(i) + "]", depth + 1));
    }
    if (!v.IsObject()) return ok_status();
    std::set<std::string_view> seen;
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
        std::string_view k = name_of(m->name);
        std::string where = join(path, k);
        if (!valid_utf8(k)) return bad_json("invalid UTF-8 in a key at " + printable(where));
        if (!seen.insert(k).second)
            return make_error(Exit::bad_input, "duplicate key", printable(where));
        SETM_CHECK(check_value(m->value, where, depth + 1));
    }
    return ok_status();
}

// Numbers never reach floating point. With kParseNumbersAsStringsFlag the
// reader hands every number over as its text (RawNumber), and this handler
// builds the DOM like Document's own handler, except that the text is read
// by read_decimal_integer: an exact 64-bit integer becomes an Int64/Uint64
// value; anything else stays a number (so that a field that wants a string
// still says "wrong type") of the double kind, whose value is only a marker
// of why it is no integer: NaN for a fraction or an exponent, +-infinity for
// an integer beyond 64 bits. ObjectReader refuses both, naming the field.
class ExactNumbers {
public:
    explicit ExactNumbers(rapidjson::Document& d) : d_(d) {}
    bool Null() { return d_.Null(); }
    bool Bool(bool b) { return d_.Bool(b); }
    bool Int(int i) { return d_.Int(i); }
    bool Uint(unsigned i) { return d_.Uint(i); }
    bool Int64(std::int64_t i) { return d_.Int64(i); }
    bool Uint64(std::uint64_t i) { return d_.Uint64(i); }
    bool Double(double) { return false; } // never sent with NumbersAsStrings
    bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
        const DecimalInteger v = read_decimal_integer(std::string_view(s, n));
        std::int64_t i = 0;
        std::uint64_t u = 0;
        if (integer_as_int64(v, i)) return d_.Int64(i);
        if (integer_as_uint64(v, u)) return d_.Uint64(u);
        if (v.kind == IntegerText::too_large) return d_.Double(v.negative ? -HUGE_VAL : HUGE_VAL);
        return d_.Double(std::numeric_limits<double>::quiet_NaN());
    }
    bool String(const char* s, rapidjson::SizeType n, bool copy) { return d_.String(s, n, copy); }
    bool StartObject() { return d_.StartObject(); }
    bool Key(const char* s, rapidjson::SizeType n, bool copy) { return d_.Key(s, n, copy); }
    bool EndObject(rapidjson::SizeType n) { return d_.EndObject(n); }
    bool StartArray() { return d_.StartArray(); }
    bool EndArray(rapidjson::SizeType n) { return d_.EndArray(n); }

private:
    rapidjson::Document& d_;
};

// Validated UTF-8, numbers as text, no recursion (deep nesting cannot
// overflow the stack). No flag that parses a double is set, and
// kParseFullPrecisionFlag above all: its decimal-to-double path reads out of
// bounds on numbers like 1.00000000000000000000000000001e-330.
rapidjson::ParseResult read_exact(std::string_view text, rapidjson::Document& d) {
    constexpr unsigned flags = rapidjson::kParseValidateEncodingFlag |
                               rapidjson::kParseNumbersAsStringsFlag |
                               rapidjson::kParseIterativeFlag;
    rapidjson::MemoryStream ms(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(ms);
    rapidjson::Reader reader;
    rapidjson::ParseResult result;
    auto generate = [&](rapidjson::Document& doc) {
        ExactNumbers handler(doc);
        result = reader.Parse<flags>(in, handler);
        return !result.IsError();
    };
    d.Populate(generate);
    return result;
}

} // namespace

Result<rapidjson::Document> parse_json_object(std::string_view text) {
    if (text.size() >= 3 && text.substr(0, 3) == "\xef\xbb\xbf")
        return make_error(Exit::bad_input, "byte-order mark", "JSON text must not start with one");
    // RapidJSON reads NUL as the end of the text, even with a length given.
    if (const void* nul = std::memchr(text.data(), 0, text.size()))
        return bad_json("NUL byte at offset " +
                        std::to_string(static_cast<const char*>(nul) - text.data()));
    rapidjson::Document d;
    rapidjson::ParseResult parsed = read_exact(text, d);
    if (parsed.IsError()) {
        std::string what = rapidjson::GetParseError_En(parsed.Code());
        if (!what.empty() && what.back() == '.') what.pop_back();
        return bad_json(what + " at offset " + std::to_string(parsed.Offset()));
    }
    if (!d.IsObject()) return bad_json("expected an object");
    SETM_CHECK(check_value(d, {}, 0));
    return d;
}

ObjectReader::ObjectReader(const rapidjson::Value& obj, std::string path)
    : obj_(obj), path_(std::move(path)) {}

bool ObjectReader::has(const char* key) const {
    return obj_.IsObject() && obj_.FindMember(key) != obj_.MemberEnd();
}

Error ObjectReader::field_error(const char* key, const std::string& what) const {
    return make_error(Exit::bad_input, "bad value", join(path_, key) + ": " + what);
}

Result<const rapidjson::Value*> ObjectReader::member(const char* key) {
    if (!obj_.IsObject())
        return make_error(Exit::bad_input, "wrong type",
                          (path_.empty() ? std::string("record") : path_) + ": expected an object");
    auto m = obj_.FindMember(key);
    if (m == obj_.MemberEnd())
        return make_error(Exit::bad_input, "missing field", join(path_, key));
    used_.insert(key);
    return &m->value;
}

namespace {

Error typed_error(const std::string& path, const char* key, const char* reason,
                  const std::string& what) {
    return make_error(Exit::bad_input, reason, join(path, key) + ": " + what);
}

// Why a number is not an integer in [lo, hi]; numbers only. A number of the
// double kind is a marker left by ExactNumbers: infinite when the integer
// is beyond 64 bits, NaN when the text has a fraction or an exponent.
std::string range_problem(const rapidjson::Value& v, std::int64_t lo, std::uint64_t hi) {
    if (v.IsDouble() && !std::isinf(v.GetDouble()))
        return "expected an integer without fraction or exponent";
    return "out of range " + std::to_string(lo) + ".." + std::to_string(hi);
}

} // namespace

Result<std::string> ObjectReader::str(const char* key) {
    SETM_TRY(const rapidjson::Value* v, member(key));
    if (!v->IsString()) return typed_error(path_, key, "wrong type", "expected a string");
    return std::string(v->GetString(), v->GetStringLength());
}

Result<std::int64_t> ObjectReader::i64(const char* key) {
    SETM_TRY(const rapidjson::Value* v, member(key));
    if (!v->IsNumber()) return typed_error(path_, key, "wrong type", "expected an integer");
    if (!v->IsInt64())
        return typed_error(path_, key, "bad integer",
                           range_problem(*v, std::numeric_limits<std::int64_t>::min(),
                                         std::numeric_limits<std::int64_t>::max()));
    return v->GetInt64();
}

Result<std::uint64_t> ObjectReader::u64(const char* key) {
    SETM_TRY(const rapidjson::Value* v, member(key));
    if (!v->IsNumber()) return typed_error(path_, key, "wrong type", "expected an integer");
    if (!v->IsUint64())
        return typed_error(path_, key, "bad integer",
                           range_problem(*v, 0, std::numeric_limits<std::uint64_t>::max()));
    return v->GetUint64();
}

Result<std::uint32_t> ObjectReader::u32(const char* key) {
    SETM_TRY(const rapidjson::Value* v, member(key));
    if (!v->IsNumber()) return typed_error(path_, key, "wrong type", "expected an integer");
    if (!v->IsUint())
        return typed_error(path_, key, "bad integer",
                           range_problem(*v, 0, std::numeric_limits<std::uint32_t>::max()));
    return v->GetUint();
}

Result<bool> ObjectReader::boolean(const char* key) {
    SETM_TRY(const rapidjson::Value* v, member(key));
    if (!v->IsBool()) return typed_error(path_, key, "wrong type", "expected true or false");
    return v->GetBool();
}

Result<Bytes> ObjectReader::hex(const char* key) {
    SETM_TRY(std::string s, str(key));
    auto r = from_hex(s);
    if (!r) return field_error(key, r.error().detail);
    return r;
}

Result<std::vector<std::string>> ObjectReader::str_array(const char* key) {
    SETM_TRY(const rapidjson::Value* v, array(key));
    std::vector<std::string> out;
    for (const auto& e : v->GetArray()) {
        if (!e.IsString())
            return typed_error(path_, key, "wrong type", "expected an array of strings");
        out.emplace_back(e.GetString(), e.GetStringLength());
    }
    return out;
}

Result<const rapidjson::Value*> ObjectReader::object(const char* key) {
    SETM_TRY(const rapidjson::Value* v, member(key));
    if (!v->IsObject()) return typed_error(path_, key, "wrong type", "expected an object");
    return v;
}

Result<const rapidjson::Value*> ObjectReader::array(const char* key) {
    SETM_TRY(const rapidjson::Value* v, member(key));
    if (!v->IsArray()) return typed_error(path_, key, "wrong type", "expected an array");
    return v;
}

Status ObjectReader::finish() const {
    if (!obj_.IsObject()) return ok_status();
    for (auto m = obj_.MemberBegin(); m != obj_.MemberEnd(); ++m) {
        std::string k(m->name.GetString(), m->name.GetStringLength());
        if (!used_.count(k))
            return make_error(Exit::bad_input, "unknown field", printable(join(path_, k)));
    }
    return ok_status();
}

JsonOut::JsonOut() : w_(buf_) {}

JsonOut& JsonOut::key(std::string_view k) {
    w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    return *this;
}

JsonOut& JsonOut::str(std::string_view v) {
    w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    return *this;
}

JsonOut& JsonOut::i64(std::int64_t v) {
    w_.Int64(v);
    return *this;
}

JsonOut& JsonOut::u64(std::uint64_t v) {
    w_.Uint64(v);
    return *this;
}

JsonOut& JsonOut::boolean(bool v) {
    w_.Bool(v);
    return *this;
}

JsonOut& JsonOut::null() {
    w_.Null();
    return *this;
}

JsonOut& JsonOut::raw(std::string_view json) {
    rapidjson::Type t = rapidjson::kNumberType;
    switch (json.empty() ? '\0' : json.front()) {
    case '{': t = rapidjson::kObjectType; break;
    case '[': t = rapidjson::kArrayType; break;
    case '"': t = rapidjson::kStringType; break;
    case 't': t = rapidjson::kTrueType; break;
    case 'f': t = rapidjson::kFalseType; break;
    case 'n': t = rapidjson::kNullType; break;
    default: break;
    }
    w_.RawValue(json.data(), json.size(), t);
    return *this;
}

JsonOut& JsonOut::begin_object() {
    w_.StartObject();
    return *this;
}

JsonOut& JsonOut::end_object() {
    w_.EndObject();
    return *this;
}

JsonOut& JsonOut::begin_array() {
    w_.StartArray();
    return *this;
}

JsonOut& JsonOut::end_array() {
    w_.EndArray();
    return *this;
}

std::string JsonOut::str() const { return std::string(buf_.GetString(), buf_.GetSize()); }

} // namespace setm
