#include "slot_totals.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace setm {

std::vector<std::size_t> orders_beyond_slot_totals(const std::vector<MarketOrder>& orders) {
    std::vector<std::size_t> by_id(orders.size());
    for (std::size_t i = 0; i < orders.size(); ++i) by_id[i] = i;
    std::sort(by_id.begin(), by_id.end(), [&](std::size_t a, std::size_t b) {
        return std::tie(orders[a].id, a) < std::tie(orders[b].id, b);
    });
    std::map<std::pair<std::int64_t, bool>, std::int64_t> totals; // (slot, is_offer) -> Wh
    std::vector<std::size_t> out;
    for (std::size_t i : by_id) {
        const MarketOrder& o = orders[i];
        std::int64_t& total = totals[{o.slot, o.is_offer}];
        std::int64_t sum = 0;
        if (__builtin_add_overflow(total, o.energy_wh, &sum))
            out.push_back(i);
        else
            total = sum;
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace setm
