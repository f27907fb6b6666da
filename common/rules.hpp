// rules.hpp - the chain's rules: what a block may hold and what it changes.
//
// Pure functions over the state so far (state.hpp: a StateReader), so the
// same rules serve setm-mine (state in LMDB, store.hpp) and setm-verify
// (state rebuilt in memory from genesis, trusting no index).
//
// A block applies its records in order; each record is validated against
// the state as left by the records before it (so a credential and the first
// offer of its holder may share a block, and a trade may follow its orders).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "block_records.hpp"
#include "error.hpp"
#include "pow.hpp"
#include "records.hpp"
#include "signatures.hpp"
#include "state.hpp"

namespace setm {

inline constexpr std::int64_t kMaxFutureSeconds = 2 * 60 * 60;
inline constexpr std::size_t kMedianTimeSpan = 11;

// ---- rules ----------------------------------------------------------------------
// Algorithm 1 (user.Security): identify the signer of r in the registry and
// authenticate it at time t: known, credential valid at t and not revoked,
// holding the role r needs, signature valid. Exit::rejected "wrong user:
// ..." otherwise. For credential and revocation records the signer must be
// the chain's authority in office at this point of the chain (st.authority()),
// for an authority record that or the recovery key; a former authority's
// record is refused ("signed by a former authority").
// With `deferred`, the signature is queued there (at `index`) instead of
// checked now.
Status authenticate(const StateReader& st, const Record& r, std::int64_t t,
                    SignatureSink* deferred = nullptr, std::size_t index = 0);

// Validates r against st at block time t (authentication, chain id, record
// rules, duplicates, limits) and applies it to st. Errors name the rule.
Status apply_record(StateDelta& st, const Record& r, std::int64_t t, std::uint64_t height,
                    SignatureSink* deferred = nullptr, std::size_t index = 0);
// The same for a record whose id (record_id(r)) is known already.
Status apply_record(StateDelta& st, const Record& r, const Hash32& id, std::int64_t t,
                    std::uint64_t height, SignatureSink* deferred = nullptr, std::size_t index = 0);

// Validates all records of a block (not its header) and returns the changes.
// The records' ids are computed on `threads` threads first, and signatures
// are checked on `threads` threads after the rules; with `checked`, those
// found there are not checked again (signatures.hpp). The error's detail
// names the record by type and id; *bad_index (if given) is set to its
// position.
Result<StateDelta> apply_records(const StateReader& base, const std::vector<Record>& records,
                                 std::int64_t t, std::uint64_t height, unsigned threads = 1,
                                 std::size_t* bad_index = nullptr,
                                 CheckedSignatures* checked = nullptr);

// The same with the records' ids given (record_ids) and each signature
// handed to `pool`, whose workers verify it while the rules of the records
// after it run on this thread (setm-verify): the same result and the same
// first failure as apply_records; the pool is empty again on return.
Result<StateDelta> apply_records(const StateReader& base, const std::vector<Record>& records,
                                 const std::vector<Hash32>& ids, std::int64_t t,
                                 std::uint64_t height, SignaturePool& pool);

// Every record's id (record_id), computed on `threads` threads.
std::vector<Hash32> record_ids(const std::vector<Record>& records, unsigned threads);

// The rules of apply_records without its signature checks: every signature
// goes to `sigs` (at its record's index) instead, and the changes may be
// trusted only once the caller has found them all valid. An error names
// the rule that failed; it may not be the block's first failure, since a
// signature before it may not verify (apply_records orders the two).
Result<StateDelta> apply_rules(const StateReader& base, const std::vector<Record>& records,
                               std::int64_t t, std::uint64_t height, SignatureSink& sigs);
// The same with the records' ids given (record_ids): setm-verify
// --assume-valid replays the blocks it assumes this way, its sink
// dropping every signature.
Result<StateDelta> apply_rules(const StateReader& base, const std::vector<Record>& records,
                               const std::vector<Hash32>& ids, std::int64_t t, std::uint64_t height,
                               SignatureSink& sigs);

// Header rules: version, link to prev, merkle root, proof of work at the
// chain's target, time > median of the previous 11 (prev_times, oldest
// first) and <= now + 2 h. Exit::verify_failed. With `ids` (the records'
// ids, record_ids), the merkle root is computed from them.
Status check_header(const Block& b, const Hash32& prev_hash, std::uint32_t bits,
                    const std::vector<std::uint32_t>& prev_times, std::int64_t now,
                    const std::vector<Hash32>* ids = nullptr);

std::uint32_t median_time(const std::vector<std::uint32_t>& last_times);

// Checks a genesis block on its own and returns its chain id (its hash).
// Block 0 holds the genesis record, then optionally the authority record
// that sets the chain's recovery key (records.hpp, Authority).
Result<Hash32> check_genesis_block(const Block& b);

// What block 0 puts in the state (st over the genesis's empty state): its
// records' ids and, with a recovery key, the authority state.
Status apply_genesis_records(StateDelta& st, const Block& genesis);

} // namespace setm
