#include "orders.hpp"

#include <algorithm>
#include <array>
#include <sstream>

#include "clearing.hpp"
#include "limits.hpp"
#include "units.hpp"

namespace setm {

namespace {

// An offer or a request with the terms both kinds share.
template <class Order>
Order order_with_terms(const OrderTerms& t) {
    Order o;
    o.slot = t.slot;
    o.slot_minutes = t.slot_minutes;
    o.energy_wh = t.energy_wh;
    o.opening_price = t.opening.value_or(t.price);
    o.zone = t.zone;
    o.expires = t.expires.value_or(t.slot);
    o.nonce = t.nonce;
    return o;
}

} // namespace

Signed<Offer> make_offer(const SecretKey& key, const Ed25519Signer& signer, const Hash32& chain,
                         const OrderTerms& t) {
    Offer o = order_with_terms<Offer>(t);
    o.producer = key.id();
    o.floor_price = t.price;
    return sign_record(o, chain, signer);
}

Signed<Request> make_request(const SecretKey& key, const Ed25519Signer& signer, const Hash32& chain,
                             const OrderTerms& t) {
    Request r = order_with_terms<Request>(t);
    r.consumer = key.id();
    r.ceiling_price = t.price;
    r.from = t.from;
    return sign_record(r, chain, signer);
}

Signed<Offer> make_offer(const SecretKey& key, const Hash32& chain, const OrderTerms& t) {
    return make_offer(key, Ed25519Signer(key.seed), chain, t);
}

Signed<Request> make_request(const SecretKey& key, const Hash32& chain, const OrderTerms& t) {
    return make_request(key, Ed25519Signer(key.seed), chain, t);
}

Status check_order(const StateReader& st, const Record& order, std::int64_t now) {
    StateDelta trial(st);
    return apply_record(trial, order, now, 0);
}

Signed<Cancel> make_cancel(const SecretKey& key, const Hash32& chain, const Hash32& order,
                           std::int64_t now) {
    return sign_record(Cancel{key.id(), order, now}, chain, key.seed);
}

Status check_cancel(const StateReader& st, const Signed<Cancel>& cancel, Side side,
                    std::int64_t now) {
    SETM_TRY(auto e, st.order(cancel.body.order));
    if (e && order_facts(e->order).side != side) {
        const bool offer = side == Side::offer;
        return make_error(Exit::usage, offer ? "not an offer" : "not a request",
                          to_hex(cancel.body.order) + " is " + (offer ? "a request" : "an offer"))
            .with_hint(offer ? "withdraw it with setm-request --cancel"
                             : "withdraw it with setm-offer --cancel");
    }
    StateDelta trial(st);
    return apply_record(trial, cancel, now, 0);
}

Status check_order_alone(const Record& order) {
    SETM_CHECK(check_record_limits(order));
    auto check = [](std::int64_t slot, std::uint32_t minutes, std::int64_t energy) -> Status {
        if (!valid_slot_minutes(static_cast<int>(minutes)))
            return make_error(Exit::bad_input, "bad slot",
                              "slots last 15, 30 or 60 minutes, not " + std::to_string(minutes));
        SETM_CHECK(check_slot_start(slot, static_cast<int>(minutes)));
        if (energy <= 0) return make_error(Exit::bad_input, "bad energy", "an order of no energy");
        return ok_status();
    };
    if (const auto* o = std::get_if<Signed<Offer>>(&order)) {
        SETM_CHECK(check(o->body.slot, o->body.slot_minutes, o->body.energy_wh));
        if (o->body.opening_price < o->body.floor_price)
            return make_error(Exit::bad_input, "bad price", "opening price below the floor");
        return ok_status();
    }
    const auto& q = std::get<Signed<Request>>(order);
    SETM_CHECK(check(q.body.slot, q.body.slot_minutes, q.body.energy_wh));
    if (q.body.opening_price > q.body.ceiling_price)
        return make_error(Exit::bad_input, "bad price", "opening price above the ceiling");
    return ok_status();
}

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream ss(line);
    while (std::getline(ss, cell, ',')) {
        const auto b = cell.find_first_not_of(" \t"), e = cell.find_last_not_of(" \t\r");
        cells.push_back(b == std::string::npos ? std::string() : cell.substr(b, e - b + 1));
    }
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    return cells;
}

Error csv_error(std::size_t line, const std::string& reason, const std::string& detail) {
    return make_error(Exit::bad_input, reason, detail).at_line(line);
}

// getline takes a failed read (its streambuf throws) for the end of the
// input and sets badbit: a file that could not be read is not a short one.
Status csv_read_status(const std::istream& in, std::size_t lines_read) {
    if (!in.bad()) return ok_status();
    return make_error(Exit::io, "cannot read", "the CSV input").at_line(lines_read + 1);
}

} // namespace

Result<std::vector<ProfileRow>> read_profile_csv(std::istream& in) {
    std::vector<ProfileRow> rows;
    std::string line;
    std::size_t n = 0;
    int col_slot = -1, col_energy = -1, col_price = -1, col_opening = -1;
    std::size_t width = 0;
    while (std::getline(in, line)) {
        ++n;
        if (line.size() > 4096) return csv_error(n, "bad CSV", "line longer than 4096 bytes");
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos ||
            line[line.find_first_not_of(" \t")] == '#')
            continue;
        auto cells = split_csv_line(line);
        if (col_slot < 0) { // the header
            width = cells.size();
            for (std::size_t i = 0; i < cells.size(); ++i) {
                const std::string& c = cells[i];
                int* col = c == "slot"      ? &col_slot
                           : c == "energy"  ? &col_energy
                           : c == "price"   ? &col_price
                           : c == "opening" ? &col_opening
                                            : nullptr;
                if (!col)
                    return csv_error(
                        n, "bad CSV",
                        "unknown column \"" + c + "\" (use slot, energy, price, opening)");
                if (*col >= 0) return csv_error(n, "bad CSV", "column \"" + c + "\" twice");
                *col = static_cast<int>(i);
            }
            if (col_slot < 0 || col_energy < 0 || col_price < 0)
                return csv_error(n, "bad CSV", "the header must name slot, energy and price");
            continue;
        }
        if (cells.size() != width)
            return csv_error(
                n, "bad CSV",
                std::to_string(cells.size()) + " cells, the header has " + std::to_string(width));
        ProfileRow r;
        r.line = n;
        auto fail = [&](const Error& e) { return csv_error(n, e.reason, e.detail); };
        auto slot = parse_utc(cells[static_cast<std::size_t>(col_slot)]);
        if (!slot) return fail(slot.error());
        auto energy = parse_energy(cells[static_cast<std::size_t>(col_energy)]);
        if (!energy) return fail(energy.error());
        auto price = parse_price(cells[static_cast<std::size_t>(col_price)]);
        if (!price) return fail(price.error());
        r.slot = slot.value();
        r.energy_wh = energy.value();
        r.price = price.value();
        if (col_opening >= 0 && !cells[static_cast<std::size_t>(col_opening)].empty()) {
            auto opening = parse_price(cells[static_cast<std::size_t>(col_opening)]);
            if (!opening) return fail(opening.error());
            r.opening = opening.value();
        }
        if (rows.size() == kMaxProfileRows)
            return csv_error(
                n, "beyond limits",
                "more than " + std::to_string(kMaxProfileRows) + " rows in one profile");
        rows.push_back(r);
    }
    SETM_CHECK(csv_read_status(in, n));
    if (col_slot < 0) return csv_error(n == 0 ? 1 : n, "bad CSV", "no header line");
    return rows;
}

} // namespace setm

namespace setm {

Signed<Reading> make_reading(const SecretKey& key, const Hash32& chain, const std::string& meter,
                             std::int64_t slot, std::uint32_t slot_minutes,
                             std::int64_t delivered_wh, std::int64_t consumed_wh,
                             const Ed25519Signer* prepared) {
    const Reading r{key.id(), meter, slot, slot_minutes, delivered_wh, consumed_wh};
    return prepared ? sign_record(r, chain, *prepared) : sign_record(r, chain, key.seed);
}

Status check_reading_alone(const Signed<Reading>& r) {
    SETM_CHECK(check_record_limits(r));
    if (!valid_slot_minutes(static_cast<int>(r.body.slot_minutes)))
        return make_error(
            Exit::bad_input, "bad slot",
            "slots last 15, 30 or 60 minutes, not " + std::to_string(r.body.slot_minutes));
    SETM_CHECK(check_slot_start(r.body.slot, static_cast<int>(r.body.slot_minutes)));
    if (r.body.meter.empty())
        return make_error(Exit::bad_input, "no meter", "a reading names no meter")
            .with_hint("add a meter column, or give --store: the credential names the meter");
    return ok_status();
}

namespace {

// The readings CSV header: the column of each name (-1: absent).
Result<std::array<int, 4>> reading_columns(const std::vector<std::string>& cells, std::size_t n) {
    static const char* const names[] = {"slot", "delivered", "consumed", "meter"};
    std::array<int, 4> col{-1, -1, -1, -1};
    for (std::size_t i = 0; i < cells.size(); ++i) {
        const auto* at = std::find(std::begin(names), std::end(names), cells[i]);
        if (at == std::end(names))
            return csv_error(
                n, "bad CSV",
                "unknown column \"" + cells[i] + "\" (use slot, delivered, consumed, meter)");
        int& c = col[static_cast<std::size_t>(at - std::begin(names))];
        if (c >= 0) return csv_error(n, "bad CSV", "column \"" + cells[i] + "\" twice");
        c = static_cast<int>(i);
    }
    if (col[0] < 0 || col[1] < 0 || col[2] < 0)
        return csv_error(n, "bad CSV", "the header must name slot, delivered and consumed");
    return col;
}

Result<ReadingRow> reading_row(const std::vector<std::string>& cells, const std::array<int, 4>& col,
                               std::size_t n) {
    auto cell = [&](int i) { return cells[static_cast<std::size_t>(i)]; };
    auto fail = [&](const Error& e) { return csv_error(n, e.reason, e.detail); };
    ReadingRow r;
    r.line = n;
    auto slot = parse_utc(cell(col[0]));
    if (!slot) return fail(slot.error());
    auto delivered = parse_energy(cell(col[1]));
    if (!delivered) return fail(delivered.error());
    auto consumed = parse_energy(cell(col[2]));
    if (!consumed) return fail(consumed.error());
    r.slot = slot.value();
    r.delivered_wh = delivered.value();
    r.consumed_wh = consumed.value();
    if (col[3] >= 0) r.meter = cell(col[3]);
    return r;
}

} // namespace

Result<std::vector<ReadingRow>> read_readings_csv(std::istream& in) {
    std::vector<ReadingRow> rows;
    std::optional<std::array<int, 4>> col;
    std::size_t width = 0, n = 0;
    std::string line;
    while (std::getline(in, line)) {
        ++n;
        if (line.size() > 4096) return csv_error(n, "bad CSV", "line longer than 4096 bytes");
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        const auto cells = split_csv_line(line);
        if (!col) {
            SETM_TRY(col, reading_columns(cells, n));
            width = cells.size();
            continue;
        }
        if (cells.size() != width)
            return csv_error(
                n, "bad CSV",
                std::to_string(cells.size()) + " cells, the header has " + std::to_string(width));
        if (rows.size() == kMaxProfileRows)
            return csv_error(n, "beyond limits",
                             "more than " + std::to_string(kMaxProfileRows) + " rows in one file");
        SETM_TRY(ReadingRow r, reading_row(cells, *col, n));
        rows.push_back(std::move(r));
    }
    SETM_CHECK(csv_read_status(in, n));
    if (!col) return make_error(Exit::bad_input, "bad CSV", "no header and no readings");
    return rows;
}

} // namespace setm
