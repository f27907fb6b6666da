// Replication without a server: the names of a chain on the network, the
// bytes a block travels as, and Store::append_run, which every block
// received from the network goes through. The cluster itself is tested by
// tests/replica/cluster.sh.
#include "fixtures.hpp"
#include "replica.hpp"
#include "verify.hpp"

using namespace setm;
using namespace setm::test;

namespace {

// Blocks 1.. mined on a scratch store, one per batch of records: what the
// network would carry.
std::vector<Block> mined(const TestChain& c, const std::string& dir,
                         const std::vector<std::vector<Record>>& batches) {
    Store s = must(Store::create(dir, c.genesis_block));
    std::vector<Block> out;
    std::int64_t now = kT0 - 30 * kMinute;
    for (const auto& recs : batches) {
        const Tip t = tip_of(s);
        Block b = must(
            mine_block(recs, t.hash, next_block_time(t.last_times, now), c.genesis.body.bits, 1));
        REQUIRE(s.append_if_tip(b, t.hash, now));
        out.push_back(std::move(b));
        now += kMinute;
    }
    return out;
}

// Blocks 1..3: the producer and consumer admitted, then two offers.
std::vector<Block> three_blocks(const TestChain& c, const std::string& dir) {
    return mined(c, dir,
                 {c.admit_all(),
                  {c.sign(c.offer_body(c.producer, 1), c.producer)},
                  {c.sign(c.offer_body(c.producer, 2), c.producer)}});
}

// Blocks 1..n: the admissions, then one offer each.
std::vector<Block> blocks_of_offers(const TestChain& c, const std::string& dir, std::size_t n) {
    std::vector<std::vector<Record>> batches = {c.admit_all()};
    for (std::uint64_t k = 1; k < n; ++k)
        batches.push_back({c.sign(c.offer_body(c.producer, k), c.producer)});
    return mined(c, dir, batches);
}

// Mines blocks[from..] again on the ones before, keeping their records and
// times: a forger's chain after a changed block.
void relink(const TestChain& c, std::vector<Block>& blocks, std::size_t from) {
    for (std::size_t i = from; i < blocks.size(); ++i)
        blocks[i] = must(mine_block(blocks[i].records, block_hash(blocks[i - 1].header),
                                    blocks[i].header.time, c.genesis.body.bits, 1));
}

} // namespace

TEST_CASE("replica: a chain's stream and subject are named from its id", "[replica]") {
    TestChain c;
    const std::string hex = hash_to_hex(c.id);
    CHECK(replica::stream_name(c.id) == "SETM-" + hex);
    CHECK(replica::subject(c.id) == "setm." + hex + ".blocks");
    // JetStream stream names may not hold '.', '*', '>' or spaces.
    CHECK(replica::stream_name(c.id).find_first_of(".*> ") == std::string::npos);
}

TEST_CASE("replica: a block travels as its stored bytes and reads back", "[replica]") {
    TestChain c;
    TempDir d;
    const auto blocks = three_blocks(c, d / "a");
    for (const Block& b : blocks) {
        const Bytes bytes = replica::block_bytes(b);
        const Block back = must(replica::parse_block_bytes(bytes.data(), bytes.size()));
        CHECK(back.header == b.header);
        CHECK(merkle_root_of(back.records) == b.header.merkle_root);
        CHECK(replica::block_bytes(back) == bytes);
    }
    // Truncated, trailing bytes, a forged length: refused as a bad block, never allocated.
    Bytes bytes = replica::block_bytes(blocks[0]);
    auto cut = replica::parse_block_bytes(bytes.data(), bytes.size() - 1);
    REQUIRE_FALSE(cut);
    CHECK(cut.error().code == Exit::verify_failed);
    CHECK(cut.error().reason == "bad block bytes");
    Bytes longer = bytes;
    longer.push_back(0);
    CHECK_FALSE(replica::parse_block_bytes(longer.data(), longer.size()));
    Bytes forged = bytes;
    forged[1 + 80 + 7] = 0x7f; // the high byte of the records' count
    CHECK(replica::parse_block_bytes(forged.data(), forged.size()).error().reason ==
          "bad block bytes");
}

TEST_CASE("replica: append_run validates each block on the one before", "[replica][store]") {
    TestChain c;
    TempDir d;
    const auto blocks = three_blocks(c, d / "source");
    const unsigned threads = GENERATE(1u, 2u); // signatures block by block, or pooled
    INFO(threads);
    Store s = must(Store::create(d / "node", c.genesis_block));
    const Store::Run run = must(s.append_run(blocks, 1, kT0 + kHour, threads));
    CHECK(run.appended == 3);
    CHECK_FALSE(run.refused);
    CHECK(tip_of(s).hash == block_hash(blocks[2].header));
    auto snap = must(s.snapshot());
    CHECK(must(verify_chain(snap->state(), kT0 + kHour, 1)).report.height == 3);

    // The same blocks again (another writer got there first): skipped.
    const Store::Run again = must(s.append_run(blocks, 1, kT0 + kHour, threads));
    CHECK(again.appended == 0);
    CHECK_FALSE(again.refused);
}

TEST_CASE("replica: append_run keeps the good blocks and names the bad one", "[replica][store]") {
    TestChain c;
    TempDir d;
    auto blocks = three_blocks(c, d / "source");
    const unsigned threads = GENERATE(1u, 2u); // signatures block by block, or pooled
    INFO(threads);
    Store s = must(Store::create(d / "node", c.genesis_block));
    SECTION("a broken signature in block 3") {
        auto& offer = std::get<Signed<Offer>>(blocks[2].records[0]);
        offer.signature[0] ^= 1;
        blocks[2] = must(mine_block(blocks[2].records, block_hash(blocks[1].header),
                                    blocks[2].header.time, c.genesis.body.bits, 1));
        const Store::Run run = must(s.append_run(blocks, 1, kT0 + kHour, threads));
        CHECK(run.appended == 2);
        REQUIRE(run.refused);
        CHECK(run.refused->code == Exit::verify_failed);
        CHECK(run.refused->reason == "wrong user");
        CHECK(run.refused->detail.rfind("block 3: ", 0) == 0);
        CHECK(tip_of(s).hash == block_hash(blocks[1].header));
    }
    SECTION("a block that does not link") {
        std::swap(blocks[1], blocks[2]);
        const Store::Run run = must(s.append_run(blocks, 1, kT0 + kHour, threads));
        CHECK(run.appended == 1);
        REQUIRE(run.refused);
        CHECK(run.refused->reason == "bad link");
        CHECK(tip_of(s).height == 1);
    }
    SECTION("another block where the store holds one: diverged") {
        REQUIRE(s.append_run({blocks[0]}, 1, kT0 + kHour).value().appended == 1);
        const Store::Run run = must(s.append_run({blocks[1]}, 1, kT0 + kHour));
        REQUIRE(run.refused);
        CHECK(run.refused->reason == "diverged");
        CHECK(tip_of(s).height == 1);
    }
    SECTION("a gap above the tip") {
        const Store::Run run = must(s.append_run({blocks[2]}, 3, kT0 + kHour));
        REQUIRE(run.refused);
        CHECK(run.refused->reason == "gap");
        CHECK(tip_of(s).height == 0);
    }
    // Whatever was refused, the store verifies.
    auto snap = must(s.snapshot());
    CHECK(verify_chain(snap->state(), kT0 + kHour, 1));
}

TEST_CASE("replica: append_run on several threads stops at the first bad block of a batch",
          "[replica][store]") {
    TestChain c;
    TempDir d;
    const unsigned threads = GENERATE(2u, 3u);
    const auto good = blocks_of_offers(c, d / "source", 7); // blocks 1..7
    auto blocks = good;
    std::uint64_t bad_height = 0;
    std::string reason;
    SECTION("a broken signature in block 3, every block after it well formed") {
        std::get<Signed<Offer>>(blocks[2].records[0]).signature[0] ^= 1;
        bad_height = 3;
        reason = "wrong user";
    }
    SECTION("a rule broken in block 4 (an offer again) and a signature in block 6") {
        blocks[3].records = blocks[1].records;
        std::get<Signed<Offer>>(blocks[5].records[0]).signature[5] ^= 1;
        bad_height = 4;
        reason = "duplicate record";
    }
    SECTION("a signature broken in block 2 and a rule in block 5") {
        std::get<Signed<Offer>>(blocks[1].records[0]).signature[9] ^= 1;
        blocks[4].records = blocks[2].records;
        bad_height = 2;
        reason = "wrong user";
    }
    relink(c, blocks, 1);
    // The one-thread run is the reference: every thread count appends the
    // same good prefix and names the same block with the same error.
    Store ref = must(Store::create(d / "ref", c.genesis_block));
    const Store::Run want = must(ref.append_run(blocks, 1, kT0 + kHour, 1));
    REQUIRE(want.refused);
    CHECK(want.appended == bad_height - 1);
    CHECK(want.refused->reason == reason);
    CHECK(want.refused->detail.rfind("block " + std::to_string(bad_height) + ": ", 0) == 0);
    INFO(threads);
    Store s = must(Store::create(d / "node", c.genesis_block));
    const Store::Run run = must(s.append_run(blocks, 1, kT0 + kHour, threads));
    CHECK(run.appended == want.appended);
    REQUIRE(run.refused);
    CHECK(run.refused->code == Exit::verify_failed);
    CHECK(run.refused->reason == want.refused->reason);
    CHECK(run.refused->detail == want.refused->detail);
    // Nothing at or after the bad block: the tip is the block before it,
    // and the store verifies.
    CHECK(tip_of(s).height == bad_height - 1);
    CHECK(tip_of(s).hash == block_hash(blocks[bad_height - 2].header));
    {
        auto snap = must(s.snapshot());
        CHECK(verify_chain(snap->state(), kT0 + kHour, 1));
    }
    // The honest blocks then resume from the store's own tip.
    const Store::Run rest = must(s.append_run(good, 1, kT0 + kHour, threads));
    CHECK_FALSE(rest.refused);
    CHECK(rest.appended == good.size() - (bad_height - 1));
    CHECK(tip_of(s).hash == block_hash(good.back().header));
}

TEST_CASE("replica: append_run on several threads appends what one thread appends",
          "[replica][store]") {
    TestChain c;
    TempDir d;
    const auto blocks = blocks_of_offers(c, d / "source", 9);
    Store one = must(Store::create(d / "one", c.genesis_block));
    Store two = must(Store::create(d / "two", c.genesis_block));
    CHECK(must(one.append_run(blocks, 1, kT0 + kHour, 1)).appended == 9);
    // In two batches, the second overlapping the first (skipped, not refused).
    const std::vector<Block> head(blocks.begin(), blocks.begin() + 5);
    CHECK(must(two.append_run(head, 1, kT0 + kHour, 2)).appended == 5);
    const Store::Run tail = must(two.append_run(blocks, 1, kT0 + kHour, 2));
    CHECK_FALSE(tail.refused);
    CHECK(tail.appended == 4);
    auto a = must(one.snapshot());
    auto b = must(two.snapshot());
    const VerifiedChain va = must(verify_chain(a->state(), kT0 + kHour, 1));
    const VerifiedChain vb = must(verify_chain(b->state(), kT0 + kHour, 1));
    CHECK(va.report.tip == vb.report.tip);
    CHECK(va.report.height == 9);
    CHECK(must(a->state().block(9)).header == must(b->state().block(9)).header);
}

TEST_CASE("replica: check_fits measures each block of a split, not the whole input", "[replica]") {
    TestChain c;
    std::vector<Record> offers;
    for (std::uint64_t i = 1; i <= 6; ++i)
        offers.push_back(c.sign(c.offer_body(c.producer, i), c.producer));
    const std::size_t one = replica::block_bytes(Block{BlockHeader{}, {offers[0]}}).size();
    const std::size_t all = replica::block_bytes(Block{BlockHeader{}, offers}).size();
    const auto payload = static_cast<std::int64_t>(1024 + 3 * one); // three offers' room
    CHECK(replica::check_fits(static_cast<std::int64_t>(1024 + all), offers, {}));
    const Error e = must_fail(replica::check_fits(payload, offers, {}));
    CHECK(e.reason == "block too large for the network");
    CHECK(e.detail == std::to_string(all) + " bytes; the servers carry " + std::to_string(payload));
    CHECK(replica::check_fits(payload, offers, {2, 4, 6}));
    CHECK(must_fail(replica::check_fits(payload, offers, {1, 6}))
              .detail.rfind(
                  std::to_string(
                      replica::block_bytes(Block{BlockHeader{}, {offers.begin() + 1, offers.end()}})
                          .size()),
                  0) == 0);
}
