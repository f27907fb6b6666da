// pow.hpp - proof of work: 256-bit targets, Bitcoin's compact "bits", mining.
//
// A block is valid work when block_hash(header), read as a little-endian
// 256-bit number (Bitcoin's UintToArith256), is <= the target that the
// header's `bits` field encodes. The compact encoding and its corner cases
// are Bitcoin's arith_uint256::SetCompact/GetCompact, bit for bit, so that
// Bitcoin's test vectors apply; unlike Bitcoin we return an error instead of
// flags for the targets that Bitcoin's CheckProofOfWork refuses anyway
// (negative, zero, or wider than 256 bits).
//
// Mining and nonce exhaustion: mine() tries every nonce 0..2^32-1 of one
// header. If none meets the target it returns found = false (hashes = 2^32);
// the caller must then change something else the hash covers - the header's
// time (+1 s) or the block's extra nonce, which changes merkle_root - and
// call mine() again. mine() never touches any field but `nonce`.
#pragma once

#include <array>
#include <atomic>
#include <compare>
#include <cstdint>
#include <functional>

#include "block.hpp"
#include "bytes.hpp"
#include "error.hpp"

namespace setm {

// ---- 256-bit unsigned numbers ----------------------------------------------
// Just enough arithmetic for targets: no general multiply or divide.
struct U256 {
    std::array<std::uint32_t, 8> w{}; // little-endian limbs: w[0] least significant

    friend bool operator==(const U256&, const U256&) = default;
};
std::strong_ordering operator<=>(const U256& a, const U256& b);

U256 u256_from_u64(std::uint64_t v);
// A hash in internal byte order is a little-endian number (UintToArith256);
// u256_to_hash is the inverse (ArithToUint256). hash_to_hex(u256_to_hash(x))
// prints x as big-endian hex, like Bitcoin's GetHex.
U256 u256_from_hash(const Hash32& h);
Hash32 u256_to_hash(const U256& x);
// Position of the highest set bit plus one; 0 for zero (Bitcoin's bits()).
unsigned bit_length(const U256& x);
// Shifts by any amount; shifting by 256 or more gives zero.
U256 shift_left(const U256& x, unsigned n);
U256 shift_right(const U256& x, unsigned n);

// ---- compact targets -------------------------------------------------------
// Bitcoin's SetCompact: size byte (bits >> 24), sign bit 0x00800000, 23-bit
// mantissa; value = mantissa * 256^(size-3). Errors (Exit::bad_input,
// "bad target"): negative (sign bit with a nonzero mantissa), overflows 256
// bits, or zero (which no hash could meet, except one that is all zeros).
Result<U256> decode_compact(std::uint32_t bits);
// Bitcoin's GetCompact (never sets the sign bit). Keeps the 3 most
// significant bytes and drops the rest, so decode(encode(x)) <= x.
std::uint32_t encode_compact(const U256& x);

// h, read as a little-endian number, <= target.
bool hash_meets_target(const Hash32& h, const U256& target);
// decode_compact(bits) is valid and hash meets it (Bitcoin's CheckProofOfWork
// without the chain's limit: the caller checks which bits it accepts).
bool check_proof_of_work(const Hash32& hash, std::uint32_t bits);

// Compact form of 2^(256-n) - 1, i.e. "n leading zero bits" (what a person
// means by --difficulty 16), rounded down to compact precision. n in
// [1, 255], else Exit::usage "bad difficulty". n = 32 gives 0x1d00ffff,
// Bitcoin's genesis difficulty; n = 1 gives 0x207fffff, its regtest limit.
Result<std::uint32_t> bits_for_leading_zero_bits(unsigned n);

// ---- mining ----------------------------------------------------------------
struct MineResult {
    BlockHeader header;       // start with `nonce` set to the winning nonce (if found)
    Hash32 hash{};            // block_hash(header) when found, else zero
    std::uint64_t hashes = 0; // hashes computed by all threads together
    bool found = false;
};

// Called with the approximate number of hashes so far (all threads), about
// every kProgressInterval hashes, always on the thread that called mine().
using MineProgress = std::function<void(std::uint64_t hashes)>;
inline constexpr std::uint64_t kProgressInterval = std::uint64_t{1} << 20;

// Search nonces 0..2^32-1 of `start` for a hash <= target, with `threads`
// threads (0 counts as 1; the calling thread is one of them). Returns as
// soon as any thread finds one: which nonce wins between threads is not
// specified, but with one thread it is the lowest. found = false when the
// nonce space is exhausted (see "nonce exhaustion" above) or when *stop
// became true (the caller can tell by reading *stop). `stop` may be null.
// Thread-safe: no global state; `progress` exceptions propagate after all
// threads have stopped.
MineResult mine(BlockHeader start, const U256& target, unsigned threads,
                const std::atomic<bool>* stop, MineProgress progress = {});

// The same over the nonces first_nonce..last_nonce inclusive (nothing when
// first > last). mine() is mine_range(0, 0xffffffff); also lets a test
// exhaust a small range, or several machines split the space.
MineResult mine_range(BlockHeader start, const U256& target, std::uint32_t first_nonce,
                      std::uint32_t last_nonce, unsigned threads, const std::atomic<bool>* stop,
                      MineProgress progress = {});

} // namespace setm
