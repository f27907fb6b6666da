// What a clearing achieved (figures.hpp), worked by hand.
#include <catch2/catch.hpp>

#include "figures.hpp"

using namespace setm;

namespace {

constexpr std::int64_t kSlot = 1795600800;

MarketOrder order(std::uint8_t id, bool is_offer, std::int64_t wh, std::int64_t limit) {
    MarketOrder o;
    o.id[0] = id;
    o.is_offer = is_offer;
    o.owner[0] = id;
    o.slot = kSlot;
    o.energy_wh = wh;
    o.limit_price = o.opening_price = limit;
    return o;
}

Match match(std::uint8_t offer, std::uint8_t request, std::int64_t wh, std::int64_t price,
            std::int64_t fee_price = 0) {
    Match m;
    m.offer[0] = offer;
    m.request[0] = request;
    m.slot = kSlot;
    m.energy_wh = wh;
    m.price = price;
    m.fee_price = fee_price;
    return m;
}

} // namespace

TEST_CASE("figures: surplus, welfare, fees and the average price", "[figures]") {
    // Offer 1 floor 40 (3 kWh); requests 2 ceiling 48 and 3 ceiling 46.
    // 2 kWh to request 2 at 42 with a fee of 5; 1 kWh to request 3 at 45.
    const std::vector<MarketOrder> book{order(1, true, 3000, 4000), order(2, false, 2000, 4800),
                                        order(3, false, 1000, 4600)};
    MarketResult r;
    r.slots.push_back(SlotReport{});
    r.slots[0].slot = kSlot;
    r.matches = {match(1, 2, 2000, 4200, 500), match(1, 3, 1000, 4500)};
    auto f = slot_figures(book, r);
    REQUIRE(f.ok());
    REQUIRE(f->size() == 1);
    const ClearingFigures& s = f->front();
    CHECK(s.slot == kSlot);
    CHECK(s.traded_wh == 3000);
    CHECK(s.trades == 2);
    CHECK(*s.price_min == 4200);
    CHECK(*s.price_max == 4500);
    // amount 2000 * 4200 + 1000 * 4500 = 8,400,000 + 4,500,000; / 3000 Wh = 4300.
    CHECK(s.amount == 12'900'000);
    CHECK(*s.price_average == 4300);
    CHECK(s.fees == 2000 * 500);
    // buyers: 2000 * (4800 - 4200 - 500) + 1000 * (4600 - 4500) = 200,000 + 100,000
    CHECK(s.buyer_surplus == 300'000);
    // sellers: 2000 * (4200 - 4000) + 1000 * (4500 - 4000) = 400,000 + 500,000
    CHECK(s.seller_surplus == 900'000);
    CHECK(s.welfare == 1'200'000);

    auto t = total_figures({s, s});
    REQUIRE(t.ok());
    CHECK(t->slot == 0);
    CHECK(t->traded_wh == 6000);
    CHECK(t->trades == 4);
    CHECK(*t->price_average == 4300);
    CHECK(t->welfare == 2'400'000);
}

TEST_CASE("figures: no trade, a negative average, an unknown order", "[figures]") {
    MarketResult r;
    r.slots.push_back(SlotReport{});
    r.slots[0].slot = kSlot;
    auto f = slot_figures({}, r);
    REQUIRE(f.ok());
    CHECK(f->front().trades == 0);
    CHECK(!f->front().price_average);
    CHECK(!f->front().price_min);
    // Prices below zero average with floor: (1 * -3 + 1 * -4) / 2 = -3.5 -> -4.
    const std::vector<MarketOrder> book{order(1, true, 2, -500), order(2, false, 2, 0)};
    r.matches = {match(1, 2, 1, -3), match(1, 2, 1, -4)};
    f = slot_figures(book, r);
    REQUIRE(f.ok());
    CHECK(*f->front().price_average == -4);
    r.matches.push_back(match(9, 2, 1, 0));
    f = slot_figures(book, r);
    REQUIRE(!f.ok());
    CHECK(f.error().reason == "unknown order");
}
