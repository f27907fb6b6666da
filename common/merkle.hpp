// merkle.hpp - the Merkle tree hash of RFC 6962 (Certificate Transparency), SHA-256.
//
//   MTH({})       = SHA-256()                           (the empty string)
//   MTH({d0})     = SHA-256(0x00 || d0)                 leaf hash
//   MTH(D[n])     = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
//                   k = the largest power of two smaller than n
//
// Why not Bitcoin's tree: Bitcoin duplicates the last node of an odd level,
// so [a,b,c] and [a,b,c,c] have the same root (CVE-2012-2459), and it uses no
// domain separation, so an inner node can be passed off as a leaf. RFC 6962
// has neither problem: odd nodes are promoted, not duplicated, and the 0x00 /
// 0x01 prefixes keep leaves and nodes apart. Its published test vectors let
// anyone check our roots with an independent implementation.
//
// Blocks additionally refuse duplicate record ids (has_duplicate): a record
// is applied once, and a block listing it twice is invalid, not idempotent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bytes.hpp"

namespace setm {

// SHA-256(0x00 || data)
Hash32 merkle_leaf_hash(const std::uint8_t* data, std::size_t n);
// SHA-256(0x01 || left || right)
Hash32 merkle_node_hash(const Hash32& left, const Hash32& right);

// Root over leaves that are already leaf hashes (the common core).
Hash32 merkle_root_of_leaf_hashes(const std::vector<Hash32>& leaf_hashes);

// Root of a block: each leaf's data is a 32-byte record id,
// so leaf i = SHA-256(0x00 || ids[i]).
Hash32 merkle_root(const std::vector<Hash32>& ids);

// Root over arbitrary leaf data (RFC 6962's general form; used by the tests
// to reproduce the Certificate Transparency vectors).
Hash32 merkle_root_of_data(const std::vector<Bytes>& leaf_data);

// True when some id occurs more than once.
bool has_duplicate(const std::vector<Hash32>& ids);

} // namespace setm
