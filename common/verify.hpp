// verify.hpp - replaying a chain from genesis, trusting no stored index.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "rules.hpp"
#include "store.hpp"

namespace setm {

struct VerifyReport {
    Hash32 chain{};
    Hash32 tip{};
    std::uint64_t height = 0;
    std::uint64_t records = 0;
    std::map<std::string, std::uint64_t> by_type; // record type -> count
    std::uint64_t signatures = 0;
};

// Called after each block verifies (progress, narration).
using BlockObserver =
    std::function<void(const Block& b, std::uint64_t height, const MemoryState& state)>;

// Replays every block of the snapshot from genesis: proof of work, links,
// merkle roots, times (after the median of the last 11, at most 2 h after
// `now`), every record's rules and signature (on `threads` threads), then
// checks that the stored indexes agree with the replay. The first failure
// is Exit::verify_failed with the rule's reason and a detail that begins
// "block H:" and names the record. On success the result holds the replayed state.
struct VerifiedChain {
    VerifyReport report;
    std::unique_ptr<MemoryState> state;
};
Result<VerifiedChain> verify_chain(const TxnState& snap, std::int64_t now, unsigned threads,
                                   const BlockObserver& observer = {});

} // namespace setm
