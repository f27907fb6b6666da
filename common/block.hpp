// block.hpp - the 80-byte block header, byte for byte Bitcoin's.
//
// Keeping Bitcoin's exact layout means every tool that can hash or mine a
// Bitcoin header (and every reader of Bitcoin's documentation) can check ours,
// and Bitcoin's genesis block is a free test vector.
//
// Layout (all integers little-endian, hashes as stored, never reversed):
//   offset  0  int32   version
//   offset  4  32 B    prev          block_hash of the parent (zero for genesis)
//   offset 36  32 B    merkle_root   RFC 6962 root of the block's record ids (merkle.hpp)
//   offset 68  uint32  time          seconds since the Unix epoch
//   offset 72  uint32  bits          compact proof-of-work target (pow.hpp)
//   offset 76  uint32  nonce
//
// Byte order of hashes: a Hash32 holds the bytes exactly as SHA-256 wrote them
// ("internal order"). Bitcoin displays hashes reversed, so that the leading
// zeros of a mined hash appear at the left; hash_to_hex/hash_from_hex do the
// same, and are the only place where the reversal happens.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bytes.hpp"
#include "error.hpp"

namespace setm {

inline constexpr std::size_t kHeaderSize = 80;

struct BlockHeader {
    std::int32_t version = 0;
    Hash32 prev{};
    Hash32 merkle_root{};
    std::uint32_t time = 0;
    std::uint32_t bits = 0;
    std::uint32_t nonce = 0;

    friend bool operator==(const BlockHeader&, const BlockHeader&) = default;
};

std::array<std::uint8_t, kHeaderSize> serialize_header(const BlockHeader& h);

// Exactly 80 bytes, else Exit::bad_input "bad header". Every bit pattern of
// 80 bytes is a header: validity (target, time, parent) is checked elsewhere.
Result<BlockHeader> parse_header(const std::uint8_t* p, std::size_t n);

// SHA-256d of the 80 serialized bytes, in internal byte order.
Hash32 block_hash(const BlockHeader& h);

// Display order (reversed bytes, lower-case), as Bitcoin prints block hashes.
std::string hash_to_hex(const Hash32& h);
// Inverse of hash_to_hex: 64 hex digits in display order. Exit::bad_input "bad hex".
Result<Hash32> hash_from_hex(std::string_view display_hex);

} // namespace setm
