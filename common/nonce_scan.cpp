// nonce_scan.cpp - SHA-256d nonce kernels: portable and SHA-NI (1, 2, 4 lanes);
// the vector-lane kernels are in nonce_scan_simd.cpp.
//
// One nonce costs two SHA-256 compressions: the header's second block
// (midstate, three fixed words, the nonce, fixed padding) and the 32-byte
// digest of that (fixed IV, fixed padding). The SHA-NI kernels keep the
// state in the instruction set's ABEF/CDGH form from start to end.
#include "nonce_scan.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>
#include <vector>

#include "nonce_scan_simd.hpp"
#include "sha256_constants.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define SETM_HAVE_SHA_NI 1
#endif

namespace setm {
namespace {

constexpr std::uint32_t kPadWord = 0x80000000;
constexpr std::uint32_t kHeaderBits = 80 * 8; // length of the first hash's message
constexpr std::uint32_t kDigestBits = 32 * 8; // length of the second hash's message

std::uint32_t load_be32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

std::uint32_t bswap32(std::uint32_t x) { return __builtin_bswap32(x); }

Hash32 hash_from_words(const std::uint32_t w[8]) {
    Hash32 h{};
    for (int i = 0; i < 8; ++i) {
        h[4 * i] = static_cast<std::uint8_t>(w[i] >> 24);
        h[4 * i + 1] = static_cast<std::uint8_t>(w[i] >> 16);
        h[4 * i + 2] = static_cast<std::uint8_t>(w[i] >> 8);
        h[4 * i + 3] = static_cast<std::uint8_t>(w[i]);
    }
    return h;
}

// A hash's most significant 32 bits as a little-endian number are its last
// four bytes, i.e. the last state word byte-swapped.
bool is_candidate(std::uint32_t last_word, std::uint32_t target_top) {
    return bswap32(last_word) <= target_top;
}

// ---- portable ---------------------------------------------------------------------

std::uint32_t rotr(std::uint32_t x, int n) { return x >> n | x << (32 - n); }

void compress(std::uint32_t state[8], const std::uint32_t block[16]) {
    std::uint32_t w[64];
    std::memcpy(w, block, sizeof(std::uint32_t) * 16);
    for (int t = 16; t < 64; ++t) {
        const std::uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        const std::uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    std::uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 64; ++t) {
        const std::uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) +
                                 ((e & f) ^ (~e & g)) + kSha256Round[t] + w[t];
        const std::uint32_t t2 =
            (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    state[0] += a, state[1] += b, state[2] += c, state[3] += d;
    state[4] += e, state[5] += f, state[6] += g, state[7] += h;
}

void sha256d_portable(const NonceScan& job, std::uint32_t nonce, std::uint32_t out[8]) {
    std::uint32_t block[16] = {job.words[0], job.words[1], job.words[2], bswap32(nonce), kPadWord};
    block[15] = kHeaderBits;
    std::uint32_t inner[8];
    std::copy(job.midstate.begin(), job.midstate.end(), inner);
    compress(inner, block);
    std::uint32_t second[16] = {};
    std::copy(inner, inner + 8, second);
    second[8] = kPadWord;
    second[15] = kDigestBits;
    std::copy(kSha256Initial.begin(), kSha256Initial.end(), out);
    compress(out, second);
}

bool always() { return true; }

ScanHit scan_portable(const NonceScan& job, std::uint32_t first, std::uint64_t count) {
    for (std::uint64_t i = 0; i < count; ++i) {
        std::uint32_t out[8];
        sha256d_portable(job, static_cast<std::uint32_t>(first + i), out);
        if (is_candidate(out[7], job.target_top)) return {i, hash_from_words(out)};
    }
    return {count, {}};
}

} // namespace
} // namespace setm

#if SETM_HAVE_SHA_NI
namespace setm {
namespace {

#define SETM_SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))
#define SETM_SHA_INLINE SETM_SHA_TARGET __attribute__((always_inline)) inline

bool has_sha_ni() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid(1, &a, &b, &c, &d) == 0) return false;
    const bool sse41 = (c & bit_SSE4_1) != 0 && (c & bit_SSSE3) != 0;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return false;
    return sse41 && (b & bit_SHA) != 0;
}

// A SHA-256 state in the SHA-NI form: abef = lanes {F, E, B, A},
// cdgh = lanes {H, G, D, C} (lane 0 first).
struct NiState {
    __m128i abef, cdgh;
};

SETM_SHA_INLINE NiState to_ni(const std::uint32_t s[8]) {
    const __m128i dcba =
        _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s)), 0xB1);
    const __m128i efgh =
        _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 4)), 0x1B);
    return {_mm_alignr_epi8(dcba, efgh, 8), _mm_blend_epi16(efgh, dcba, 0xF0)};
}

// Back to words A..D and E..H in lanes 0..3.
SETM_SHA_INLINE void from_ni(const NiState& st, __m128i& abcd, __m128i& efgh) {
    const __m128i feba = _mm_shuffle_epi32(st.abef, 0x1B);
    const __m128i dchg = _mm_shuffle_epi32(st.cdgh, 0xB1);
    abcd = _mm_blend_epi16(feba, dchg, 0xF0);
    efgh = _mm_alignr_epi8(dchg, feba, 8);
}

SETM_SHA_INLINE __m128i round_constants(int group) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(kSha256Round.data() + 4 * group));
}

// Rounds 4G .. 4G + 3 of N independent states, interleaved instruction by
// instruction. G is a template argument so that every index is a constant
// and the message words stay in registers. Each group is two rnds2 steps
// (two rounds each); First / Second leave one out where the caller has
// done it already (rounds 0-1 of the header's second block depend only on
// the header) or does not need it (the last two rounds of the final hash).
template <int G, int N, bool First, bool Second>
SETM_SHA_INLINE void rounds_ni(NiState st[N], __m128i w[N][4]) {
    const __m128i k = round_constants(G);
    for (int l = 0; l < N; ++l) {
        if constexpr (G >= 4) {
            __m128i* m = w[l];
            const __m128i t = _mm_add_epi32(_mm_sha256msg1_epu32(m[G & 3], m[(G + 1) & 3]),
                                            _mm_alignr_epi8(m[(G + 3) & 3], m[(G + 2) & 3], 4));
            m[G & 3] = _mm_sha256msg2_epu32(t, m[(G + 3) & 3]);
        }
        const __m128i kw = _mm_add_epi32(w[l][G & 3], k);
        if constexpr (First) st[l].cdgh = _mm_sha256rnds2_epu32(st[l].cdgh, st[l].abef, kw);
        if constexpr (Second)
            st[l].abef = _mm_sha256rnds2_epu32(st[l].abef, st[l].cdgh, _mm_shuffle_epi32(kw, 0x0E));
    }
}

// The 64 rounds of N states (without the final addition); w[lane][0..3]
// holds message words 0..15 and is consumed. Hoisted: rounds 0-1 are
// done. Truncated: rounds 62-63 are left out, and the state's cdgh member
// then holds {F, E, B, A} after round 61.
template <int N, bool Hoisted, bool Truncated, int... G>
SETM_SHA_INLINE void rounds_ni(NiState st[N], __m128i w[N][4], std::integer_sequence<int, G...>) {
    (rounds_ni<G, N, !(Hoisted && G == 0), !(Truncated && G == 15)>(st, w), ...);
}

SETM_SHA_INLINE __m128i words_ni(std::uint32_t a, std::uint32_t b, std::uint32_t c,
                                 std::uint32_t d) {
    return _mm_setr_epi32(static_cast<int>(a), static_cast<int>(b), static_cast<int>(c),
                          static_cast<int>(d));
}

// Per header: the midstate, and the state after rounds 0-1 of the second
// block, which read only the header's fixed words 0 and 1.
struct NiJob {
    NiState mid, after_two;
};

SETM_SHA_TARGET NiJob prepare_ni(const NonceScan& job) {
    NiJob nj;
    nj.mid = to_ni(job.midstate.data());
    nj.after_two = nj.mid;
    const __m128i kw =
        words_ni(job.words[0] + kSha256Round[0], job.words[1] + kSha256Round[1], 0, 0);
    nj.after_two.cdgh = _mm_sha256rnds2_epu32(nj.mid.cdgh, nj.mid.abef, kw);
    return nj;
}

// For nonces first .. first + N - 1: the last word of SHA-256d (H7),
// computed through round 61 of the second hash, which is all it needs.
template <int N>
SETM_SHA_INLINE void last_words_ni(const NiJob& nj, const NonceScan& job, std::uint32_t first,
                                   std::uint32_t last[N]) {
    __m128i w[N][4];
    NiState st[N];
    for (int l = 0; l < N; ++l) {
        const auto nonce = bswap32(first + static_cast<std::uint32_t>(l));
        w[l][0] = words_ni(job.words[0], job.words[1], job.words[2], nonce);
        w[l][1] = words_ni(kPadWord, 0, 0, 0);
        w[l][2] = _mm_setzero_si128();
        w[l][3] = words_ni(0, 0, 0, kHeaderBits);
        st[l] = nj.after_two;
    }
    rounds_ni<N, true, false>(st, w, std::make_integer_sequence<int, 16>{});
    const NiState iv = to_ni(kSha256Initial.data());
    for (int l = 0; l < N; ++l) {
        st[l].abef = _mm_add_epi32(st[l].abef, nj.mid.abef);
        st[l].cdgh = _mm_add_epi32(st[l].cdgh, nj.mid.cdgh);
        from_ni(st[l], w[l][0], w[l][1]);
        w[l][2] = words_ni(kPadWord, 0, 0, 0);
        w[l][3] = words_ni(0, 0, 0, kDigestBits);
        st[l] = iv;
    }
    rounds_ni<N, false, true>(st, w, std::make_integer_sequence<int, 16>{});
    // H after round 63 is F after round 61: lane 0 of {F, E, B, A}.
    for (int l = 0; l < N; ++l)
        last[l] = static_cast<std::uint32_t>(_mm_cvtsi128_si32(st[l].cdgh)) + kSha256Initial[7];
}

// A candidate's whole hash: rare, so the portable code computes it.
ScanHit candidate(const NonceScan& job, std::uint32_t first, std::uint64_t offset) {
    return {offset, scan_hash(job, static_cast<std::uint32_t>(first + offset))};
}

template <int N>
SETM_SHA_TARGET ScanHit scan_shani(const NonceScan& job, std::uint32_t first, std::uint64_t count) {
    const NiJob nj = prepare_ni(job);
    std::uint64_t i = 0;
    for (; i + N <= count; i += N) {
        std::uint32_t last[N];
        last_words_ni<N>(nj, job, static_cast<std::uint32_t>(first + i), last);
        for (int l = 0; l < N; ++l)
            if (is_candidate(last[l], job.target_top)) return candidate(job, first, i + l);
    }
    for (; i < count; ++i) {
        std::uint32_t last[1];
        last_words_ni<1>(nj, job, static_cast<std::uint32_t>(first + i), last);
        if (is_candidate(last[0], job.target_top)) return candidate(job, first, i);
    }
    return {count, {}};
}

} // namespace
} // namespace setm
#endif

namespace setm {

Hash32 scan_hash(const NonceScan& job, std::uint32_t nonce) {
    std::uint32_t out[8];
    sha256d_portable(job, nonce, out);
    return hash_from_words(out);
}

NonceScan prepare_scan(const std::uint8_t header[80], std::uint32_t target_top) {
    NonceScan job;
    std::uint32_t block[16];
    for (int i = 0; i < 16; ++i) block[i] = load_be32(header + 4 * i);
    std::copy(kSha256Initial.begin(), kSha256Initial.end(), job.midstate.begin());
    compress(job.midstate.data(), block);
    for (int i = 0; i < 3; ++i) job.words[i] = load_be32(header + 64 + 4 * i);
    job.target_top = target_top;
    return job;
}

namespace {

// A vector-lane kernel (nonce_scan_simd.hpp) with the hash of its hit.
template <ScanHit (*Kernel)(const NonceScan&, std::uint32_t, std::uint64_t)>
ScanHit with_hash(const NonceScan& job, std::uint32_t first, std::uint64_t count) {
    ScanHit hit = Kernel(job, first, count);
    if (hit.offset < count)
        hit.hash = scan_hash(job, static_cast<std::uint32_t>(first + hit.offset));
    return hit;
}

} // namespace

std::span<const ScanKernel> scan_kernels() {
    static constexpr ScanKernel kernels[] = {
#if SETM_HAVE_SHA_NI
        {"sha-ni-x2", 2, has_sha_ni, scan_shani<2>},
        {"sha-ni-x4", 4, has_sha_ni, scan_shani<4>},
        {"sha-ni", 1, has_sha_ni, scan_shani<1>},
        {"avx512-x2", 32, has_avx512, with_hash<scan_avx512_x2>},
        {"avx512", 16, has_avx512, with_hash<scan_avx512>},
        {"avx2-x2", 16, has_avx2, with_hash<scan_avx2_x2>},
        {"avx2", 8, has_avx2, with_hash<scan_avx2>},
#endif
        {"portable", 1, always, scan_portable},
    };
    return kernels;
}

namespace {

// Seconds for kernel k to hash `count` nonces of a header (no candidate:
// the target's top word is 0 and the few candidates just resume the scan).
double time_kernel(const ScanKernel& k, const NonceScan& job, std::uint64_t count) {
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t done = 0;
    while (done < count) {
        const ScanHit hit = k.scan(job, static_cast<std::uint32_t>(done), count - done);
        done += hit.offset == count - done ? hit.offset : hit.offset + 1;
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

const ScanKernel& pick_kernel() {
    std::uint8_t header[80];
    for (int i = 0; i < 80; ++i) header[i] = static_cast<std::uint8_t>(i * 37 + 11);
    const NonceScan job = prepare_scan(header, 0);
    std::vector<const ScanKernel*> fast;
    for (const ScanKernel& k : scan_kernels())
        if (k.supported() && std::strcmp(k.name, "portable") != 0) fast.push_back(&k);
    if (fast.empty()) return scan_kernels().back(); // "portable"
    // Three tries each, interleaved, so that a busy moment of the machine
    // does not fall on one kernel only; the best try counts.
    std::vector<double> best(fast.size(), 1e9);
    constexpr std::uint64_t kNonces = 1024;
    for (int round = 0; round < 3; ++round)
        for (std::size_t i = 0; i < fast.size(); ++i)
            best[i] = std::min(best[i], time_kernel(*fast[i], job, kNonces));
    return *fast[std::min_element(best.begin(), best.end()) - best.begin()];
}

} // namespace

const ScanKernel& best_scan_kernel() {
    static const ScanKernel& chosen = pick_kernel();
    return chosen;
}

const ScanKernel* find_scan_kernel(const char* name) {
    for (const ScanKernel& k : scan_kernels())
        if (std::strcmp(k.name, name) == 0 && k.supported()) return &k;
    return nullptr;
}

} // namespace setm
