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

// Blocks 1..3 mined on a scratch store: what the network would carry.
std::vector<Block> three_blocks(const TestChain& c, const std::string& dir) {
    Store s = must(Store::create(dir, c.genesis_block));
    std::vector<Block> out;
    const std::vector<std::vector<Record>> batches = {
        c.admit_all(),
        {c.sign(c.offer_body(c.producer, 1), c.producer)},
        {c.sign(c.offer_body(c.producer, 2), c.producer)}};
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
    Store s = must(Store::create(d / "node", c.genesis_block));
    const Store::Run run = must(s.append_run(blocks, 1, kT0 + kHour));
    CHECK(run.appended == 3);
    CHECK_FALSE(run.refused);
    CHECK(tip_of(s).hash == block_hash(blocks[2].header));
    auto snap = must(s.snapshot());
    CHECK(must(verify_chain(snap->state(), kT0 + kHour, 1)).report.height == 3);

    // The same blocks again (another writer got there first): skipped.
    const Store::Run again = must(s.append_run(blocks, 1, kT0 + kHour));
    CHECK(again.appended == 0);
    CHECK_FALSE(again.refused);
}

TEST_CASE("replica: append_run keeps the good blocks and names the bad one", "[replica][store]") {
    TestChain c;
    TempDir d;
    auto blocks = three_blocks(c, d / "source");
    Store s = must(Store::create(d / "node", c.genesis_block));
    SECTION("a broken signature in block 3") {
        auto& offer = std::get<Signed<Offer>>(blocks[2].records[0]);
        offer.signature[0] ^= 1;
        blocks[2] = must(mine_block(blocks[2].records, block_hash(blocks[1].header),
                                    blocks[2].header.time, c.genesis.body.bits, 1));
        const Store::Run run = must(s.append_run(blocks, 1, kT0 + kHour));
        CHECK(run.appended == 2);
        REQUIRE(run.refused);
        CHECK(run.refused->code == Exit::verify_failed);
        CHECK(run.refused->reason == "wrong user");
        CHECK(run.refused->detail.rfind("block 3: ", 0) == 0);
        CHECK(tip_of(s).hash == block_hash(blocks[1].header));
    }
    SECTION("a block that does not link") {
        std::swap(blocks[1], blocks[2]);
        const Store::Run run = must(s.append_run(blocks, 1, kT0 + kHour));
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
