// Market engine tests. Prices are cEUR/MWh (4000 = 40 EUR/MWh), energy Wh.
// Every expected number is worked by hand in the comment above it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <tuple>

#include "chart.hpp"
#include "market.hpp"
#include "units.hpp"

using namespace setm;

namespace {

constexpr std::int64_t kSlot = 1795600800; // 2026-11-25T10:00:00Z
constexpr std::int64_t kSlot2 = kSlot + 1800;

// Ids whose hex starts with the given byte, so ties break in that order.
Hash32 oid(std::uint8_t n) {
    Hash32 h{};
    h[0] = n;
    h[31] = 0x5a;
    return h;
}
ParticipantId who(std::uint8_t n) {
    ParticipantId p{};
    p[0] = n;
    p[15] = 0xa5;
    return p;
}

MarketOrder offer(std::uint8_t id, std::uint8_t owner, std::int64_t wh, std::int64_t floor,
                  std::int64_t opening, std::string zone = "", std::int64_t slot = kSlot) {
    MarketOrder o;
    o.id = oid(id);
    o.is_offer = true;
    o.owner = who(owner);
    o.slot = slot;
    o.energy_wh = wh;
    o.limit_price = floor;
    o.opening_price = opening;
    o.zone = std::move(zone);
    return o;
}

MarketOrder request(std::uint8_t id, std::uint8_t owner, std::int64_t wh, std::int64_t ceiling,
                    std::int64_t opening, std::string zone = "", std::int64_t slot = kSlot,
                    std::vector<std::string> from = {}) {
    MarketOrder o;
    o.id = oid(id);
    o.is_offer = false;
    o.owner = who(owner);
    o.slot = slot;
    o.energy_wh = wh;
    o.limit_price = ceiling;
    o.opening_price = opening;
    o.zone = std::move(zone);
    o.from = std::move(from);
    return o;
}

MarketParams params(Mechanism m, std::int64_t fee = 0, std::uint32_t rounds = 10) {
    MarketParams p;
    p.mechanism = m;
    p.network_fee = fee;
    p.rounds = rounds;
    return p;
}

MarketResult run(const std::vector<MarketOrder>& orders, const MarketParams& p) {
    auto r = clear_market(orders, p);
    if (!r) FAIL(r.error().message());
    return std::move(r).value();
}

Error fails(const std::vector<MarketOrder>& orders, const MarketParams& p) {
    auto r = clear_market(orders, p);
    REQUIRE(!r.ok());
    return r.error();
}

// "offer>request energy@price+fee/round", short ids by first byte (hex).
std::string show(const Match& m) {
    std::ostringstream s;
    s << to_hex(m.offer).substr(0, 2) << ">" << to_hex(m.request).substr(0, 2) << " " << m.energy_wh
      << "@" << m.price;
    if (m.fee_price) s << "+" << m.fee_price;
    if (m.round) s << "/" << m.round;
    return s.str();
}
std::vector<std::string> shown(const MarketResult& r) {
    std::vector<std::string> v;
    for (const auto& m : r.matches) v.push_back(show(m));
    return v;
}
// "id:remaining" of the leftovers, in their order.
std::vector<std::string> rest(const MarketResult& r) {
    std::vector<std::string> v;
    for (const auto& o : r.leftovers)
        v.push_back(to_hex(o.id).substr(0, 2) + ":" + std::to_string(o.energy_wh));
    return v;
}

// The rules every result must keep, checked against the orders given.
void check_rules(const std::vector<MarketOrder>& orders, const MarketParams& p,
                 const MarketResult& r) {
    std::map<Hash32, const MarketOrder*> by_id;
    for (const auto& o : orders) by_id[o.id] = &o;
    std::map<Hash32, std::int64_t> used;
    std::map<std::int64_t, const SlotReport*> slots;
    for (const auto& s : r.slots) slots[s.slot] = &s;
    std::map<std::int64_t, std::int64_t> traded;
    for (const Match& m : r.matches) {
        INFO(show(m));
        REQUIRE(by_id.count(m.offer));
        REQUIRE(by_id.count(m.request));
        const MarketOrder& of = *by_id[m.offer];
        const MarketOrder& rq = *by_id[m.request];
        CHECK(of.is_offer);
        CHECK(!rq.is_offer);
        CHECK(m.seller == of.owner);
        CHECK(m.buyer == rq.owner);
        CHECK(m.seller != m.buyer);
        CHECK(m.slot == of.slot);
        CHECK(m.slot == rq.slot);
        CHECK(m.energy_wh > 0);
        CHECK(m.fee_price == (of.zone != rq.zone ? p.network_fee : 0));
        CHECK(of.limit_price <= m.price); // the chain's two price rules
        CHECK(m.price + m.fee_price <= rq.limit_price);
        if (!rq.from.empty()) {
            const bool named =
                std::count(rq.from.begin(), rq.from.end(), to_hex(m.offer)) ||
                std::count(rq.from.begin(), rq.from.end(), participant_hex(m.seller));
            CHECK(named);
        }
        REQUIRE(slots.count(m.slot));
        if (p.mechanism == Mechanism::pay_as_clear && slots[m.slot]->clearing_price)
            CHECK(m.price == *slots[m.slot]->clearing_price);
        if (p.mechanism == Mechanism::pay_as_bid) CHECK(m.price + m.fee_price == rq.limit_price);
        if (p.mechanism == Mechanism::negotiate)
            CHECK(m.round <= p.rounds);
        else
            CHECK(m.round == 0);
        used[m.offer] += m.energy_wh;
        used[m.request] += m.energy_wh;
        traded[m.slot] += m.energy_wh;
    }
    // Conservation: traded + left over = what was there; never more.
    std::map<Hash32, std::int64_t> left;
    for (const auto& o : r.leftovers) {
        CHECK(o.energy_wh > 0);
        CHECK(left.count(o.id) == 0);
        left[o.id] = o.energy_wh;
    }
    for (const auto& o : orders) {
        INFO(to_hex(o.id));
        CHECK(used[o.id] + left[o.id] == o.energy_wh);
    }
    for (const auto& s : r.slots) {
        CHECK(s.traded_wh == traded[s.slot]);
        if (p.mechanism == Mechanism::pay_as_clear && s.clearing_price)
            CHECK(s.traded_wh <= s.crossing_wh);
        for (const Negotiation& n : s.negotiations) {
            REQUIRE(!n.rounds.empty());
            const MarketOrder& of = *by_id[n.offer];
            const MarketOrder& rq = *by_id[n.request];
            CHECK(n.rounds.front().bid == rq.opening_price);
            CHECK(n.rounds.front().ask == of.opening_price);
            for (std::size_t k = 0; k < n.rounds.size(); ++k) {
                CHECK(n.rounds[k].round == k);
                if (k > 0) {
                    CHECK(n.rounds[k].bid >= n.rounds[k - 1].bid);
                    CHECK(n.rounds[k].ask <= n.rounds[k - 1].ask);
                    CHECK(n.rounds[k - 1].bid - n.fee_price <
                          n.rounds[k - 1].ask); // no earlier overlap
                }
                if (k == p.rounds) {
                    CHECK(n.rounds[k].bid == rq.limit_price);
                    CHECK(n.rounds[k].ask == of.limit_price);
                }
            }
            if (n.agreed) {
                const auto& last = n.rounds.back();
                CHECK(last.bid - n.fee_price >= last.ask);
                CHECK(n.price >= last.ask);
                CHECK(n.price <= last.bid - n.fee_price);
            }
        }
    }
    // Leftovers: by slot, offers first, then id.
    for (std::size_t i = 1; i < r.leftovers.size(); ++i) {
        const auto &a = r.leftovers[i - 1], &b = r.leftovers[i];
        CHECK(std::make_tuple(a.slot, !a.is_offer, a.id) <
              std::make_tuple(b.slot, !b.is_offer, b.id));
    }
}

MarketResult run_checked(const std::vector<MarketOrder>& orders, const MarketParams& p) {
    MarketResult r = run(orders, p);
    check_rules(orders, p, r);
    return r;
}

// ---- Table 1 of the paper ----------------------------------------------------------
// generation g1: floor 40, opening 52 EUR/MWh; consumers opening..ceiling:
// c1 34..46, c2 34..46, c3 36..48, c4 36..48, c5 38..48, ic1 36..50.
// Energies chosen here: g1 10 kWh; c1 1, c2 1.5, c3 2, c4 2.5, c5 3, ic1 6 kWh.
std::vector<MarketOrder> table1() {
    return {
        offer(0x10, 1, 10000, 4000, 5200),   request(0x21, 11, 1000, 4600, 3400),
        request(0x22, 12, 1500, 4600, 3400), request(0x23, 13, 2000, 4800, 3600),
        request(0x24, 14, 2500, 4800, 3600), request(0x25, 15, 3000, 4800, 3800),
        request(0x26, 16, 6000, 5000, 3600), // ic1
    };
}

} // namespace

TEST_CASE("market: mechanism names", "[market]") {
    for (Mechanism m : {Mechanism::pay_as_clear, Mechanism::pay_as_bid, Mechanism::negotiate}) {
        auto r = parse_mechanism(mechanism_name(m));
        REQUIRE(r.ok());
        CHECK(*r == m);
    }
    CHECK(std::string(mechanism_name(Mechanism::pay_as_clear)) == "pay-as-clear");
    CHECK(std::string(mechanism_name(Mechanism::pay_as_bid)) == "pay-as-bid");
    CHECK(std::string(mechanism_name(Mechanism::negotiate)) == "negotiate");
    auto bad = parse_mechanism("pay-as-you-go");
    REQUIRE(!bad.ok());
    CHECK(bad.error().code == Exit::usage);
    CHECK(bad.error().reason == "bad mechanism");
}

TEST_CASE("market: Table 1, pay-as-clear", "[market]") {
    // Demand in merit order: ic1 50 (6000), c3 48 (2000), c4 48 (2500), c5 48
    // (3000), c1 46 (1000), c2 46 (1500); ties by id (23 < 24 < 25, 21 < 22).
    // Crossing with g1 (10000 at 40): ic1 6000 -> 6000, c3 2000 -> 8000, c4
    // 2000 of 2500 -> 10000, g1 sold out. Equilibrium prices: at least 4800
    // (c4 and c5, left wanting, would pay 48), at most 4800 (c4 bought at
    // 48): P = 4800. Supply is short, so the buyers' limit sets the price.
    MarketResult r = run_checked(table1(), params(Mechanism::pay_as_clear));
    CHECK(shown(r) ==
          std::vector<std::string>{"10>26 6000@4800", "10>23 2000@4800", "10>24 2000@4800"});
    CHECK(rest(r) == std::vector<std::string>{"21:1000", "22:1500", "24:500", "25:3000"});
    REQUIRE(r.slots.size() == 1);
    const SlotReport& s = r.slots[0];
    CHECK(s.slot == kSlot);
    CHECK(s.offers == 1);
    CHECK(s.requests == 6);
    CHECK(s.offered_wh == 10000);
    CHECK(s.requested_wh == 16000);
    CHECK(s.traded_wh == 10000);
    CHECK(s.crossing_wh == 10000);
    REQUIRE(s.clearing_price);
    CHECK(*s.clearing_price == 4800);
    using Steps = std::vector<std::pair<std::int64_t, std::int64_t>>;
    CHECK(s.supply == Steps{{4000, 10000}});
    // One step per distinct ceiling: 50: 6000; 48: 2000+2500+3000; 46: 1000+1500.
    CHECK(s.demand == Steps{{5000, 6000}, {4800, 7500}, {4600, 2500}});
    CHECK(s.negotiations.empty());
}

TEST_CASE("market: Table 1, pay-as-bid", "[market]") {
    // Same order as pay-as-clear; each trade at the request's ceiling (no fee).
    MarketResult r = run_checked(table1(), params(Mechanism::pay_as_bid));
    CHECK(shown(r) ==
          std::vector<std::string>{"10>26 6000@5000", "10>23 2000@4800", "10>24 2000@4800"});
    CHECK(rest(r) == std::vector<std::string>{"21:1000", "22:1500", "24:500", "25:3000"});
    CHECK(!r.slots[0].clearing_price);
}

TEST_CASE("market: Table 1, negotiate in 10 rounds", "[market]") {
    // g1: a_k = 5200 - floor(1200k/10) = 5200 - 120k.
    // ic1 (3600..5000): b_k = 3600 + 140k. Overlap when 3600 + 140k >= 5200 - 120k,
    //   260k >= 1600, k >= 6.15: k = 7, b = 4580, a = 4360 (k = 6: 4440 < 4480).
    //   price = floor((4580 + 4360) / 2) = 4470; 6000 Wh, g1 has 4000 left.
    // c3 (3600..4800): b_k = 3600 + 120k; 240k >= 1600, k >= 6.67: k = 7,
    //   b = 4440, a = 4360, price = floor(8800 / 2) = 4400; 2000 Wh, 2000 left.
    // c4: as c3, 2000 Wh; g1 is sold out, c5, c1, c2 find nothing.
    MarketResult r = run_checked(table1(), params(Mechanism::negotiate));
    CHECK(shown(r) ==
          std::vector<std::string>{"10>26 6000@4470/7", "10>23 2000@4400/7", "10>24 2000@4400/7"});
    CHECK(rest(r) == std::vector<std::string>{"21:1000", "22:1500", "24:500", "25:3000"});
    const auto& negs = r.slots[0].negotiations;
    REQUIRE(negs.size() == 3);
    CHECK(negs[0].request == oid(0x26));
    CHECK(negs[0].agreed);
    CHECK(negs[0].price == 4470);
    REQUIRE(negs[0].rounds.size() == 8);
    CHECK(negs[0].rounds[0].bid == 3600);
    CHECK(negs[0].rounds[0].ask == 5200);
    CHECK(negs[0].rounds[6].bid == 4440);
    CHECK(negs[0].rounds[6].ask == 4480);
    CHECK(negs[0].rounds[7].bid == 4580);
    CHECK(negs[0].rounds[7].ask == 4360);
}

TEST_CASE("market: negotiate, c5 and rounding of bids and asks", "[market]") {
    // c5 (3800..4800) alone with g1: b_k = 3800 + 100k, a_k = 5200 - 120k;
    // 220k >= 1400, k >= 6.36: k = 7, b = 4500, a = 4360, price = 4430.
    auto r = run_checked({offer(0x10, 1, 10000, 4000, 5200), request(0x25, 15, 3000, 4800, 3800)},
                         params(Mechanism::negotiate));
    CHECK(shown(r) == std::vector<std::string>{"10>25 3000@4430/7"});
    // 3 rounds, uneven spans: offer 4001..4100 (span 99), request 3900..4000 (span 100).
    //   k=0: b 3900, a 4100.  k=1: b = 3900 + floor(100/3) = 3933,
    //   a = 4100 - floor(99/3) = 4067.  k=2: b = 3900 + floor(200/3) = 3966,
    //   a = 4100 - floor(198/3) = 4034.  k=3: b 4000, a 4001: no overlap ever
    //   (floor 4001 > ceiling 4000): not tried, no trade.
    r = run_checked({offer(0x10, 1, 1000, 4001, 4100), request(0x20, 2, 1000, 4000, 3900)},
                    params(Mechanism::negotiate, 0, 3));
    CHECK(r.matches.empty());
    CHECK(r.slots[0].negotiations.empty());
    // Offer 4000..4100 (span 100) rounds its ask up: k=1: a = 4100 - floor(100/3)
    // = 4067 (not 4066.67 -> 4066). Request 3000..4100 (span 1100) rounds its bid
    // down: k=1: b = 3000 + floor(1100/3) = 3366; k=2: b = 3000 + floor(2200/3)
    // = 3733, a = 4100 - floor(200/3) = 4034; k=3: b 4100, a 4000: agree,
    // price = floor(8100 / 2) = 4050.
    r = run_checked({offer(0x10, 1, 1000, 4000, 4100), request(0x20, 2, 1000, 4100, 3000)},
                    params(Mechanism::negotiate, 0, 3));
    CHECK(shown(r) == std::vector<std::string>{"10>20 1000@4050/3"});
    const auto& rounds = r.slots[0].negotiations.at(0).rounds;
    REQUIRE(rounds.size() == 4);
    CHECK(rounds[1].bid == 3366);
    CHECK(rounds[1].ask == 4067);
    CHECK(rounds[2].bid == 3733);
    CHECK(rounds[2].ask == 4034);
    // Openings that already overlap agree in round 0: b 4500 >= a 4200,
    // price = floor(8700 / 2) = 4350.
    r = run_checked({offer(0x10, 1, 1000, 4000, 4200), request(0x20, 2, 1000, 4800, 4500)},
                    params(Mechanism::negotiate));
    CHECK(shown(r) == std::vector<std::string>{"10>20 1000@4350"});
    CHECK(r.slots[0].negotiations.at(0).rounds.size() == 1);
}

TEST_CASE("market: partial fills, the paper's Tran(g1, c1, c2, ic1)", "[market]") {
    // One offer serves three requests. g1 10000 at 40; ic1 4000 at 50, c1 2000
    // and c2 3000 at 46. Demand (9000) runs out first; g1 keeps 1000 it would
    // sell at 40, so P <= 4000, and g1 sold, so P >= 4000: P = 4000.
    std::vector<MarketOrder> orders{
        offer(0x10, 1, 10000, 4000, 5200), request(0x21, 11, 2000, 4600, 3400),
        request(0x22, 12, 3000, 4600, 3400), request(0x26, 16, 4000, 5000, 3600)};
    auto r = run_checked(orders, params(Mechanism::pay_as_clear));
    CHECK(shown(r) ==
          std::vector<std::string>{"10>26 4000@4000", "10>21 2000@4000", "10>22 3000@4000"});
    CHECK(rest(r) == std::vector<std::string>{"10:1000"});
    CHECK(r.slots[0].crossing_wh == 9000);

    // One request buys from three offers: ic1 9000 at 50; g1 3000 at 40, g2
    // 3000 at 42, g3 5000 at 45. Walk: 3000 + 3000 + 3000 of g3. g3 keeps
    // 2000 it would sell at 45 and sold at 45: P = 4500.
    orders = {offer(0x11, 1, 3000, 4000, 4000), offer(0x12, 2, 3000, 4200, 4200),
              offer(0x13, 3, 5000, 4500, 4500), request(0x26, 16, 9000, 5000, 3600)};
    r = run_checked(orders, params(Mechanism::pay_as_clear));
    CHECK(shown(r) ==
          std::vector<std::string>{"11>26 3000@4500", "12>26 3000@4500", "13>26 3000@4500"});
    CHECK(rest(r) == std::vector<std::string>{"13:2000"});
    r = run_checked(orders, params(Mechanism::pay_as_bid));
    CHECK(shown(r) ==
          std::vector<std::string>{"11>26 3000@5000", "12>26 3000@5000", "13>26 3000@5000"});
}

TEST_CASE("market: pay-as-clear takes only offers at or below the price", "[market]") {
    // Offers 1000 at 40 and 1000 at 44; requests 1500 at 50 and 1000 at 41.
    // Walk: r1 takes 1000 of o1 (40 <= 50), then 500 of o2 (44 <= 50); r2
    // (41) < o2 (44): stop. o2 sold and keeps 500: P = 4400; r2 (41) would
    // not pay that, so it buys nothing.
    std::vector<MarketOrder> orders{
        offer(0x11, 1, 1000, 4000, 4000), offer(0x12, 2, 1000, 4400, 4400),
        request(0x21, 3, 1500, 5000, 5000), request(0x22, 4, 1000, 4100, 4100)};
    auto r = run_checked(orders, params(Mechanism::pay_as_clear));
    CHECK(shown(r) == std::vector<std::string>{"11>21 1000@4400", "12>21 500@4400"});
    CHECK(rest(r) == std::vector<std::string>{"12:500", "22:1000"});
    // pay-as-bid: r1 as before at 5000; r2 (41) still fits o2? 44 > 41, no.
    r = run_checked(orders, params(Mechanism::pay_as_bid));
    CHECK(shown(r) == std::vector<std::string>{"11>21 1000@5000", "12>21 500@5000"});
}

TEST_CASE("market: clearing price rounds down, also below zero", "[market]") {
    // floor((4001 + 4400) / 2) = floor(4200.5) = 4200.
    auto r = run_checked({offer(0x10, 1, 100, 4001, 4001), request(0x20, 2, 100, 4400, 4400)},
                         params(Mechanism::pay_as_clear));
    CHECK(shown(r) == std::vector<std::string>{"10>20 100@4200"});
    // floor((-4401 + -4400) / 2) = floor(-4400.5) = -4401 (truncation would say -4400).
    r = run_checked({offer(0x10, 1, 100, -4401, -4401), request(0x20, 2, 100, -4400, -4400)},
                    params(Mechanism::pay_as_clear));
    CHECK(shown(r) == std::vector<std::string>{"10>20 100@-4401"});
    // negotiate: openings -5000 (bid) and -3000 (ask), limits -4000 and -4400, 2
    // rounds: k=1: b = -5000 + floor(1000/2) = -4500, a = -3000 - floor(1400/2) = -3700;
    // k=2: b -4000 >= a -4400: price = floor(-8400 / 2) = -4200.
    r = run_checked({offer(0x10, 1, 100, -4400, -3000), request(0x20, 2, 100, -4000, -5000)},
                    params(Mechanism::negotiate, 0, 2));
    CHECK(shown(r) == std::vector<std::string>{"10>20 100@-4200/2"});
    // A sum that is odd and negative in negotiate: b = -4001, a = -4400 at k = 1:
    // floor(-8401 / 2) = -4201.
    r = run_checked({offer(0x10, 1, 100, -4400, -3000), request(0x20, 2, 100, -4001, -5000)},
                    params(Mechanism::negotiate, 0, 1));
    CHECK(shown(r) == std::vector<std::string>{"10>20 100@-4201/1"});
}

TEST_CASE("market: ties are broken by id", "[market]") {
    // Two offers at the same floor, given in reverse id order: 0x30 sells first.
    // P = floor((4000 + 4500) / 2) = 4250.
    std::vector<MarketOrder> orders{offer(0x31, 1, 1000, 4000, 4000),
                                    offer(0x30, 2, 1000, 4000, 4000),
                                    request(0x40, 3, 1500, 4500, 4500)};
    for (Mechanism m : {Mechanism::pay_as_clear, Mechanism::pay_as_bid, Mechanism::negotiate}) {
        INFO(mechanism_name(m));
        auto r = run_checked(orders, params(m));
        REQUIRE(r.matches.size() == 2);
        CHECK(r.matches[0].offer == oid(0x30));
        CHECK(r.matches[0].energy_wh == 1000);
        CHECK(r.matches[1].offer == oid(0x31));
        CHECK(r.matches[1].energy_wh == 500);
    }
    // Two requests at the same ceiling, one small offer: 0x40 buys it all.
    orders = {offer(0x30, 2, 1000, 4000, 4000), request(0x41, 3, 1000, 4500, 4500),
              request(0x40, 4, 1000, 4500, 4500)};
    for (Mechanism m : {Mechanism::pay_as_clear, Mechanism::pay_as_bid, Mechanism::negotiate}) {
        INFO(mechanism_name(m));
        auto r = run_checked(orders, params(m));
        REQUIRE(r.matches.size() == 1);
        CHECK(r.matches[0].request == oid(0x40));
        CHECK(rest(r) == std::vector<std::string>{"41:1000"});
    }
}

TEST_CASE("market: no overlap, one side empty, nothing at all", "[market]") {
    // Every ceiling (46, 48) below every floor (49, 50): no trades, no price.
    std::vector<MarketOrder> orders{
        offer(0x10, 1, 1000, 5000, 5200), offer(0x11, 2, 1000, 4900, 5000),
        request(0x20, 3, 1000, 4800, 4000), request(0x21, 4, 1000, 4600, 4000)};
    for (Mechanism m : {Mechanism::pay_as_clear, Mechanism::pay_as_bid, Mechanism::negotiate}) {
        INFO(mechanism_name(m));
        auto r = run_checked(orders, params(m));
        CHECK(r.matches.empty());
        CHECK(rest(r) == std::vector<std::string>{"10:1000", "11:1000", "20:1000", "21:1000"});
        REQUIRE(r.slots.size() == 1);
        CHECK(!r.slots[0].clearing_price);
        CHECK(r.slots[0].traded_wh == 0);
        CHECK(r.slots[0].negotiations.empty());
    }
    for (Mechanism m : {Mechanism::pay_as_clear, Mechanism::pay_as_bid, Mechanism::negotiate}) {
        INFO(mechanism_name(m));
        auto r = run_checked({offer(0x10, 1, 1000, 4000, 4000), offer(0x11, 2, 500, 3000, 3000)},
                             params(m));
        CHECK(r.matches.empty());
        CHECK(rest(r) == std::vector<std::string>{"10:1000", "11:500"});
        REQUIRE(r.slots.size() == 1);
        CHECK(r.slots[0].offers == 2);
        CHECK(r.slots[0].requests == 0);
        CHECK(r.slots[0].demand.empty());
        r = run_checked({request(0x20, 3, 1000, 4800, 4000)}, params(m));
        CHECK(r.matches.empty());
        CHECK(rest(r) == std::vector<std::string>{"20:1000"});
        r = run_checked({}, params(m));
        CHECK(r.matches.empty());
        CHECK(r.slots.empty());
        CHECK(r.leftovers.empty());
    }
    // An order with nothing left takes no part at all.
    auto r = run_checked({offer(0x10, 1, 0, 4000, 4000), request(0x20, 3, 1000, 4800, 4000)},
                         params(Mechanism::pay_as_clear));
    CHECK(r.matches.empty());
    CHECK(r.slots.at(0).offers == 0);
    CHECK(rest(r) == std::vector<std::string>{"20:1000"});
}

TEST_CASE("market: slots are cleared separately", "[market]") {
    // Slot 1: offer 40 sold out, request 46 left wanting -> P = 4600. Slot 2:
    // offer 44, request 50, the same -> P = 5000. The slot-1 request would love the slot-2 offer's
    // energy and the other way round, but never gets it. Slot 2 is given first.
    std::vector<MarketOrder> orders{
        offer(0x12, 2, 500, 4400, 4400, "", kSlot2), request(0x22, 4, 1000, 5000, 5000, "", kSlot2),
        offer(0x11, 1, 1000, 4000, 4000, "", kSlot), request(0x21, 3, 2000, 4600, 4600, "", kSlot)};
    auto r = run_checked(orders, params(Mechanism::pay_as_clear));
    CHECK(shown(r) == std::vector<std::string>{"11>21 1000@4600", "12>22 500@5000"});
    REQUIRE(r.slots.size() == 2);
    CHECK(r.slots[0].slot == kSlot);
    CHECK(*r.slots[0].clearing_price == 4600);
    CHECK(r.slots[1].slot == kSlot2);
    CHECK(*r.slots[1].clearing_price == 5000);
    CHECK(rest(r) == std::vector<std::string>{"21:1000", "22:500"});
    CHECK(r.leftovers[0].slot == kSlot);
    CHECK(r.leftovers[1].slot == kSlot2);
    // Only an offer in slot 1 and only a request in slot 2: nothing.
    r = run_checked({offer(0x11, 1, 1000, 4000, 4000, "", kSlot),
                     request(0x22, 4, 1000, 5000, 5000, "", kSlot2)},
                    params(Mechanism::pay_as_bid));
    CHECK(r.matches.empty());
    CHECK(r.slots.size() == 2);
}

TEST_CASE("market: a request's from list is honoured", "[market]") {
    // Producer 1 sells cheap (40), producer 2 dear (45). The request names
    // producer 2 only: it buys 45's energy though 40's is cheaper.
    const std::string p2 = participant_hex(who(2));
    std::vector<MarketOrder> orders{offer(0x11, 1, 1000, 4000, 4000),
                                    offer(0x12, 2, 1000, 4500, 4500),
                                    request(0x21, 3, 1500, 5000, 4000, "", kSlot, {p2})};
    // pay-as-clear: the crossing ignores `from`: walk 1000 of o1, 500 of o2.
    // The allocation honours `from`: 1000 from o2 only; 500 of the crossing
    // is not traded. The request, left wanting 500 at 50, has only o2 to buy
    // from, sold out: P = 5000 (at least what it would pay, at most its ceiling).
    auto r = run_checked(orders, params(Mechanism::pay_as_clear));
    CHECK(shown(r) == std::vector<std::string>{"12>21 1000@5000"});
    CHECK(r.slots[0].crossing_wh == 1500);
    CHECK(r.slots[0].traded_wh == 1000);
    r = run_checked(orders, params(Mechanism::pay_as_bid));
    CHECK(shown(r) == std::vector<std::string>{"12>21 1000@5000"});
    // negotiate: b_k = 4000 + 100k, a_k = 4500 (opening = floor): k = 5, price 4500.
    r = run_checked(orders, params(Mechanism::negotiate));
    CHECK(shown(r) == std::vector<std::string>{"12>21 1000@4500/5"});

    // Naming an offer id: only that offer, though the same producer has a cheaper one.
    orders = {offer(0x11, 1, 1000, 4000, 4000), offer(0x13, 1, 1000, 4200, 4200),
              offer(0x12, 2, 1000, 4100, 4100),
              request(0x21, 3, 3000, 5000, 5000, "", kSlot, {to_hex(oid(0x13))})};
    for (Mechanism m : {Mechanism::pay_as_clear, Mechanism::pay_as_bid, Mechanism::negotiate}) {
        INFO(mechanism_name(m));
        r = run_checked(orders, params(m));
        REQUIRE(r.matches.size() == 1);
        CHECK(r.matches[0].offer == oid(0x13));
        CHECK(r.matches[0].energy_wh == 1000);
    }
    // Two names, one of them twice: each offer still sells once, in merit order.
    orders.back().from = {to_hex(oid(0x13)), p2, to_hex(oid(0x12))};
    r = run_checked(orders, params(Mechanism::pay_as_bid));
    CHECK(shown(r) == std::vector<std::string>{"12>21 1000@5000", "13>21 1000@5000"});
    // Upper-case hex names nothing: the chain compares the strings exactly.
    std::string upper = to_hex(oid(0x13));
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](char c) { return std::toupper(c); });
    REQUIRE(upper != to_hex(oid(0x13)));
    orders.back().from = {upper};
    r = run_checked(orders, params(Mechanism::pay_as_bid));
    CHECK(r.matches.empty());
    // A name that is no order of this slot names nothing either.
    orders.back().from = {to_hex(oid(0x77)), participant_hex(who(0x77))};
    r = run_checked(orders, params(Mechanism::negotiate));
    CHECK(r.matches.empty());
    // Naming only an offer it can never agree with (floor 42 > ceiling 41):
    // not tried, nothing recorded.
    orders.back().from = {to_hex(oid(0x13))};
    orders.back().limit_price = 4100;
    orders.back().opening_price = 4000;
    r = run_checked(orders, params(Mechanism::negotiate));
    CHECK(r.matches.empty());
    CHECK(r.slots[0].negotiations.empty());
}

TEST_CASE("market: nobody trades with itself", "[market]") {
    // Prosumer 5 offers 1000 at 40 and asks 1000 at 50 in the same slot;
    // producer 6 offers 1000 at 45. r5 may not take its own offer: it buys
    // o6's 1000. Nobody else can trade with either, so any price from 45 (o6
    // sold) to 50 (r5 bought) is an equilibrium: P = 4750. o5 is left.
    std::vector<MarketOrder> orders{offer(0x15, 5, 1000, 4000, 4000),
                                    offer(0x16, 6, 1000, 4500, 4500),
                                    request(0x25, 5, 1000, 5000, 5000)};
    auto r = run_checked(orders, params(Mechanism::pay_as_clear));
    CHECK(shown(r) == std::vector<std::string>{"16>25 1000@4750"});
    CHECK(rest(r) == std::vector<std::string>{"15:1000"});
    r = run_checked(orders, params(Mechanism::pay_as_bid));
    CHECK(shown(r) == std::vector<std::string>{"16>25 1000@5000"});
    r = run_checked(orders, params(Mechanism::negotiate));
    REQUIRE(r.matches.size() == 1);
    CHECK(r.matches[0].offer == oid(0x16));
    for (const auto& n : r.slots[0].negotiations) CHECK(n.offer != oid(0x15));
    // Alone, the prosumer does not trade at all, even naming its own offer.
    orders = {offer(0x15, 5, 1000, 4000, 4000),
              request(0x25, 5, 1000, 5000, 5000, "", kSlot, {to_hex(oid(0x15))})};
    for (Mechanism m : {Mechanism::pay_as_clear, Mechanism::pay_as_bid, Mechanism::negotiate})
        CHECK(run_checked(orders, params(m)).matches.empty());
}

TEST_CASE("market: network fee between zones", "[market]") {
    // fee 3 EUR/MWh = 300. Offer north 1000 at 40, request south 1000 at 45:
    // worth 45 - 40 - 3 = 2 per MWh, so they trade. The seller's price lies
    // in 40..(45 - 3 = 42): P = 4100, the buyer pays 4400.
    std::vector<MarketOrder> orders{offer(0x10, 1, 1000, 4000, 4000, "north"),
                                    request(0x20, 2, 1000, 4500, 4500, "south")};
    auto r = run_checked(orders, params(Mechanism::pay_as_clear, 300));
    CHECK(shown(r) == std::vector<std::string>{"10>20 1000@4100+300"});
    CHECK(*r.slots[0].clearing_price == 4100);
    // Without the fee: 40..45, 4250.
    CHECK(shown(run_checked(orders, params(Mechanism::pay_as_clear))) ==
          std::vector<std::string>{"10>20 1000@4250"});
    // A fee of 6 makes the pair worth less than nothing: no trade.
    CHECK(run_checked(orders, params(Mechanism::pay_as_clear, 600)).matches.empty());
    // Ceiling 47: 40..44, P = 4200, fee 300.
    orders[1].limit_price = 4700;
    r = run_checked(orders, params(Mechanism::pay_as_clear, 300));
    CHECK(shown(r) == std::vector<std::string>{"10>20 1000@4200+300"});
    // The same zone pays no fee: 40..47, 4350.
    orders[1].zone = "north";
    r = run_checked(orders, params(Mechanism::pay_as_clear, 300));
    CHECK(shown(r) == std::vector<std::string>{"10>20 1000@4350"});

    // pay-as-bid, request south 2000 at 45. Worth per MWh: north 40 + 3: 2;
    // north 43 + 3: -1 (never); south 44: 1. Both worth trading sell 1000:
    // north at 45 - 3 = 42, south at 45.
    orders = {offer(0x10, 1, 1000, 4000, 4000, "north"), offer(0x11, 2, 1000, 4300, 4300, "north"),
              offer(0x12, 3, 1000, 4400, 4400, "south"),
              request(0x20, 4, 2000, 4500, 4500, "south")};
    r = run_checked(orders, params(Mechanism::pay_as_bid, 300));
    CHECK(shown(r) == std::vector<std::string>{"10>20 1000@4200+300", "12>20 1000@4500"});
    CHECK(rest(r) == std::vector<std::string>{"11:1000"});
    // pay-as-clear, the same trades. South sellers: 44 (sold) to 45 (the
    // buyer's ceiling); north sellers get the south price less the fee, at
    // least 40 (sold), at most 43 (north 43 left over): 41..42. One price for
    // both zones would need 44 <= P <= 42: none, so one per zone: north
    // floor((4100 + 4200) / 2) = 4150 (+300 = 4450), south 4450.
    r = run_checked(orders, params(Mechanism::pay_as_clear, 300));
    CHECK(shown(r) == std::vector<std::string>{"10>20 1000@4150+300", "12>20 1000@4450"});
    CHECK(!r.slots[0].clearing_price);
}

TEST_CASE("market: negotiate prefers the own zone and counts the fee", "[market]") {
    // fee 300. Request south 1500 Wh, 40..50. Offers: north opens 46 (floor
    // 40), south opens 47 (floor 44), both 1000 Wh. Own zone first: south,
    // though its opening ask (4700) is above north's (4600).
    // south pair: b_k = 4000 + 100k, a_k = 4700 - 30k; 130k >= 700, k >= 5.38:
    //   k = 6: b 4600, a 4520; price floor(9120 / 2) = 4560; 1000 Wh.
    // north pair (fee 300): a_k = 4600 - 60k; 4000 + 100k - 300 >= 4600 - 60k,
    //   160k >= 900, k >= 5.625: k = 6: b 4600, a 4240;
    //   price floor((4600 - 300 + 4240) / 2) = floor(8540 / 2) = 4270; 500 Wh.
    //   (k = 5: 4500 - 300 = 4200 < 4300.) The buyer pays 4270 + 300 = 4570.
    std::vector<MarketOrder> orders{offer(0x10, 1, 1000, 4000, 4600, "north"),
                                    offer(0x11, 2, 1000, 4400, 4700, "south"),
                                    request(0x20, 3, 1500, 5000, 4000, "south")};
    auto r = run_checked(orders, params(Mechanism::negotiate, 300));
    CHECK(shown(r) == std::vector<std::string>{"11>20 1000@4560/6", "10>20 500@4270+300/6"});
    const auto& negs = r.slots[0].negotiations;
    REQUIRE(negs.size() == 2);
    CHECK(negs[1].fee_price == 300);
    CHECK(negs[1].rounds[5].bid == 4500);
    CHECK(negs[1].rounds[5].ask == 4300);
    // The same when the request names both producers in its from list.
    orders.back().from = {participant_hex(who(1)), participant_hex(who(2))};
    CHECK(shown(run_checked(orders, params(Mechanism::negotiate, 300))) ==
          std::vector<std::string>{"11>20 1000@4560/6", "10>20 500@4270+300/6"});

    // Among other zones the cheaper opening ask goes first (the fee is the
    // same for all of them); an offer whose floor + fee is above the ceiling
    // (west: 4800 + 300 > 5000) is passed over, though it opens lowest.
    orders = {offer(0x10, 1, 1000, 4800, 4800, "west"), offer(0x11, 2, 1000, 4000, 4900, "north"),
              offer(0x12, 3, 1000, 4000, 4850, "east"),
              request(0x20, 4, 1500, 5000, 4000, "south")};
    r = run_checked(orders, params(Mechanism::negotiate, 300));
    REQUIRE(r.matches.size() == 2);
    CHECK(r.matches[0].offer == oid(0x12));
    CHECK(r.matches[1].offer == oid(0x11));
    // Without the fee west is possible and, opening lowest, goes first.
    r = run_checked(orders, params(Mechanism::negotiate, 0));
    REQUIRE(r.matches.size() == 2);
    CHECK(r.matches[0].offer == oid(0x10));
    CHECK(r.matches[1].offer == oid(0x12));
}

TEST_CASE("market: bad input is refused", "[market]") {
    auto e = fails({offer(0x10, 1, -1, 4000, 4000)}, params(Mechanism::pay_as_clear));
    CHECK(e.code == Exit::bad_input);
    CHECK(e.reason == "bad energy");
    e = fails({offer(0x10, 1, 100, 4000, 3999)}, params(Mechanism::pay_as_clear));
    CHECK(e.reason == "bad price");
    e = fails({request(0x20, 1, 100, 4000, 4001)}, params(Mechanism::pay_as_bid));
    CHECK(e.reason == "bad price");
    e = fails({offer(0x10, 1, 100, kMaxMarketPrice + 1, kMaxMarketPrice + 1)},
              params(Mechanism::pay_as_clear));
    CHECK(e.reason == "bad price");
    e = fails({request(0x20, 1, 100, 0, std::numeric_limits<std::int64_t>::min())},
              params(Mechanism::negotiate));
    CHECK(e.reason == "bad price");
    auto bad_offer = offer(0x10, 1, 100, 4000, 4000);
    bad_offer.from = {participant_hex(who(2))};
    e = fails({bad_offer}, params(Mechanism::pay_as_clear));
    CHECK(e.reason == "bad from");
    e = fails({offer(0x10, 1, 100, 4000, 4000), offer(0x10, 1, 100, 4000, 4000)},
              params(Mechanism::pay_as_clear));
    CHECK(e.reason == "duplicate order");
    // A slot's total energy beyond int64.
    const std::int64_t half = std::numeric_limits<std::int64_t>::max() / 2 + 1;
    e = fails({offer(0x10, 1, half, 4000, 4000), offer(0x11, 2, half, 4000, 4000)},
              params(Mechanism::pay_as_clear));
    CHECK(e.reason == "overflow");
    CHECK(e.code == Exit::bad_input);
    e = fails({}, params(Mechanism::pay_as_clear, -1));
    CHECK(e.code == Exit::usage);
    CHECK(e.reason == "bad fee");
    MarketParams table = params(Mechanism::pay_as_clear);
    table.zone_fees = {{"north", "south", kMaxMarketPrice + 1}};
    e = fails({}, table);
    CHECK(e.code == Exit::usage);
    CHECK(e.reason == "bad fee");
    CHECK(e.detail.find("fee from zone \"north\" to \"south\"") != std::string::npos);
    e = fails({}, params(Mechanism::negotiate, 0, 0));
    CHECK(e.reason == "bad rounds");
    e = fails({}, params(Mechanism::negotiate, 0, kMaxRounds + 1));
    CHECK(e.reason == "bad rounds");
    // rounds does not matter to the other mechanisms.
    CHECK(clear_market({}, params(Mechanism::pay_as_bid, 0, 0)).ok());
}

TEST_CASE("market: extreme prices and energies stay exact", "[market]") {
    // Limits at the bounds with the largest fee and rounds: no overflow.
    const std::int64_t big = kMaxMarketPrice;
    const std::int64_t wh = std::numeric_limits<std::int64_t>::max() / 2;
    std::vector<MarketOrder> orders{offer(0x10, 1, wh, -big, big, "a"),
                                    request(0x20, 2, wh, big, -big, "b")};
    for (Mechanism m : {Mechanism::pay_as_clear, Mechanism::pay_as_bid, Mechanism::negotiate}) {
        INFO(mechanism_name(m));
        auto r = run_checked(orders, params(m, big, kMaxRounds));
        REQUIRE(r.matches.size() == 1);
        CHECK(r.matches[0].energy_wh == wh);
        CHECK(r.matches[0].fee_price == big);
    }
    // pay-as-clear: the seller's price lies in -big..(big - big = 0), the
    // buyer paying it plus the fee: P = floor(-big / 2).
    CHECK(run(orders, params(Mechanism::pay_as_clear, big)).matches[0].price == -big / 2);
    // pay-as-bid: big - big = 0.
    CHECK(run(orders, params(Mechanism::pay_as_bid, big)).matches[0].price == 0);
}

TEST_CASE("market: random markets keep every rule and ignore input order", "[market]") {
    std::mt19937_64 rng(20211634);
    auto pick = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };
    const char* zones[] = {"", "north", "south"};
    std::size_t trades = 0, with_from = 0;
    for (int market = 0; market < 300; ++market) {
        std::vector<MarketOrder> orders;
        const int slots = static_cast<int>(pick(1, 3));
        const bool simple = market % 5 == 0; // no from, no fee, distinct owners
        std::uint8_t next_id = 1;
        for (int s = 0; s < slots; ++s) {
            const std::int64_t slot = kSlot + 1800 * s;
            std::vector<MarketOrder> offers_here;
            for (int i = pick(0, 8); i > 0; --i) {
                const std::uint8_t id = next_id++;
                const auto owner = static_cast<std::uint8_t>(simple ? id : pick(1, 6));
                const std::int64_t wh = pick(0, 4) * 250, floor = pick(3000, 5000);
                const std::int64_t opening = floor + pick(0, 1) * pick(0, 1500);
                auto o = offer(id, owner, wh, floor, opening, zones[pick(0, 2)], slot);
                offers_here.push_back(o);
                orders.push_back(o);
            }
            for (int i = pick(0, 8); i > 0; --i) {
                const std::uint8_t id = next_id++;
                const auto owner = static_cast<std::uint8_t>(simple ? 100 + id : pick(1, 6));
                const std::int64_t wh = pick(0, 4) * 250, ceiling = pick(3500, 5500);
                const std::int64_t opening = ceiling - pick(0, 1) * pick(0, 1500);
                auto o = request(id, owner, wh, ceiling, opening, zones[pick(0, 2)], slot);
                if (!simple && !offers_here.empty() && pick(0, 3) == 0) {
                    const auto& named = offers_here[static_cast<std::size_t>(
                        pick(0, static_cast<std::int64_t>(offers_here.size()) - 1))];
                    o.from.push_back(pick(0, 1) ? to_hex(named.id) : participant_hex(named.owner));
                    if (pick(0, 1))
                        o.from.push_back(
                            participant_hex(who(static_cast<std::uint8_t>(pick(1, 6)))));
                    ++with_from;
                }
                orders.push_back(o);
            }
        }
        const Mechanism m = static_cast<Mechanism>(market % 3);
        const MarketParams p =
            params(m, simple ? 0 : pick(0, 2) * 250, static_cast<std::uint32_t>(pick(1, 12)));
        INFO("market " << market << " " << mechanism_name(m));
        const MarketResult r = run_checked(orders, p);
        trades += r.matches.size();
        if (simple && m == Mechanism::pay_as_clear)
            for (const auto& s : r.slots) CHECK(s.traded_wh == s.crossing_wh);

        std::vector<MarketOrder> shuffled = orders;
        std::shuffle(shuffled.begin(), shuffled.end(), rng);
        const MarketResult again = run(shuffled, p);
        CHECK(shown(again) == shown(r));
        CHECK(rest(again) == rest(r));
        REQUIRE(again.slots.size() == r.slots.size());
        for (std::size_t i = 0; i < r.slots.size(); ++i) {
            const SlotReport &a = r.slots[i], &b = again.slots[i];
            CHECK(a.slot == b.slot);
            CHECK(a.clearing_price == b.clearing_price);
            CHECK(a.crossing_wh == b.crossing_wh);
            CHECK(a.supply == b.supply);
            CHECK(a.demand == b.demand);
            CHECK(a.traded_wh == b.traded_wh);
            REQUIRE(a.negotiations.size() == b.negotiations.size());
            for (std::size_t k = 0; k < a.negotiations.size(); ++k) {
                CHECK(a.negotiations[k].offer == b.negotiations[k].offer);
                CHECK(a.negotiations[k].request == b.negotiations[k].request);
                CHECK(a.negotiations[k].rounds.size() == b.negotiations[k].rounds.size());
                CHECK(a.negotiations[k].price == b.negotiations[k].price);
            }
        }
        for (std::size_t i = 0; i < r.matches.size() && i < again.matches.size(); ++i) {
            CHECK(r.matches[i].seller == again.matches[i].seller);
            CHECK(r.matches[i].buyer == again.matches[i].buyer);
        }
    }
    // The generator must exercise what it claims to.
    CHECK(trades > 300);
    CHECK(with_from > 50);
}

TEST_CASE("market: explain_slot draws the curves and the rounds within 80 columns", "[market]") {
    auto lines_ok = [](const std::string& text) {
        std::istringstream in(text);
        std::string line;
        std::size_t n = 0;
        while (std::getline(in, line)) {
            INFO(line);
            CHECK(line.size() <= 80);
            ++n;
        }
        return n;
    };
    auto r = run(table1(), params(Mechanism::pay_as_clear));
    std::string text = explain_slot(r.slots.at(0));
    INFO(text);
    CHECK(lines_ok(text) > 16);
    CHECK(text.find("clearing point X: 48.00 EUR/MWh at 10 kWh") != std::string::npos);
    CHECK(std::count(text.begin(), text.end(), 'X') == 3); // summary, mark and legend
    CHECK(text.find(" 48.00 |") != std::string::npos);     // the clearing row is labelled
    CHECK(text.find('S') != std::string::npos);
    CHECK(text.find('D') != std::string::npos);
    CHECK(text.find("2026-11-25T10:00:00Z") != std::string::npos);

    r = run(table1(), params(Mechanism::negotiate, 0, 10));
    text = explain_slot(r.slots.at(0));
    CHECK(lines_ok(text) > 16);
    CHECK(text.find("agreed in round 7 at 44.70 EUR/MWh") != std::string::npos);
    CHECK(text.find("36.00      52.00") != std::string::npos); // round 0 of ic1: bid, ask
    CHECK(text.find("X") == std::string::npos);                // no clearing point here

    // Extreme prices and many negotiations still fit.
    std::vector<MarketOrder> many;
    for (std::uint8_t i = 0; i < 60; ++i) {
        many.push_back(
            offer(static_cast<std::uint8_t>(i), i, 100, -kMaxMarketPrice, kMaxMarketPrice, "a"));
        many.push_back(request(static_cast<std::uint8_t>(100 + i),
                               static_cast<std::uint8_t>(100 + i), 100, kMaxMarketPrice,
                               -kMaxMarketPrice, "b"));
    }
    r = run(many, params(Mechanism::negotiate, kMaxMarketPrice, 5));
    text = explain_slot(r.slots.at(0));
    lines_ok(text);
    CHECK(text.find("... and 20 more") != std::string::npos);
    r = run(many, params(Mechanism::pay_as_clear, 0));
    lines_ok(explain_slot(r.slots.at(0)));
    CHECK(explain_slot(SlotReport{}).find("no orders") != std::string::npos);
}
