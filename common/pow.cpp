#include "pow.hpp"

#include <algorithm>
#include <bit>
#include <memory>
#include <thread>
#include <vector>

#include "crypto.hpp"
#include "nonce_scan.hpp"

namespace setm {

// ---- 256-bit unsigned numbers ----------------------------------------------

std::strong_ordering operator<=>(const U256& a, const U256& b) {
    for (std::size_t i = a.w.size(); i-- > 0;)
        if (a.w[i] != b.w[i]) return a.w[i] <=> b.w[i];
    return std::strong_ordering::equal;
}

U256 u256_from_u64(std::uint64_t v) {
    U256 x;
    x.w[0] = static_cast<std::uint32_t>(v);
    x.w[1] = static_cast<std::uint32_t>(v >> 32);
    return x;
}

U256 u256_from_hash(const Hash32& h) {
    U256 x;
    for (std::size_t i = 0; i < x.w.size(); ++i)
        x.w[i] = static_cast<std::uint32_t>(h[4 * i]) |
                 static_cast<std::uint32_t>(h[4 * i + 1]) << 8 |
                 static_cast<std::uint32_t>(h[4 * i + 2]) << 16 |
                 static_cast<std::uint32_t>(h[4 * i + 3]) << 24;
    return x;
}

Hash32 u256_to_hash(const U256& x) {
    Hash32 h;
    for (std::size_t i = 0; i < x.w.size(); ++i)
        for (std::size_t j = 0; j < 4; ++j)
            h[4 * i + j] = static_cast<std::uint8_t>(x.w[i] >> (8 * j));
    return h;
}

unsigned bit_length(const U256& x) {
    for (std::size_t i = x.w.size(); i-- > 0;)
        if (x.w[i] != 0)
            return static_cast<unsigned>(32 * i) + static_cast<unsigned>(std::bit_width(x.w[i]));
    return 0;
}

U256 shift_left(const U256& x, unsigned n) {
    U256 r;
    if (n >= 256) return r;
    const unsigned limbs = n / 32, bits = n % 32;
    for (unsigned i = limbs; i < 8; ++i) {
        std::uint32_t v = x.w[i - limbs] << bits;
        // Guard bits == 0: a shift by 32 would be undefined behaviour.
        if (bits != 0 && i > limbs) v |= x.w[i - limbs - 1] >> (32 - bits);
        r.w[i] = v;
    }
    return r;
}

U256 shift_right(const U256& x, unsigned n) {
    U256 r;
    if (n >= 256) return r;
    const unsigned limbs = n / 32, bits = n % 32;
    for (unsigned i = 0; i + limbs < 8; ++i) {
        std::uint32_t v = x.w[i + limbs] >> bits;
        if (bits != 0 && i + limbs + 1 < 8) v |= x.w[i + limbs + 1] << (32 - bits);
        r.w[i] = v;
    }
    return r;
}

// ---- compact targets -------------------------------------------------------

Result<U256> decode_compact(std::uint32_t bits) {
    const unsigned size = bits >> 24;
    std::uint32_t word = bits & 0x007fffff;
    U256 target;
    if (size <= 3) {
        word >>= 8 * (3 - size);
        target = u256_from_u64(word);
    } else {
        target = shift_left(u256_from_u64(word), 8 * (size - 3));
    }
    // Exactly Bitcoin's flags. `word` is the mantissa after the shift above,
    // so 0x01803456 is zero, not negative, as in Bitcoin.
    const bool negative = word != 0 && (bits & 0x00800000) != 0;
    const bool overflow =
        word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
    if (negative) return make_error(Exit::bad_input, "bad target", "compact target is negative");
    // Before the zero check: an overflowing value can wrap to zero mod 2^256.
    if (overflow)
        return make_error(Exit::bad_input, "bad target", "compact target exceeds 256 bits");
    if (target == U256{})
        return make_error(Exit::bad_input, "bad target", "compact target is zero");
    return target;
}

std::uint32_t encode_compact(const U256& x) {
    unsigned size = (bit_length(x) + 7) / 8;
    std::uint32_t compact;
    if (size <= 3)
        compact = x.w[0] << (8 * (3 - size));
    else
        compact = shift_right(x, 8 * (size - 3)).w[0];
    // The 0x00800000 bit is the sign: if the mantissa would set it, move one
    // byte down and grow the size instead.
    if (compact & 0x00800000) {
        compact >>= 8;
        ++size;
    }
    return compact | static_cast<std::uint32_t>(size) << 24;
}

bool hash_meets_target(const Hash32& h, const U256& target) { return u256_from_hash(h) <= target; }

bool check_proof_of_work(const Hash32& hash, std::uint32_t bits) {
    auto target = decode_compact(bits);
    return target.ok() && hash_meets_target(hash, target.value());
}

Result<std::uint32_t> bits_for_leading_zero_bits(unsigned n) {
    if (n < 1 || n > 255)
        return make_error(Exit::usage, "bad difficulty",
                          "leading zero bits must be 1..255, got " + std::to_string(n));
    U256 ones;
    ones.w.fill(0xffffffff);
    return encode_compact(shift_right(ones, n));
}

// ---- mining ----------------------------------------------------------------

namespace {

// Threads take the nonce space in chunks: thread t searches chunks t,
// t + threads, ... (interleaved, so that with several threads the low
// nonces are still tried first), publishing its count for the progress
// callback after each chunk: a plain store, never a read-modify-write per hash.
constexpr std::uint64_t kChunk = 4096;

struct Search {
    const ScanKernel* kernel = nullptr;
    NonceScan job; // midstate and fixed words of the header
    U256 target;
    std::uint64_t first = 0; // first nonce
    std::uint64_t count = 0; // number of nonces
    unsigned threads = 1;
    const std::atomic<bool>* stop = nullptr;

    std::atomic<bool> halt{false}; // an error: everyone stops
    // The lowest index found so far. Threads search until they pass it, so
    // the result is the LOWEST nonce that meets the target, whatever the
    // number of threads: mining is deterministic.
    std::atomic<std::uint64_t> best{UINT64_MAX};
    std::unique_ptr<Hash32[]> found_hash; // per thread, read only after every join
    std::unique_ptr<std::uint64_t[]> found_index;
    std::unique_ptr<std::atomic<std::uint64_t>[]> published;
};

bool should_stop(const Search& s, std::uint64_t index) {
    // Relaxed loads are plain loads on x86; a late stop costs one chunk.
    return index > s.best.load(std::memory_order_relaxed) ||
           s.halt.load(std::memory_order_relaxed) ||
           (s.stop != nullptr && s.stop->load(std::memory_order_relaxed));
}

// Scans indices start .. start + n - 1; returns the hashes computed, and
// records a nonce that meets the target (the kernel's candidates are only
// a cheap first filter on the top 32 bits).
std::uint64_t scan_chunk(Search& s, unsigned t, std::uint64_t start, std::uint64_t n) {
    std::uint64_t off = 0;
    while (off < n) {
        const ScanHit hit =
            s.kernel->scan(s.job, static_cast<std::uint32_t>(s.first + start + off), n - off);
        if (hit.offset == n - off) return n;
        off += hit.offset;
        if (hash_meets_target(hit.hash, s.target)) {
            const std::uint64_t i = start + off;
            s.found_index[t] = i;
            s.found_hash[t] = hit.hash;
            std::uint64_t cur = s.best.load(std::memory_order_relaxed);
            while (i < cur && !s.best.compare_exchange_weak(cur, i, std::memory_order_relaxed)) {
            }
            return off + 1;
        }
        ++off;
    }
    return n;
}

std::uint64_t search(Search& s, unsigned t, const MineProgress* progress) {
    const std::uint64_t progress_every = std::max<std::uint64_t>(kProgressInterval / s.threads, 1);
    std::uint64_t local = 0, reported = 0;
    for (std::uint64_t start = t * kChunk; start < s.count; start += s.threads * kChunk) {
        if (should_stop(s, start)) break;
        local += scan_chunk(s, t, start, std::min(kChunk, s.count - start));
        if (s.found_index[t] != UINT64_MAX) break;
        s.published[t].store(local, std::memory_order_relaxed);
        if (progress != nullptr && local - reported >= progress_every) {
            reported = local;
            std::uint64_t total = local; // own count exact, the others' published
            for (unsigned j = 0; j < s.threads; ++j)
                if (j != t) total += s.published[j].load(std::memory_order_relaxed);
            (*progress)(total);
        }
    }
    return local;
}

} // namespace

MineResult mine(BlockHeader start, const U256& target, unsigned threads,
                const std::atomic<bool>* stop, MineProgress progress) {
    return mine_range(start, target, 0, 0xffffffff, threads, stop, std::move(progress));
}

MineResult mine_range(BlockHeader start, const U256& target, std::uint32_t first_nonce,
                      std::uint32_t last_nonce, unsigned threads, const std::atomic<bool>* stop,
                      MineProgress progress) {
    MineResult result;
    result.header = start;
    if (first_nonce > last_nonce) return result;

    const auto bytes = serialize_header(start);

    Search s;
    s.kernel = &best_scan_kernel();
    s.job = prepare_scan(bytes.data(), target.w[7]);
    s.target = target;
    s.first = first_nonce;
    s.count = std::uint64_t{last_nonce} - first_nonce + 1;
    // More threads than nonces would only idle.
    s.threads = static_cast<unsigned>(std::clamp<std::uint64_t>(threads, 1, s.count));
    s.stop = stop;
    s.published = std::make_unique<std::atomic<std::uint64_t>[]>(s.threads);
    s.found_hash = std::make_unique<Hash32[]>(s.threads);
    s.found_index = std::make_unique<std::uint64_t[]>(s.threads);
    for (unsigned t = 0; t < s.threads; ++t) s.found_index[t] = UINT64_MAX;

    std::vector<std::uint64_t> hashes(s.threads, 0);
    {
        std::vector<std::jthread> pool; // joined when this scope ends
        try {
            pool.reserve(s.threads - 1);
            for (unsigned t = 1; t < s.threads; ++t)
                pool.emplace_back([&s, &hashes, t] { hashes[t] = search(s, t, nullptr); });
            // The calling thread is thread 0, and the only one that reports progress.
            hashes[0] = search(s, 0, progress ? &progress : nullptr);
        } catch (...) {
            // Thread creation or the progress callback failed: stop the
            // others before `pool` joins them, or they would finish the range.
            s.halt.store(true, std::memory_order_relaxed);
            throw;
        }
    }

    for (std::uint64_t n : hashes) result.hashes += n;
    unsigned winner = s.threads;
    for (unsigned t = 0; t < s.threads; ++t)
        if (s.found_index[t] != UINT64_MAX &&
            (winner == s.threads || s.found_index[t] < s.found_index[winner]))
            winner = t;
    if (winner < s.threads) {
        result.found = true;
        result.header.nonce = static_cast<std::uint32_t>(s.first + s.found_index[winner]);
        result.hash = s.found_hash[winner];
    }
    return result;
}

} // namespace setm
