// bench_mine - proof-of-work speed against a plain SHA-NI loop and Crypto++.
//
// Reference: a plain single-stream SHA-NI loop in this file (one nonce at a
// time, the header's first 64 bytes absorbed once, the 16-byte tail and the
// 32-byte digest each compressed as bytes, as any straightforward SHA-NI
// miner does). Also measured: Crypto++'s own midstate loop (Sha256dMidstate,
// what setm mined with before the kernels), every scan kernel of
// nonce_scan.hpp, and mine_range() (which picks the best kernel at run
// time) with a target no hash meets (zero), so every nonce is tried.
//
// Ratios (issue #12's targets): mine_range(1 thread) / plain SHA-NI loop
// >= 1.4, and mine_range(cores) / (cores x reference) close to 1; each
// kernel's rate / the plain loop's. With --cpuminer RATE (and
// --cpuminer-n RATE), the hash rates that cpuminer's `minerd --benchmark
// -a sha256d -t 1` (and `-t N`, N = cores) printed on this machine, it also
// prints mine_range(1) / RATE (the target: >= 1.2) and mine_range(N) / the
// -t N rate; tests/bench/vs-cpuminer.sh runs both side by side. Only ratios
// are reported as the result; nothing passes or fails on speed.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "crypto.hpp"
#include "harness.hpp"
#include "nonce_scan.hpp"
#include "pow.hpp"
#include "sha256_constants.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

setm::BlockHeader sample_header() {
    setm::BlockHeader h;
    h.version = 1;
    for (std::size_t i = 0; i < h.prev.size(); ++i) {
        h.prev[i] = static_cast<std::uint8_t>(i * 7 + 1);
        h.merkle_root[i] = static_cast<std::uint8_t>(i * 13 + 5);
    }
    h.time = 1795600800; // 2026-11-25T10:00Z
    h.bits = 0x1d00ffff;
    return h;
}

// The bare limit over nonces first, first + step, ... (count of them).
std::uint64_t bare_hashes(const setm::BlockHeader& h, std::uint64_t first, std::uint64_t step,
                          std::uint64_t count) {
    const auto bytes = setm::serialize_header(h);
    const setm::Sha256dMidstate mid(bytes.data());
    std::array<std::uint8_t, 16> tail{};
    std::copy(bytes.begin() + 64, bytes.end(), tail.begin());
    std::uint8_t acc = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
        const auto nonce = static_cast<std::uint32_t>(first + i * step);
        tail[12] = static_cast<std::uint8_t>(nonce);
        tail[13] = static_cast<std::uint8_t>(nonce >> 8);
        tail[14] = static_cast<std::uint8_t>(nonce >> 16);
        tail[15] = static_cast<std::uint8_t>(nonce >> 24);
        acc ^= mid.finish(tail.data(), tail.size())[31];
    }
    bench::keep(acc);
    return count;
}

#if defined(__x86_64__)
// ---- the plain SHA-NI reference ----------------------------------------------
#define PLAIN_SHA __attribute__((target("sha,sse4.1,ssse3")))

// SHA-256 compression of one 64-byte block into state[8] (words A..H).
PLAIN_SHA void plain_compress(std::uint32_t state[8], const std::uint8_t block[64]) {
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<__m128i*>(state)), 0xB1);
    __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<__m128i*>(state + 4)), 0x1B);
    __m128i s0 = _mm_alignr_epi8(tmp, s1, 8);
    s1 = _mm_blend_epi16(s1, tmp, 0xF0);
    const __m128i save0 = s0, save1 = s1;
    __m128i m[4];
#pragma GCC unroll 16
    for (int g = 0; g < 16; ++g) {
        if (g < 4) {
            m[g] = _mm_shuffle_epi8(
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * g)), swap);
        } else {
            const __m128i t = _mm_add_epi32(_mm_sha256msg1_epu32(m[g & 3], m[(g + 1) & 3]),
                                            _mm_alignr_epi8(m[(g + 3) & 3], m[(g + 2) & 3], 4));
            m[g & 3] = _mm_sha256msg2_epu32(t, m[(g + 3) & 3]);
        }
        const __m128i kw = _mm_add_epi32(
            m[g & 3],
            _mm_load_si128(reinterpret_cast<const __m128i*>(setm::kSha256Round.data() + 4 * g)));
        s1 = _mm_sha256rnds2_epu32(s1, s0, kw);
        s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(kw, 0x0E));
    }
    s0 = _mm_add_epi32(s0, save0);
    s1 = _mm_add_epi32(s1, save1);
    tmp = _mm_shuffle_epi32(s0, 0x1B);
    s1 = _mm_shuffle_epi32(s1, 0xB1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_blend_epi16(tmp, s1, 0xF0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), _mm_alignr_epi8(s1, tmp, 8));
}

bool plain_supported() { return setm::find_scan_kernel("sha-ni") != nullptr; }

// The plain loop over nonces 0 .. count - 1.
PLAIN_SHA std::uint64_t plain_sha_ni(const setm::BlockHeader& h, std::uint64_t count) {
    const auto bytes = setm::serialize_header(h);
    std::uint32_t mid[8];
    std::copy(setm::kSha256Initial.begin(), setm::kSha256Initial.end(), mid);
    plain_compress(mid, bytes.data());
    std::uint8_t tail[64] = {};
    std::copy(bytes.begin() + 64, bytes.end(), tail);
    tail[16] = 0x80;
    tail[62] = 0x02; // 640 bits
    tail[63] = 0x80;
    std::uint8_t digest[64] = {};
    digest[32] = 0x80;
    digest[62] = 0x01; // 256 bits
    std::uint32_t acc = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
        const auto nonce = static_cast<std::uint32_t>(i);
        std::memcpy(tail + 12, &nonce, 4);
        std::uint32_t st[8];
        std::copy(mid, mid + 8, st);
        plain_compress(st, tail);
        for (int w = 0; w < 8; ++w) {
            const std::uint32_t be = __builtin_bswap32(st[w]);
            std::memcpy(digest + 4 * w, &be, 4);
        }
        std::uint32_t out[8];
        std::copy(setm::kSha256Initial.begin(), setm::kSha256Initial.end(), out);
        plain_compress(out, digest);
        acc ^= out[7];
    }
    bench::keep(acc);
    return count;
}
#else
bool plain_supported() { return false; }
std::uint64_t plain_sha_ni(const setm::BlockHeader&, std::uint64_t count) { return count; }
#endif

// One kernel over nonces 0 .. count - 1, no candidate possible.
std::uint64_t kernel_hashes(const setm::ScanKernel& k, const setm::BlockHeader& h,
                            std::uint64_t count) {
    const auto bytes = setm::serialize_header(h);
    const setm::NonceScan job = setm::prepare_scan(bytes.data(), 0);
    std::uint64_t done = 0;
    while (done < count) { // the rare candidate (top word 0) just resumes
        const setm::ScanHit hit = k.scan(job, static_cast<std::uint32_t>(done), count - done);
        done += hit.offset == count - done ? hit.offset : hit.offset + 1;
    }
    return count;
}

// The bare limit on `threads` threads at once, nonces interleaved like mine_range.
std::uint64_t bare_parallel(const setm::BlockHeader& h, std::uint64_t count, unsigned threads) {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&h, count, threads, t] {
            bare_hashes(h, t, threads, count / threads + (t < count % threads ? 1 : 0));
        });
    for (auto& th : pool) th.join();
    return count;
}

std::uint64_t library_hashes(const setm::BlockHeader& h, std::uint64_t count, unsigned threads) {
    const setm::U256 impossible{}; // only an all-zero hash meets it
    const auto r =
        setm::mine_range(h, impossible, 0, static_cast<std::uint32_t>(count - 1), threads, nullptr);
    if (r.found || r.hashes != count) {
        std::fprintf(stderr, "bench_mine: mine_range tried %llu of %llu nonces\n",
                     static_cast<unsigned long long>(r.hashes),
                     static_cast<unsigned long long>(count));
        std::exit(70);
    }
    return r.hashes;
}

// Against the rates cpuminer printed (--cpuminer, --cpuminer-n), if given.
void compare_cpuminer(const bench::Options& opt, const bench::Series& lib1,
                      const bench::Series& lib_n, unsigned cores, bench::Json& json) {
    const double one = opt.num("cpuminer"), all = opt.num("cpuminer-n");
    const auto given = [](const bench::Series& like, double rate) {
        bench::Series s; // the given rate once per repetition
        for (std::size_t i = 0; i < like.values.size(); ++i) s.add(rate);
        return s;
    };
    if (one > 0) {
        std::printf("%-58s %14.0f hash/s  (given)\n", "cpuminer sha256d -t 1", one);
        bench::print_ratio("ratio mine_range(1) / cpuminer -t 1",
                           bench::ratios(lib1, given(lib1, one)), 1.2);
        json.num("cpuminer_1thread_hps", one).num("ratio_1thread_vs_cpuminer", lib1.med() / one);
    }
    if (all > 0) {
        const std::string n = std::to_string(cores);
        std::printf("%-58s %14.0f hash/s  (given)\n", ("cpuminer sha256d -t " + n).c_str(), all);
        bench::print_ratio(("ratio mine_range(" + n + ") / cpuminer -t " + n).c_str(),
                           bench::ratios(lib_n, given(lib_n, all)), 1.2);
        json.num("cpuminer_nthreads_hps", all).num("ratio_nthreads_vs_cpuminer", lib_n.med() / all);
    }
}

} // namespace

// The reference on `threads` threads at once, each over its own nonces.
std::uint64_t reference_parallel(const setm::BlockHeader& h, std::uint64_t count, unsigned threads,
                                 bool plain) {
    if (!plain) return bare_parallel(h, count, threads);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
        setm::BlockHeader own = h;
        own.time += t; // another header: no two threads hash the same thing
        pool.emplace_back([own, count, threads] { plain_sha_ni(own, count / threads); });
    }
    for (auto& th : pool) th.join();
    return count;
}

int main(int argc, char** argv) {
    bench::Options opt("bench_mine", {{"seconds", 1.0}, {"cpuminer", 0}, {"cpuminer-n", 0}});
    opt.parse(argc, argv);
    const unsigned cores = bench::cores();
    const setm::BlockHeader h = sample_header();
    const bool plain = plain_supported(); // else Crypto++'s loop is the reference
    const auto reference = [&](std::uint64_t n) {
        return plain ? plain_sha_ni(h, n) : bare_hashes(h, 0, 1, n);
    };

    // Warm-up, and calibration: about `seconds` of reference hashing per run
    // (at least 2^16 nonces, at most the whole 2^32 range).
    const std::uint64_t probe = opt.smoke() ? 1u << 12 : 1u << 18;
    const double probe_s = bench::seconds([&] { reference(probe); });
    library_hashes(h, probe, 1);
    const double target_s = opt.smoke() ? 0.02 : opt.num("seconds");
    const std::uint64_t nonces = std::clamp<std::uint64_t>(
        static_cast<std::uint64_t>(static_cast<double>(probe) / probe_s * target_s), 1u << 16,
        std::uint64_t{1} << 32);
    const double dn = static_cast<double>(nonces);

    std::vector<const setm::ScanKernel*> kernels;
    for (const setm::ScanKernel& k : setm::scan_kernels())
        if (k.supported()) kernels.push_back(&k);
    std::vector<bench::Series> kernel_rates(kernels.size());

    bench::Series ref1, cryptopp1, lib1, ref_n, lib_n, ref1_cpu, lib1_cpu;
    std::vector<std::function<void()>> runs = {
        [&] {
            const auto l = bench::lap([&] { reference(nonces); });
            ref1.add(dn / l.wall);
            ref1_cpu.add(dn / l.cpu);
        },
        [&] { cryptopp1.add(dn / bench::seconds([&] { bare_hashes(h, 0, 1, nonces); })); },
        [&] {
            const auto l = bench::lap([&] { library_hashes(h, nonces, 1); });
            lib1.add(dn / l.wall);
            lib1_cpu.add(dn / l.cpu);
        },
        [&] {
            ref_n.add(dn / bench::seconds([&] { reference_parallel(h, nonces, cores, plain); }));
        },
        [&] { lib_n.add(dn / bench::seconds([&] { library_hashes(h, nonces, cores); })); },
    };
    for (std::size_t i = 0; i < kernels.size(); ++i)
        runs.push_back([&, i] {
            kernel_rates[i].add(dn /
                                bench::seconds([&] { kernel_hashes(*kernels[i], h, nonces); }));
        });
    bench::interleave(opt.reps(), runs);

    const bench::Series r1 = bench::ratios(lib1, ref1);
    const bench::Series r1_cpu = bench::ratios(lib1_cpu, ref1_cpu);
    const bench::Series rn = bench::ratios(lib_n, ref1, cores);
    const bench::Series rn_measured = bench::ratios(lib_n, ref_n);
    const bench::Series old = bench::ratios(cryptopp1, ref1);

    const char* ref_name = plain ? "plain SHA-NI loop, 1 core" : "Crypto++ midstate loop, 1 core";
    std::printf("bench_mine: %llu nonces per run, %d repetitions, %u cores, medians; kernel %s\n",
                static_cast<unsigned long long>(nonces), opt.reps(), cores,
                setm::best_scan_kernel().name);
    bench::print_rate((std::string("reference: ") + ref_name).c_str(), ref1, "hash");
    bench::print_rate("Crypto++ midstate loop, 1 core", cryptopp1, "hash");
    bench::print_ratio("ratio Crypto++ loop / reference", old, 0);
    bench::Json json("mine");
    json.flag("smoke", opt.smoke())
        .flag("reference_is_plain_sha_ni", plain)
        .str("kernel", setm::best_scan_kernel().name)
        .num("cores", cores)
        .num("reps", opt.reps())
        .num("nonces", dn)
        .num("reference_1core_hps", ref1.med())
        .num("cryptopp_1core_hps", cryptopp1.med());
    for (std::size_t i = 0; i < kernels.size(); ++i) {
        const std::string name = kernels[i]->name;
        const bench::Series ratio = bench::ratios(kernel_rates[i], ref1);
        bench::print_rate(("kernel " + name + ", 1 core").c_str(), kernel_rates[i], "hash");
        bench::print_ratio(("ratio kernel " + name + " / reference").c_str(), ratio, 0);
        std::string key = name;
        std::replace(key.begin(), key.end(), '-', '_');
        json.num(("kernel_" + key + "_hps").c_str(), kernel_rates[i].med())
            .num(("ratio_kernel_" + key).c_str(), ratio.med());
    }
    bench::print_rate("mine_range, 1 thread", lib1, "hash");
    bench::print_ratio("ratio mine_range(1) / reference", r1, plain ? 1.4 : 0, &r1_cpu);
    const std::string n = std::to_string(cores);
    bench::print_rate(("reference on " + n + " threads at once (measured)").c_str(), ref_n, "hash");
    bench::print_rate(("mine_range, " + n + " threads").c_str(), lib_n, "hash");
    bench::print_ratio(("ratio mine_range(" + n + ") / reference").c_str(),
                       bench::ratios(lib_n, ref1), 0);
    bench::print_ratio(("ratio mine_range(" + n + ") / (" + n + " x reference)").c_str(), rn, 0);
    bench::print_ratio(("ratio mine_range(" + n + ") / reference on " + n + " threads").c_str(),
                       rn_measured, 0);
    compare_cpuminer(opt, lib1, lib_n, cores, json);

    json.num("mine_1thread_hps", lib1.med())
        .num("ratio_1thread", r1.med())
        .num("ratio_1thread_cpu_time", r1_cpu.med())
        .num("target_1thread", plain ? 1.4 : 0)
        .num("reference_ncores_measured_hps", ref_n.med())
        .num("mine_nthreads_hps", lib_n.med())
        .num("ratio_nthreads", bench::ratios(lib_n, ref1).med())
        .num("ratio_nthreads_vs_n_x_reference", rn.med())
        .num("ratio_nthreads_vs_measured_reference", rn_measured.med())
        .print();
    return 0;
}
