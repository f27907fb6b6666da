// json.hpp - strict JSON reading and compact JSON writing (RapidJSON).
//
// JSON is only the transport. Reading is strict: the text must be valid
// UTF-8 without a byte-order mark, one object, no duplicate keys at any
// depth; ObjectReader then refuses missing fields, wrong types, fractions,
// out-of-range integers and (at finish()) unknown fields. Errors are
// Exit::bad_input; the caller adds the line number.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "bytes.hpp"
#include "error.hpp"

namespace setm {

// Parse one JSON object (the whole text; trailing non-space is an error).
Result<rapidjson::Document> parse_json_object(std::string_view text);

// Field access with type checks and unknown-field detection.
class ObjectReader {
public:
    explicit ObjectReader(const rapidjson::Value& obj, std::string path = {});

    bool has(const char* key) const;
    Result<std::string> str(const char* key);
    Result<std::int64_t> i64(const char* key);
    Result<std::uint64_t> u64(const char* key);
    Result<std::uint32_t> u32(const char* key);
    Result<bool> boolean(const char* key);
    Result<Bytes> hex(const char* key); // any even-length hex
    template <std::size_t N>
    Result<std::array<std::uint8_t, N>> hex_fixed(const char* key) {
        SETM_TRY(std::string s, str(key));
        auto r = from_hex_fixed<N>(s);
        if (!r) return field_error(key, r.error().detail);
        return r;
    }
    Result<std::vector<std::string>> str_array(const char* key);
    Result<const rapidjson::Value*> object(const char* key); // marks key used
    Result<const rapidjson::Value*> array(const char* key);

    // Error if any member was never read: "unknown field: NAME".
    Status finish() const;

    Error field_error(const char* key, const std::string& what) const;

private:
    Result<const rapidjson::Value*> member(const char* key);
    const rapidjson::Value& obj_;
    std::string path_;
    std::set<std::string> used_;
};

// Compact one-line JSON output. Keys in the order written.
class JsonOut {
public:
    JsonOut();
    JsonOut& key(std::string_view k);
    JsonOut& str(std::string_view v);
    JsonOut& i64(std::int64_t v);
    JsonOut& u64(std::uint64_t v);
    JsonOut& boolean(bool v);
    JsonOut& null();
    JsonOut& raw(std::string_view json); // an already-rendered JSON value
    JsonOut& begin_object();
    JsonOut& end_object();
    JsonOut& begin_array();
    JsonOut& end_array();
    // shorthands: key + value
    JsonOut& field(std::string_view k, std::string_view v) { return key(k).str(v); }
    JsonOut& field(std::string_view k, const char* v) { return key(k).str(v); }
    JsonOut& field(std::string_view k, std::int64_t v) { return key(k).i64(v); }
    JsonOut& field(std::string_view k, std::uint64_t v) { return key(k).u64(v); }
    JsonOut& field(std::string_view k, std::uint32_t v) { return key(k).u64(v); }
    JsonOut& field(std::string_view k, int v) { return key(k).i64(v); }
    JsonOut& field(std::string_view k, bool v) { return key(k).boolean(v); }
    std::string str() const; // the text, no trailing newline

private:
    rapidjson::StringBuffer buf_;
    rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                      rapidjson::CrtAllocator, rapidjson::kWriteNoFlags>
        w_;
};

} // namespace setm
