// forge-block STORE TIME < records.jsonl - what a forger with write access
// to a store can do: append the records as the next block, with a real
// proof of work, but written straight into LMDB, never validated. For the
// tests that setm-verify refuses such a block (exit 68). Not installed.
//
// forge-block --genesis STORE KEY FIELD=VALUE... - the same for block 0 of
// a store that holds only its genesis: the genesis record with its market
// fields set (mechanism, rounds, network_fee, gate_minutes,
// auction_minutes), signed again with KEY (the authority's key file, so the
// signature holds), mined at the genesis block's time and written over
// block 0, with the store's chain id and tip.
#include <charconv>
#include <cstdio>
#include <iostream>

#include "keyfile.hpp"
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

// Writes `b` at `height` and makes it the tip; a genesis block (height 0)
// also becomes the chain id.
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
        if (height == 0)
            SETM_CHECK(lmdb::put(txn, meta, lmdb::as_val(std::string_view("chain")),
                                 lmdb::as_val(hash.data(), hash.size())));
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

// Sets one market field of `g` from FIELD=VALUE.
Status set_market_field(Genesis& g, const std::string& edit) {
    const auto eq = edit.find('=');
    const std::string field = edit.substr(0, eq),
                      value = eq == edit.npos ? "" : edit.substr(eq + 1);
    if (field == "mechanism" && eq != edit.npos) {
        g.mechanism = value;
        return ok_status();
    }
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    const bool number = ec == std::errc() && end == value.data() + value.size() && !value.empty();
    const bool u32 = number && n >= 0 && n <= UINT32_MAX;
    if (field == "rounds" && u32)
        g.rounds = static_cast<std::uint32_t>(n);
    else if (field == "network_fee" && number)
        g.network_fee = n;
    else if (field == "gate_minutes" && u32)
        g.gate_minutes = static_cast<std::uint32_t>(n);
    else if (field == "auction_minutes" && u32)
        g.auction_minutes = static_cast<std::uint32_t>(n);
    else
        return make_error(Exit::usage, "bad edit", edit);
    return ok_status();
}

Status forge_genesis(const std::string& dir, const std::string& key_file,
                     const std::vector<std::string>& edits) {
    SETM_TRY(SecretKey key, read_key_file(key_file, std::nullopt));
    Block old;
    {
        SETM_TRY(Store store, Store::open(dir, true));
        SETM_TRY(auto snap, store.snapshot());
        SETM_TRY(Tip tip, snap->state().tip());
        if (tip.height != 0)
            return make_error(Exit::usage, "not a fresh store", "it holds blocks after genesis");
        SETM_TRY(old, snap->state().block(0));
    }
    Genesis g = std::get<Signed<Genesis>>(old.records.at(0)).body;
    for (const std::string& e : edits) SETM_CHECK(set_market_field(g, e));
    SETM_TRY(Block b, make_genesis_block(sign_record(g, kNoChain, key.seed),
                                         static_cast<std::int64_t>(old.header.time), 1));
    return write_raw(dir, b, 0);
}

} // namespace

int main(int argc, char** argv) {
    const bool genesis = argc >= 2 && std::string(argv[1]) == "--genesis";
    if (genesis ? argc < 4 : argc != 3) {
        std::fprintf(stderr,
                     "usage: forge-block STORE TIME < records.jsonl\n"
                     "       forge-block --genesis STORE KEY FIELD=VALUE...\n");
        return 64;
    }
    Status s = genesis ? forge_genesis(argv[2], argv[3], {argv + 4, argv + argc})
                       : forge(argv[1], argv[2]);
    if (!s) {
        std::fprintf(stderr, "forge-block: %s\n", s.error().message().c_str());
        return 1;
    }
    return 0;
}
