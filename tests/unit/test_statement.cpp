#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "statement.hpp"

using namespace setm;

namespace {

StatementLine line_of(const std::string& name, std::uint8_t id, std::int64_t bought,
                      std::int64_t sold, std::int64_t paid, std::int64_t received,
                      std::int64_t fees) {
    StatementLine l;
    l.participant.fill(id);
    l.name = name;
    l.slot = 1795687200; // 2026-11-26T08:00:00Z
    l.bought_wh = bought;
    l.sold_wh = sold;
    l.paid = paid;
    l.received = received;
    l.fees = fees;
    l.trades = 1;
    return l;
}

// A statement of one trade between a buyer whose name needs quoting and a seller.
Statement sample() {
    Statement s;
    s.lines = {line_of("Smith, \"Jo\"", 1, 2000, 0, 8610000, 0, 10000),
               line_of("solar", 2, 0, 2000, 0, 8600000, 0)};
    s.totals = s.lines;
    for (auto& t : s.totals) t.slot = 0;
    s.paid = 8610000;
    s.received = 8600000;
    s.fees = 10000;
    s.energy_wh = 2000;
    s.trades = 1;
    return s;
}

// RFC 4180 records of TEXT (CRLF line ends, quoted fields with "" for ").
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                rows.back().back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                rows.back().back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            rows.back().emplace_back();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            rows.emplace_back(1);
            ++i;
        } else {
            rows.back().back() += c;
        }
    }
    rows.pop_back(); // after the last CRLF
    return rows;
}

} // namespace

TEST_CASE("statement csv: RFC 4180 quoting and CRLF line ends") {
    const std::string csv = statement_csv(sample());
    CHECK(csv.find("\"Smith, \"\"Jo\"\"\"") != std::string::npos);
    CHECK(csv.find(",solar,") != std::string::npos); // plain fields stay plain
    CHECK(csv.find('\n') == csv.find("\r\n") + 1);
    std::size_t lf = 0;
    for (std::size_t i = 0; i < csv.size(); ++i)
        if (csv[i] == '\n') {
            ++lf;
            CHECK(csv[i - 1] == '\r');
        }
    CHECK(lf == 6); // header, 2 lines, 2 totals, balance
    const auto rows = parse_csv(csv);
    REQUIRE(rows.size() == 6);
    CHECK(rows[1][2] == "Smith, \"Jo\"");
    for (const auto& r : rows) CHECK(r.size() == 18);
}

TEST_CASE("statement csv: every row has exactly the fields and values of its JSON object") {
    const Statement s = sample();
    const auto rows = parse_csv(statement_csv(s));
    const auto& header = rows[0];
    std::vector<std::string> json;
    for (const auto& l : s.lines) json.push_back(statement_line_json(l, "statement-line"));
    for (const auto& t : s.totals) json.push_back(statement_line_json(t, "statement-total"));
    json.push_back(statement_balance_json(s));
    REQUIRE(rows.size() == json.size() + 1);
    for (std::size_t i = 0; i < json.size(); ++i) {
        INFO(json[i]);
        rapidjson::Document d;
        d.Parse(json[i].c_str());
        REQUIRE(d.IsObject());
        std::size_t filled = 0;
        for (std::size_t c = 0; c < header.size(); ++c) {
            const std::string& cell = rows[i + 1][c];
            INFO(header[c] << " = " << cell);
            if (cell.empty()) {
                CHECK(!d.HasMember(header[c].c_str()));
                continue;
            }
            ++filled;
            REQUIRE(d.HasMember(header[c].c_str()));
            const auto& v = d[header[c].c_str()];
            std::ostringstream text;
            if (v.IsString())
                text << v.GetString();
            else if (v.IsBool())
                text << (v.GetBool() ? "true" : "false");
            else if (v.IsInt64())
                text << v.GetInt64();
            else
                text << v.GetUint64();
            CHECK(text.str() == cell);
        }
        CHECK(filled == d.MemberCount());
    }
}

TEST_CASE("statement csv: EUR columns beside the integer units") {
    const auto rows = parse_csv(statement_csv(sample()));
    const auto& h = rows[0];
    for (const char* unit : {"paid", "received", "fees"}) {
        auto at = std::find(h.begin(), h.end(), unit);
        REQUIRE(at != h.end());
        REQUIRE(at + 1 != h.end());
        CHECK(*(at + 1) == std::string(unit) + "_eur");
    }
    const auto paid = static_cast<std::size_t>(std::find(h.begin(), h.end(), "paid") - h.begin());
    CHECK(rows[1][paid] == "8610000");
    CHECK(rows[1][paid + 1] == "0.08610000");
}

namespace {

// Blocks 2, 3 and 4 of a market, each with one trade of the producer's
// offer to the consumer's request (1, 2 and 4 kWh at 43 EUR/MWh, the last
// between zones with a fee), all in one slot: what three cron batches mine.
struct ThreeBatches {
    test::TestChain chain;
    MemoryState state = chain.market_state();
    std::vector<Block> blocks;
    ThreeBatches() {
        const auto offer = chain.sign(chain.offer_body(chain.producer), chain.producer);
        const auto request = chain.sign(chain.request_body(chain.consumer), chain.consumer);
        const std::int64_t energy[] = {1000, 2000, 4000};
        for (std::int64_t i = 0; i < 3; ++i) {
            Trade t = chain.trade_body(offer, request, energy[i], 4300, i == 2 ? 500 : 0);
            t.round = static_cast<std::uint32_t>(i + 1); // distinct trades
            Block b;
            b.records = {chain.sign(t, chain.agent)};
            blocks.push_back(b);
        }
    }
    Statement statement(StatementRange r) const {
        StatementBuilder sb(r);
        for (std::size_t i = 0; i < blocks.size(); ++i)
            REQUIRE(sb.add_block(blocks[i], 2 + i, state));
        return test::must(sb.finish());
    }
};

StatementRange heights(std::optional<std::uint64_t> from, std::optional<std::uint64_t> to) {
    StatementRange r;
    r.from_height = from;
    r.to_height = to;
    return r;
}

} // namespace

TEST_CASE("statement by height: from is inclusive, to exclusive, and each part balances") {
    const ThreeBatches m;
    const Statement all = m.statement({});
    CHECK(all.trades == 3);
    CHECK(all.energy_wh == 7000);
    const Statement third = m.statement(heights(3, 4));
    CHECK(third.trades == 1);
    CHECK(third.energy_wh == 2000);
    CHECK(third.paid == 2000 * 4300);
    CHECK(third.balanced());
    const Statement last = m.statement(heights(4, std::nullopt));
    CHECK(last.trades == 1);
    CHECK(last.fees == 4000 * 500);
    CHECK(last.paid == last.received + last.fees);
    CHECK(m.statement(heights(std::nullopt, 3)).energy_wh == 1000);
    CHECK(m.statement(heights(2, 5)).energy_wh == 7000);
}

TEST_CASE("statement by height: an empty range is an empty balanced statement") {
    const ThreeBatches m;
    for (const auto& r : {heights(3, 3), heights(5, std::nullopt), heights(0, 2)}) {
        const Statement s = m.statement(r);
        CHECK(s.trades == 0);
        CHECK(s.lines.empty());
        CHECK(s.totals.empty());
        CHECK(s.balanced());
    }
}

TEST_CASE("statement by height: the ranges of the batches add up to the whole") {
    const ThreeBatches m;
    const Statement all = m.statement({});
    std::int64_t paid = 0, received = 0, fees = 0, energy = 0, bought = 0;
    std::uint64_t trades = 0;
    for (std::uint64_t h = 2; h <= 4; ++h) {
        const Statement s = m.statement(heights(h, h + 1));
        CHECK(s.trades == 1);
        paid += s.paid;
        received += s.received;
        fees += s.fees;
        energy += s.energy_wh;
        trades += s.trades;
        for (const auto& t : s.totals) bought += t.bought_wh;
    }
    CHECK(paid == all.paid);
    CHECK(received == all.received);
    CHECK(fees == all.fees);
    CHECK(energy == all.energy_wh);
    CHECK(bought == all.energy_wh);
    CHECK(trades == all.trades);
}

TEST_CASE("statement by height: combines with the slot filter") {
    const ThreeBatches m;
    const std::int64_t slot = test::kT0 + 2 * test::kHour;
    StatementRange r = heights(3, std::nullopt);
    r.from_slot = slot;
    r.to_slot = slot + 30 * test::kMinute;
    CHECK(m.statement(r).energy_wh == 6000);
    r.from_slot = slot + 30 * test::kMinute;
    r.to_slot = std::nullopt;
    CHECK(m.statement(r).trades == 0);
}

TEST_CASE(
    "statement range: heights are whole numbers from 0, and a range never ends before it starts") {
    CHECK(test::must(parse_height("0", "--from-height")) == 0);
    CHECK(test::must(parse_height("18446744073709551615", "--to-height")) == UINT64_MAX);
    for (const char* bad : {"-1", "-0", "1.5", "1e3", "", "+1", " 1", "01", "two", "0x10"}) {
        INFO(bad);
        const Error e = test::must_fail(parse_height(bad, "--from-height"));
        CHECK(e.code == Exit::usage);
        CHECK(e.reason == "bad --from-height");
    }
    for (const char* negative : {"-3", "-18446744073709551616"})
        CHECK(test::must_fail(parse_height(negative, "--to-height")).detail.find("negative") !=
              std::string::npos);
    CHECK(test::must_fail(parse_height("-0", "--to-height")).detail.find("negative") ==
          std::string::npos);
    CHECK(test::must_fail(parse_height("18446744073709551616", "--to-height"))
              .detail.find("too large") != std::string::npos);
    CHECK(check_range(heights(3, 3)));
    CHECK(check_range(heights(4, std::nullopt)));
    const Error e = test::must_fail(check_range(heights(4, 3)));
    CHECK(e.code == Exit::usage);
    CHECK(e.message() == "bad range: --from-height 4 is above --to-height 3");
    StatementRange slots;
    slots.from_slot = test::kT0 + test::kHour;
    slots.to_slot = test::kT0;
    CHECK(test::must_fail(check_range(slots)).message() ==
          "bad range: --from 2026-11-25T11:00:00Z is after --to 2026-11-25T10:00:00Z");
}

namespace {

void name_grid_operator(Genesis& g) { g.grid_operator = test::key_of(5, "grid").id(); }

} // namespace

TEST_CASE("statement: the grid operator named at genesis receives every fee") {
    test::TestChain chain(0, name_grid_operator);
    const SecretKey grid = test::key_of(5, "grid");
    MemoryState state = chain.market_state();
    test::TestChain::apply(state, {chain.admit(grid, role_operator, 4)}, test::kT0 - test::kHour,
                           2);
    const auto offer = chain.sign(chain.offer_body(chain.producer), chain.producer);
    const auto request = chain.sign(chain.request_body(chain.consumer), chain.consumer);
    Block b;
    b.records = {chain.sign(chain.trade_body(offer, request, 2000, 4300, 500), chain.agent),
                 chain.sign(chain.trade_body(offer, request, 1000, 4300, 0), chain.agent)};
    StatementBuilder sb({});
    REQUIRE(sb.add_block(b, 3, state));
    const Statement s = test::must(sb.finish());
    REQUIRE(s.grid_operator);
    CHECK(*s.grid_operator == grid.id());
    CHECK(s.fees == 2000 * 500);
    CHECK(s.fees_received == s.fees);
    CHECK(s.paid == s.received + s.fees_received);
    CHECK(s.balanced());
    auto line = std::find_if(s.totals.begin(), s.totals.end(),
                             [&](const StatementLine& l) { return l.participant == grid.id(); });
    REQUIRE(line != s.totals.end());
    CHECK(line->name == "grid");
    CHECK(line->fees_received == 2000 * 500);
    CHECK(line->paid == 0);
    CHECK(line->received == 0);
    CHECK(line->trades == 1); // the trade without a fee is not the operator's
    CHECK(statement_balance_json(s).find("\"grid_operator\":\"" + participant_hex(grid.id())) !=
          std::string::npos);
    Statement off = s; // the fees must all have reached the operator
    off.fees_received -= 1;
    CHECK_FALSE(off.balanced());
}

TEST_CASE("statement: without a grid operator the fees are paid to nobody") {
    const ThreeBatches m;
    const Statement s = m.statement({});
    CHECK_FALSE(s.grid_operator);
    CHECK(s.fees > 0);
    CHECK(s.fees_received == 0);
    CHECK(s.balanced());
    CHECK(statement_balance_json(s).find("grid_operator") == std::string::npos);
}
