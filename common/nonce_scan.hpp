// nonce_scan.hpp - the proof-of-work inner loop: SHA-256d of one 80-byte
// header over a run of nonces, with kernels chosen at run time.
//
// Everything that does not depend on the nonce is computed once per header
// (prepare_scan): the SHA-256 state after the header's first 64 bytes (the
// midstate), the three message words that precede the nonce, and the top
// 32 bits of the target. A kernel then hashes nonces and returns the first
// CANDIDATE: a nonce whose hash, read as a little-endian 256-bit number
// (Bitcoin's UintToArith256), has its most significant 32 bits <= the
// target's. Every nonce that meets the target is a candidate; the caller
// confirms a candidate with hash_meets_target (pow.hpp) and, if it fails,
// scans on from the next nonce. So the lowest nonce that meets the target is
// always found first, whichever kernel runs.
//
// Kernels: "portable" (plain C++, any CPU); on x86-64 CPUs with the SHA
// extensions, "sha-ni" (one nonce at a time) and "sha-ni-x2" / "sha-ni-x4"
// (two or four nonces interleaved, so that each core's SHA unit is never idle
// waiting for the previous round); on CPUs with AVX-512 (F and BW) or AVX2,
// "avx512" / "avx2" (16 / 8 nonces, one per vector lane) and "avx512-x2" /
// "avx2-x2" (two registers of lanes interleaved). Every kernel is tested
// against Crypto++. Which one is fastest depends on the CPU (SHA units and
// vector units differ from one model to the next), so best_scan_kernel()
// times the supported ones once per process and keeps the fastest.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "bytes.hpp"
#include "nonce_job.hpp"

namespace setm {

// header: the 80 serialized header bytes (its nonce field is ignored).
// target_top: U256::w[7] of the target.
NonceScan prepare_scan(const std::uint8_t header[80], std::uint32_t target_top);

struct ScanKernel {
    const char* name;
    unsigned lanes;      // nonces hashed together
    bool (*supported)(); // this CPU can run it
    // Nonces first .. first + count - 1 (first + count <= 2^32).
    ScanHit (*scan)(const NonceScan& job, std::uint32_t first, std::uint64_t count);
};

// SHA-256d of the header with this nonce (any CPU; what a kernel's hit holds).
Hash32 scan_hash(const NonceScan& job, std::uint32_t nonce);

// Every kernel compiled in ("portable" last).
std::span<const ScanKernel> scan_kernels();
// The fastest kernel that this CPU supports ("portable" at worst): on the
// first call, each supported kernel hashes 1,024 nonces three times (2 ms
// in all on the machine of the README's figures; the best try counts) and
// the fastest is kept for the life of the process. Thread-safe. Which
// kernel wins never changes a result: every kernel finds the same nonces.
const ScanKernel& best_scan_kernel();
// The kernel with this name, or nullptr (unknown, or unsupported here).
const ScanKernel* find_scan_kernel(const char* name);

} // namespace setm
