#include "block.hpp"

#include <algorithm>

#include "crypto.hpp"

namespace setm {

namespace {

// Explicit byte-by-byte little-endian: the layout must not depend on the
// host's endianness or on struct padding.
void put_le32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
    p[2] = static_cast<std::uint8_t>(v >> 16);
    p[3] = static_cast<std::uint8_t>(v >> 24);
}

std::uint32_t get_le32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

} // namespace

std::array<std::uint8_t, kHeaderSize> serialize_header(const BlockHeader& h) {
    std::array<std::uint8_t, kHeaderSize> out{};
    // int32 -> uint32 is modular (two's complement), as Bitcoin writes it.
    put_le32(out.data(), static_cast<std::uint32_t>(h.version));
    std::copy(h.prev.begin(), h.prev.end(), out.begin() + 4);
    std::copy(h.merkle_root.begin(), h.merkle_root.end(), out.begin() + 36);
    put_le32(out.data() + 68, h.time);
    put_le32(out.data() + 72, h.bits);
    put_le32(out.data() + 76, h.nonce);
    return out;
}

Result<BlockHeader> parse_header(const std::uint8_t* p, std::size_t n) {
    if (n != kHeaderSize || p == nullptr)
        return make_error(
            Exit::bad_input, "bad header",
            "expected " + std::to_string(kHeaderSize) + " bytes, got " + std::to_string(n));
    BlockHeader h;
    // uint32 -> int32 is well defined (modular) since C++20.
    h.version = static_cast<std::int32_t>(get_le32(p));
    std::copy(p + 4, p + 36, h.prev.begin());
    std::copy(p + 36, p + 68, h.merkle_root.begin());
    h.time = get_le32(p + 68);
    h.bits = get_le32(p + 72);
    h.nonce = get_le32(p + 76);
    return h;
}

Hash32 block_hash(const BlockHeader& h) {
    const auto bytes = serialize_header(h);
    return sha256d(bytes.data(), bytes.size());
}

std::string hash_to_hex(const Hash32& h) {
    Hash32 r;
    std::reverse_copy(h.begin(), h.end(), r.begin());
    return to_hex(r);
}

Result<Hash32> hash_from_hex(std::string_view display_hex) {
    SETM_TRY(Hash32 r, from_hex_fixed<32>(display_hex));
    std::reverse(r.begin(), r.end());
    return r;
}

} // namespace setm
