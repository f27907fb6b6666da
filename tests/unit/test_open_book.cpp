// The open book (open_book.hpp): the orders on the chain still open at a
// time, checked against a brute-force recomputation from the chain's
// records alone, over random markets with partial fills, expiries,
// cancels, revocations, credentials that lapse, several clearings and a gate.
#include <algorithm>
#include <map>
#include <random>
#include <tuple>

#include "fixtures.hpp"
#include "open_book.hpp"
#include "units.hpp"

using namespace setm;
using namespace setm::test;

namespace {

constexpr std::int64_t kSlot = kT0 + 2 * kHour; // TestChain's orders

// What the open book must say of one order, computed without the state.
struct Seen {
    Hash32 id{};
    Side side = Side::offer;
    std::int64_t slot = 0, remaining = 0;
    std::string name;
    bool gate_closed = false;
    friend bool operator==(const Seen& a, const Seen& b) {
        return std::tie(a.id, a.side, a.slot, a.remaining, a.name, a.gate_closed) ==
               std::tie(b.id, b.side, b.slot, b.remaining, b.name, b.gate_closed);
    }
    friend bool operator<(const Seen& a, const Seen& b) { return a.id < b.id; }
};

// The records of a chain, block by block, with each block's time.
struct Log {
    std::vector<std::pair<std::int64_t, Record>> records;
    void add(const std::vector<Record>& block, std::int64_t t) {
        for (const Record& r : block) records.emplace_back(t, r);
    }
};

// The owner's credential name if it is valid at `now` and not revoked:
// its last credential on the chain, and the revocations of that serial.
std::optional<std::string> brute_active(const Log& log, const ParticipantId& p, std::int64_t now) {
    const Credential* cred = nullptr;
    for (const auto& [t, r] : log.records)
        if (auto* c = std::get_if<Signed<Credential>>(&r); c && c->body.participant == p)
            cred = &c->body;
    if (!cred || now < cred->valid_from || now >= cred->valid_until) return std::nullopt;
    for (const auto& [t, r] : log.records)
        if (auto* v = std::get_if<Signed<Revocation>>(&r);
            v && v->body.serial == cred->serial && v->body.time <= std::max(now, t))
            return std::nullopt;
    return cred->name;
}

std::vector<Seen> brute_open(const Log& log, const Genesis& g, const OpenBookQuery& q) {
    std::map<Hash32, std::int64_t> filled;
    std::map<std::int64_t, bool> traded; // slots with a trade
    std::map<Hash32, bool> cancelled;
    for (const auto& [t, r] : log.records) {
        if (auto* tr = std::get_if<Signed<Trade>>(&r)) {
            filled[tr->body.offer] += tr->body.energy_wh;
            filled[tr->body.request] += tr->body.energy_wh;
            traded[tr->body.slot] = true;
        }
        if (auto* c = std::get_if<Signed<Cancel>>(&r)) cancelled[c->body.order] = true;
    }
    std::vector<Seen> out;
    for (const auto& [t, r] : log.records) {
        if (!std::holds_alternative<Signed<Offer>>(r) &&
            !std::holds_alternative<Signed<Request>>(r))
            continue;
        const OrderFacts f = order_facts(r);
        const Hash32 id = record_id(r);
        if (f.slot <= q.now || f.expires <= q.now) continue;
        if ((q.slot && f.slot != *q.slot) || (q.side && f.side != *q.side)) continue;
        if (g.gate_minutes > 0 && traded[f.slot]) continue;
        if (f.energy_wh - filled[id] <= 0 || cancelled[id]) continue;
        auto name = brute_active(log, f.owner, q.now);
        if (!name) continue;
        const bool closed = g.gate_minutes > 0 && q.now >= gate_closure(g, f.slot);
        out.push_back(Seen{id, f.side, f.slot, f.energy_wh - filled[id], *name, closed});
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<Seen> seen(const std::vector<OpenOrder>& book) {
    std::vector<Seen> out;
    for (const OpenOrder& o : book)
        out.push_back(Seen{o.id, o.side, o.slot, o.remaining_wh, o.name, o.gate_closed});
    std::sort(out.begin(), out.end());
    return out;
}

// The order a buyer reads: by slot, offers first, offers cheapest first,
// requests dearest first.
bool in_book_order(const std::vector<OpenOrder>& book) {
    for (std::size_t i = 1; i < book.size(); ++i) {
        const OpenOrder &a = book[i - 1], &b = book[i];
        if (a.slot != b.slot) {
            if (a.slot > b.slot) return false;
        } else if (a.side != b.side) {
            if (a.side == Side::request) return false;
        } else if (a.side == Side::offer ? a.limit_price > b.limit_price
                                         : a.limit_price < b.limit_price) {
            return false;
        }
    }
    return true;
}

// Six prosumers in two zones; p5's credential lapses at kT0 + 80 min.
struct Market {
    TestChain c;
    std::vector<SecretKey> people;
    MemoryState st;
    Log log;
    std::uint64_t height = 0;
    explicit Market(void (*m)(Genesis&)) : c(0, m), st(c.empty_state()) {
        apply(c.admit_all(), kT0 - kHour);
        std::vector<Record> creds;
        for (std::uint8_t i = 0; i < 6; ++i) {
            people.push_back(key_of(static_cast<std::uint8_t>(20 + i), "p" + std::to_string(i)));
            Credential cr = c.credential_body(people.back(), role_producer | role_consumer, 10 + i);
            cr.zone = i % 2 ? "south" : "north";
            if (i == 5) cr.valid_until = kT0 + 80 * kMinute;
            creds.push_back(c.admit(cr));
        }
        apply(creds, kT0 - kHour);
    }
    void apply(const std::vector<Record>& block, std::int64_t t) {
        TestChain::apply(st, block, t, ++height);
        log.add(block, t);
    }
    // 1 to 12 random orders, made at t, for the slots in `slots`.
    std::vector<Record> orders(std::mt19937_64& rng, std::int64_t t,
                               const std::vector<std::int64_t>& slots, std::uint64_t& nonce) const {
        auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
        std::vector<Record> out;
        for (int k = pick(1, 12); k > 0; --k) {
            const int who = pick(0, 5);
            const SecretKey& p = people[static_cast<std::size_t>(who)];
            const std::int64_t slot =
                slots[static_cast<std::size_t>(pick(0, int(slots.size()) - 1))];
            const std::int64_t energy = 500 * pick(1, 8), limit = 100 * pick(30, 70);
            const std::int64_t expires = std::min(slot, t + kMinute * pick(5, 150));
            const std::string zone = who % 2 ? "south" : "north";
            if (pick(0, 1)) {
                Offer o = c.offer_body(p, ++nonce);
                std::tie(o.slot, o.energy_wh, o.floor_price, o.opening_price, o.zone, o.expires) =
                    std::tuple(slot, energy, limit, limit + 100, zone, expires);
                out.push_back(c.sign(o, p));
            } else {
                Request r = c.request_body(p, ++nonce);
                std::tie(r.slot, r.energy_wh, r.ceiling_price, r.opening_price, r.zone, r.expires) =
                    std::tuple(slot, energy, limit, limit - 100, zone, expires);
                out.push_back(c.sign(r, p));
            }
        }
        return out;
    }
    // Cancels, by their owners, of about a quarter of the orders open at t.
    std::vector<Record> cancels(std::mt19937_64& rng, std::int64_t t) const {
        std::vector<Record> out;
        for (const OpenOrder& o : must(open_book(st, OpenBookQuery{t, {}, {}}))) {
            if (rng() % 4 != 0) continue;
            for (const SecretKey& p : people)
                if (p.id() == o.owner) out.push_back(c.sign(Cancel{o.owner, o.id, t}, p));
        }
        return out;
    }
    // The open book at `now` against the brute force, for every slot and
    // side filter.
    void check(std::int64_t now, const std::vector<std::int64_t>& slots) const {
        INFO("now " << format_utc(now));
        std::vector<std::optional<std::int64_t>> slot_filters{std::nullopt};
        for (auto s : slots) slot_filters.push_back(s);
        for (const auto& slot : slot_filters)
            for (auto side : {std::optional<Side>{}, std::optional<Side>{Side::offer},
                              std::optional<Side>{Side::request}}) {
                const OpenBookQuery q{now, slot, side};
                const auto book = must(open_book(st, q));
                CHECK(seen(book) == brute_open(log, c.genesis.body, q));
                CHECK(in_book_order(book));
            }
    }
};

void no_gate(Genesis&) {}
void gate_hour(Genesis& g) { g.gate_minutes = 60; }

} // namespace

TEST_CASE("open book: property: the open orders are what a brute force over the records finds",
          "[open-book][property]") {
    std::mt19937_64 rng(20261203);
    const std::vector<std::int64_t> slots{kSlot, kSlot + 30 * kMinute, kSlot + kHour};
    std::uint64_t nonce = 0;
    std::size_t seen_open = 0, seen_partial = 0, seen_cancels = 0;
    for (int round = 0; round < 40; ++round) {
        INFO("round " << round);
        Market m(no_gate);
        m.apply(m.orders(rng, kT0, slots, nonce), kT0);
        m.check(kT0, slots);
        // A clearing of each slot at kT0 + 10 min, more orders, a revocation.
        std::vector<Record> trades;
        for (auto s : slots)
            for (auto& t : m.c.clearing_trades(m.st, s, kT0 + 10 * kMinute)) trades.push_back(t);
        m.apply(trades, kT0 + 10 * kMinute);
        const auto cancels = m.cancels(rng, kT0 + 15 * kMinute);
        seen_cancels += cancels.size();
        m.apply(cancels, kT0 + 15 * kMinute);
        m.check(kT0 + 15 * kMinute, slots);
        m.apply(m.orders(rng, kT0 + 20 * kMinute, slots, nonce), kT0 + 20 * kMinute);
        m.apply({m.c.revoke(m.people[0], 10, kT0 + 60 * kMinute)}, kT0 + 30 * kMinute);
        for (auto s : slots)
            m.apply(m.c.clearing_trades(m.st, s, kT0 + 40 * kMinute), kT0 + 40 * kMinute);
        for (std::int64_t now : {kT0 + 40 * kMinute, kT0 + 61 * kMinute, kT0 + 85 * kMinute, kSlot,
                                 kSlot + 45 * kMinute, kSlot + 2 * kHour}) {
            m.check(now, slots);
        }
        const auto at = must(open_book(m.st, OpenBookQuery{kT0 + 40 * kMinute, {}, {}}));
        seen_open += at.size();
        for (const auto& o : at) seen_partial += o.remaining_wh < o.energy_wh;
    }
    // The property was exercised: open orders, some of them partly filled.
    CHECK(seen_open > 40);
    CHECK(seen_partial > 0);
    CHECK(seen_cancels > 10);
}

TEST_CASE("open book: with a gate, a closed book stays open until cleared, then nothing",
          "[open-book]") {
    std::mt19937_64 rng(7);
    const std::vector<std::int64_t> slots{kSlot, kSlot + 30 * kMinute};
    std::uint64_t nonce = 0;
    for (int round = 0; round < 20; ++round) {
        Market m(gate_hour); // kSlot's book closes at kT0 + 1 h, the next at kT0 + 90 min
        m.apply(m.orders(rng, kT0, slots, nonce), kT0);
        const std::int64_t gate = kT0 + kHour;
        m.check(gate - 1, slots);
        m.check(gate, slots); // closed, not cleared yet
        const auto trades = m.c.clearing_trades(m.st, kSlot, gate);
        m.apply(trades, gate);
        m.check(gate + 1, slots);
        m.apply(m.orders(rng, gate + 1, {kSlot + 30 * kMinute}, nonce), gate + 1);
        m.check(gate + 30 * kMinute, slots);
        if (!trades.empty()) // a cleared slot has nothing open, whatever it left
            CHECK(must(open_book(m.st, OpenBookQuery{gate + 1, kSlot, {}})).empty());
    }
}

TEST_CASE("open book: names, prices and gates of one known book", "[open-book]") {
    Market m(gate_hour);
    Offer o = m.c.offer_body(m.people[2], 1);
    o.energy_wh = 3000;
    o.floor_price = 4500;
    o.expires = kSlot;
    Request r = m.c.request_body(m.people[1], 2);
    r.energy_wh = 1000;
    r.ceiling_price = 5000;
    r.zone = "south";
    r.expires = kSlot;
    r.from = {participant_hex(m.people[2].id())};
    m.apply({m.c.sign(o, m.people[2]), m.c.sign(r, m.people[1])}, kT0);
    const auto book = must(open_book(m.st, OpenBookQuery{kT0 + kHour, {}, {}}));
    REQUIRE(book.size() == 2);
    CHECK(book[0].side == Side::offer);
    CHECK(book[0].name == "p2");
    CHECK(book[0].zone == "north");
    CHECK(book[0].limit_price == 4500);
    CHECK(book[0].remaining_wh == 3000);
    CHECK(book[0].gate == std::optional<std::int64_t>(kT0 + kHour));
    CHECK(book[0].gate_closed);
    CHECK(book[1].name == "p1");
    CHECK(book[1].from == r.from);
    CHECK(book[1].height == book[0].height);
    // A time that does not start a slot of the chain is a usage error.
    const Error e = must_fail(open_book(m.st, OpenBookQuery{kT0, kSlot + 60, {}}));
    CHECK(e.code == Exit::usage);
    CHECK(e.reason == "bad slot");
}
