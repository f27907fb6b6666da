// store.hpp - the chain store: one LMDB environment in a directory.
//
// Named databases (readable with mdb_stat -a and mdb_dump -s NAME):
//   meta          "format" -> "setm-store", "version" -> "1",
//                 "chain" -> chain id (32 bytes), "height" -> tip (8 bytes BE),
//                 "tip" -> tip block hash,
//                 "serials_reserved" -> highest serial handed out by
//                 reserve_serials (8 bytes BE; absent until the first),
//                 "authority" -> SHA-256 || cereal AuthorityState, once a
//                 recovery key or an authority record changed it (absent:
//                 the genesis's authority, no recovery key; no table and no
//                 version: a store of before reads as it always did)
//   blocks        height (8 bytes BE) -> SHA-256(value) || cereal StoredBlock
//   headers       height -> the 80-byte header (for tip and median time)
//   block_index   block hash -> height
//   records       record id -> height
//   credentials   serial (8 bytes BE) -> SHA-256 || cereal RegistryEntry
//   participants  participant id -> serial (its latest credential)
//   holders       participant id (16) || serial (8 bytes BE) -> nothing:
//                 every credential of a participant, one range (version 3;
//                 a version 2 store gains it, derived from credentials,
//                 when a tool first opens it for writing)
//   meters        meter id -> serial
//   orders        order id -> SHA-256 || cereal OrderEntry
//   slot_orders   slot (8 bytes BE, sign bit flipped) || side (1: 0 offer,
//                 1 request) || owner (16) || order id (32) -> energy (8 BE)
//   cleared       slot (8 bytes BE, sign bit flipped) -> height (8 BE)
//   cancelled     order id -> SHA-256 || cereal CancelEntry (version 4; a
//                 version 2 or 3 store gains it, empty, like holders)
//   readings      slot (8 bytes BE, sign bit flipped) || meter id ->
//                 the reading's id (32): one reading per meter and slot
//                 (version 5; an older store gains it, empty, like cancelled)
//   keys          participant id (of a key) -> SHA-256 || cereal KeyLink:
//                 the keys hand-overs named (version 5; an older store
//                 gains it, empty: no setm that wrote one knew hand-overs)
// Stored values carry their own SHA-256 so that a changed byte is reported
// as such before cereal ever reads a length from it.
//
// append() writes a block and all its index updates in ONE write
// transaction, after re-reading the tip inside it: a crash leaves either the
// old or the new chain, and two writers never fork it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "lmdb.hpp"
#include "rules.hpp"

namespace setm {

inline constexpr const char* kStoreFormat = "setm-store";
inline constexpr const char* kStoreVersion = "5";

struct Tip {
    std::uint64_t height = 0;
    Hash32 hash{};
    std::vector<std::uint32_t> last_times; // up to 11, oldest first
};

class Store;

// The named databases of one environment.
struct StoreDbs {
    lmdb::Dbi meta, blocks, headers, block_index, records, credentials, participants, holders,
        meters, orders, slot_orders, cleared, cancelled, readings, keys;
};

// The chain state as one transaction sees it.
class TxnState : public StateReader {
public:
    TxnState(lmdb::Txn& txn, const StoreDbs& dbs, const Genesis& g, const Hash32& chain)
        : txn_(txn), dbs_(dbs), genesis_(g), chain_id_(chain) {}
    const Genesis& genesis() const override { return genesis_; }
    const Hash32& chain_id() const override { return chain_id_; }
    Result<std::optional<RegistryEntry>> credential(std::uint64_t serial) const override;
    Result<std::optional<std::uint64_t>> serial_of(const ParticipantId& p) const override;
    Result<std::vector<std::uint64_t>> serials_of_holder(const ParticipantId& p) const override;
    Result<std::optional<std::uint64_t>> serial_of_meter(const std::string& m) const override;
    Result<std::optional<OrderEntry>> order(const Hash32& id) const override;
    Result<bool> has_record(const Hash32& id) const override;
    Status each_slot_order(std::int64_t first, std::int64_t last,
                           const SlotOrderFn& fn) const override;
    Result<std::int64_t> slot_energy(std::int64_t slot, Side side,
                                     const ParticipantId& owner) const override;
    Result<std::optional<std::uint64_t>> cleared(std::int64_t slot) const override;
    Result<std::optional<CancelEntry>> cancellation(const Hash32& order) const override;
    Result<AuthorityState> authority() const override;
    Result<std::optional<Hash32>> reading(const std::string& meter,
                                          std::int64_t slot) const override;
    Result<std::optional<KeyLink>> key_link(const ParticipantId& key) const override;

    Result<Tip> tip() const;
    Result<Block> block(std::uint64_t height) const;
    Result<BlockHeader> header(std::uint64_t height) const;
    Result<std::uint64_t> height() const;
    // The height of the block that holds a record; nullopt when no block does.
    Result<std::optional<std::uint64_t>> record_height(const Hash32& id) const;
    // The height of the block with this id (block_index: an index, which
    // setm-verify confirms by replay); nullopt when there is none.
    Result<std::optional<std::uint64_t>> block_height(const Hash32& id) const;
    // Every credential on the chain, by serial.
    Status each_credential(const std::function<Status(const RegistryEntry&)>& fn) const;
    // One above the highest serial on the chain (1 on a new chain).
    Result<std::uint64_t> next_serial() const;
    // The first serial Store::reserve_serials would hand out now: above the
    // chain's and above every one reserved before.
    Result<std::uint64_t> first_unreserved_serial() const;

private:
    friend class Store; // check_indexes reads every database
    // Every entry of a database, in key order.
    Status each(lmdb::Dbi db,
                const std::function<Status(std::string_view k, std::string_view v)>& fn) const;
    lmdb::Txn& txn_;
    const StoreDbs& dbs_;
    const Genesis& genesis_;
    const Hash32& chain_id_;
};

// A consistent snapshot of the store (one LMDB read transaction), usable as
// the chain state for validation.
class Snapshot {
public:
    const TxnState& state() const { return state_; }

private:
    friend class Store;
    Snapshot(lmdb::Txn txn, const StoreDbs& dbs, const Genesis& g, const Hash32& chain)
        : txn_(std::move(txn)),
          dbs_(dbs),
          genesis_(g),
          chain_(chain),
          state_(txn_, dbs_, genesis_, chain_) {}
    Snapshot(const Snapshot&) = delete;
    lmdb::Txn txn_;
    StoreDbs dbs_;
    Genesis genesis_;
    Hash32 chain_;
    TxnState state_; // refers to the members above: keep it last
};

class Store {
public:
    // Creates DIR with its genesis block; refuses an existing store
    // (Exit::io "store exists"). adopt_empty: a data.mdb that holds nothing
    // (an LMDB environment left by a creation that was killed before its
    // first commit) is filled instead of refused; one holding anything is
    // still refused.
    static Result<Store> create(const std::string& dir, const Block& genesis,
                                bool adopt_empty = false);
    // Opens an existing store; checks format and version ("not a setm store",
    // "store version N"; an empty LMDB environment is ErrorKind::no_store,
    // like a missing one). read_only opens the environment read-only.
    static Result<Store> open(const std::string& dir, bool read_only);

    Result<std::unique_ptr<Snapshot>> snapshot();

    // Appends `block` only if the tip is still `expected_tip`; otherwise
    // Exit::busy "tip moved". Validates the records against the state inside
    // the transaction and writes block + every index update in one commit.
    // With `checked`, signatures found there (verified earlier by this
    // process: same record, key and signature) are not verified again.
    Status append_if_tip(const Block& block, const Hash32& expected_tip, std::int64_t now,
                         unsigned threads = 1, CheckedSignatures* checked = nullptr);

    // Appends blocks received from elsewhere (replica.hpp) as heights
    // first, first+1, ... in one write transaction, validating each on the
    // state the ones before it left (header and every record rule, as
    // append_if_tip). A block whose height the store already holds is
    // skipped when it is the same block (another writer got it first) and
    // refused ("diverged") otherwise. The first block that does not validate
    // stops the run: the blocks before it are committed, and its error
    // (Exit::verify_failed, "block H: ...") is returned in `refused`.
    // With threads > 1 and several blocks, each block's header and rules are
    // checked in order on this thread while `threads` others verify the
    // signatures of the blocks before it (SignaturePool); if anything fails,
    // that transaction is dropped and the run done again checking each
    // block's signatures before the next, which commits the good blocks and
    // names the bad one exactly as with one thread.
    struct Run {
        std::size_t appended = 0;     // new blocks committed
        std::optional<Error> refused; // the first block that did not validate
    };
    Result<Run> append_run(const std::vector<Block>& blocks, std::uint64_t first, std::int64_t now,
                           unsigned threads = 1);

    const Hash32& chain_id() const { return chain_id_; }
    const Genesis& genesis() const { return genesis_; }

    // Hands out `count` serials no credential has had or been promised:
    // the first is one above both the highest serial on the chain and the
    // highest reserved before (meta "serials_reserved"), and the
    // reservation is committed before they are returned. Credentials
    // issued one by one and mined later as one block never collide; a
    // reservation that is never mined leaves a gap, never a duplicate.
    Result<std::uint64_t> reserve_serials(std::uint64_t count);

    // setm-verify: the stored indexes agree with a replay of the chain
    // (every entry present, equal, and nothing more). Exit::verify_failed.
    static Status check_indexes(const TxnState& st, const MemoryState& replay,
                                const std::vector<BlockHeader>& headers);
    const std::string& dir() const { return dir_; }

    // Writes a compacted copy of the store's data.mdb to fd, one consistent
    // state read in its own transaction while writers go on (backup.hpp
    // makes it a verified store directory).
    Status copy_compact_to(int fd);

private:
    Store() = default;
    std::string dir_;
    std::unique_ptr<lmdb::Env> env_;
    StoreDbs dbs_;
    Genesis genesis_;
    Hash32 chain_id_{};
};

} // namespace setm
