#include "figures.hpp"

#include <algorithm>
#include <map>

#include "units.hpp"

namespace setm {

namespace {

// The range and volume-weighted average of the prices, once the sums are in.
void finish_prices(ClearingFigures& f) {
    if (f.traded_wh == 0) return;
    std::int64_t q = f.amount / f.traded_wh;
    if (f.amount % f.traded_wh != 0 && f.amount < 0) --q; // floor, also below zero
    f.price_average = q;
}

void see_price(ClearingFigures& f, std::int64_t price) {
    f.price_min = f.price_min ? std::min(*f.price_min, price) : price;
    f.price_max = f.price_max ? std::max(*f.price_max, price) : price;
}

Status add_match(ClearingFigures& f, const Match& m, std::int64_t floor, std::int64_t ceiling) {
    SETM_TRY(std::int64_t amount, money_for(m.energy_wh, m.price));
    SETM_TRY(std::int64_t fee, money_for(m.energy_wh, m.fee_price));
    SETM_TRY(std::int64_t buyer_margin, checked_sub(ceiling, m.price));
    SETM_TRY(buyer_margin, checked_sub(buyer_margin, m.fee_price));
    SETM_TRY(std::int64_t seller_margin, checked_sub(m.price, floor));
    SETM_TRY(std::int64_t buyer, money_for(m.energy_wh, buyer_margin));
    SETM_TRY(std::int64_t seller, money_for(m.energy_wh, seller_margin));
    SETM_CHECK(checked_accumulate(f.traded_wh, m.energy_wh));
    SETM_CHECK(checked_accumulate(f.amount, amount));
    SETM_CHECK(checked_accumulate(f.fees, fee));
    SETM_CHECK(checked_accumulate(f.buyer_surplus, buyer));
    SETM_CHECK(checked_accumulate(f.seller_surplus, seller));
    SETM_CHECK(checked_accumulate(f.welfare, buyer));
    SETM_CHECK(checked_accumulate(f.welfare, seller));
    ++f.trades;
    see_price(f, m.price);
    return ok_status();
}

} // namespace

Result<std::vector<ClearingFigures>> slot_figures(const std::vector<MarketOrder>& book,
                                                  const MarketResult& result) {
    std::map<Hash32, std::int64_t> limit;
    for (const MarketOrder& o : book) limit[o.id] = o.limit_price;
    std::vector<ClearingFigures> out;
    std::map<std::int64_t, std::size_t> at;
    for (const SlotReport& s : result.slots) {
        at[s.slot] = out.size();
        out.push_back(ClearingFigures{});
        out.back().slot = s.slot;
    }
    for (const Match& m : result.matches) {
        auto floor = limit.find(m.offer), ceiling = limit.find(m.request);
        auto slot = at.find(m.slot);
        if (floor == limit.end() || ceiling == limit.end() || slot == at.end())
            return make_error(Exit::internal, "unknown order",
                              "a match names an order or slot not in the book");
        SETM_CHECK(add_match(out[slot->second], m, floor->second, ceiling->second));
    }
    for (ClearingFigures& f : out) finish_prices(f);
    return out;
}

Result<ClearingFigures> total_figures(const std::vector<ClearingFigures>& slots) {
    ClearingFigures t;
    for (const ClearingFigures& f : slots) {
        SETM_CHECK(checked_accumulate(t.traded_wh, f.traded_wh));
        t.trades += f.trades;
        for (auto [to, v] :
             {std::pair{&t.amount, f.amount}, std::pair{&t.fees, f.fees},
              std::pair{&t.buyer_surplus, f.buyer_surplus},
              std::pair{&t.seller_surplus, f.seller_surplus}, std::pair{&t.welfare, f.welfare}})
            SETM_CHECK(checked_accumulate(*to, v));
        if (f.price_min) see_price(t, *f.price_min);
        if (f.price_max) see_price(t, *f.price_max);
    }
    finish_prices(t);
    return t;
}

} // namespace setm
