// setm_nats_forge URLS STORE RECORDS - a hostile publisher, for the cluster
// test: mines a block holding the records of the file RECORDS on the tip of
// STORE without checking any rule (valid proof of work, link and merkle
// root; the records as they are), and publishes it to the chain's subject
// with the plain NATS client, as anyone allowed to publish there could.
// Prints the forged block's height and hash.
#include <nats/nats.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>

#include "miner.hpp"
#include "record_stream.hpp"
#include "replica.hpp"

using namespace setm;

namespace {

int fail(const std::string& what) {
    std::fprintf(stderr, "setm_nats_forge: %s\n", what.c_str());
    return 1;
}

Result<Block> forge(const std::string& dir, const std::string& records_file,
                    std::uint64_t& height) {
    SETM_TRY(Store store, Store::open(dir, true));
    SETM_TRY(auto snap, store.snapshot());
    SETM_TRY(Tip tip, snap->state().tip());
    std::ifstream in(records_file);
    SETM_TRY(std::vector<LineRecord> lines, read_records(in));
    std::vector<Record> records;
    for (const auto& l : lines) records.push_back(l.record);
    height = tip.height + 1;
    return mine_block(records, tip.hash, next_block_time(tip.last_times, std::time(nullptr)),
                      store.genesis().bits, 1);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 4) return fail("usage: setm_nats_forge URLS STORE RECORDS");
    std::uint64_t height = 0;
    auto b = forge(argv[2], argv[3], height);
    if (!b) return fail(b.error().message());
    Hash32 chain{};
    {
        auto store = Store::open(argv[2], true);
        if (!store) return fail(store.error().message());
        chain = store->chain_id();
    }
    const Bytes data = replica::block_bytes(b.value());
    natsConnection* raw = nullptr;
    if (natsConnection_ConnectTo(&raw, argv[1]) != NATS_OK) return fail("cannot connect");
    std::unique_ptr<natsConnection, void (*)(natsConnection*)> nc(raw, natsConnection_Destroy);
    natsMsg* msg = nullptr;
    const std::string subj = replica::subject(chain), h = std::to_string(height);
    natsMsg_Create(&msg, subj.c_str(), nullptr, reinterpret_cast<const char*>(data.data()),
                   static_cast<int>(data.size()));
    std::unique_ptr<natsMsg, void (*)(natsMsg*)> m(msg, natsMsg_Destroy);
    natsMsgHeader_Set(m.get(), "Setm-Height", h.c_str());
    natsMsg* reply = nullptr; // the stream's acknowledgement: stored, or why not
    natsStatus s = natsConnection_RequestMsg(&reply, nc.get(), m.get(), 5000);
    if (s != NATS_OK) return fail(std::string("publish: ") + natsStatus_GetText(s));
    std::unique_ptr<natsMsg, void (*)(natsMsg*)> r(reply, natsMsg_Destroy);
    std::fprintf(stderr, "setm_nats_forge: stream answered %.*s\n", natsMsg_GetDataLength(r.get()),
                 natsMsg_GetData(r.get()));
    std::printf("%s %s\n", h.c_str(), hash_to_hex(block_hash(b->header)).c_str());
    std::fflush(stdout);
    r.reset();
    m.reset();
    nc.reset();
    nats_CloseAndWait(2000);
    return 0;
}
