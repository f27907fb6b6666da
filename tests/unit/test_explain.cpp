// setm-verify --explain's words (explain.hpp): one trade's checks, a block's
// narration with the fills counted across blocks, and the cap for big blocks.
#include <algorithm>

#include "explain.hpp"
#include "fixtures.hpp"
#include "units.hpp"

using namespace setm;
using namespace setm::test;

namespace {

TradeStory story() {
    TradeStory s;
    s.trade.slot = kT0;
    s.trade.energy_wh = 512;
    s.trade.price = 4300;
    s.trade.amount = 512 * 4300;
    s.trade.mechanism = "negotiate";
    s.trade.round = 8;
    s.seller = "g1";
    s.buyer = "pc1";
    s.seller_zone = s.buyer_zone = "north";
    s.floor_price = 4000;
    s.ceiling_price = 4600;
    s.offer_wh = 2859;
    s.request_wh = 512;
    s.offer_filled = 1536;
    s.request_filled = 512;
    return s;
}

bool has(const std::vector<std::string>& lines, const std::string& want) {
    return std::find(lines.begin(), lines.end(), want) != lines.end();
}

// A block at `height` holding `records`, as the narration reads it.
Block block_of(std::vector<Record> records, std::int64_t t) {
    Block b;
    b.header.time = static_cast<std::uint32_t>(t);
    b.header.bits = easy_bits();
    b.records = std::move(records);
    return b;
}

} // namespace

TEST_CASE("explain: a trade's limits, energy, fills and money in words", "[explain]") {
    const auto lines = explain_trade(story());
    const std::vector<std::string> want = {
        "     g1 sells 512 Wh to pc1 for the slot " + format_utc(kT0) +
            " at 43.00 EUR/MWh (negotiate, agreed in round 8; the chain's own clearing of the "
            "slot makes this trade)",
        "     the seller's floor 40.00 <= the price 43.00: ok",
        "     the buyer's ceiling 46.00 >= the price 43.00 + the network fee 0.00 = 43.00: ok",
        "     g1's offer of 2.859 kWh: 1.536 kWh filled after this trade, 1.323 kWh left",
        "     pc1's request of 512 Wh: 512 Wh filled after this trade, nothing left",
        "     pc1 pays 512 Wh x 43.00 EUR/MWh = 0.02201600 EUR to g1; no network fee (both in "
        "north)"};
    CHECK(lines == want);
}

TEST_CASE("explain: a fee between zones, and a limit not met is said so", "[explain]") {
    TradeStory s = story();
    s.buyer = "ic1";
    s.buyer_zone = "south";
    s.trade.mechanism = "pay-as-clear";
    s.trade.fee_price = 500;
    s.trade.fee = 512 * 500;
    s.ceiling_price = 4700; // 43 + 5 = 48 > 47
    s.floor_price = 4400;   // 44 > 43
    const auto lines = explain_trade(s);
    REQUIRE(lines.size() == 6);
    CHECK(lines[0].find("(pay-as-clear; ") != std::string::npos);
    CHECK(lines[1] == "     the seller's floor 44.00 <= the price 43.00: NOT MET");
    CHECK(lines[2] ==
          "     the buyer's ceiling 47.00 >= the price 43.00 + the network fee 5.00 = 48.00: NOT "
          "MET");
    CHECK(lines[5] ==
          "     ic1 pays 512 Wh x 43.00 EUR/MWh = 0.02201600 EUR to g1; network fee "
          "512 Wh x 5.00 EUR/MWh = 0.00256000 EUR (north to south)");
}

TEST_CASE("explain: a block's trades, each order's fill counting earlier blocks", "[explain]") {
    TestChain c;
    MemoryState st = c.market_state();
    const auto offer = c.sign(c.offer_body(c.producer), c.producer); // 5 kWh, floor 40
    Request first = c.request_body(c.consumer, 1);                   // ceiling 70
    first.energy_wh = 2000;
    Request second = first;
    second.nonce = 2;
    second.energy_wh = 1500;
    Request third = first;
    third.nonce = 3;
    third.energy_wh = 1000;
    TestChain::apply(st, {offer, c.sign(first, c.consumer)}, kT0, 2);
    const auto early = c.clearing_trades(st, offer.body.slot, kT0 + kMinute);
    REQUIRE(early.size() == 1);
    TestChain::apply(st, early, kT0 + kMinute, 3); // 2 kWh of the offer go in block 3
    TestChain::apply(st, {c.sign(second, c.consumer), c.sign(third, c.consumer)}, kT0 + 2 * kMinute,
                     4);
    const auto trades = c.clearing_trades(st, offer.body.slot, kT0 + 3 * kMinute);
    REQUIRE(trades.size() == 2);
    TestChain::apply(st, trades, kT0 + 3 * kMinute, 5);

    const Block b = block_of(trades, kT0 + 3 * kMinute);
    const auto lines = must(explain_block(b, 5, st));
    CHECK(lines.at(0).rfind("block 5 ", 0) == 0);
    CHECK(lines.at(1).find("links to block 4") != std::string::npos);
    CHECK(lines.at(2) == "  merkle root over 2 record id(s) matches the header");
    CHECK(lines.at(3).rfind("  1. trade ", 0) == 0);
    CHECK(lines.at(3).find("identified agent (uI: credential serial 3, agent)") !=
          std::string::npos);
    // After block 3's 2 kWh, the offer fills to 2 + e1, then to 4.5 kWh.
    const std::int64_t e1 = std::get<Signed<Trade>>(trades[0]).body.energy_wh;
    const std::int64_t e2 = std::get<Signed<Trade>>(trades[1]).body.energy_wh;
    CHECK(e1 + e2 == 2500);
    CHECK(has(lines, "     producer's offer of 5 kWh: " + format_energy(2000 + e1) +
                         " filled after this trade, " + format_energy(3000 - e1) + " left"));
    CHECK(
        has(lines, "     producer's offer of 5 kWh: 4.5 kWh filled after this trade, 500 Wh left"));
    CHECK(lines.size() == 3 + 2 * 7);
    CHECK(std::none_of(lines.begin(), lines.end(), [](const std::string& l) {
        return l.find("NOT MET") != std::string::npos;
    }));
}

TEST_CASE("explain: a big block narrates its first records, then one line sums up the rest",
          "[explain]") {
    TestChain c;
    MemoryState st = c.market_state();
    const auto offer = c.sign(c.offer_body(c.producer), c.producer);
    std::vector<Record> orders{offer};
    for (std::uint64_t n = 1; n <= 4; ++n) {
        Request r = c.request_body(c.consumer, n);
        r.energy_wh = 1000;
        orders.push_back(c.sign(r, c.consumer));
    }
    TestChain::apply(st, orders, kT0, 2);
    const auto trades = c.clearing_trades(st, offer.body.slot, kT0 + kMinute);
    REQUIRE(trades.size() == 4);
    TestChain::apply(st, trades, kT0 + kMinute, 3);

    const auto head = must(explain_block(block_of(orders, kT0), 2, st, 2));
    CHECK(head.size() == 3 + 2 + 1);
    CHECK(head.back() == "  … and 3 more record(s), each checked the same way: 3 requests");

    const auto lines = must(explain_block(block_of(trades, kT0 + kMinute), 3, st, 1));
    CHECK(lines.size() == 3 + 7 + 1);
    std::int64_t amount = 0;
    for (std::size_t i = 1; i < trades.size(); ++i)
        amount += std::get<Signed<Trade>>(trades[i]).body.amount;
    CHECK(lines.back() ==
          "  … and 3 more record(s), each checked the same way: 3 trades; their "
          "trades: 3 kWh, " +
              format_money(amount) + " EUR to sellers, 0.00000000 EUR in fees");
    // Without a cap every trade is narrated.
    CHECK(must(explain_block(block_of(trades, kT0 + kMinute), 3, st, 100)).size() == 3 + 4 * 7);
}
