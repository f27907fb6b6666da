// nonce_lanes_pair.hpp - Pair<Ops>: two registers of Ops used as one, so
// that the nonce kernel (nonce_lanes.hpp) interleaves two independent
// groups of lanes instruction by instruction.
//
// NOT a normal header: nonce_lanes.hpp includes it, once per instruction
// set, after SETM_LANES_FN is defined. (No include guard on purpose.)

template <class Ops>
struct Pair {
    using V = typename Ops::T;
    struct T {
        V lo, hi;
    };
    static constexpr unsigned lanes = 2 * Ops::lanes;
    SETM_LANES_FN static T set1(std::uint32_t x) { return {Ops::set1(x), Ops::set1(x)}; }
    SETM_LANES_FN static T zero() { return {Ops::zero(), Ops::zero()}; }
    SETM_LANES_FN static T add(T a, T b) { return {Ops::add(a.lo, b.lo), Ops::add(a.hi, b.hi)}; }
    template <int n>
    SETM_LANES_FN static T ror(T x) {
        return {Ops::template ror<n>(x.lo), Ops::template ror<n>(x.hi)};
    }
    template <int n>
    SETM_LANES_FN static T shr(T x) {
        return {Ops::template shr<n>(x.lo), Ops::template shr<n>(x.hi)};
    }
    SETM_LANES_FN static T xor3(T a, T b, T c) {
        return {Ops::xor3(a.lo, b.lo, c.lo), Ops::xor3(a.hi, b.hi, c.hi)};
    }
    SETM_LANES_FN static T ch(T e, T f, T g) {
        return {Ops::ch(e.lo, f.lo, g.lo), Ops::ch(e.hi, f.hi, g.hi)};
    }
    SETM_LANES_FN static T maj(T a, T b, T c) {
        return {Ops::maj(a.lo, b.lo, c.lo), Ops::maj(a.hi, b.hi, c.hi)};
    }
    SETM_LANES_FN static T iota() {
        return {Ops::iota(), Ops::add(Ops::iota(), Ops::set1(Ops::lanes))};
    }
    SETM_LANES_FN static T bswap(T x) { return {Ops::bswap(x.lo), Ops::bswap(x.hi)}; }
    SETM_LANES_FN static std::uint64_t at_most(T x, std::uint32_t top) {
        return Ops::at_most(x.lo, top) | Ops::at_most(x.hi, top) << Ops::lanes;
    }
};
