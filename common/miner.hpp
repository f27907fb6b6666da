// miner.hpp - building and mining a block on a tip.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include "chain.hpp"
#include "pow.hpp"

namespace setm {

// The time of a new block: `now`, but never at or before the median of the
// last blocks (a clock behind the chain still makes progress).
std::uint32_t next_block_time(const std::vector<std::uint32_t>& last_times, std::int64_t now);

// Mines a block of `records` on the tip `prev` at `time`: searches the nonce
// space on `threads` threads and, when it is exhausted, moves the time on by
// one second and searches again.
Result<Block> mine_block(std::vector<Record> records, const Hash32& prev, std::uint32_t time,
                         std::uint32_t bits, unsigned threads, const MineProgress& progress = {});

} // namespace setm
