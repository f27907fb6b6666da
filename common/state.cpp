#include "state.hpp"

#include <algorithm>

#include "units.hpp"

namespace setm {

Record as_record(const OrderRecord& o) {
    return std::visit([](const auto& s) { return Record(s); }, o);
}

OrderRecord as_order_record(const Record& r) {
    if (const auto* o = std::get_if<Signed<Offer>>(&r)) return *o;
    return std::get<Signed<Request>>(r);
}

namespace {

template <class M, class K>
auto find_opt(const M& m, const K& k) -> std::optional<typename M::mapped_type> {
    auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
}

} // namespace

const Genesis& StateTables::genesis() const { return base_ ? base_->genesis() : genesis_; }
const Hash32& StateTables::chain_id() const { return base_ ? base_->chain_id() : chain_id_; }

Result<std::optional<RegistryEntry>> StateTables::credential(std::uint64_t s) const {
    if (auto v = find_opt(credentials, s); v || !base_) return v;
    return base_->credential(s);
}
Result<std::optional<std::uint64_t>> StateTables::serial_of(const ParticipantId& p) const {
    if (auto v = find_opt(participants, p); v || !base_) return v;
    return base_->serial_of(p);
}
Result<std::vector<std::uint64_t>> StateTables::serials_of_holder(const ParticipantId& p) const {
    std::vector<std::uint64_t> out;
    if (base_) {
        SETM_TRY(out, base_->serials_of_holder(p));
    }
    for (auto it = holders.lower_bound({p, 0}); it != holders.end() && it->first == p; ++it)
        out.push_back(it->second);
    std::sort(out.begin(), out.end()); // a delta's serials may be below its base's
    return out;
}
Result<std::optional<std::uint64_t>> StateTables::serial_of_meter(const std::string& m) const {
    if (auto v = find_opt(meters, m); v || !base_) return v;
    return base_->serial_of_meter(m);
}
Result<std::optional<OrderEntry>> StateTables::order(const Hash32& id) const {
    if (auto v = find_opt(orders, id); v || !base_) return v;
    return base_->order(id);
}
Result<bool> StateTables::has_record(const Hash32& id) const {
    if (records.count(id) || !base_) return records.count(id) != 0;
    return base_->has_record(id);
}

Status StateTables::each_slot_order(std::int64_t first, std::int64_t last,
                                    const SlotOrderFn& fn) const {
    if (base_) SETM_CHECK(base_->each_slot_order(first, last, fn));
    for (auto it = slot_orders.lower_bound(SlotOrderKey{first, Side::offer, {}, {}});
         it != slot_orders.end() && it->first.slot <= last; ++it)
        SETM_CHECK(fn(SlotOrder{it->first, it->second}));
    return ok_status();
}

Result<std::int64_t> StateTables::slot_energy(std::int64_t slot, Side side,
                                              const ParticipantId& owner) const {
    std::int64_t sum = 0;
    if (base_) {
        SETM_TRY(sum, base_->slot_energy(slot, side, owner));
    }
    for (auto it = slot_orders.lower_bound(SlotOrderKey{slot, side, owner, {}});
         it != slot_orders.end() && it->first.slot == slot && it->first.side == side &&
         it->first.owner == owner;
         ++it) {
        SETM_TRY(sum, checked_add(sum, it->second));
    }
    return sum;
}

Result<std::optional<std::uint64_t>> StateTables::cleared(std::int64_t slot) const {
    if (auto v = find_opt(cleared_slots, slot); v || !base_) return v;
    return base_->cleared(slot);
}

Result<std::optional<CancelEntry>> StateTables::cancellation(const Hash32& order) const {
    if (auto v = find_opt(cancelled, order); v || !base_) return v;
    return base_->cancellation(order);
}

AuthorityState genesis_authority(const Genesis& g) {
    AuthorityState a;
    a.terms.push_back(
        AuthorityTerm{g.authority_name, g.authority_ed25519, g.authority_x25519, 0, {}});
    return a;
}

Result<AuthorityState> StateTables::authority() const {
    if (authority_state) return *authority_state;
    if (base_) return base_->authority();
    return genesis_authority(genesis_);
}

Result<std::optional<Hash32>> StateTables::reading(const std::string& meter,
                                                   std::int64_t slot) const {
    if (auto v = find_opt(readings, std::make_pair(meter, slot)); v || !base_) return v;
    return base_->reading(meter, slot);
}

Result<std::optional<KeyLink>> StateTables::key_link(const ParticipantId& key) const {
    if (auto v = find_opt(key_links, key); v || !base_) return v;
    return base_->key_link(key);
}

Result<ParticipantId> holder_of(const StateReader& st, const ParticipantId& key) {
    SETM_TRY(auto link, st.key_link(key));
    return link ? link->holder : key;
}

Result<std::string> participant_name(const StateReader& st, const ParticipantId& p) {
    SETM_TRY(auto serial, st.serial_of(p));
    if (!serial) return std::string();
    SETM_TRY(auto e, st.credential(*serial));
    return e ? e->credential.body.name : std::string();
}

Result<std::vector<ParticipantId>> keys_of(const StateReader& st, const ParticipantId& holder) {
    std::vector<ParticipantId> keys{holder};
    for (;;) {
        SETM_TRY(auto link, st.key_link(keys.back()));
        if (!link || link->next == ParticipantId{}) return keys;
        keys.push_back(link->next);
    }
}

namespace {

Error not_active(const std::string& why) { return make_error(Exit::rejected, "wrong user", why); }

} // namespace

std::optional<std::size_t> deciding_credential(const std::vector<RegistryEntry>& entries,
                                               std::int64_t t) {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const Credential& c = entries[i].credential.body;
        if (entries[i].revoked_for(t) || t < c.valid_from || t >= c.valid_until) continue;
        if (best) {
            const Credential& b = entries[*best].credential.body;
            if (std::tie(c.valid_from, c.serial) < std::tie(b.valid_from, b.serial)) continue;
        }
        best = i;
    }
    return best;
}

namespace {

// Why no credential of p decides at t: a revoked one that would have held
// t; else the first one to start after t (not valid until its start), else
// the one that ended last (expired), each revoked or not.
Error why_not_active(const std::string& who, const std::vector<RegistryEntry>& entries,
                     std::int64_t t) {
    const RegistryEntry* held = nullptr;
    const RegistryEntry* next = nullptr;
    const RegistryEntry* last = &entries.front();
    for (const auto& r : entries) {
        const Credential& c = r.credential.body;
        if (r.revoked_for(t) && t >= c.valid_from && t < c.valid_until) held = &r;
        if (t < c.valid_from && (!next || c.valid_from < next->credential.body.valid_from))
            next = &r;
        if (c.valid_until > last->credential.body.valid_until) last = &r;
    }
    const RegistryEntry* e = held ? held : next ? next : last;
    const Credential& c = e->credential.body;
    if (e->revoked_for(t))
        return not_active(who + " (" + c.name + ") was revoked at " + format_utc(e->revoked_at));
    if (t < c.valid_from)
        return not_active(who + " (" + c.name + ") is not valid until " + format_utc(c.valid_from));
    return not_active(who + " (" + c.name + ") expired at " + format_utc(c.valid_until));
}

} // namespace

Result<Credential> active_credential(const StateReader& st, const ParticipantId& p,
                                     std::int64_t t) {
    const std::string who = participant_hex(p);
    SETM_TRY(const auto serials, st.serials_of_holder(p));
    if (serials.empty()) return not_active(who + " is not registered");
    std::vector<RegistryEntry> entries;
    entries.reserve(serials.size());
    for (std::uint64_t s : serials) {
        SETM_TRY(auto entry, st.credential(s));
        if (!entry)
            return make_error(Exit::io, "store unreadable", "registry names a missing credential");
        entries.push_back(std::move(*entry));
    }
    if (auto i = deciding_credential(entries, t)) return entries[*i].credential.body;
    return why_not_active(who, entries, t);
}

void MemoryState::merge(const StateDelta& d, std::uint64_t height) {
    for (const auto& [k, v] : d.credentials) credentials[k] = v;
    for (const auto& [k, v] : d.participants) participants[k] = v;
    holders.insert(d.holders.begin(), d.holders.end());
    for (const auto& [k, v] : d.meters) meters[k] = v;
    for (const auto& [k, v] : d.orders) orders[k] = v;
    for (const auto& [k, v] : d.slot_orders) slot_orders[k] = v;
    for (const auto& [k, v] : d.cleared_slots) cleared_slots[k] = v;
    for (const auto& [k, v] : d.cancelled) cancelled[k] = v;
    if (d.authority_state) authority_state = d.authority_state;
    for (const auto& [k, v] : d.readings) readings[k] = v;
    for (const auto& [k, v] : d.key_links) key_links[k] = v;
    for (const auto& [k, v] : d.records) {
        (void)v;
        records[k] = height;
    }
}

namespace {

// Moves every entry of `from` into `to`, an entry of `from` replacing one
// of `to` with the same key (what to[k] = v does), without copying a node.
template <class Map>
void move_entries(Map& to, Map& from) {
    if (to.empty()) {
        to.swap(from);
        return;
    }
    while (!from.empty()) {
        auto r = to.insert(from.extract(from.begin()));
        if (!r.inserted) r.position->second = std::move(r.node.mapped());
    }
}

} // namespace

void MemoryState::merge(StateDelta&& d, std::uint64_t height) {
    for (auto& [k, v] : d.records) v = height;
    move_entries(credentials, d.credentials);
    move_entries(participants, d.participants);
    holders.merge(d.holders);
    move_entries(meters, d.meters);
    move_entries(orders, d.orders);
    move_entries(slot_orders, d.slot_orders);
    move_entries(cleared_slots, d.cleared_slots);
    move_entries(cancelled, d.cancelled);
    if (d.authority_state) authority_state = std::move(d.authority_state);
    move_entries(readings, d.readings);
    move_entries(key_links, d.key_links);
    move_entries(records, d.records);
}

} // namespace setm
