// nonce_scan_simd.hpp - the vector-lane nonce kernels (nonce_scan_simd.cpp),
// for nonce_scan.cpp's kernel table. Not for other callers: pick a kernel
// through scan_kernels() / best_scan_kernel() (nonce_scan.hpp). They find
// the offset of a candidate; the table adds its hash (scan_hash), so they
// depend on nothing above nonce_job.hpp.
#pragma once

#include <cstdint>

#include "nonce_job.hpp"

namespace setm {

#if defined(__x86_64__)
// This CPU and OS run AVX-512 F+BW / AVX2 code.
bool has_avx512();
bool has_avx2();

// ScanKernel::scan's contract but for the hash, left empty; call only where
// has_avx512() / has_avx2().
ScanHit scan_avx512(const NonceScan& job, std::uint32_t first, std::uint64_t count);
ScanHit scan_avx512_x2(const NonceScan& job, std::uint32_t first, std::uint64_t count);
ScanHit scan_avx2(const NonceScan& job, std::uint32_t first, std::uint64_t count);
ScanHit scan_avx2_x2(const NonceScan& job, std::uint32_t first, std::uint64_t count);
#endif

} // namespace setm
