// backup.hpp - a consistent copy of a live store, verified before it is
// given its name (setm-verify --backup; a restore is the same copy, made
// from a backup).
#pragma once

#include <cstdint>
#include <string>

#include "verify.hpp"

namespace setm {

struct BackupReport {
    std::string path;        // the new store directory (DEST)
    std::uint64_t bytes = 0; // the size of its data.mdb
    VerifyReport verified;   // the verification of the copy
};

// Copies the store in `store_dir` into the new directory `dest`, while
// other processes go on appending to it:
//  1. `dest` must not exist (a backup never replaces anything; Exit::io
//     "backup exists") and its parent must be a directory we may write.
//  2. The store is copied from one read transaction (LMDB's hot copy,
//     compacted) into data.mdb of a new directory `.NAME.partial-XXXXXX`
//     beside `dest`, and the file is fsynced.
//  3. The copy is verified as setm-verify verifies a store (at `now`, on
//     `threads` threads, `observer` called per block): a copy that does not
//     verify is Exit::verify_failed, and so is its source.
//  4. Only then is the directory renamed to `dest` (never over anything
//     that appeared meanwhile) and the parent fsynced.
// On any failure nothing is left at `dest` and the partial directory is
// removed; a process killed half-way leaves only `.NAME.partial-XXXXXX`,
// which is never a store's name and may be deleted.
Result<BackupReport> backup_store(const std::string& store_dir, const std::string& dest,
                                  std::int64_t now, unsigned threads,
                                  const BlockObserver& observer = {});
// The same with the copy verified as `options` say (--assume-valid: the
// copy's signatures up to that block are not checked; everything else is).
Result<BackupReport> backup_store(const std::string& store_dir, const std::string& dest,
                                  const VerifyOptions& options, const BlockObserver& observer = {});

} // namespace setm
