// One order must not overflow a slot's total and fail the whole batch.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>

#include "limits.hpp"
#include "slot_totals.hpp"

using namespace setm;

namespace {

MarketOrder order(std::uint8_t id, bool offer, std::int64_t slot, std::int64_t wh) {
    MarketOrder o;
    o.id[0] = id;
    o.is_offer = offer;
    o.slot = slot;
    o.energy_wh = wh;
    return o;
}

} // namespace

TEST_CASE("slot totals: orders within the bounds never overflow") {
    std::vector<MarketOrder> orders;
    for (std::uint8_t i = 0; i < 200; ++i)
        orders.push_back(order(i, i % 2 == 0, 0, kMaxRecordEnergyWh));
    CHECK(orders_beyond_slot_totals(orders).empty());
}

TEST_CASE("slot totals: the order that would overflow is named, the others kept") {
    const std::int64_t big = 9'000'000'000'000'000'000; // 9e18 Wh, as in the issue
    std::vector<MarketOrder> orders{order(5, true, 0, big), order(1, false, 0, 1000),
                                    order(9, true, 0, big), order(3, true, 60, big),
                                    order(2, true, 0, 500)};
    // Per slot and side in id order: offers of slot 0 are ids 2, 5, 9; the
    // one with id 9 no longer fits. Slot 60 and the request are alone.
    CHECK(orders_beyond_slot_totals(orders) == std::vector<std::size_t>{2});
    // Independent of the order of the input.
    std::reverse(orders.begin(), orders.end());
    CHECK(orders_beyond_slot_totals(orders) == std::vector<std::size_t>{2});
    // Requests overflow on their own side only; later orders that fit still count.
    std::vector<MarketOrder> reqs{order(1, false, 0, big), order(2, false, 0, big),
                                  order(3, false, 0, 1), order(4, true, 0, big)};
    CHECK(orders_beyond_slot_totals(reqs) == std::vector<std::size_t>{1});
}
