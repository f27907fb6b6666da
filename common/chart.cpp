#include "chart.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "units.hpp"

namespace setm {

namespace {

using Curve = std::vector<std::pair<std::int64_t, std::int64_t>>;

constexpr int kRows = 16;  // price rows of the curves chart
constexpr int kStrip = 30; // columns of a negotiation's strip

std::string pad_left(std::string s, std::size_t width) {
    if (s.size() < width) s.insert(0, width - s.size(), ' ');
    return s;
}

std::string short_id(const Hash32& id) { return to_hex(id).substr(0, 16); }

// "offer 1a2b3c4d5e6f7a8b (solar)", or without the name when it is unknown.
std::string order_label(const char* kind, const Hash32& id, const OrderNames& names) {
    std::string label = std::string(kind) + " " + short_id(id);
    auto it = names.find(id);
    return it == names.end() ? label : label + " (" + it->second + ")";
}

std::int64_t curve_energy(const Curve& c) {
    std::int64_t sum = 0;
    for (const auto& step : c) sum += step.second; // the slot's checked total
    return sum;
}

// The price of a stepped curve at cumulative energy e; nullopt past its end.
std::optional<std::int64_t> price_at(const Curve& c, double e) {
    double end = 0;
    for (const auto& [price, wh] : c) {
        end += static_cast<double>(wh);
        if (e < end) return price;
    }
    return std::nullopt;
}

// ---- the curves chart ------------------------------------------------------------

// The price axis: row 0 is the highest price seen, row kRows - 1 the lowest.
struct PriceAxis {
    std::int64_t lo = std::numeric_limits<std::int64_t>::max();
    std::int64_t hi = std::numeric_limits<std::int64_t>::min();

    void see(std::int64_t p) {
        lo = std::min(lo, p);
        hi = std::max(hi, p);
    }
    bool empty() const { return lo > hi; }
    int row(std::int64_t p) const {
        if (hi == lo) return kRows / 2;
        return static_cast<int>(
            static_cast<double>(hi - p) * (kRows - 1) / static_cast<double>(hi - lo) + 0.5);
    }
};

// Every step price of both curves and the clearing price.
PriceAxis price_axis(const SlotReport& s) {
    PriceAxis axis;
    for (const Curve* c : {&s.supply, &s.demand})
        for (const auto& step : *c) axis.see(step.first);
    if (s.clearing_price) axis.see(*s.clearing_price);
    return axis;
}

// A row is labelled with the first step price drawn on it; the clearing
// price wins; the top row shows the highest price if nothing else.
std::vector<std::string> row_labels(const SlotReport& s, const PriceAxis& axis) {
    std::vector<std::string> labels(kRows);
    for (const Curve* c : {&s.supply, &s.demand})
        for (const auto& step : *c)
            if (labels[axis.row(step.first)].empty())
                labels[axis.row(step.first)] = format_price(step.first);
    if (s.clearing_price) labels[axis.row(*s.clearing_price)] = format_price(*s.clearing_price);
    labels[0] = labels[0].empty() ? format_price(axis.hi) : labels[0];
    return labels;
}

// The plot area: kRows rows of `width` columns, `per_col` Wh per column.
struct Grid {
    int width;
    double per_col;
    std::vector<std::string> rows;

    Grid(int w, double wh_per_col)
        : width(w),
          per_col(wh_per_col),
          rows(kRows, std::string(static_cast<std::size_t>(w), ' ')) {}
    char& at(int row, int col) {
        return rows[static_cast<std::size_t>(row)][static_cast<std::size_t>(col)];
    }
    // A cell that two curves pass through shows '*'.
    void put(int row, int col, char ch) {
        char& cell = at(row, col);
        cell = (cell == ' ' || cell == ch) ? ch : '*';
    }
};

// One curve, column by column, with the risers of its steps.
void draw_curve(Grid& g, const Curve& curve, char ch, const PriceAxis& axis) {
    int prev = -1;
    for (int col = 0; col < g.width; ++col) {
        auto p = price_at(curve, (col + 0.5) * g.per_col);
        if (!p) break;
        const int row = axis.row(*p);
        if (prev >= 0) // the riser of a step
            for (int r = std::min(prev, row) + 1; r < std::max(prev, row); ++r) g.put(r, col, ch);
        g.put(row, col, ch);
        prev = row;
    }
}

// 'X' at the crossing, '-' leading to it from the price axis.
void mark_clearing(Grid& g, std::int64_t price, std::int64_t crossing_wh, const PriceAxis& axis) {
    const int row = axis.row(price);
    int col = static_cast<int>(static_cast<double>(crossing_wh) / g.per_col + 0.5) - 1;
    col = std::clamp(col, 0, g.width - 1);
    for (int c = 0; c < col; ++c)
        if (g.at(row, c) == ' ') g.at(row, c) = '-';
    g.at(row, col) = 'X';
}

// The labelled rows, the energy axis from 0 to `total`, and the legend.
std::string render(const Grid& g, const std::vector<std::string>& labels, std::size_t label_width,
                   std::int64_t total, bool cleared) {
    std::string out = pad_left("EUR/MWh", label_width) + "\n";
    for (int r = 0; r < kRows; ++r) {
        std::string line = pad_left(labels[static_cast<std::size_t>(r)], label_width) + " |" +
                           g.rows[static_cast<std::size_t>(r)];
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    out += std::string(label_width + 1, ' ') + "+" +
           std::string(static_cast<std::size_t>(g.width), '-') + "\n";
    const std::string right = format_energy(total);
    std::string axis = std::string(label_width + 2, ' ') + "0";
    axis += pad_left(right, static_cast<std::size_t>(g.width) - 1);
    out += axis + "\n";
    out += "  S supply (offers by floor), D demand (requests by ceiling), * both\n";
    if (cleared) out += "  X clearing point\n";
    return out;
}

} // namespace

std::string curves_chart(const SlotReport& s) {
    const PriceAxis axis = price_axis(s);
    if (axis.empty()) return "  (no orders)\n";
    const std::vector<std::string> labels = row_labels(s, axis);
    std::size_t label_width = 7;
    for (const auto& l : labels) label_width = std::max(label_width, l.size());
    const int width = static_cast<int>(std::min<std::size_t>(60, 80 - 2 - label_width));
    const std::int64_t total =
        std::max({curve_energy(s.supply), curve_energy(s.demand), std::int64_t{1}});
    Grid grid(width, static_cast<double>(total) / width);
    draw_curve(grid, s.supply, 'S', axis);
    draw_curve(grid, s.demand, 'D', axis);
    if (s.clearing_price) mark_clearing(grid, *s.clearing_price, s.crossing_wh, axis);
    return render(grid, labels, label_width, total, s.clearing_price.has_value());
}

// ---- a negotiation's rounds --------------------------------------------------------

std::string rounds_chart(const Negotiation& n, const OrderNames& names) {
    std::string out = order_label("offer", n.offer, names) + " " +
                      order_label("request", n.request, names) + " fee " +
                      format_price(n.fee_price) + "\n";
    out += n.agreed ? "  agreed in round " + std::to_string(n.rounds.back().round) + " at " +
                          format_price(n.price) + " EUR/MWh\n"
                    : std::string("  no agreement\n");
    std::int64_t lo = std::numeric_limits<std::int64_t>::max(),
                 hi = std::numeric_limits<std::int64_t>::min();
    for (const auto& r : n.rounds) {
        lo = std::min({lo, r.bid - n.fee_price, r.ask});
        hi = std::max({hi, r.bid - n.fee_price, r.ask});
    }
    auto col = [&](std::int64_t v) {
        if (hi == lo) return 0;
        return static_cast<int>(
            static_cast<double>(v - lo) * (kStrip - 1) / static_cast<double>(hi - lo) + 0.5);
    };
    out += "  round        bid        ask\n";
    for (const auto& r : n.rounds) {
        std::string strip(kStrip, ' ');
        const int b = col(r.bid - n.fee_price), a = col(r.ask);
        strip[static_cast<std::size_t>(b)] = 'b';
        strip[static_cast<std::size_t>(a)] = a == b ? '*' : 'a';
        out += pad_left(std::to_string(r.round), 7) + pad_left(format_price(r.bid), 11) +
               pad_left(format_price(r.ask), 11) + "  |" + strip + "|\n";
    }
    return out;
}

// ---- a slot -----------------------------------------------------------------------

std::string explain_slot(const SlotReport& s, const OrderNames& names) {
    constexpr std::size_t kMaxShown = 40;
    std::string out = "slot " + format_utc(s.slot) + "\n";
    out += "  offers:   " + std::to_string(s.offers) + ", " + format_energy(s.offered_wh) + "\n";
    out +=
        "  requests: " + std::to_string(s.requests) + ", " + format_energy(s.requested_wh) + "\n";
    out += "  traded:   " + format_energy(s.traded_wh) + "\n";
    if (s.clearing_price)
        out += "  clearing point X: " + format_price(*s.clearing_price) + " EUR/MWh at " +
               format_energy(s.crossing_wh) + "\n";
    out += curves_chart(s);
    if (!s.negotiations.empty()) {
        out += "negotiations: " + std::to_string(s.negotiations.size()) +
               " (b = bid less fee, a = ask; they agree when b >= a)\n";
        for (std::size_t i = 0; i < s.negotiations.size() && i < kMaxShown; ++i)
            out += rounds_chart(s.negotiations[i], names);
        if (s.negotiations.size() > kMaxShown)
            out += "... and " + std::to_string(s.negotiations.size() - kMaxShown) + " more\n";
    }
    return out;
}

// ---- a market -------------------------------------------------------------------

namespace {

// Sorted slot times as ranges of consecutive slots ("A..B", or "A" alone).
std::string time_ranges(const std::vector<std::int64_t>& times, std::int64_t step) {
    std::string out;
    for (std::size_t i = 0; i < times.size();) {
        std::size_t j = i;
        while (j + 1 < times.size() && times[j + 1] - times[j] == step) ++j;
        out += (out.empty() ? "" : ", ") + format_utc(times[i]);
        if (j > i) out += ".." + format_utc(times[j]);
        i = j + 1;
    }
    return out;
}

} // namespace

std::string explain_market(const std::vector<SlotReport>& slots,
                           const std::vector<std::int64_t>& only, const OrderNames& names,
                           int slot_minutes) {
    std::string out;
    std::vector<std::int64_t> idle;
    for (const auto& s : slots) {
        if (!only.empty() && std::find(only.begin(), only.end(), s.slot) == only.end()) continue;
        if (s.traded_wh > 0) {
            out += explain_slot(s, names) + "\n";
            continue;
        }
        idle.push_back(s.slot);
    }
    if (!idle.empty())
        out += std::to_string(idle.size()) + " slot(s) with orders but no trade, not drawn: " +
               time_ranges(idle, std::int64_t{slot_minutes} * 60) + "\n";
    return out;
}

} // namespace setm
