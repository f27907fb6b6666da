// nonce_lanes.hpp - the SIMD nonce kernel, written once for any vector width.
//
// LaneKernel<Ops> is a template over the lane type Ops: the vector type T
// and its operations (Lanes16, Lanes8 in nonce_scan_simd.cpp, or Pair<Ops>
// of nonce_lanes_pair.hpp, two registers at once).
//
// NOT a normal header: nonce_scan_simd.cpp includes it once per instruction
// set, inside that set's namespace, after defining SETM_LANES_FN (the target
// attributes of that instruction set, plus always_inline): GCC takes a
// function's target from its definition, never from a template argument,
// so the template is defined once per set. Every function here is compiled
// for exactly one instruction set and only called on CPUs that have it.
//
// Each lane hashes one nonce; the words of the two compressions that are the
// same in every lane (the header's fixed words, padding, lengths) are
// broadcast or folded into the round constants, the words that are zero are
// left out of the message schedule at compile time, the first rounds that do
// not depend on the nonce come precomputed in a LaneJob, and the final hash
// stops at round 60, the last one its word H7 depends on.
// (No include guard: included on purpose more than once.)

#include "nonce_lanes_pair.hpp"

template <class Ops>
struct LaneKernel {
    using T = typename Ops::T;

    SETM_LANES_FN static T big_sigma0(T x) {
        return Ops::xor3(Ops::template ror<2>(x), Ops::template ror<13>(x),
                         Ops::template ror<22>(x));
    }
    SETM_LANES_FN static T big_sigma1(T x) {
        return Ops::xor3(Ops::template ror<6>(x), Ops::template ror<11>(x),
                         Ops::template ror<25>(x));
    }
    SETM_LANES_FN static T small_sigma0(T x) {
        return Ops::xor3(Ops::template ror<7>(x), Ops::template ror<18>(x),
                         Ops::template shr<3>(x));
    }
    SETM_LANES_FN static T small_sigma1(T x) {
        return Ops::xor3(Ops::template ror<17>(x), Ops::template ror<19>(x),
                         Ops::template shr<10>(x));
    }

    // Round t. The state rotates through s[] instead of moving: at the start of
    // round t, word r (0 = A .. 7 = H) is s[(r - t) mod 8]. kw = K[t] + W[t].
    // Without NeedA the new A is not computed (the last round needs only E).
    template <int t, bool NeedA = true>
    SETM_LANES_FN static void sha_round(T s[8], T kw) {
        constexpr int o = 64 - t;
        T &a = s[o % 8], &b = s[(o + 1) % 8], &c = s[(o + 2) % 8], &d = s[(o + 3) % 8];
        T &e = s[(o + 4) % 8], &f = s[(o + 5) % 8], &g = s[(o + 6) % 8], &h = s[(o + 7) % 8];
        const T t1 = Ops::add(Ops::add(h, big_sigma1(e)), Ops::add(Ops::ch(e, f, g), kw));
        d = Ops::add(d, t1);
        if constexpr (NeedA) h = Ops::add(t1, Ops::add(big_sigma0(a), Ops::maj(a, b, c)));
    }

    // Message word t (16 <= t < 64) into w[t mod 16]. Block 1 is the header's
    // second block (words 5..14 zero), block 2 the digest (words 9..14 zero).
    template <int B, int t>
    static constexpr bool zero_word() {
        return t < 16 && (B == 1 ? t >= 5 && t <= 14 : t >= 9 && t <= 14);
    }

    template <int B, int t>
    SETM_LANES_FN static void schedule(T w[16]) {
        T x = Ops::zero(); // adding the constant zero folds away
        if constexpr (!zero_word<B, t - 2>()) x = Ops::add(x, small_sigma1(w[(t - 2) % 16]));
        if constexpr (!zero_word<B, t - 7>()) x = Ops::add(x, w[(t - 7) % 16]);
        if constexpr (!zero_word<B, t - 15>()) x = Ops::add(x, small_sigma0(w[(t - 15) % 16]));
        if constexpr (!zero_word<B, t - 16>()) x = Ops::add(x, w[t % 16]);
        w[t % 16] = x;
    }

    template <int B, int t, bool NeedA = true>
    SETM_LANES_FN static void scheduled_round(T s[8], T w[16]) {
        schedule<B, t>(w);
        sha_round<t, NeedA>(s, Ops::add(w[t % 16], Ops::set1(kSha256Round[t])));
    }

    template <int... t>
    SETM_LANES_FN static void block1_fixed_rounds(T s[8], const LaneJob& j,
                                                  std::integer_sequence<int, t...>) {
        (sha_round<t + 4>(s, Ops::set1(j.kw1[t + 4])), ...);
    }
    template <int... t>
    SETM_LANES_FN static void block1_rounds(T s[8], T w[16], std::integer_sequence<int, t...>) {
        (scheduled_round<1, t + 16>(s, w), ...);
    }

    // The header's second block for the nonces in `w3` (big-endian words),
    // from round 4 on; returns the state plus the midstate in s (A..H).
    SETM_LANES_FN static void first_hash(const LaneJob& j, T w3, T s[8]) {
        T w[16];
        for (int i = 0; i < 16; ++i) w[i] = Ops::set1(j.w1[i]);
        w[3] = w3;
        // Round 3 added W3 to A and E; at the start of round 4 word r is s[(r + 4) % 8].
        for (int r = 0; r < 8; ++r) s[(r + 4) % 8] = Ops::set1(j.s4[r]);
        s[4] = Ops::add(s[4], w3);
        s[0] = Ops::add(s[0], w3);
        block1_fixed_rounds(s, j, std::make_integer_sequence<int, 12>{});
        block1_rounds(s, w, std::make_integer_sequence<int, 48>{});
        for (int r = 0; r < 8; ++r) s[r] = Ops::add(s[r], Ops::set1(j.mid[r]));
    }

    template <int... t>
    SETM_LANES_FN static void block2_digest_rounds(T s[8], const T w[16],
                                                   std::integer_sequence<int, t...>) {
        (sha_round<t + 1>(s, Ops::add(w[t + 1], Ops::set1(kSha256Round[t + 1]))), ...);
    }
    template <int... t>
    SETM_LANES_FN static void block2_fixed_rounds(T s[8], std::integer_sequence<int, t...>) {
        (sha_round<t + 8>(s, Ops::set1(kLaneKw2[t + 8])), ...);
    }
    template <int... t>
    SETM_LANES_FN static void block2_rounds(T s[8], T w[16], std::integer_sequence<int, t...>) {
        (scheduled_round<2, t + 16>(s, w), ...);
    }

    // SHA-256 of the 32-byte digests in d[0..7] through round 60; returns H7.
    SETM_LANES_FN static T second_hash_h7(const LaneJob& j, const T d[8]) {
        T w[16], s[8];
        for (int i = 0; i < 8; ++i) w[i] = d[i];
        w[8] = Ops::set1(0x80000000u);
        w[15] = Ops::set1(256u);
        for (int i = 9; i < 15; ++i) w[i] = Ops::zero(); // never read
        // Round 0 from the initial state: A and E are constants plus W0; the
        // other words are the initial state's, shifted. At round 1 word r is s[(r + 7) % 8].
        for (int r = 0; r < 8; ++r) s[(r + 7) % 8] = Ops::set1(j.s1_second[r]);
        s[7] = Ops::add(s[7], w[0]);
        s[3] = Ops::add(s[3], w[0]);
        block2_digest_rounds(s, w, std::make_integer_sequence<int, 7>{});
        block2_fixed_rounds(s, std::make_integer_sequence<int, 8>{});
        block2_rounds(s, w, std::make_integer_sequence<int, 44>{}); // rounds 16..59
        scheduled_round<2, 60, false>(s, w);
        // H7 = IV7 + H after round 63 = IV7 + E after round 60, which round 60 left in s[(3 - 60)
        // mod 8].
        return Ops::add(s[7], Ops::set1(kSha256Initial[7]));
    }

    // Bit l set: nonce base + l (mod 2^32) is a candidate.
    SETM_LANES_FN static std::uint64_t candidates(const LaneJob& j, std::uint32_t base) {
        T s[8];
        first_hash(j, Ops::bswap(Ops::add(Ops::set1(base), Ops::iota())), s);
        return Ops::at_most(Ops::bswap(second_hash_h7(j, s)), j.target_top);
    }

    SETM_LANES_FN static ScanHit scan(const NonceScan& job, std::uint32_t first,
                                      std::uint64_t count) {
        const LaneJob j = prepare_lanes(job);
        for (std::uint64_t i = 0; i < count; i += Ops::lanes) {
            std::uint64_t hits = candidates(j, static_cast<std::uint32_t>(first + i));
            if (count - i < Ops::lanes) hits &= (std::uint64_t{1} << (count - i)) - 1;
            if (hits != 0) {
                const auto offset = i + static_cast<std::uint64_t>(__builtin_ctzll(hits));
                return {offset, {}}; // the kernel table adds the hash (with_hash)
            }
        }
        return {count, {}};
    }
};
