// Cancellation (issue 14, point 4): the cancel record's rule, and the
// clearing, the open book and the store without the orders it withdraws.
#include <algorithm>
#include <random>

#include "fixtures.hpp"
#include "open_book.hpp"
#include "orders.hpp"
#include "verify.hpp"

using namespace setm;
using namespace setm::test;

namespace {

constexpr std::int64_t kSlot = kT0 + 2 * kHour; // TestChain's orders
constexpr std::int64_t kAt = kT0 + 10 * kMinute;

// The chain with its credentials (block 1) and one offer (5 kWh, floor 40)
// and one request (5 kWh, ceiling 70) for kSlot (block 2).
struct Book {
    TestChain c;
    MemoryState st;
    Signed<Offer> offer;
    Signed<Request> request;
    std::uint64_t height = 2;
    explicit Book(void (*market)(Genesis&) = nullptr) : c(0, market), st(c.market_state()) {
        Offer o = c.offer_body(c.producer);
        Request r = c.request_body(c.consumer);
        o.expires = r.expires = kSlot;
        offer = c.sign(o, c.producer);
        request = c.sign(r, c.consumer);
        TestChain::apply(st, {offer, request}, kT0, 2);
    }
    Signed<Cancel> cancel(const Hash32& order, const SecretKey& by, std::int64_t t = kT0) const {
        return c.sign(Cancel{by.id(), order, t}, by);
    }
    void apply(const std::vector<Record>& block, std::int64_t t) {
        TestChain::apply(st, block, t, ++height);
    }
    Error refused(const std::vector<Record>& block, std::int64_t t) const {
        return must_fail(apply_records(st, block, t, height + 1));
    }
    std::vector<Record> clearing(std::int64_t t = kAt) const {
        return c.clearing_trades(st, kSlot, t);
    }
    std::vector<Hash32> open(std::int64_t t = kAt) const {
        std::vector<Hash32> ids;
        for (const auto& o : must(open_book(st, OpenBookQuery{t, {}, {}}))) ids.push_back(o.id);
        return ids;
    }
};

bool names(const std::vector<Record>& trades, const Hash32& order) {
    return std::any_of(trades.begin(), trades.end(), [&](const Record& r) {
        const Trade& t = std::get<Signed<Trade>>(r).body;
        return t.offer == order || t.request == order;
    });
}

} // namespace

TEST_CASE("cancel: the owner withdraws an order; the clearing and the open book leave it out",
          "[cancel]") {
    Book b;
    REQUIRE(b.clearing().size() == 1); // the control: without the cancel, they trade
    const auto cancel = b.cancel(b.offer.id(), b.c.producer, kT0 + 5 * kMinute);
    b.apply({cancel}, kT0 + 5 * kMinute);
    const auto entry = must(b.st.cancellation(b.offer.id()));
    REQUIRE(entry);
    CHECK(entry->cancel == cancel.id());
    CHECK(entry->withdrawn_wh == 5000);
    CHECK(entry->height == 3);
    CHECK(b.clearing().empty());
    CHECK(b.open() == std::vector<Hash32>{b.request.id()});
    // A consumer, which holds no producer role, withdraws its request too.
    b.apply({b.cancel(b.request.id(), b.c.consumer)}, kT0 + 6 * kMinute);
    CHECK(b.open().empty());
}

TEST_CASE("cancel: refused when unknown, foreign, filled, already cancelled, or too late",
          "[cancel]") {
    Book b;
    const Hash32 o = b.offer.id();
    SECTION("an unknown order") {
        Hash32 none = o;
        none[0] ^= 1;
        CHECK(b.refused({b.cancel(none, b.c.producer)}, kAt).reason == "unknown order");
    }
    SECTION("a foreign order: signed by its signer, naming another's order") {
        const Error e = b.refused({b.cancel(o, b.c.consumer)}, kAt);
        CHECK(e.code == Exit::bad_input);
        CHECK(e.reason == "not the owner");
    }
    SECTION("a forged cancel: the owner's id, another key's signature") {
        Signed<Cancel> forged = b.cancel(o, b.c.consumer);
        forged.body.owner = b.c.producer.id();
        forged = sign_record(forged.body, b.c.id, b.c.consumer.seed);
        const Error e = b.refused({forged}, kAt);
        CHECK(e.code == Exit::rejected);
        CHECK(e.reason == "wrong user");
    }
    SECTION("an unregistered or revoked signer is the wrong user") {
        const SecretKey stranger = key_of(9, "stranger");
        CHECK(b.refused({b.cancel(o, stranger)}, kAt).reason == "wrong user");
        b.apply({b.c.revoke(b.c.producer, 1, kT0 + kMinute)}, kT0 + kMinute);
        CHECK(b.refused({b.cancel(o, b.c.producer)}, kAt).reason == "wrong user");
    }
    SECTION("signed for another chain") {
        Signed<Cancel> other =
            sign_record(Cancel{b.c.producer.id(), o, kT0}, Hash32{1}, b.c.producer.seed);
        CHECK(b.refused({other}, kAt).reason == "wrong chain");
    }
    SECTION("already cancelled, in an earlier block or earlier in the same one") {
        b.apply({b.cancel(o, b.c.producer)}, kT0 + kMinute);
        const Error e = b.refused({b.cancel(o, b.c.producer, kT0 + 2 * kMinute)}, kAt);
        CHECK(e.reason == "already cancelled");
        CHECK(e.detail.find("block 3") != std::string::npos);
        const Hash32 r = b.request.id();
        CHECK(b.refused({b.cancel(r, b.c.consumer), b.cancel(r, b.c.consumer, kT0 + 1)}, kAt)
                  .reason == "already cancelled");
    }
    SECTION("filled: nothing is left to withdraw") {
        b.apply(b.clearing(), kAt); // 5 kWh each: both filled
        CHECK(b.refused({b.cancel(o, b.c.producer)}, kAt + 1).reason == "filled");
    }
    SECTION("its slot has begun, or it has expired") {
        Offer early = b.c.offer_body(b.c.producer, 2);
        early.expires = kT0 + 20 * kMinute;
        const auto e = b.c.sign(early, b.c.producer);
        b.apply({e}, kT0 + kMinute);
        CHECK(b.refused({b.cancel(e.id(), b.c.producer)}, kT0 + 20 * kMinute).reason == "expired");
        CHECK(b.refused({b.cancel(o, b.c.producer)}, kSlot).reason == "slot begun");
    }
    SECTION("a time more than 2 hours after the block's") {
        CHECK(b.refused({b.cancel(o, b.c.producer, kAt + 2 * kHour + 1)}, kAt).reason ==
              "bad time");
        CHECK(apply_records(b.st, {b.cancel(o, b.c.producer, kAt + 2 * kHour)}, kAt, 3));
    }
}

TEST_CASE("cancel: with a gate, only while the book is open", "[cancel]") {
    Book b([](Genesis& g) { g.gate_minutes = 60; }); // kSlot's book closes at kT0 + 1 h
    const std::int64_t gate = kSlot - kHour;
    Offer dear = b.c.offer_body(b.c.producer, 2); // above the request's ceiling: never sold
    dear.floor_price = dear.opening_price = 8000;
    dear.expires = kSlot;
    const auto d = b.c.sign(dear, b.c.producer);
    b.apply({d}, kT0 + kMinute);
    CHECK(apply_records(b.st, {b.cancel(d.id(), b.c.producer)}, gate - 1, 4));
    CHECK(b.refused({b.cancel(d.id(), b.c.producer)}, gate).reason == "book closed");
    // Cleared at the gate: the book the clearing ran on is final.
    b.apply(b.clearing(gate), gate);
    CHECK(b.refused({b.cancel(d.id(), b.c.producer)}, gate - 10).reason == "book closed");
}

TEST_CASE("cancel: partial fill, then the rest withdrawn", "[cancel]") {
    Book b;
    // A cheaper offer of 8 kWh: the request's 5 kWh come from it, 3 kWh of
    // it are left, which its producer withdraws.
    Offer more = b.c.offer_body(b.c.producer, 3);
    more.energy_wh = 8000;
    more.floor_price = more.opening_price = 3900;
    more.expires = kSlot;
    const auto m = b.c.sign(more, b.c.producer);
    b.apply({m}, kT0 + kMinute);
    b.apply(b.clearing(kT0 + 2 * kMinute), kT0 + 2 * kMinute);
    REQUIRE(must(b.st.order(m.id()))->filled_wh == 5000);
    CHECK(b.open() == std::vector<Hash32>{m.id(), b.offer.id()}); // the cheaper first
    b.apply({b.cancel(m.id(), b.c.producer, kT0 + 3 * kMinute)}, kT0 + 3 * kMinute);
    CHECK(must(b.st.cancellation(m.id()))->withdrawn_wh == 3000);
    CHECK(b.open() == std::vector<Hash32>{b.offer.id()});
    // A new request is served by the dearer offer, never the withdrawn one.
    Request small = b.c.request_body(b.c.consumer, 2);
    small.energy_wh = 2000;
    small.expires = kSlot;
    b.apply({b.c.sign(small, b.c.consumer)}, kT0 + 4 * kMinute);
    const auto later = b.clearing();
    REQUIRE(later.size() == 1);
    CHECK(std::get<Signed<Trade>>(later[0]).body.offer == b.offer.id());
    CHECK_FALSE(names(later, m.id()));
}

TEST_CASE("cancel: a cancel and a trade of the same order in one block are refused either way",
          "[cancel]") {
    Book b;
    // A cheaper offer of 8 kWh, of which the clearing sells 5.
    Offer more = b.c.offer_body(b.c.producer, 3);
    more.energy_wh = 8000;
    more.floor_price = more.opening_price = 3900;
    more.expires = kSlot;
    const auto m = b.c.sign(more, b.c.producer);
    b.apply({m}, kT0 + kMinute);
    const auto trades = b.clearing();
    REQUIRE(trades.size() == 1);
    REQUIRE(names(trades, m.id()));
    const auto cancel = b.cancel(m.id(), b.c.producer);
    // The cancel first: the trade names a withdrawn order.
    CHECK(b.refused({cancel, trades[0]}, kAt).reason == "cancelled order");
    // The trade first: the cancel counts for the whole block, so the
    // block's clearing sells the dearer offer instead.
    CHECK(b.refused({trades[0], cancel}, kAt).reason == "not the clearing");
    // ... which is what a block with the cancel must hold.
    StateDelta d = must(apply_records(b.st, {cancel}, kAt, 4));
    const auto instead = must(clearing_trades(d, kSlot, kAt, b.c.agent.id()));
    REQUIRE(instead.size() == 1);
    CHECK(instead[0].offer == b.offer.id());
    // In a later block, a trade of it is refused by name.
    b.apply({cancel}, kAt);
    CHECK(b.refused(trades, kAt + 1).reason == "cancelled order");
    // An order and its cancel in one block: it never joins a book.
    Offer o = b.c.offer_body(b.c.producer, 9);
    o.floor_price = o.opening_price = 100;
    o.expires = kSlot;
    const auto fresh = b.c.sign(o, b.c.producer);
    b.apply({fresh, b.cancel(fresh.id(), b.c.producer, kAt + 2)}, kAt + 2);
    CHECK_FALSE(names(b.clearing(kAt + 3), fresh.id()));
}

TEST_CASE("cancel: make_cancel and check_cancel, the tools' side", "[cancel]") {
    Book b;
    const auto c = make_cancel(b.c.producer, b.c.id, b.offer.id(), kAt);
    CHECK(c.body.owner == b.c.producer.id());
    CHECK(c.body.order == b.offer.id());
    CHECK(c.body.time == kAt);
    CHECK(signature_valid(c, b.c.producer.ed25519));
    CHECK(check_cancel(b.st, c, Side::offer, kAt));
    const Error e = check_cancel(b.st, c, Side::request, kAt).error();
    CHECK(e.code == Exit::usage);
    CHECK(e.reason == "not a request");
    const auto foreign = make_cancel(b.c.consumer, b.c.id, b.offer.id(), kAt);
    CHECK(check_cancel(b.st, foreign, Side::offer, kAt).error().reason == "not the owner");
    // A check leaves the state as it was.
    CHECK_FALSE(must(b.st.cancellation(b.offer.id())));
}

TEST_CASE("cancel: the record's JSON form reads back to the same record", "[cancel]") {
    Book b;
    const Record r = b.cancel(b.offer.id(), b.c.producer, kAt);
    const std::string json = to_json(r);
    CHECK(json.find("\"type\":\"cancel\"") != std::string::npos);
    const Record back = must(parse_record(json));
    CHECK(record_id(back) == record_id(r));
    CHECK(record_signer(back) == b.c.producer.id());
    CHECK(record_signer_role(back) == kOrderOwner);
}

TEST_CASE("cancel: the store keeps the cancelled table, and verify compares it",
          "[cancel][store]") {
    TempDir dir;
    Book b;
    Store s = must(Store::create(dir / "chain", b.c.genesis_block));
    auto append = [&](const std::vector<Record>& records, std::int64_t t) {
        const Tip tip = tip_of(s);
        const Block blk = must(
            mine_block(records, tip.hash, static_cast<std::uint32_t>(t), b.c.genesis.body.bits, 1));
        REQUIRE(s.append_if_tip(blk, tip.hash, t));
    };
    append(b.c.admit_all(), kT0 - 30 * kMinute);
    append({b.offer, b.request}, kT0);
    const auto cancel = b.cancel(b.offer.id(), b.c.producer, kT0 + kMinute);
    append({cancel}, kT0 + kMinute);
    auto snap = must(s.snapshot());
    const auto entry = must(snap->state().cancellation(b.offer.id()));
    REQUIRE(entry);
    CHECK(entry->cancel == cancel.id());
    CHECK(entry->height == 3);
    CHECK(entry->withdrawn_wh == 5000);
    // The clearing on the store's state leaves it out; verify_chain
    // rebuilds the table and finds the store's equal.
    const StateDelta d(snap->state());
    const auto trades = must(clearing_trades(d, kSlot, kAt, b.c.agent.id()));
    CHECK(trades.empty());
    const auto v = must(verify_chain(snap->state(), kAt, 1));
    REQUIRE(v.state);
    CHECK(v.state->cancelled.size() == 1);
    CHECK(v.report.by_type.at("cancel") == 1);
}
