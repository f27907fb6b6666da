// forge-block STORE TIME < records.jsonl - what a forger with write access
// to a store can do: append the records as the next block, with a real
// proof of work, but written straight into LMDB, never validated. For the
// tests that setm-verify refuses such a block (exit 68). Not installed.
#include <cstdio>
#include <iostream>

#include "lmdb.hpp"
#include "miner.hpp"
#include "record_stream.hpp"
#include "store.hpp"
#include "units.hpp"

using namespace setm;

namespace {

// The block as Store keeps it: SHA-256 of the cereal StoredBlock, then it.
Bytes sealed(const Block& b) {
    const Bytes body = encode_binary(StoredBlock{serialize_header(b.header), b.records});
    const Hash32 h = sha256(body);
    Bytes out(h.begin(), h.end());
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

Status write_raw(const std::string& dir, const Block& b, std::uint64_t height) {
    SETM_TRY(lmdb::Env env, lmdb::Env::open(dir, lmdb::Env::Options{}));
    return lmdb::write_txn(env, [&](lmdb::Txn& txn) -> Status {
        SETM_TRY(lmdb::Dbi blocks, lmdb::Dbi::open(txn, "blocks", false));
        SETM_TRY(lmdb::Dbi headers, lmdb::Dbi::open(txn, "headers", false));
        SETM_TRY(lmdb::Dbi meta, lmdb::Dbi::open(txn, "meta", false));
        const auto k = be64(height);
        const auto header = serialize_header(b.header);
        const Hash32 hash = block_hash(b.header);
        SETM_CHECK(lmdb::put(txn, blocks, lmdb::as_val(k.data(), 8), lmdb::as_val(sealed(b))));
        SETM_CHECK(lmdb::put(txn, headers, lmdb::as_val(k.data(), 8),
                             lmdb::as_val(header.data(), header.size())));
        SETM_CHECK(lmdb::put(txn, meta, lmdb::as_val(std::string_view("height")),
                             lmdb::as_val(k.data(), 8)));
        return lmdb::put(txn, meta, lmdb::as_val(std::string_view("tip")),
                         lmdb::as_val(hash.data(), hash.size()));
    });
}

Status forge(const std::string& dir, const std::string& time) {
    SETM_TRY(std::int64_t now, parse_utc(time));
    SETM_TRY(std::vector<LineRecord> lines, read_records(std::cin));
    std::vector<Record> records;
    for (auto& l : lines) records.push_back(std::move(l.record));
    Tip tip;
    std::uint32_t bits = 0;
    {
        SETM_TRY(Store store, Store::open(dir, true));
        SETM_TRY(auto snap, store.snapshot());
        SETM_TRY(tip, snap->state().tip());
        bits = store.genesis().bits;
    }
    SETM_TRY(Block b, mine_block(std::move(records), tip.hash, next_block_time(tip.last_times, now),
                                 bits, 1));
    return write_raw(dir, b, tip.height + 1);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: forge-block STORE TIME < records.jsonl\n");
        return 64;
    }
    Status s = forge(argv[1], argv[2]);
    if (!s) {
        std::fprintf(stderr, "forge-block: %s\n", s.error().message().c_str());
        return 1;
    }
    return 0;
}
