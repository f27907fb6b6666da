#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

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
    for (const auto& r : rows) CHECK(r.size() == 15);
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
