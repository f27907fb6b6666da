// nonce_scan_simd.cpp - SHA-256d nonce kernels on vector lanes: AVX-512
// (16 nonces per register) and AVX2 (8), each also as two registers at once
// (32 / 16 nonces) so that one round's latency hides behind the other's.
//
// The kernel is written once (nonce_lanes.hpp), a template over the lane
// type (Lanes16, Lanes8 below, or Pair of either); it is included once per
// instruction set with that set's target attributes, so nothing compiled for
// AVX-512 can run on a CPU without it (the kernel table only offers a kernel
// whose supported() says yes).
#include "nonce_scan_simd.hpp"

#include "sha256_constants.hpp"

#include <cstring>
#include <utility>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

namespace setm {
namespace {

// K[t] + W[t] of the digest's block for t = 8..15: padding, zeros, length 256.
constexpr std::uint32_t kLaneKw2[16] = {0,
                                        0,
                                        0,
                                        0,
                                        0,
                                        0,
                                        0,
                                        0,
                                        kSha256Round[8] + 0x80000000u,
                                        kSha256Round[9],
                                        kSha256Round[10],
                                        kSha256Round[11],
                                        kSha256Round[12],
                                        kSha256Round[13],
                                        kSha256Round[14],
                                        kSha256Round[15] + 256u};

// What the lanes share, computed once per header.
struct LaneJob {
    std::uint32_t mid[8];       // midstate, words A..H
    std::uint32_t w1[16];       // the header's second block (W3, the nonce, as 0)
    std::uint32_t kw1[16];      // K[t] + W[t] of that block for t = 4..15
    std::uint32_t s4[8];        // its state at the start of round 4, W3 not yet in A and E
    std::uint32_t s1_second[8]; // the digest hash's state at round 1, W0 not yet in A and E
    std::uint32_t target_top;
};

std::uint32_t rotr(std::uint32_t x, int n) { return x >> n | x << (32 - n); }

// One scalar round without W[t]: s becomes the state after round t with
// W[t] = 0; the caller adds W[t] to A and E if it is not zero.
void scalar_round(std::uint32_t s[8], std::uint32_t kw) {
    const std::uint32_t e = s[4], a = s[0];
    const std::uint32_t t1 =
        s[7] + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & s[5]) ^ (~e & s[6])) + kw;
    const std::uint32_t t2 =
        (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & s[1]) ^ (a & s[2]) ^ (s[1] & s[2]));
    for (int i = 7; i > 0; --i) s[i] = s[i - 1];
    s[4] += t1;
    s[0] = t1 + t2;
}

LaneJob prepare_lanes(const NonceScan& job) {
    LaneJob j{};
    std::memcpy(j.mid, job.midstate.data(), sizeof j.mid);
    for (int i = 0; i < 3; ++i) j.w1[i] = job.words[i];
    j.w1[4] = 0x80000000u;
    j.w1[15] = 80 * 8;
    for (int t = 4; t < 16; ++t) j.kw1[t] = kSha256Round[t] + j.w1[t];
    std::memcpy(j.s4, j.mid, sizeof j.s4);
    for (int t = 0; t < 4; ++t) scalar_round(j.s4, kSha256Round[t] + j.w1[t]);
    std::memcpy(j.s1_second, kSha256Initial.data(), sizeof j.s1_second);
    scalar_round(j.s1_second, kSha256Round[0]);
    j.target_top = job.target_top;
    return j;
}

// The OS saves the registers: XCR0 has all of `bits`.
__attribute__((target("xsave"))) bool os_saves(unsigned bits) {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid(1, &a, &b, &c, &d) == 0 || (c & bit_OSXSAVE) == 0) return false;
    return (_xgetbv(0) & bits) == bits;
}

unsigned leaf7_ebx() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) != 0 ? b : 0;
}

} // namespace
} // namespace setm

// ---- AVX-512: 16 lanes ----------------------------------------------------------

#define SETM_AVX512 __attribute__((target("avx512f,avx512bw")))
#define SETM_LANES_FN SETM_AVX512 __attribute__((always_inline)) inline

namespace setm {
namespace {
namespace avx512 {

struct Lanes16 {
    using T = __m512i;
    static constexpr __mmask16 kAll = 0xFFFF; // masked forms: GCC 12 warns on the others
    static constexpr unsigned lanes = 16;
    SETM_LANES_FN static T set1(std::uint32_t x) { return _mm512_set1_epi32(static_cast<int>(x)); }
    SETM_LANES_FN static T zero() { return _mm512_setzero_si512(); }
    SETM_LANES_FN static T add(T a, T b) { return _mm512_add_epi32(a, b); }
    template <int n>
    SETM_LANES_FN static T ror(T x) {
        return _mm512_maskz_ror_epi32(kAll, x, n);
    }
    template <int n>
    SETM_LANES_FN static T shr(T x) {
        return _mm512_maskz_srli_epi32(kAll, x, n);
    }
    SETM_LANES_FN static T xor3(T a, T b, T c) { return _mm512_ternarylogic_epi32(a, b, c, 0x96); }
    SETM_LANES_FN static T ch(T e, T f, T g) { return _mm512_ternarylogic_epi32(e, f, g, 0xCA); }
    SETM_LANES_FN static T maj(T a, T b, T c) { return _mm512_ternarylogic_epi32(a, b, c, 0xE8); }
    SETM_LANES_FN static T iota() {
        return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    }
    SETM_LANES_FN static T bswap(T x) {
        const T m = _mm512_setr4_epi32(0x00010203, 0x04050607, 0x08090a0b, 0x0c0d0e0f);
        return _mm512_shuffle_epi8(x, m);
    }
    SETM_LANES_FN static std::uint64_t at_most(T x, std::uint32_t top) {
        return _mm512_cmple_epu32_mask(x, set1(top));
    }
};

#include "nonce_lanes.hpp" // LaneKernel<Ops> and Pair<Ops>, for this instruction set

} // namespace avx512
} // namespace
} // namespace setm

#undef SETM_LANES_FN

// ---- AVX2: 8 lanes ----------------------------------------------------------------

#define SETM_AVX2 __attribute__((target("avx2")))
#define SETM_LANES_FN SETM_AVX2 __attribute__((always_inline)) inline

namespace setm {
namespace {
namespace avx2 {

struct Lanes8 {
    using T = __m256i;
    static constexpr unsigned lanes = 8;
    SETM_LANES_FN static T set1(std::uint32_t x) { return _mm256_set1_epi32(static_cast<int>(x)); }
    SETM_LANES_FN static T zero() { return _mm256_setzero_si256(); }
    SETM_LANES_FN static T add(T a, T b) { return _mm256_add_epi32(a, b); }
    template <int n>
    SETM_LANES_FN static T ror(T x) {
        return _mm256_or_si256(_mm256_srli_epi32(x, n), _mm256_slli_epi32(x, 32 - n));
    }
    template <int n>
    SETM_LANES_FN static T shr(T x) {
        return _mm256_srli_epi32(x, n);
    }
    SETM_LANES_FN static T xor3(T a, T b, T c) {
        return _mm256_xor_si256(_mm256_xor_si256(a, b), c);
    }
    SETM_LANES_FN static T ch(T e, T f, T g) {
        return _mm256_xor_si256(g, _mm256_and_si256(e, _mm256_xor_si256(f, g)));
    }
    SETM_LANES_FN static T maj(T a, T b, T c) {
        return _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(c, _mm256_or_si256(a, b)));
    }
    SETM_LANES_FN static T iota() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
    SETM_LANES_FN static T bswap(T x) {
        const __m128i m = _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
        return _mm256_shuffle_epi8(x, _mm256_broadcastsi128_si256(m));
    }
    // Unsigned x <= top: max(x, top) == top.
    SETM_LANES_FN static std::uint64_t at_most(T x, std::uint32_t top) {
        const T t = set1(top);
        const T le = _mm256_cmpeq_epi32(_mm256_max_epu32(x, t), t);
        return static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(le)));
    }
};

#include "nonce_lanes.hpp" // LaneKernel<Ops> and Pair<Ops>, for this instruction set

} // namespace avx2
} // namespace
} // namespace setm

#undef SETM_LANES_FN

namespace setm {

bool has_avx512() {
    constexpr unsigned kF = 1u << 16, kBW = 1u << 30;
    // XCR0: SSE, AVX, opmask, upper halves of zmm0-15, zmm16-31.
    return (leaf7_ebx() & (kF | kBW)) == (kF | kBW) && os_saves(0xE6);
}

bool has_avx2() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid(1, &a, &b, &c, &d) == 0 || (c & bit_AVX) == 0) return false;
    return (leaf7_ebx() & bit_AVX2) != 0 && os_saves(0x6);
}

SETM_AVX512 ScanHit scan_avx512(const NonceScan& job, std::uint32_t first, std::uint64_t count) {
    return avx512::LaneKernel<avx512::Lanes16>::scan(job, first, count);
}
SETM_AVX512 ScanHit scan_avx512_x2(const NonceScan& job, std::uint32_t first, std::uint64_t count) {
    return avx512::LaneKernel<avx512::Pair<avx512::Lanes16>>::scan(job, first, count);
}
SETM_AVX2 ScanHit scan_avx2(const NonceScan& job, std::uint32_t first, std::uint64_t count) {
    return avx2::LaneKernel<avx2::Lanes8>::scan(job, first, count);
}
SETM_AVX2 ScanHit scan_avx2_x2(const NonceScan& job, std::uint32_t first, std::uint64_t count) {
    return avx2::LaneKernel<avx2::Pair<avx2::Lanes8>>::scan(job, first, count);
}

} // namespace setm
#endif
