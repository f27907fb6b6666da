#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "chart.hpp"
#include "units.hpp"

using namespace setm;

namespace {

Hash32 filled(std::uint8_t b) {
    Hash32 h{};
    h.fill(b);
    return h;
}

std::int64_t at(const char* t) { return parse_utc(t).value(); }

SlotReport slot(const char* t, std::int64_t traded) {
    SlotReport s;
    s.slot = at(t);
    s.offers = s.requests = 1;
    s.offered_wh = 5000;
    s.requested_wh = 2000;
    s.traded_wh = traded;
    s.supply = {{4000, 5000}};
    s.demand = {{4600, 2000}};
    return s;
}

// A slot that traded after one negotiation of offer 0xaa.. with request 0xbb..
std::vector<SlotReport> market() {
    SlotReport traded = slot("2026-11-26T12:00:00Z", 2000);
    Negotiation n;
    n.offer = filled(0xaa);
    n.request = filled(0xbb);
    n.rounds = {{0, 3400, 5200}, {1, 4400, 4300}};
    n.agreed = true;
    n.price = 4350;
    traded.negotiations = {n};
    return {slot("2026-11-26T10:00:00Z", 0), slot("2026-11-26T10:30:00Z", 0),
            slot("2026-11-26T11:00:00Z", 0), traded, slot("2026-11-26T14:00:00Z", 0)};
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
}

} // namespace

TEST_CASE("chart: negotiations name the participants who placed the orders") {
    const OrderNames names = {{filled(0xaa), "solar"}, {filled(0xbb), "home"}};
    const std::string text = explain_market(market(), {}, names, 30);
    INFO(text);
    CHECK(text.find("offer aaaaaaaaaaaaaaaa (solar) request bbbbbbbbbbbbbbbb (home)") !=
          std::string::npos);
    // unknown to the registry: the id alone
    const std::string bare = explain_market(market(), {}, {}, 30);
    CHECK(bare.find("offer aaaaaaaaaaaaaaaa request bbbbbbbbbbbbbbbb fee") != std::string::npos);
}

TEST_CASE("chart: slots without a trade are one line, consecutive ones as ranges") {
    const std::string text = explain_market(market(), {}, {}, 30);
    INFO(text);
    CHECK(count(text, "slot 2026-") == 1); // only the traded slot is drawn
    CHECK(text.find("slot 2026-11-26T12:00:00Z") != std::string::npos);
    CHECK(text.find("4 slot(s) with orders but no trade, not drawn: "
                    "2026-11-26T10:00:00Z..2026-11-26T11:00:00Z, 2026-11-26T14:00:00Z\n") !=
          std::string::npos);
    CHECK(count(text, "no trade") == 1);
}

TEST_CASE("chart: --slot limits --explain to the chosen slots") {
    const OrderNames none;
    std::string text = explain_market(market(), {at("2026-11-26T12:00:00Z")}, none, 30);
    CHECK(text.find("slot 2026-11-26T12:00:00Z") != std::string::npos);
    CHECK(text.find("no trade") == std::string::npos);
    text = explain_market(market(), {at("2026-11-26T10:30:00Z"), at("2026-11-26T14:00:00Z")}, none,
                          30);
    CHECK(text ==
          "2 slot(s) with orders but no trade, not drawn: 2026-11-26T10:30:00Z, "
          "2026-11-26T14:00:00Z\n");
    CHECK(explain_market(market(), {at("2027-01-01T00:00:00Z")}, none, 30).empty());
}
