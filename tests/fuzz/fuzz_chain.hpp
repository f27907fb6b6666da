// fuzz_chain.hpp - the fixed chain the batch target replays records on, and
// the seed generator signs records for: the same deterministic keys, genesis
// and times as the unit tests' TestChain (tests/unit/fixtures.hpp), without
// Catch2. The difficulty is 4 leading zero bits: mining a block takes about
// 16 hashes, so the target can mine every block it applies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keyfile.hpp"
#include "miner.hpp"
#include "pow.hpp"
#include "records.hpp"
#include "rules.hpp"

namespace setm::fuzz {

constexpr std::int64_t kHour = 60 * 60;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::int64_t kT0 = 1795600800; // 2026-11-25T10:00Z: block 1

inline Seed seed_of(std::uint8_t n) {
    Seed s{};
    for (std::size_t i = 0; i < s.size(); ++i)
        s[i] = static_cast<std::uint8_t>(n * 37 + i * 11 + 1);
    return s;
}

struct FuzzChain {
    SecretKey authority = key_from_seed(seed_of(1), "authority");
    SecretKey producer = key_from_seed(seed_of(2), "producer");
    SecretKey consumer = key_from_seed(seed_of(3), "consumer");
    SecretKey agent = key_from_seed(seed_of(4), "agent");
    Signed<Genesis> genesis;
    Block genesis_block;
    Hash32 id{};
    bool ok = false;

    FuzzChain() {
        Genesis g;
        g.chain_name = "test";
        g.authority_name = authority.name;
        g.authority_ed25519 = authority.ed25519;
        g.authority_x25519 = authority.x25519;
        auto bits = bits_for_leading_zero_bits(4);
        if (!bits) return;
        g.bits = bits.value();
        g.slot_minutes = 30;
        g.created = kT0 - kHour;
        genesis = sign_record(g, kNoChain, authority.seed);
        auto b = make_genesis_block(genesis, kT0 - kHour, 1);
        if (!b) return;
        genesis_block = b.value();
        auto chain = check_genesis_block(genesis_block);
        if (!chain) return;
        id = chain.value();
        ok = true;
    }

    MemoryState empty_state() const {
        MemoryState st(genesis.body, id);
        StateDelta d(st);
        d.records[genesis.id()] = 0;
        st.merge(d, 0);
        return st;
    }
};

} // namespace setm::fuzz
