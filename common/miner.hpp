// miner.hpp - building, mining and appending blocks: the genesis block, a
// block on a tip, and the mine-and-append protocol setm-mine runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "block_records.hpp"
#include "pow.hpp"
#include "store.hpp"

namespace setm {

// The time of a new block: `now`, but never at or before the median of the
// last blocks (a clock behind the chain still makes progress).
std::uint32_t next_block_time(const std::vector<std::uint32_t>& last_times, std::int64_t now);

// Mines a block of `records` on the tip `prev` at `time`: searches the nonce
// space on `threads` threads and, when it is exhausted, moves the time on by
// one second and searches again.
Result<Block> mine_block(std::vector<Record> records, const Hash32& prev, std::uint32_t time,
                         std::uint32_t bits, unsigned threads, const MineProgress& progress = {});

// The genesis block: its one record is the authority-signed Genesis, mined
// at the genesis's own target.
Result<Block> make_genesis_block(const Signed<Genesis>& g, std::int64_t now, unsigned threads,
                                 const MineProgress& progress = {});

struct AppendOptions {
    unsigned threads = 1;
    bool retry = true;              // mine again on the new tip when another writer appended first
    unsigned max_tries = 100;       // attempts in all, the first included
    MineProgress progress;          // called while searching nonces
    std::function<void()> searched; // after each nonce search, found
    std::function<void(unsigned)> retried; // before attempt N (2, 3, ...) on a moved tip
    // Replication (replica.hpp): when set, a mined block is committed by
    // `commit` instead of store.append_if_tip (published, then appended), and
    // `catch_up` brings the store up to the network before each new attempt.
    std::function<Status(const Block&, std::uint64_t height)> commit;
    std::function<Status()> catch_up;
};

struct Appended {
    Block block;
    std::uint64_t height = 0;
};

// The mine-and-append protocol: validates `records` on a snapshot of the
// store's tip, mines a block on that tip holding no lock, and appends it only
// if the tip has not moved (the store validates again inside its write
// transaction). When another writer appended first (ErrorKind::tip_moved), it
// validates and mines again on the new tip, up to max_tries; without retry
// that error is returned at once. A record that breaks a rule fails the whole
// block: the error names it, and *bad_index (if given) is its position.
Result<Appended> mine_and_append(Store& store, const std::vector<Record>& records, std::int64_t now,
                                 const AppendOptions& o, std::size_t* bad_index = nullptr);

// --split: where to cut `records` into blocks of at most `max` records (0:
// no limit) in their order, the fewest blocks, never separating the trades
// of one slot (the clearing is checked per block, so a block holds all of a
// slot's trades). Returns each block's end (one past its last record); the
// last is records.size(). "block too large" when one slot's trades, with the
// records between them, exceed `max`: *bad_index (if given) is the first.
Result<std::vector<std::size_t>> split_points(const std::vector<Record>& records, std::uint32_t max,
                                              std::size_t* bad_index = nullptr);
// The same over records read in batches (read_record_batches), as one list.
Result<std::vector<std::size_t>> split_points(const std::vector<std::vector<Record>>& batches,
                                              std::uint32_t max, std::size_t* bad_index = nullptr);

// mine_and_append for each block of split_points(records, the chain's
// max_records), in order, each its own write transaction; `appended` is
// called after each commit. Stops at the first block that fails: the blocks
// before it stay on the chain (as if mined one by one), *bad_index (if given)
// is the bad record's position in `records`. `records` is consumed.
Status mine_and_append_split(Store& store, std::vector<Record> records, std::int64_t now,
                             const AppendOptions& o,
                             const std::function<Status(const Appended&)>& appended,
                             std::size_t* bad_index = nullptr);
// The same over records in the batches they were read in, as one list:
// each block's records are moved out of the batches when it is mined and
// each batch freed once emptied, so the input is never held twice.
Status mine_and_append_split(Store& store, std::vector<std::vector<Record>> batches,
                             std::int64_t now, const AppendOptions& o,
                             const std::function<Status(const Appended&)>& appended,
                             std::size_t* bad_index = nullptr);

} // namespace setm
