// state.hpp - the chain's state as validation reads it: the registry of
// credentials, the orders with what is filled of them, and the records seen.
//
// StateReader is the one interface the rules read through. Two kinds of
// state implement it: StateTables, held in memory (the changes of one block
// over a base state, or a whole chain replayed from genesis), and TxnState
// (store.hpp), the LMDB indexes as one transaction sees them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "error.hpp"
#include "records.hpp"

namespace setm {

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

// A key's place in its participant's history (setm(7), HAND-OVERS): a
// hand-over record replaces one key by another under the same participant.
// Only keys a hand-over touched have an entry; any other key is its own
// participant. The participant's stable id is its first key's id.
struct KeyLink {
    ParticipantId holder{};       // the stable id: the participant's first key
    ParticipantId previous{};     // the key this one replaced (zero: the first key)
    ParticipantId next{};         // the key that replaced this one (zero: none)
    std::uint64_t since = 0;      // block of the hand-over to this key (first key: 0)
    std::int64_t since_time = 0;  // when this key took over (the hand-over's time)
    std::uint64_t replaced = 0;   // block of the hand-over away from this key
    std::int64_t replaced_at = 0; // when it was replaced (the hand-over's time)
    template <class A>
    void serialize(A& ar) {
        ar(holder, previous, next, since, since_time, replaced, replaced_at);
    }
    friend bool operator==(const KeyLink& a, const KeyLink& b) {
        return std::tie(a.holder, a.previous, a.next, a.since, a.since_time, a.replaced,
                        a.replaced_at) == std::tie(b.holder, b.previous, b.next, b.since,
                                                   b.since_time, b.replaced, b.replaced_at);
    }
};

// An order as the tables hold it: an offer or a request, in the room of the
// larger of the two (232 bytes) rather than a Record's (448).
using OrderRecord = std::variant<Signed<Offer>, Signed<Request>>;
// The order as a Record (a copy).
Record as_record(const OrderRecord& o);
// An offer or request as an OrderRecord; any other record throws (a caller's bug).
OrderRecord as_order_record(const Record& r);

// Where T sits in Record (the index a stored Record carries).
template <class T, class... Ts>
constexpr std::int32_t index_in(const std::variant<Ts...>*) {
    std::int32_t i = 0;
    ((std::is_same_v<T, Ts> ? true : (++i, false)) || ...);
    return i;
}

struct OrderEntry {
    OrderRecord order;
    std::int64_t filled_wh = 0; // sum of the energy of its trades so far
    std::uint64_t height = 0;
    // Stored as when `order` was a Record: its index there (offer 3,
    // request 4), the order, the fill, the height.
    static constexpr std::int32_t kOfferIndex =
        index_in<Signed<Offer>>(static_cast<Record*>(nullptr));
    static constexpr std::int32_t kRequestIndex =
        index_in<Signed<Request>>(static_cast<Record*>(nullptr));
    template <class A>
    void save(A& ar) const {
        const std::int32_t index = order.index() == 0 ? kOfferIndex : kRequestIndex;
        ar(index);
        std::visit([&](const auto& s) { ar(s); }, order);
        ar(filled_wh, height);
    }
    template <class A>
    void load(A& ar) {
        std::int32_t index = 0;
        ar(index);
        if (index == kOfferIndex) {
            order.emplace<Signed<Offer>>();
            ar(std::get<Signed<Offer>>(order));
        } else if (index == kRequestIndex) {
            order.emplace<Signed<Request>>();
            ar(std::get<Signed<Request>>(order));
        } else {
            throw std::runtime_error("an order entry holds neither an offer nor a request");
        }
        ar(filled_wh, height);
    }
};

// An order withdrawn by its owner (a cancel record): from the block that
// holds the cancel on, the clearing and the open book leave it out.
struct CancelEntry {
    Hash32 cancel{};               // the cancel record's id
    std::int64_t withdrawn_wh = 0; // what was left of the order: its energy less its trades
    std::uint64_t height = 0;      // the block that holds the cancel
    template <class A>
    void serialize(A& ar) {
        ar(cancel, withdrawn_wh, height);
    }
    friend bool operator==(const CancelEntry& a, const CancelEntry& b) {
        return a.cancel == b.cancel && a.withdrawn_wh == b.withdrawn_wh && a.height == b.height;
    }
};

// One term of office of the chain's authority: its keys from the block
// that installed it (0: the genesis) until the next term's.
struct AuthorityTerm {
    std::string name;
    PublicKey ed25519{};
    PublicKey x25519{};
    std::uint64_t from_height = 0;
    Hash32 record{}; // the authority record that installed it; zero: the genesis
    template <class A>
    void serialize(A& ar) {
        ar(name, ed25519, x25519, from_height, record);
    }
    friend bool operator==(const AuthorityTerm& a, const AuthorityTerm& b) {
        return a.name == b.name && a.ed25519 == b.ed25519 && a.x25519 == b.x25519 &&
               a.from_height == b.from_height && a.record == b.record;
    }
};

// Who speaks for the chain at a height: every term so far (the last in
// office, the others former authorities, whose records are refused from
// the next term on) and the recovery key (zero: none).
struct AuthorityState {
    std::vector<AuthorityTerm> terms; // oldest first, never empty
    PublicKey recovery{};
    const AuthorityTerm& current() const { return terms.back(); }
    template <class A>
    void serialize(A& ar) {
        ar(terms, recovery);
    }
    friend bool operator==(const AuthorityState& a, const AuthorityState& b) {
        return a.terms == b.terms && a.recovery == b.recovery;
    }
};

// The authority of a chain before any authority record: the genesis's keys,
// no recovery key.
AuthorityState genesis_authority(const Genesis& g);

// The slot index: one entry per order on the chain, keyed so that a slot's
// book is one range and a participant's total on one side of a slot is a
// narrower one.
enum class Side : std::uint8_t { offer = 0, request = 1 };

struct SlotOrderKey {
    std::int64_t slot = 0;
    Side side = Side::offer;
    ParticipantId owner{};
    Hash32 id{};
    friend bool operator<(const SlotOrderKey& a, const SlotOrderKey& b) {
        return std::tie(a.slot, a.side, a.owner, a.id) < std::tie(b.slot, b.side, b.owner, b.id);
    }
};

struct SlotOrder {
    SlotOrderKey key;
    std::int64_t energy_wh = 0; // the order's whole energy, as signed
};

using SlotOrderFn = std::function<Status(const SlotOrder&)>;

// What validation reads about the chain so far.
class StateReader {
public:
    virtual ~StateReader() = default;
    virtual const Genesis& genesis() const = 0;
    virtual const Hash32& chain_id() const = 0;
    virtual Result<std::optional<RegistryEntry>> credential(std::uint64_t serial) const = 0;
    // serial of the participant's latest credential
    virtual Result<std::optional<std::uint64_t>> serial_of(const ParticipantId& p) const = 0;
    // the serials of all the participant's credentials, ascending (a
    // renewed participant has several: active_credential picks one)
    virtual Result<std::vector<std::uint64_t>> serials_of_holder(const ParticipantId& p) const = 0;
    virtual Result<std::optional<std::uint64_t>> serial_of_meter(
        const std::string& meter) const = 0;
    virtual Result<std::optional<OrderEntry>> order(const Hash32& id) const = 0;
    virtual Result<bool> has_record(const Hash32& id) const = 0;
    // Every order on the chain for a slot in [first, last].
    virtual Status each_slot_order(std::int64_t first, std::int64_t last,
                                   const SlotOrderFn& fn) const = 0;
    // The energy of all of `owner`'s orders on one side of a slot.
    virtual Result<std::int64_t> slot_energy(std::int64_t slot, Side side,
                                             const ParticipantId& owner) const = 0;
    // The height of the block that cleared a slot whose book has a gate
    // (clearing.hpp); nullopt while it is open.
    virtual Result<std::optional<std::uint64_t>> cleared(std::int64_t slot) const = 0;
    // The cancel of an order, if its owner has withdrawn it.
    virtual Result<std::optional<CancelEntry>> cancellation(const Hash32& order) const = 0;
    // The authority in office, its predecessors and the recovery key, as
    // the records so far left them (setm(7), AUTHORITY ROTATION).
    virtual Result<AuthorityState> authority() const = 0;
    // The id of the reading of a meter for a slot, if there is one.
    virtual Result<std::optional<Hash32>> reading(const std::string& meter,
                                                  std::int64_t slot) const = 0;
    // The key's place in a hand-over, if a hand-over named it.
    virtual Result<std::optional<KeyLink>> key_link(const ParticipantId& key) const = 0;
};

// The participant a key signs for: its stable id (the first key's id),
// the key itself unless a hand-over replaced an earlier one.
Result<ParticipantId> holder_of(const StateReader& st, const ParticipantId& key);
// The name on the newest credential of key p, empty when the chain holds
// none (statements, --explain and the metered statement name people so).
Result<std::string> participant_name(const StateReader& st, const ParticipantId& p);
// The keys of the participant whose stable id is `holder`, first to last
// (one unless it was handed over).
Result<std::vector<ParticipantId>> keys_of(const StateReader& st, const ParticipantId& holder);

// The credential that decides for participant p at time t (setm(7),
// RENEWALS): among p's credentials that are not revoked for t and whose
// validity [valid_from, valid_until) holds t, the one with the latest
// valid_from, and of those the highest serial. Exit::rejected "wrong
// user: ..." naming why when none does. Reads p's credentials only: one
// index range and one entry per credential p holds (one more a renewal).
// The rules, the clearing, negotiation, the open book and the statement
// all ask this one function.
Result<Credential> active_credential(const StateReader& st, const ParticipantId& p, std::int64_t t);

// The resolution itself over a participant's entries (any order): the
// index of the deciding one, or nullopt.
std::optional<std::size_t> deciding_credential(const std::vector<RegistryEntry>& entries,
                                               std::int64_t t);

// State held in memory, in the same tables the store keeps. Over a base
// (StateDelta: one block's changes, readable as the state after them), a
// lookup that misses the tables asks the base; without one (MemoryState: a
// whole chain replayed from genesis), the tables are everything.
class StateTables : public StateReader {
public:
    const Genesis& genesis() const override;
    const Hash32& chain_id() const override;
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
    // The state these tables change (nullptr: they are the whole state).
    const StateReader* base() const { return base_; }

    std::map<std::uint64_t, RegistryEntry> credentials;
    std::map<ParticipantId, std::uint64_t> participants;
    std::set<std::pair<ParticipantId, std::uint64_t>> holders; // every (participant, serial)
    std::map<std::string, std::uint64_t> meters;
    std::map<Hash32, OrderEntry> orders;
    std::map<Hash32, std::uint64_t> records;                         // id -> height of its block
    std::map<SlotOrderKey, std::int64_t> slot_orders;                // -> the order's energy
    std::map<std::int64_t, std::uint64_t> cleared_slots;             // slot -> height
    std::map<Hash32, CancelEntry> cancelled;                         // order id -> its cancel
    std::map<std::pair<std::string, std::int64_t>, Hash32> readings; // (meter, slot) -> id
    std::optional<AuthorityState> authority_state;                   // set: changed here
    std::map<ParticipantId, KeyLink> key_links;                      // keys a hand-over named

protected:
    explicit StateTables(const StateReader& base) : base_(&base) {}
    StateTables(Genesis g, Hash32 chain_id) : genesis_(std::move(g)), chain_id_(chain_id) {}

private:
    const StateReader* base_ = nullptr; // or genesis_ and chain_id_ are this state's own
    Genesis genesis_;
    Hash32 chain_id_{};
};

// The changes made by records on top of a base state (for the store to
// write, or for a replay to merge), readable as the state after them.
class StateDelta : public StateTables {
public:
    explicit StateDelta(const StateReader& base) : StateTables(base) {}
};

// A whole chain held in memory (setm-verify's replay).
class MemoryState : public StateTables {
public:
    MemoryState(Genesis g, Hash32 chain_id) : StateTables(std::move(g), chain_id) {}
    // Takes the changes of the block at `height` (d's base must be this state).
    void merge(const StateDelta& d, std::uint64_t height);
    // The same, moving d's entries instead of copying them (d is left empty).
    void merge(StateDelta&& d, std::uint64_t height);
};

} // namespace setm
