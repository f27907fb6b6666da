// fixtures.hpp - shared helpers for the record, chain, store and authority
// tests: deterministic keys, a tiny chain at an easy difficulty, builders
// for every record type, and a temporary directory.
//
// Everything is deterministic (fixed seeds, fixed times) so that a failure
// reproduces; the difficulty is 4 leading zero bits, about 16 hashes a block.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "clearing.hpp"
#include "keyfile.hpp"
#include "miner.hpp"
#include "pow.hpp"
#include "records.hpp"
#include "rules.hpp"
#include "store.hpp"

namespace setm::test {

constexpr std::int64_t kMinute = 60;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;
// 2026-11-25T10:00:00Z: the time of block 1 in every test chain.
constexpr std::int64_t kT0 = 1795600800;

// The value of a Result, or the test fails with its message.
template <class T>
T must(Result<T> r) {
    if (!r) FAIL(r.error().message());
    return std::move(r).value();
}

inline Seed seed_of(std::uint8_t n) {
    Seed s{};
    for (std::size_t i = 0; i < s.size(); ++i)
        s[i] = static_cast<std::uint8_t>(n * 37 + i * 11 + 1);
    return s;
}
inline SecretKey key_of(std::uint8_t n, const std::string& name) {
    return key_from_seed(seed_of(n), name);
}

inline std::uint32_t easy_bits() { return must(bits_for_leading_zero_bits(4)); }

// A fresh directory under /tmp, removed with everything in it.
struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/setm-unit-XXXXXX";
        if (!mkdtemp(tmpl)) FAIL("mkdtemp failed");
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string operator/(const std::string& name) const { return path + "/" + name; }
};

// A chain with its authority (key 1) and genesis block, and the usual
// participants: a producer (2), a consumer (3), an agent (4), all in zone
// "north", and builders for records signed on this chain.
struct TestChain {
    SecretKey authority = key_of(1, "authority");
    SecretKey producer = key_of(2, "producer");
    SecretKey consumer = key_of(3, "consumer");
    SecretKey agent = key_of(4, "agent");
    Signed<Genesis> genesis;
    Block genesis_block;
    Hash32 id{};

    // `market`, if given, sets the genesis record's market fields.
    explicit TestChain(std::uint32_t max_records = 0, void (*market)(Genesis&) = nullptr) {
        Genesis g;
        g.chain_name = "test";
        g.authority_name = authority.name;
        g.authority_ed25519 = authority.ed25519;
        g.authority_x25519 = authority.x25519;
        g.bits = easy_bits();
        g.slot_minutes = 30;
        g.max_records = max_records;
        g.created = kT0 - kHour;
        if (market) market(g);
        genesis = sign_record(g, kNoChain, authority.seed);
        genesis_block = must(make_genesis_block(genesis, kT0 - kHour, 1));
        id = must(check_genesis_block(genesis_block));
    }
    TestChain(const TestChain&) = delete;
    TestChain& operator=(const TestChain&) = delete;

    // The state right after genesis.
    MemoryState empty_state() const {
        MemoryState st(genesis.body, id);
        st.records[genesis.id()] = 0;
        return st;
    }

    // ---- credentials ----
    Credential credential_body(const SecretKey& who, std::uint8_t roles,
                               std::uint64_t serial) const {
        Credential c;
        c.serial = serial;
        c.participant = who.id();
        c.name = who.name;
        c.ed25519 = who.ed25519;
        c.x25519 = who.x25519;
        c.roles = roles;
        c.zone = "north";
        c.max_energy_wh = 0;
        c.valid_from = kT0 - kDay;
        c.valid_until = kT0 + 365 * kDay;
        c.authority = authority.id();
        return c;
    }
    Signed<Credential> admit(const Credential& c) const {
        return sign_record(c, id, authority.seed);
    }
    Signed<Credential> admit(const SecretKey& who, std::uint8_t roles, std::uint64_t serial) const {
        return admit(credential_body(who, roles, serial));
    }
    Signed<Revocation> revoke(const SecretKey& who, std::uint64_t serial, std::int64_t time) const {
        Revocation r{serial, who.id(), time, "test", authority.id()};
        return sign_record(r, id, authority.seed);
    }
    // Credentials of the producer (1), consumer (2) and agent (3).
    std::vector<Record> admit_all() const {
        return {admit(producer, role_producer, 1), admit(consumer, role_consumer, 2),
                admit(agent, role_agent, 3)};
    }
    // The state after genesis and admit_all() in block 1 at kT0 - 1 h.
    MemoryState market_state() const {
        MemoryState st = empty_state();
        apply(st, admit_all(), kT0 - kHour, 1);
        return st;
    }
    // Applies a block's records, or the test fails.
    static void apply(MemoryState& st, const std::vector<Record>& records, std::int64_t t,
                      std::uint64_t height) {
        StateDelta d = must(apply_records(st, records, t, height));
        st.merge(d, height);
    }

    // ---- orders and trades (slot kT0 + 2 h, expiring at kT0 + 1 h) ----
    Offer offer_body(const SecretKey& p, std::uint64_t nonce = 1) const {
        Offer o;
        o.producer = p.id();
        o.slot = kT0 + 2 * kHour;
        o.slot_minutes = 30;
        o.energy_wh = 5000;
        o.floor_price = 4000;
        o.opening_price = 6000;
        o.zone = "north";
        o.expires = kT0 + kHour;
        o.nonce = nonce;
        return o;
    }
    Request request_body(const SecretKey& c, std::uint64_t nonce = 1) const {
        Request r;
        r.consumer = c.id();
        r.slot = kT0 + 2 * kHour;
        r.slot_minutes = 30;
        r.energy_wh = 5000;
        r.ceiling_price = 7000;
        r.opening_price = 3000;
        r.zone = "north";
        r.expires = kT0 + kHour;
        r.nonce = nonce;
        return r;
    }
    template <class Body>
    Signed<Body> sign(const Body& b, const SecretKey& k) const {
        return sign_record(b, id, k.seed);
    }

    Trade trade_body(const Signed<Offer>& o, const Signed<Request>& r, std::int64_t energy,
                     std::int64_t price, std::int64_t fee_price = 0) const {
        Trade t;
        t.agent = agent.id();
        t.slot = o.body.slot;
        t.slot_minutes = o.body.slot_minutes;
        t.offer = o.id();
        t.request = r.id();
        t.seller = o.body.producer;
        t.buyer = r.body.consumer;
        t.energy_wh = energy;
        t.price = price;
        t.fee_price = fee_price;
        t.amount = energy * price;
        t.fee = energy * fee_price;
        t.mechanism = "pay-as-bid";
        t.round = 1;
        t.time = kT0;
        return t;
    }

    // The chain's clearing of `slot` over `st` at time t, as the agent's
    // signed trades: what a block at t may hold for the slot.
    std::vector<Record> clearing_trades(const StateReader& st, std::int64_t slot,
                                        std::int64_t t) const {
        const StateDelta d(st);
        std::vector<Record> out;
        for (const Trade& tr : must(setm::clearing_trades(d, slot, t, agent.id())))
            out.push_back(sign(tr, agent));
        return out;
    }
};

// The error of a failed Result; the test fails if it succeeded.
template <class T>
Error must_fail(const Result<T>& r) {
    if (r) FAIL("expected an error, got success");
    return r.error();
}

// The tip of a store, as a snapshot reads it.
inline Tip tip_of(Store& s) {
    auto snap = must(s.snapshot());
    return must(snap->state().tip());
}

} // namespace setm::test
