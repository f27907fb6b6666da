#include "limits.hpp"

#include <string>

#include "units.hpp"

namespace setm {

namespace {

Error beyond(const std::string& what) { return make_error(Exit::bad_input, "beyond limits", what); }

Status energy_ok(const char* field, std::int64_t wh) {
    if (wh > kMaxRecordEnergyWh)
        return beyond(std::string(field) + " " + format_energy(wh) + " is above the bound of " +
                      format_energy(kMaxRecordEnergyWh));
    return ok_status();
}

Status prices_ok(std::initializer_list<std::pair<const char*, std::int64_t>> prices) {
    for (const auto& [field, p] : prices)
        if (!price_within_limits(p))
            return beyond(std::string(field) + " " + format_price(p) +
                          " EUR/MWh is beyond the bound of +-" + format_price(kMaxRecordPrice) +
                          " EUR/MWh");
    return ok_status();
}

Status check(const Signed<Offer>& s) {
    SETM_CHECK(energy_ok("energy_wh", s.body.energy_wh));
    return prices_ok(
        {{"floor_price", s.body.floor_price}, {"opening_price", s.body.opening_price}});
}

Status check(const Signed<Request>& s) {
    SETM_CHECK(energy_ok("energy_wh", s.body.energy_wh));
    SETM_CHECK(prices_ok(
        {{"ceiling_price", s.body.ceiling_price}, {"opening_price", s.body.opening_price}}));
    if (s.body.from.size() > kMaxFromEntries)
        return beyond("from lists " + std::to_string(s.body.from.size()) +
                      " entries, the bound is " + std::to_string(kMaxFromEntries));
    return ok_status();
}

Status check(const Signed<Trade>& s) {
    SETM_CHECK(energy_ok("energy_wh", s.body.energy_wh));
    return prices_ok({{"price", s.body.price}, {"fee_price", s.body.fee_price}});
}

Status check(const Signed<Credential>& s) {
    return energy_ok("max_energy_wh", s.body.max_energy_wh);
}

Status check(const Signed<Reading>& s) {
    SETM_CHECK(energy_ok("delivered_wh", s.body.delivered_wh));
    return energy_ok("consumed_wh", s.body.consumed_wh);
}

Status check(const Signed<Tariff>& s) {
    return prices_ok({{"imbalance_price", s.body.imbalance_price}});
}

template <class Other>
Status check(const Other&) {
    return ok_status();
}

} // namespace

bool price_within_limits(std::int64_t price) {
    return price >= -kMaxRecordPrice && price <= kMaxRecordPrice;
}

Status check_record_limits(const Record& r) {
    return std::visit([](const auto& s) { return check(s); }, r);
}

} // namespace setm
