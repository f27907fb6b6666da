// nonce_job.hpp - what a nonce kernel works on and what it finds: plain
// data shared by the kernel table (nonce_scan) and the vector-lane kernels
// below it (nonce_scan_simd), so that neither includes the other's header.
#pragma once

#include <array>
#include <cstdint>

#include "bytes.hpp"

namespace setm {

struct NonceScan {
    std::array<std::uint32_t, 8> midstate{}; // SHA-256 state after bytes 0..63
    std::array<std::uint32_t, 3> words{};    // bytes 64..75 as big-endian words
    std::uint32_t target_top = 0;            // the target's most significant 32 bits
};

struct ScanHit {
    std::uint64_t offset = 0; // nonce = first + offset; == count when none
    Hash32 hash{};            // the candidate's SHA-256d, when offset < count
};

} // namespace setm
