// The market as a chain rule (clearing.hpp): a block's trades must be the
// chain's clearing of each slot's book, limits hold per slot, and the gate.
#include <algorithm>
#include <random>

#include "clearing.hpp"
#include "fixtures.hpp"
#include "units.hpp"

using namespace setm;
using namespace setm::test;

namespace {

constexpr std::int64_t kSlot = kT0 + 2 * kHour; // TestChain's orders
constexpr std::int64_t kAt = kT0 + 10 * kMinute;

Error refused(const StateReader& st, const std::vector<Record>& records, std::int64_t t) {
    return must_fail(apply_records(st, records, t, 9));
}

// The chain with its credentials and one offer (5 kWh, floor 40) and one
// request (5 kWh, ceiling 70) for kSlot, in blocks 1 and 2.
struct Book {
    TestChain c;
    MemoryState st;
    Signed<Offer> offer;
    Signed<Request> request;
    explicit Book(void (*market)(Genesis&) = nullptr) : c(0, market), st(c.market_state()) {
        offer = c.sign(c.offer_body(c.producer), c.producer);
        request = c.sign(c.request_body(c.consumer), c.consumer);
        TestChain::apply(st, {offer, request}, kT0, 2);
    }
    std::vector<Record> clearing(std::int64_t t = kAt) const {
        return c.clearing_trades(st, kSlot, t);
    }
    // A trade of the clearing with `edit` applied, signed again by the agent.
    template <class Edit>
    std::vector<Record> edited(std::size_t i, Edit edit) const {
        std::vector<Record> trades = clearing();
        Trade t = std::get<Signed<Trade>>(trades.at(i)).body;
        edit(t);
        trades[i] = c.sign(t, c.agent);
        return trades;
    }
};

} // namespace

TEST_CASE("clearing: gate closure counts from the slot or from its auction period", "[clearing]") {
    Genesis g;
    g.slot_minutes = 30;
    g.gate_minutes = 60;
    CHECK_FALSE(has_gate(Genesis{}));
    CHECK(has_gate(g));
    CHECK(gate_closure(g, kSlot) == kSlot - kHour);
    g.auction_minutes = 1440; // day-ahead: every slot of the day closes together
    const std::int64_t day = kSlot - kSlot % kDay;
    CHECK(gate_closure(g, kSlot) == day - kHour);
    CHECK(gate_closure(g, day + kDay - 30 * kMinute) == day - kHour);
    CHECK(gate_closure(g, day + kDay) == day + kDay - kHour);
    g.auction_minutes = 120;
    CHECK(gate_closure(g, kSlot + 30 * kMinute) == kSlot - kHour); // 12:00-14:00 from 12:00
}

TEST_CASE("clearing: the genesis record's market is checked", "[clearing]") {
    Genesis g;
    g.slot_minutes = 30;
    CHECK(check_market_genesis(g));
    auto bad = [&](void (*edit)(Genesis&)) {
        Genesis x = g;
        edit(x);
        Status s = check_market_genesis(x);
        return !s && s.error().reason == "bad market";
    };
    CHECK(bad([](Genesis& x) { x.mechanism = "lottery"; }));
    CHECK(bad([](Genesis& x) { x.rounds = 0; }));
    CHECK(bad([](Genesis& x) { x.rounds = kMaxRounds + 1; }));
    CHECK(bad([](Genesis& x) { x.network_fee = -1; }));
    CHECK(bad([](Genesis& x) { x.network_fee = 1'000'001; }));
    CHECK(bad([](Genesis& x) { x.gate_minutes = 7 * 1440 + 1; }));
    CHECK(bad([](Genesis& x) { x.auction_minutes = 45; }));  // not whole slots
    CHECK(bad([](Genesis& x) { x.auction_minutes = 420; })); // does not divide a day
    g.auction_minutes = 1440;
    CHECK(check_market_genesis(g));
}

TEST_CASE("clearing: a block's trades must be the chain's clearing of the slot", "[clearing]") {
    Book b;
    const std::vector<Record> trades = b.clearing();
    REQUIRE(trades.size() == 1);
    const Trade& t = std::get<Signed<Trade>>(trades[0]).body;
    CHECK(t.price == 5500); // pay-as-clear: the midpoint of 40 and 70
    CHECK(t.energy_wh == 5000);
    CHECK(apply_records(b.st, trades, kAt, 3));

    Error e = refused(b.st,
                      b.edited(0,
                               [](Trade& x) {
                                   x.price = 5400;
                                   x.amount = x.energy_wh * 5400;
                               }),
                      kAt);
    CHECK(e.reason == "not the clearing");
    CHECK(e.detail.find("slot " + format_utc(kSlot) +
                        ": trade 1 of 1: price 54.00 where the "
                        "clearing has 55.00") != std::string::npos);
    e = refused(b.st, b.edited(0, [](Trade& x) { x.mechanism = "pay-as-bid"; }), kAt);
    CHECK(e.detail.find("mechanism pay-as-bid where the clearing has pay-as-clear") !=
          std::string::npos);
    e = refused(b.st, b.edited(0, [](Trade& x) { x.round = 3; }), kAt);
    CHECK(e.detail.find("round 3") != std::string::npos);
    // Less than the clearing: a smaller trade is within every limit, still refused.
    e = refused(b.st,
                b.edited(0,
                         [](Trade& x) {
                             x.energy_wh = 1000;
                             x.amount = 1000 * x.price;
                         }),
                kAt);
    CHECK(e.detail.find("energy 1 kWh where the clearing has 5 kWh") != std::string::npos);
}

TEST_CASE("clearing: no order on the chain can be left out", "[clearing]") {
    Book b;
    const std::vector<Record> without = b.clearing(); // cleared before the cheaper offer came
    // A cheaper offer of another producer reaches the chain.
    const SecretKey cheap = key_of(7, "cheap");
    Offer o = b.c.offer_body(cheap, 9);
    o.floor_price = 1000;
    o.opening_price = 1000;
    TestChain::apply(b.st, {b.c.admit(cheap, role_producer, 7)}, kT0, 3);
    TestChain::apply(b.st, {b.c.sign(o, cheap)}, kT0 + kMinute, 4);
    const Error e = refused(b.st, without, kAt);
    CHECK(e.reason == "not the clearing");
    // The clearing with it trades the cheap offer first, at a lower price.
    const std::vector<Record> with = b.clearing();
    CHECK(apply_records(b.st, with, kAt, 5));
    CHECK(std::get<Signed<Trade>>(with[0]).body.seller == cheap.id());
    // A block without a trade for the slot leaves it open; one with a trade
    // too many is refused.
    CHECK(apply_records(b.st, {}, kAt, 5));
    std::vector<Record> more = with;
    more.push_back(with.back());
    CHECK(refused(b.st, more, kAt).reason == "duplicate record");
}

TEST_CASE("clearing: a trade beyond the clearing is refused, naming the slot and the count",
          "[clearing]") {
    Book b;
    // An offer and a request that expire before the clearing: out of its
    // book, but a trade between them is within every limit of each order.
    Offer o = b.c.offer_body(b.c.producer, 2);
    Request r = b.c.request_body(b.c.consumer, 2);
    o.energy_wh = r.energy_wh = 1000;
    o.expires = r.expires = kAt - kMinute;
    const Signed<Offer> so = b.c.sign(o, b.c.producer);
    const Signed<Request> sr = b.c.sign(r, b.c.consumer);
    TestChain::apply(b.st, {so, sr}, kT0, 3);
    std::vector<Record> trades = b.clearing();
    REQUIRE(trades.size() == 1); // the 5 kWh of the first offer and request alone
    Trade extra = std::get<Signed<Trade>>(trades[0]).body;
    extra.offer = so.id();
    extra.request = sr.id();
    extra.energy_wh = 1000;
    extra.amount = 1000 * extra.price;
    trades.push_back(b.c.sign(extra, b.c.agent));
    std::size_t at = 0;
    const Error e = must_fail(apply_records(b.st, trades, kAt, 4, 1, &at));
    CHECK(e.reason == "not the clearing");
    CHECK(at == 1); // the extra trade is named
    CHECK(e.detail == "trade " + to_hex(record_id(trades[1])) + ": slot " + format_utc(kSlot) +
                          ": the clearing makes 1 trade, the block holds 2");
    // Without it the block is the clearing.
    trades.pop_back();
    CHECK(apply_records(b.st, trades, kAt, 4));
}

TEST_CASE("clearing: a slot whose book overflows cannot be cleared, by name", "[clearing]") {
    Book b;
    Offer second = b.c.offer_body(b.c.producer, 2);
    TestChain::apply(b.st, {b.c.sign(second, b.c.producer)}, kT0, 3);
    const std::vector<Record> trades = b.clearing();
    REQUIRE(trades.size() == 1);
    // A book adding up beyond int64 takes some 9.2 million orders of 1 TWh
    // (each within the record bounds); the slot index's energies of the two
    // offers, what slot_book adds up, stand for them.
    int offers = 0;
    for (auto& [key, energy] : b.st.slot_orders)
        if (key.slot == kSlot && key.side == Side::offer) {
            energy = std::int64_t{1} << 62;
            ++offers;
        }
    REQUIRE(offers == 2);
    const StateDelta view(b.st);
    const Error e = must_fail(clear_slot(view, kSlot, kAt, chain_market(b.c.genesis.body)));
    CHECK(e.reason == "overflow");
    CHECK(e.detail.rfind("slot " + format_utc(kSlot) + " cannot be cleared: ", 0) == 0);
    CHECK(must_fail(clearing_trades(view, kSlot, kAt, b.c.agent.id())).reason == "overflow");
    // A block trading in the slot is refused with that reason, naming its
    // first trade of the slot; a block without a trade for it is not.
    std::size_t at = 9;
    const Error block = must_fail(apply_records(b.st, trades, kAt, 4, 1, &at));
    CHECK(block.reason == "overflow");
    CHECK(at == 0);
    CHECK(block.detail.find("slot " + format_utc(kSlot) + " cannot be cleared: ") !=
          std::string::npos);
    CHECK(apply_records(b.st, {}, kAt, 4));
}

TEST_CASE("clearing: each clearing takes what the earlier ones left (no gate)", "[clearing]") {
    Book b;
    // Only 2 kWh asked first: the offer keeps 3 kWh.
    Request small = b.c.request_body(b.c.consumer, 2);
    small.energy_wh = 2000;
    small.slot += 30 * kMinute;
    Offer later = b.c.offer_body(b.c.producer, 2);
    later.slot = small.slot;
    TestChain::apply(b.st, {b.c.sign(later, b.c.producer), b.c.sign(small, b.c.consumer)}, kT0, 3);
    const auto first = b.c.clearing_trades(b.st, small.slot, kAt);
    REQUIRE(first.size() == 1);
    TestChain::apply(b.st, first, kAt, 4);
    // A second request later: the next clearing runs on the 3 kWh left.
    Request more = small;
    more.nonce = 3;
    more.energy_wh = 4000;
    TestChain::apply(b.st, {b.c.sign(more, b.c.consumer)}, kAt + kMinute, 5);
    const auto second = b.c.clearing_trades(b.st, small.slot, kAt + 2 * kMinute);
    REQUIRE(second.size() == 1);
    CHECK(std::get<Signed<Trade>>(second[0]).body.energy_wh == 3000);
    CHECK(apply_records(b.st, second, kAt + 2 * kMinute, 6));
}

TEST_CASE("clearing: a credential's limit holds per slot, across orders and blocks", "[clearing]") {
    TestChain c;
    MemoryState st = c.empty_state();
    Credential pc = c.credential_body(c.producer, role_producer | role_consumer, 1);
    pc.max_energy_wh = 6000;
    TestChain::apply(st, {c.admit(pc)}, kT0 - kHour, 1);
    Offer a = c.offer_body(c.producer, 1);
    a.energy_wh = 4000;
    TestChain::apply(st, {c.sign(a, c.producer)}, kT0, 2);
    Offer b = a;
    b.nonce = 2;
    b.energy_wh = 3000;
    Error e = refused(st, {c.sign(b, c.producer)}, kT0);
    CHECK(e.reason == "over limit");
    CHECK(e.detail.find("7 kWh offered by producer for " + format_utc(kSlot) +
                        " (4 kWh of it in earlier orders) is above its limit of 6 kWh") !=
          std::string::npos);
    b.energy_wh = 2000; // exactly the rest
    CHECK(apply_records(st, {c.sign(b, c.producer)}, kT0, 3));
    // Within one block too.
    Offer d = b;
    d.nonce = 3;
    d.energy_wh = 1;
    CHECK(refused(st, {c.sign(b, c.producer), c.sign(d, c.producer)}, kT0).reason == "over limit");
    // Requests have their own sum; another slot its own.
    Request r = c.request_body(c.producer, 4);
    r.energy_wh = 6000;
    Offer next = a;
    next.nonce = 5;
    next.slot += 30 * kMinute;
    next.energy_wh = 6000;
    CHECK(apply_records(st, {c.sign(r, c.producer), c.sign(next, c.producer)}, kT0, 3));
}

TEST_CASE("clearing: with a gate, a slot's book closes and is cleared once", "[clearing]") {
    // The book of kSlot (12:00) closes an hour before, at 11:00.
    TestChain c(0, [](Genesis& g) { g.gate_minutes = 60; });
    MemoryState st = c.market_state();
    Offer o = c.offer_body(c.producer);
    Request r = c.request_body(c.consumer);
    o.expires = r.expires = kSlot;
    TestChain::apply(st, {c.sign(o, c.producer), c.sign(r, c.consumer)}, kT0, 2);
    const std::int64_t gate = kSlot - kHour;
    REQUIRE(gate_closure(c.genesis.body, kSlot) == gate);
    // Before the gate: no trade. From the gate on: no order.
    CHECK(refused(st, c.clearing_trades(st, kSlot, gate - 1), gate - 1).reason == "book open");
    Offer late = c.offer_body(c.producer, 2);
    late.expires = kSlot;
    CHECK(refused(st, {c.sign(late, c.producer)}, gate).reason == "book closed");
    // At the gate: the clearing, once.
    const auto trades = c.clearing_trades(st, kSlot, gate);
    REQUIRE(trades.size() == 1);
    TestChain::apply(st, trades, gate, 3);
    CHECK(must(st.cleared(kSlot)) == std::optional<std::uint64_t>(3));
    // Cleared: even an order stamped before the gate is refused now, and no
    // second clearing.
    CHECK(refused(st, {c.sign(late, c.producer)}, gate - 10).reason == "book closed");
    Trade again = std::get<Signed<Trade>>(trades[0]).body;
    again.time += 1;
    CHECK(refused(st, {c.sign(again, c.agent)}, gate + kMinute).reason == "already cleared");
}

namespace {

// Six prosumers in two zones, registered on a chain whose market is `m`.
struct RandomMarket {
    TestChain c;
    std::vector<SecretKey> people;
    MemoryState st;
    explicit RandomMarket(void (*m)(Genesis&)) : c(0, m), st(c.market_state()) {
        std::vector<Record> creds;
        for (std::uint8_t i = 0; i < 6; ++i) {
            people.push_back(key_of(static_cast<std::uint8_t>(20 + i), "p" + std::to_string(i)));
            Credential cr = c.credential_body(people.back(), role_producer | role_consumer, 10 + i);
            cr.zone = i % 2 ? "south" : "north";
            creds.push_back(c.admit(cr));
        }
        TestChain::apply(st, creds, kT0 - kHour, 2);
    }
    // 1 to 10 random orders for kSlot, signed.
    std::vector<Record> orders(std::mt19937_64& rng) const {
        auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
        std::vector<Record> out;
        const int n = pick(1, 10);
        for (int k = 0; k < n; ++k) {
            const int who = pick(0, 5);
            const SecretKey& p = people[static_cast<std::size_t>(who)];
            const std::int64_t energy = 500 * pick(1, 8), limit = 100 * pick(30, 70);
            const std::string zone = who % 2 ? "south" : "north";
            if (pick(0, 1)) {
                Offer o = c.offer_body(p, static_cast<std::uint64_t>(k + 1));
                o.energy_wh = energy;
                o.floor_price = limit;
                o.opening_price = limit + 100 * pick(0, 10);
                o.zone = zone;
                out.push_back(c.sign(o, p));
            } else {
                Request r = c.request_body(p, static_cast<std::uint64_t>(k + 1));
                r.energy_wh = energy;
                r.ceiling_price = limit;
                r.opening_price = limit - 100 * pick(0, 10);
                r.zone = zone;
                if (pick(0, 3) == 0)
                    r.from = {participant_hex(people[static_cast<std::size_t>(pick(0, 5))].id())};
                out.push_back(c.sign(r, p));
            }
        }
        return out;
    }
};

void set_bid_fee(Genesis& g) {
    g.mechanism = "pay-as-bid";
    g.network_fee = 300;
}
void set_negotiate_fee(Genesis& g) {
    g.mechanism = "negotiate";
    g.rounds = 7;
    g.network_fee = 200;
}
void set_clear_fee(Genesis& g) { g.network_fee = 150; }

std::vector<Hash32> ids(const std::vector<Record>& records) {
    std::vector<Hash32> out;
    for (const auto& r : records) out.push_back(record_id(r));
    return out;
}

// A random edit of one field of a trade.
Trade edit_trade(Trade t, int field) {
    switch (field) {
    case 0: t.price += 1; break;
    case 1: t.energy_wh -= 1; break;
    case 2: t.round += 1; break;
    case 3: t.fee_price += 1; break;
    default: t.mechanism = t.mechanism == "negotiate" ? "pay-as-bid" : "negotiate"; break;
    }
    t.amount = t.energy_wh * t.price;
    t.fee = t.energy_wh * t.fee_price;
    return t;
}

} // namespace

TEST_CASE(
    "clearing: property: the agent's clearing passes whatever the order of the input, and "
    "any edit of a trade is refused",
    "[clearing][property]") {
    std::mt19937_64 rng(20261203);
    for (void (*m)(Genesis&) : {set_clear_fee, set_bid_fee, set_negotiate_fee}) {
        const RandomMarket market(m);
        for (int round = 0; round < 150; ++round) {
            const std::vector<Record> orders = market.orders(rng);
            MemoryState st = market.st;
            TestChain::apply(st, orders, kT0, 3);
            const std::vector<Record> trades = market.c.clearing_trades(st, kSlot, kAt);
            INFO("round " << round << ", " << orders.size() << " orders, " << trades.size()
                          << " trades");
            REQUIRE(apply_records(st, trades, kAt, 4));
            // The same orders mined in reverse give the same clearing.
            MemoryState reversed = market.st;
            TestChain::apply(reversed, std::vector<Record>(orders.rbegin(), orders.rend()), kT0, 3);
            CHECK(ids(market.c.clearing_trades(reversed, kSlot, kAt)) == ids(trades));
            if (trades.empty()) continue;
            std::vector<Record> forged = trades;
            const std::size_t i = rng() % trades.size();
            forged[i] = market.c.sign(
                edit_trade(std::get<Signed<Trade>>(trades[i]).body, static_cast<int>(rng() % 5)),
                market.c.agent);
            CHECK_FALSE(apply_records(st, forged, kAt, 4));
        }
    }
}

TEST_CASE(
    "clearing: property: with random cancels, the clearing is the clearing of the book without "
    "the withdrawn orders",
    "[clearing][property][cancel]") {
    std::mt19937_64 rng(20261214);
    std::size_t withdrawn = 0, changed = 0;
    for (void (*m)(Genesis&) : {set_clear_fee, set_bid_fee, set_negotiate_fee}) {
        const RandomMarket market(m);
        for (int round = 0; round < 100; ++round) {
            const std::vector<Record> orders = market.orders(rng);
            // Each order withdrawn by its owner with probability 1/3, in a
            // block after the orders' (or, every other round, in the block
            // that clears).
            std::vector<Record> cancels, kept;
            for (const Record& o : orders) {
                const OrderFacts f = order_facts(o);
                if (rng() % 3 == 0) {
                    const auto& who =
                        *std::find_if(market.people.begin(), market.people.end(),
                                      [&](const SecretKey& k) { return k.id() == f.owner; });
                    cancels.push_back(market.c.sign(Cancel{f.owner, record_id(o), kT0}, who));
                } else {
                    kept.push_back(o);
                }
            }
            INFO("round " << round << ", " << orders.size() << " orders, " << cancels.size()
                          << " withdrawn");
            MemoryState st = market.st, without = market.st;
            TestChain::apply(st, orders, kT0, 3);
            TestChain::apply(without, kept, kT0, 3);
            const bool same_block = round % 2;
            if (!same_block) TestChain::apply(st, cancels, kT0 + kMinute, 4);
            // The block that clears, with the cancels when same_block.
            StateDelta d =
                must(apply_records(st, same_block ? cancels : std::vector<Record>{}, kAt, 5));
            std::vector<Record> trades;
            for (const Trade& t : must(clearing_trades(d, kSlot, kAt, market.c.agent.id())))
                trades.push_back(market.c.sign(t, market.c.agent));
            const std::vector<Record> plain = market.c.clearing_trades(without, kSlot, kAt);
            CHECK(ids(trades) == ids(plain));
            std::vector<Record> block = same_block ? cancels : std::vector<Record>{};
            block.insert(block.end(), trades.begin(), trades.end());
            CHECK(apply_records(st, block, kAt, 5));
            withdrawn += cancels.size();
            changed += ids(market.c.clearing_trades(st, kSlot, kAt)) != ids(trades);
        }
    }
    CHECK(withdrawn > 100); // the property was exercised, and cancels changed clearings
    CHECK(changed > 10);
}

TEST_CASE("clearing: the fee table, by zone pair, within a zone too", "[clearing]") {
    const std::vector<ZoneFee> table = test::must(
        parse_zone_fees({"south:north=7", "north:north=1.5", "north:south=0", ":north=2"}));
    REQUIRE(table.size() == 4);
    CHECK(table[0].seller_zone.empty()); // sorted by (seller, buyer)
    CHECK(table[1].seller_zone == "north");
    CHECK(table[1].buyer_zone == "north");
    CHECK(table[1].fee == 150);
    CHECK(check_zone_fees(table));
    CHECK(zone_fee(table, 500, "north", "north") == 150); // the entry, within a zone
    CHECK(zone_fee(table, 500, "north", "south") == 0);   // the entry, though 0
    CHECK(zone_fee(table, 500, "south", "north") == 700);
    CHECK(zone_fee(table, 500, "south", "south") == 0);  // no entry, one zone
    CHECK(zone_fee(table, 500, "south", "east") == 500); // no entry, two zones
    CHECK(zone_fee(table, 500, "", "north") == 200);
    MarketParams p;
    p.network_fee = 500;
    p.zone_fees = table;
    CHECK(lowest_fee(p) == 0);
    p.zone_fees = test::must(parse_zone_fees({"a:b=9"}));
    CHECK(lowest_fee(p) == 500);
    for (const char* bad : {"north-south=5", "north:south", "a:b:c=1", "a:b=-1", "a:b=x",
                            "a:b=10000.00001", "a:b=1.000001"}) {
        INFO(bad);
        const Error e = test::must_fail(parse_zone_fees({bad}));
        CHECK(e.reason == "bad --zone-fee");
        CHECK(e.code == Exit::usage);
    }
    const Error twice = test::must_fail(parse_zone_fees({"a:b=1", "c:d=2", "a:b=1"}));
    CHECK(twice.detail.find("given twice") != std::string::npos);
    std::vector<ZoneFee> unsorted = table;
    std::swap(unsorted[0], unsorted[1]);
    CHECK_FALSE(check_zone_fees(unsorted));
    std::vector<ZoneFee> doubled = {table[1], table[1]};
    CHECK_FALSE(check_zone_fees(doubled));
    Genesis g;
    g.slot_minutes = 30;
    g.zone_fees = {{"a", "b", -1}};
    CHECK_FALSE(check_market_genesis(g));
    g.zone_fees = {{"a", "b", 1'000'001}};
    CHECK_FALSE(check_market_genesis(g));
}
