#include "merkle.hpp"

#include <algorithm>
#include <array>
#include <bit>

#include "crypto.hpp"

namespace setm {

namespace {

constexpr std::uint8_t kLeafPrefix = 0x00;
constexpr std::uint8_t kNodePrefix = 0x01;

// MTH over leaf hashes [first, first + n), n >= 1. Recursion depth is
// log2(n), at most 64.
Hash32 subtree_root(const Hash32* first, std::size_t n) {
    if (n == 1) return *first;
    // Largest power of two strictly smaller than n (RFC 6962 section 2.1).
    const std::size_t k = std::bit_floor(n - 1);
    return merkle_node_hash(subtree_root(first, k), subtree_root(first + k, n - k));
}

} // namespace

Hash32 merkle_leaf_hash(const std::uint8_t* data, std::size_t n) {
    Bytes buf(n + 1);
    buf[0] = kLeafPrefix;
    if (n > 0) std::copy(data, data + n, buf.begin() + 1);
    return sha256(buf.data(), buf.size());
}

Hash32 merkle_node_hash(const Hash32& left, const Hash32& right) {
    std::array<std::uint8_t, 65> buf;
    buf[0] = kNodePrefix;
    std::copy(left.begin(), left.end(), buf.begin() + 1);
    std::copy(right.begin(), right.end(), buf.begin() + 33);
    return sha256(buf.data(), buf.size());
}

Hash32 merkle_root_of_leaf_hashes(const std::vector<Hash32>& leaf_hashes) {
    if (leaf_hashes.empty()) {
        // RFC 6962: the hash of an empty tree is the hash of the empty string.
        const std::uint8_t none = 0;
        return sha256(&none, 0);
    }
    return subtree_root(leaf_hashes.data(), leaf_hashes.size());
}

Hash32 merkle_root(const std::vector<Hash32>& ids) {
    std::vector<Hash32> leaves;
    leaves.reserve(ids.size());
    for (const Hash32& id : ids) leaves.push_back(merkle_leaf_hash(id.data(), id.size()));
    return merkle_root_of_leaf_hashes(leaves);
}

Hash32 merkle_root_of_data(const std::vector<Bytes>& leaf_data) {
    std::vector<Hash32> leaves;
    leaves.reserve(leaf_data.size());
    for (const Bytes& d : leaf_data) leaves.push_back(merkle_leaf_hash(d.data(), d.size()));
    return merkle_root_of_leaf_hashes(leaves);
}

bool has_duplicate(const std::vector<Hash32>& ids) {
    std::vector<Hash32> sorted(ids);
    std::sort(sorted.begin(), sorted.end());
    return std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
}

} // namespace setm
