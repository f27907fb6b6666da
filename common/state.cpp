#include "state.hpp"

namespace setm {

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

void MemoryState::merge(const StateDelta& d, std::uint64_t height) {
    for (const auto& [k, v] : d.credentials) credentials[k] = v;
    for (const auto& [k, v] : d.participants) participants[k] = v;
    for (const auto& [k, v] : d.meters) meters[k] = v;
    for (const auto& [k, v] : d.orders) orders[k] = v;
    for (const auto& [k, v] : d.records) {
        (void)v;
        records[k] = height;
    }
}

} // namespace setm
