// chain.hpp - the chain's rules: what a block may hold and what it changes.
//
// Pure logic over an abstract view of the chain so far (StateReader), so the
// same rules serve setm-mine (state in LMDB, store.hpp) and setm-verify
// (state rebuilt in memory from genesis, trusting no index).
//
// A block applies its records in order; each record is validated against
// the state as left by the records before it (so a credential and the first
// offer of its holder may share a block, and a trade may follow its orders).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <cereal/types/variant.hpp>

#include "block.hpp"
#include "error.hpp"
#include "pow.hpp"
#include "records.hpp"

namespace setm {

inline constexpr std::int32_t kBlockVersion = 1;
inline constexpr std::int64_t kMaxFutureSeconds = 2 * 60 * 60;
inline constexpr std::size_t kMedianTimeSpan = 11;

struct Block {
    BlockHeader header;
    std::vector<Record> records;
};

// As stored in LMDB: the 80 header bytes and the records.
struct StoredBlock {
    std::array<std::uint8_t, kHeaderSize> header{};
    std::vector<Record> records;
    template <class A>
    void serialize(A& ar) {
        ar(header, records);
    }
};

Hash32 merkle_root_of(const std::vector<Record>& records);

// One JSON line: header fields, header hex, hash, height and the records.
std::string block_to_json(const Block& b, std::uint64_t height);

// ---- state ----------------------------------------------------------------------
struct RegistryEntry {
    Signed<Credential> credential;
    bool revoked = false;
    std::int64_t revoked_at = 0;         // the revocation's own time
    std::int64_t revoked_block_time = 0; // time of the block that carried it
    std::uint64_t height = 0;            // block that admitted it
    template <class A>
    void serialize(A& ar) {
        ar(credential, revoked, revoked_at, revoked_block_time, height);
    }
    // Revoked for a record at time t: from the revocation's own time on (it
    // may be scheduled ahead), and never later than the time of the block
    // that carries it: block times may step back (only the median of 11
    // must rise), and a backdated block must not let a revoked key sign.
    bool revoked_for(std::int64_t t) const {
        return revoked && revoked_at <= std::max(t, revoked_block_time);
    }
};

struct OrderEntry {
    Record order;               // Signed<Offer> or Signed<Request>
    std::int64_t filled_wh = 0; // sum of the energy of its trades so far
    std::uint64_t height = 0;
    template <class A>
    void serialize(A& ar) {
        ar(order, filled_wh, height);
    }
};

// What validation reads about the chain so far.
class StateReader {
public:
    virtual ~StateReader() = default;
    virtual const Genesis& genesis() const = 0;
    virtual const Hash32& chain_id() const = 0;
    virtual Result<std::optional<RegistryEntry>> credential(std::uint64_t serial) const = 0;
    // serial of the participant's latest credential
    virtual Result<std::optional<std::uint64_t>> serial_of(const ParticipantId& p) const = 0;
    virtual Result<std::optional<std::uint64_t>> serial_of_meter(
        const std::string& meter) const = 0;
    virtual Result<std::optional<OrderEntry>> order(const Hash32& id) const = 0;
    virtual Result<bool> has_record(const Hash32& id) const = 0;
};

// Changes made by records on top of a base state, readable as a state.
class StateDelta : public StateReader {
public:
    explicit StateDelta(const StateReader& base) : base_(base) {}
    const Genesis& genesis() const override { return base_.genesis(); }
    const Hash32& chain_id() const override { return base_.chain_id(); }
    Result<std::optional<RegistryEntry>> credential(std::uint64_t serial) const override;
    Result<std::optional<std::uint64_t>> serial_of(const ParticipantId& p) const override;
    Result<std::optional<std::uint64_t>> serial_of_meter(const std::string& m) const override;
    Result<std::optional<OrderEntry>> order(const Hash32& id) const override;
    Result<bool> has_record(const Hash32& id) const override;

    // The changes, for the store to write.
    std::map<std::uint64_t, RegistryEntry> credentials;
    std::map<ParticipantId, std::uint64_t> participants;
    std::map<std::string, std::uint64_t> meters;
    std::map<Hash32, OrderEntry> orders;
    std::map<Hash32, std::uint32_t> records; // id -> position in its block

private:
    const StateReader& base_;
};

// A whole chain held in memory (setm-verify's replay).
class MemoryState : public StateReader {
public:
    MemoryState(Genesis g, Hash32 chain_id) : genesis_(std::move(g)), chain_id_(chain_id) {}
    const Genesis& genesis() const override { return genesis_; }
    const Hash32& chain_id() const override { return chain_id_; }
    Result<std::optional<RegistryEntry>> credential(std::uint64_t serial) const override;
    Result<std::optional<std::uint64_t>> serial_of(const ParticipantId& p) const override;
    Result<std::optional<std::uint64_t>> serial_of_meter(const std::string& m) const override;
    Result<std::optional<OrderEntry>> order(const Hash32& id) const override;
    Result<bool> has_record(const Hash32& id) const override;
    void merge(const StateDelta& d, std::uint64_t height);

    std::map<std::uint64_t, RegistryEntry> credentials;
    std::map<ParticipantId, std::uint64_t> participants;
    std::map<std::string, std::uint64_t> meters;
    std::map<Hash32, OrderEntry> orders;
    std::map<Hash32, std::uint64_t> records; // id -> height

private:
    Genesis genesis_;
    Hash32 chain_id_;
};

// ---- signatures -------------------------------------------------------------------
// Signature checks can be deferred and run on every core: validation then
// records (record, key) pairs here instead of verifying each on the spot.
struct SignatureTask {
    std::size_t index = 0; // position of the record in its batch
    const Record* record = nullptr;
    PublicKey key{};
};
class DeferredSignatures {
public:
    void add(std::size_t index, const Record& r, const PublicKey& key) {
        tasks_.push_back({index, &r, key});
    }
    // Verifies every task on `threads` threads; returns the lowest batch
    // index whose signature fails, or nullopt when all verify.
    std::optional<std::size_t> verify(unsigned threads) const;
    std::size_t size() const { return tasks_.size(); }
    void clear() { tasks_.clear(); }

private:
    std::vector<SignatureTask> tasks_;
};

bool record_signature_valid(const Record& r, const PublicKey& key);

// ---- rules ----------------------------------------------------------------------
// Algorithm 1 (user.Security): identify the signer of r in the registry and
// authenticate it at time t: known, credential valid at t and not revoked,
// holding the role r needs, signature valid. Exit::rejected "wrong user:
// ..." otherwise. For credential and revocation records the signer must be
// the chain's authority.
// With `deferred`, the signature is queued there (at `index`) instead of
// checked now.
Status authenticate(const StateReader& st, const Record& r, std::int64_t t,
                    DeferredSignatures* deferred = nullptr, std::size_t index = 0);

// Validates r against st at block time t (authentication, chain id, record
// rules, duplicates, limits) and applies it to st. Errors name the rule.
Status apply_record(StateDelta& st, const Record& r, std::int64_t t, std::uint64_t height,
                    DeferredSignatures* deferred = nullptr, std::size_t index = 0);

// Validates all records of a block (not its header) and returns the changes.
// Signatures are checked on `threads` threads after the rules. The error's
// detail names the record by type and id; *bad_index (if given) is set to
// its position.
Result<StateDelta> apply_records(const StateReader& base, const std::vector<Record>& records,
                                 std::int64_t t, std::uint64_t height, unsigned threads = 1,
                                 std::size_t* bad_index = nullptr);

// Header rules: version, link to prev, merkle root, proof of work at the
// chain's target, time > median of the previous 11 (prev_times, oldest
// first) and <= now + 2 h. Exit::verify_failed.
Status check_header(const Block& b, const Hash32& prev_hash, std::uint32_t bits,
                    const std::vector<std::uint32_t>& prev_times, std::int64_t now);

std::uint32_t median_time(const std::vector<std::uint32_t>& last_times);

// The genesis block: its one record is the authority-signed Genesis.
Result<Block> make_genesis_block(const Signed<Genesis>& g, std::int64_t now, unsigned threads);
// Checks a genesis block on its own and returns its chain id (its hash).
Result<Hash32> check_genesis_block(const Block& b);

} // namespace setm
