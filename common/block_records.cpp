#include "block_records.hpp"

#include "merkle.hpp"

namespace setm {

Hash32 merkle_root_of(const std::vector<Record>& records) {
    std::vector<Hash32> ids;
    ids.reserve(records.size());
    for (const auto& r : records) ids.push_back(record_id(r));
    return merkle_root(ids);
}

namespace {

// What both forms print before the records: type, height, hash, header.
void write_block_head(JsonOut& o, const Block& b, std::uint64_t height) {
    const auto raw = serialize_header(b.header);
    o.field("type", "block");
    o.field("height", static_cast<std::uint64_t>(height));
    o.field("hash", hash_to_hex(block_hash(b.header)));
    o.key("header").begin_object();
    o.field("version", static_cast<std::int64_t>(b.header.version));
    o.field("prev", hash_to_hex(b.header.prev));
    o.field("merkle_root", hash_to_hex(b.header.merkle_root));
    o.field("time", b.header.time);
    o.field("bits", b.header.bits);
    o.field("nonce", b.header.nonce);
    o.end_object();
    o.field("header_hex", to_hex(raw.data(), raw.size()));
}

} // namespace

std::string block_to_json(const Block& b, std::uint64_t height) {
    JsonOut o;
    o.begin_object();
    write_block_head(o, b, height);
    o.key("records").begin_array();
    for (const auto& r : b.records) write_json(o, r);
    o.end_array();
    o.end_object();
    return o.str();
}

std::string block_summary_json(const Block& b, std::uint64_t height) {
    JsonOut o;
    o.begin_object();
    write_block_head(o, b, height);
    o.field("record_count", static_cast<std::uint64_t>(b.records.size()));
    o.end_object();
    return o.str();
}

} // namespace setm
