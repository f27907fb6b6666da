// verify.hpp - replaying a chain from genesis, trusting no stored index.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "rules.hpp"
#include "store.hpp"

namespace setm {

// --assume-valid: the block the caller names, found on the chain, and the
// signatures that were therefore not checked.
struct AssumedValid {
    std::uint64_t height = 0;     // the block's height: signatures of 1..height assumed
    Hash32 block{};               // its id, as the caller gave it
    std::uint64_t signatures = 0; // record signatures not checked
};

struct VerifyReport {
    Hash32 chain{};
    Hash32 tip{};
    std::uint64_t height = 0;
    std::uint64_t records = 0;
    std::map<std::string, std::uint64_t> by_type; // record type -> count
    std::uint64_t signatures = 0;                 // record signatures checked
    std::optional<AssumedValid> assumed;          // none: every signature was checked
};

// How to verify. assume_valid (setm-verify --assume-valid): when the chain
// holds a block with this id, the record signatures of the blocks from 1 up
// to that block's height are not checked; every other rule still is
// (header hashes, links, proof of work, merkle roots, times, each record's
// rules, clearings, indexes), as are block 0's signatures and the identity
// proofs inside records. The block's height is looked up in the store's
// block index, and the replay confirms it: the block it replays at that
// height must have that id, or the chain fails ("bad index"). The merkle
// root covers each record's signed bytes, not its signature: what the id
// pins is every record's content, not the signature bytes stored beside it.
// A chain that does not hold the block gets every signature checked.
// `assumed`, if set, is told once before the replay what will be assumed
// (nullopt: nothing).
struct VerifyOptions {
    std::int64_t now = 0;
    unsigned threads = 1;
    std::optional<Hash32> assume_valid;
    std::function<void(const std::optional<AssumedValid>&)> assumed;
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
Result<VerifiedChain> verify_chain(const TxnState& snap, const VerifyOptions& options,
                                   const BlockObserver& observer = {});
// Every signature checked, at `now` on `threads` threads.
Result<VerifiedChain> verify_chain(const TxnState& snap, std::int64_t now, unsigned threads,
                                   const BlockObserver& observer = {});

} // namespace setm
