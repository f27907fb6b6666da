// fuzz_batch.cpp - a whole record stream through the chain rules, as
// setm-mine applies a batch and setm-verify replays a chain: the stream is
// read as JSON records (read_records), cut into blocks of up to four records
// in stream order, and each block is mined at the chain's easy target and
// checked (check_header, apply_records) on an in-memory state that starts
// at the fixed genesis of fuzz_chain.hpp. A rejected block is skipped, as a
// miner drops a bad batch, and the next block builds on the state before it.
//
// The seed corpus holds records signed on that chain (see make_seeds.cpp),
// so the fuzzer recombines valid credentials, revocations, orders and trades.
//
// Invariants after each accepted block: no order is filled beyond its energy
// or below zero; the same block again is refused (no record applies twice).
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "fuzz.hpp"
#include "fuzz_chain.hpp"
#include "record_stream.hpp"

namespace {

using namespace setm;

constexpr std::size_t kRecordsPerBlock = 4;

// SETM_FUZZ_VERBOSE=1: say what became of each block (to check the seeds).
bool verbose() {
    static const bool v = std::getenv("SETM_FUZZ_VERBOSE") != nullptr;
    return v;
}

std::int64_t order_energy(const Record& r) {
    if (const auto* o = std::get_if<Signed<Offer>>(&r)) return o->body.energy_wh;
    if (const auto* q = std::get_if<Signed<Request>>(&r)) return q->body.energy_wh;
    return -1;
}

void check_orders(const MemoryState& st) {
    for (const auto& [id, entry] : st.orders) {
        const std::int64_t energy = order_energy(as_record(entry.order));
        FUZZ_CHECK(energy >= 0);
        FUZZ_CHECK(record_id(as_record(entry.order)) == id);
        FUZZ_CHECK(entry.filled_wh >= 0 && entry.filled_wh <= energy);
    }
}

// Mines `records` on the tip and applies them; true when accepted.
bool apply_block(MemoryState& st, std::vector<BlockHeader>& headers,
                 std::vector<std::uint32_t>& times, std::vector<Record> records) {
    const std::uint64_t height = headers.size();
    const auto time =
        static_cast<std::uint32_t>(fuzz::kT0 + static_cast<std::int64_t>(height - 1) * 60);
    auto block =
        mine_block(std::move(records), block_hash(headers.back()), time, st.genesis().bits, 1);
    FUZZ_CHECK(block.ok());
    FUZZ_CHECK(
        check_header(block.value(), block_hash(headers.back()), st.genesis().bits, times, time)
            .ok());
    auto delta = apply_records(st, block->records, block->header.time, height);
    if (verbose()) {
        std::fprintf(stderr, "block %llu: %zu records %s\n",
                     static_cast<unsigned long long>(height), block->records.size(),
                     delta ? "accepted" : delta.error().message().c_str());
    }
    if (!delta) return false;
    st.merge(delta.value(), height);
    check_orders(st);
    if (!block->records.empty())
        FUZZ_CHECK(!apply_records(st, block->records, block->header.time, height + 1).ok());
    headers.push_back(block->header);
    times.push_back(block->header.time);
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const fuzz::FuzzChain chain;
    FUZZ_CHECK(chain.ok);
    std::istringstream in(std::string(fuzz::as_text(data, size)), std::ios::binary);
    auto lines = read_records(in);
    if (!lines) return 0;
    MemoryState st = chain.empty_state();
    std::vector<BlockHeader> headers{chain.genesis_block.header};
    std::vector<std::uint32_t> times{chain.genesis_block.header.time};
    for (std::size_t i = 0; i < lines->size(); i += kRecordsPerBlock) {
        std::vector<Record> records;
        for (std::size_t j = i; j < lines->size() && j < i + kRecordsPerBlock; ++j)
            records.push_back(lines.value()[j].record);
        (void)apply_block(st, headers, times, std::move(records));
    }
    return 0;
}
