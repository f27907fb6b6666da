// bytes.hpp - byte strings, fixed-size byte arrays and hex.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"

namespace setm {

using Bytes = std::vector<std::uint8_t>;
using Hash32 = std::array<std::uint8_t, 32>;
using PublicKey = std::array<std::uint8_t, 32>; // Ed25519 or X25519
using Signature = std::array<std::uint8_t, 64>; // Ed25519

std::string to_hex(const std::uint8_t* p, std::size_t n);
template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& a) {
    return to_hex(a.data(), N);
}
inline std::string to_hex(const Bytes& b) { return to_hex(b.data(), b.size()); }

// Lower- or upper-case hex, even length. Errors are Exit::bad_input.
Result<Bytes> from_hex(std::string_view hex);

template <std::size_t N>
Result<std::array<std::uint8_t, N>> from_hex_fixed(std::string_view hex) {
    if (hex.size() != 2 * N)
        return make_error(
            Exit::bad_input, "bad hex",
            "expected " + std::to_string(2 * N) + " hex digits, got " + std::to_string(hex.size()));
    SETM_TRY(Bytes b, from_hex(hex));
    std::array<std::uint8_t, N> a{};
    for (std::size_t i = 0; i < N; ++i) a[i] = b[i];
    return a;
}

// Constant-time equality for secrets and MACs.
bool equal_ct(const std::uint8_t* a, const std::uint8_t* b, std::size_t n);

// v as 8 bytes, most significant first (LMDB keys sort as the numbers do).
inline std::array<std::uint8_t, 8> be64(std::uint64_t v) {
    std::array<std::uint8_t, 8> b{};
    for (int i = 7; i >= 0; --i, v >>= 8)
        b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
    return b;
}

} // namespace setm
