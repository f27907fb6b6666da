// verify_chain with VerifyOptions::assume_valid (setm-verify --assume-valid):
// the record signatures of the named block and below are not checked,
// everything else is; a chain that does not hold the block is checked in
// full, and a block index that misplaces it fails.
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "backup.hpp"
#include "block_records.hpp"
#include "canonical.hpp"
#include "explain.hpp"
#include "fixtures.hpp"
#include "lmdb.hpp"
#include "store.hpp"
#include "verify.hpp"

using namespace setm;
using namespace setm::test;

namespace {

constexpr std::int64_t kNow = kT0 + kHour;

// A store of `blocks` blocks above genesis: block 1 admits the producer,
// consumer, agent and one participant per later block, each later block h
// revokes participant h (a record no index keeps the signature of, unlike a
// credential). ids[h] is block h's id.
struct AssumeChain {
    TestChain c;
    TempDir dir;
    std::string path = dir / "store";
    std::vector<Hash32> ids;

    explicit AssumeChain(std::uint64_t blocks) {
        Store s = must(Store::create(path, c.genesis_block));
        ids.push_back(tip_of(s).hash);
        std::vector<Record> first = c.admit_all();
        for (std::uint64_t h = 2; h <= blocks; ++h)
            first.push_back(c.admit(participant(h), role_consumer, h + 2));
        for (std::uint64_t h = 1; h <= blocks; ++h) {
            const Tip t = tip_of(s);
            std::vector<Record> rs = first;
            if (h > 1) rs = {c.revoke(participant(h), h + 2, kT0 - kMinute)};
            const Block b = must(
                mine_block(rs, t.hash, next_block_time(t.last_times, kT0), c.genesis.body.bits, 1));
            REQUIRE(s.append_if_tip(b, t.hash, kNow));
            ids.push_back(block_hash(b.header));
        }
    }

    static SecretKey participant(std::uint64_t h) {
        return key_of(static_cast<std::uint8_t>(10 + h), "p" + std::to_string(h));
    }

    // Rewrites the stored block at `height` (record 0 changed by `change`),
    // resealed as Store keeps it: a forger with write access to the store.
    template <class Change>
    void rewrite(std::uint64_t height, Change change) {
        Block b;
        {
            Store s = must(Store::open(path, true));
            auto snap = must(s.snapshot());
            b = must(snap->state().block(height));
        }
        std::visit([&](auto& r) { change(r); }, b.records[0]);
        const Bytes body = encode_binary(StoredBlock{serialize_header(b.header), b.records});
        const Hash32 sum = sha256(body);
        Bytes sealed(sum.begin(), sum.end());
        sealed.insert(sealed.end(), body.begin(), body.end());
        put("blocks", be64(height), sealed);
    }
    // A signature that does not verify (the signed bytes, and so the
    // block's merkle root and id, unchanged).
    void forge_signature(std::uint64_t height) {
        rewrite(height, [](auto& r) { r.signature[0] ^= 1; });
    }
    // A value of the block_index database: block `id` at `height`.
    void index_block(const Hash32& id, std::uint64_t height) {
        const auto h = be64(height);
        put("block_index", id, Bytes(h.begin(), h.end()));
    }
    template <class Key>
    void put(const char* db, const Key& k, const Bytes& v) {
        lmdb::Env env = must(lmdb::Env::open(path, lmdb::Env::Options{}));
        REQUIRE(lmdb::write_txn(env, [&](lmdb::Txn& txn) -> Status {
            SETM_TRY(lmdb::Dbi d, lmdb::Dbi::open(txn, db, false));
            return lmdb::put(txn, d, lmdb::as_val(k.data(), k.size()), lmdb::as_val(v));
        }));
    }

    Result<VerifiedChain> verify(std::optional<Hash32> assume) const {
        Store s = must(Store::open(path, true));
        auto snap = must(s.snapshot());
        VerifyOptions o;
        o.now = kNow;
        o.threads = 2;
        o.assume_valid = assume;
        return verify_chain(snap->state(), o);
    }
};

// The block of a failure: the number after "block " in its detail.
std::uint64_t failed_block(const Error& e) {
    REQUIRE(e.detail.rfind("block ", 0) == 0);
    return std::stoull(e.detail.substr(6));
}

Hash32 not_on_chain() {
    Hash32 h{};
    h.fill(0x5a);
    return h;
}

} // namespace

TEST_CASE("assume-valid: a forged signature in block 2", "[verify][assume]") {
    AssumeChain a(4);
    a.forge_signature(2);

    SECTION("without the option: fails at block 2") {
        const Error e = must_fail(a.verify(std::nullopt));
        CHECK(e.code == Exit::verify_failed);
        CHECK(e.reason == "wrong user");
        CHECK(e.detail.find("bad signature") != std::string::npos);
        CHECK(failed_block(e) == 2);
    }
    SECTION("assumed at block 2 or later: its signature is not checked") {
        for (std::uint64_t h = 2; h <= 4; ++h) {
            const VerifiedChain v = must(a.verify(a.ids[h]));
            REQUIRE(v.report.assumed);
            CHECK(v.report.assumed->height == h);
            CHECK(v.report.assumed->block == a.ids[h]);
            // block 1 holds 3 + 3 records, each later block 1
            CHECK(v.report.assumed->signatures == 6 + (h - 1));
            CHECK(v.report.signatures + v.report.assumed->signatures == v.report.records);
            CHECK(v.report.tip == a.ids[4]);
        }
    }
    SECTION("assumed at block 1 (or 0): fails at block 2") {
        for (std::uint64_t h : {0, 1}) CHECK(failed_block(must_fail(a.verify(a.ids[h]))) == 2);
    }
    SECTION("a block the chain does not hold: every signature checked") {
        const Error full = must_fail(a.verify(std::nullopt));
        const Error e = must_fail(a.verify(not_on_chain()));
        CHECK(e.reason == full.reason);
        CHECK(e.detail == full.detail);
    }
}

TEST_CASE("assume-valid: a good chain and a block not on it", "[verify][assume]") {
    AssumeChain a(3);
    const VerifiedChain full = must(a.verify(std::nullopt));
    CHECK_FALSE(full.report.assumed);
    const VerifiedChain other = must(a.verify(not_on_chain()));
    CHECK_FALSE(other.report.assumed);
    CHECK(other.report.signatures == full.report.signatures);
    const VerifiedChain tip = must(a.verify(a.ids[3]));
    REQUIRE(tip.report.assumed);
    CHECK(tip.report.signatures == 1); // block 0's genesis record only
    CHECK(tip.report.records == full.report.records);
    CHECK(tip.report.by_type == full.report.by_type);
}

TEST_CASE("assume-valid: a record's bytes changed below the block fail, whatever it names",
          "[verify][assume]") {
    AssumeChain a(4);
    a.rewrite(2, [](auto& r) {
        using Body = std::decay_t<decltype(r.body)>;
        if constexpr (std::is_same_v<Body, Revocation>) r.body.reason += "x";
    });
    for (std::optional<Hash32> assume :
         {std::optional<Hash32>{}, std::optional<Hash32>(a.ids[4]), std::optional<Hash32>(a.ids[2]),
          std::optional<Hash32>(not_on_chain())}) {
        const Error e = must_fail(a.verify(assume));
        CHECK(e.reason == "bad merkle root");
        CHECK(failed_block(e) == 2);
    }
}

TEST_CASE("assume-valid: the replay confirms the block index", "[verify][assume]") {
    AssumeChain a(4);
    a.forge_signature(2);
    SECTION("an index that puts the tip's id at height 3") {
        a.index_block(a.ids[4], 3);
        const Error e = must_fail(a.verify(a.ids[4]));
        CHECK(e.reason == "bad index");
        CHECK(failed_block(e) == 3);
        CHECK(must_fail(a.verify(std::nullopt)).code == Exit::verify_failed);
    }
    SECTION("an index that holds an id no block has") {
        a.index_block(not_on_chain(), 4);
        const Error e = must_fail(a.verify(not_on_chain()));
        CHECK(e.reason == "bad index");
        CHECK(failed_block(e) == 4);
        CHECK(must_fail(a.verify(std::nullopt)).reason == "wrong user");
    }
    SECTION("an index that places an id above the tip: not on this chain") {
        a.index_block(not_on_chain(), 9);
        CHECK(failed_block(must_fail(a.verify(not_on_chain()))) == 2);
    }
}

// The rule, stated by brute force: a block's signatures are checked unless
// the chain holds the assumed block at or above it; the verdict is the
// first block with a forged signature that is checked, or success.
std::optional<std::uint64_t> expected_failure(const std::set<std::uint64_t>& forged,
                                              std::optional<std::uint64_t> assumed) {
    for (std::uint64_t h = 1; h <= 64; ++h) {
        const bool checked = !assumed || h > *assumed;
        if (forged.count(h) && checked) return h;
    }
    return std::nullopt;
}

TEST_CASE("assume-valid: property: result == first forged block above the assumed one",
          "[verify][assume][property]") {
    std::mt19937 rng(16);
    for (int round = 0; round < 12; ++round) {
        const std::uint64_t n = 2 + rng() % 5;
        AssumeChain a(n);
        std::set<std::uint64_t> forged;
        // one or two forged blocks, above block 1 (whose credentials the
        // store's credentials index keeps, signatures and all)
        const std::size_t count = std::min<std::size_t>(1 + rng() % 2, n - 1);
        while (forged.size() < count) forged.insert(2 + rng() % (n - 1));
        for (std::uint64_t f : forged) a.forge_signature(f);
        for (std::uint64_t pick = 0; pick <= n + 1; ++pick) {
            // pick n + 1: a block the chain does not hold
            const std::optional<std::uint64_t> assumed =
                pick <= n ? std::optional<std::uint64_t>(pick) : std::nullopt;
            const auto r = a.verify(assumed ? a.ids[*assumed] : not_on_chain());
            const auto want = expected_failure(forged, assumed);
            INFO("n " << n << " assumed " << (assumed ? std::to_string(*assumed) : "none"));
            if (!want) {
                CHECK(r);
            } else {
                REQUIRE_FALSE(r);
                CHECK(failed_block(r.error()) == *want);
                CHECK(r.error().reason == "wrong user");
            }
        }
    }
}

TEST_CASE("assume-valid: a backup's copy is verified as the options say", "[verify][assume]") {
    AssumeChain a(3);
    a.forge_signature(2);
    VerifyOptions o;
    o.now = kNow;
    o.threads = 1;
    CHECK(must_fail(backup_store(a.path, a.dir / "full", o)).code == Exit::verify_failed);
    o.assume_valid = a.ids[3];
    std::optional<AssumedValid> told;
    o.assumed = [&](const std::optional<AssumedValid>& av) { told = av; };
    const BackupReport r = must(backup_store(a.path, a.dir / "assumed", o));
    REQUIRE(told);
    CHECK(told->height == 3);
    REQUIRE(r.verified.assumed);
    CHECK(r.verified.assumed->height == 3);
}

TEST_CASE("assume-valid: the narration says which signatures were assumed", "[verify][assume]") {
    std::vector<std::string> lines{"  1. credential: signed by the authority a: signature valid",
                                   "block 2 abc", "x (signature valid) y signature valid"};
    mark_signatures_assumed(lines);
    CHECK(lines[0] == "  1. credential: signed by the authority a: signature assumed valid");
    CHECK(lines[1] == "block 2 abc");
    CHECK(lines[2] == "x (signature assumed valid) y signature assumed valid");
}
