// market_vectors.cpp - market.json: books, and the trades each mechanism
// must make of them (clear_market, market.hpp, the function setm-mine and
// setm-verify compute again for every block).
#include <map>

#include "market.hpp"
#include "units.hpp"
#include "vectors.hpp"

namespace setm::vectors {

namespace {

struct BookOrder {
    const char* label;
    const char* owner; // a key of keys.json
    bool offer;
    std::int64_t energy_wh, limit, opening; // limit: an offer's floor, a request's ceiling
    const char* zone;
    // A request's `from`: "@LABEL" is that offer's id, a name its owner's id.
    std::vector<const char*> from = {};
};

struct Book {
    const char* name;
    const char* note;
    std::int64_t network_fee;
    std::uint32_t rounds;
    std::vector<BookOrder> orders;
};

constexpr bool kOffer = true, kRequest = false;

// To add a case, add a book: the generator computes every mechanism's trades.
const std::vector<Book>& books() {
    static const std::vector<Book> all = {
        {"one zone, partial fills",
         "two offers and two requests in one zone: the cheapest offer serves the dearest "
         "request, and both orders at the margin are partly filled",
         0,
         10,
         {{"s1", "solar", kOffer, 3000, 3000, 4000, "north"},
          {"s2", "wind", kOffer, 4000, 3500, 4500, "north"},
          {"b1", "home", kRequest, 5000, 5000, 2500, "north"},
          {"b2", "school", kRequest, 4000, 3600, 2000, "north"}}},
        {"negative prices",
         "floors and ceilings below zero (a surplus of wind): pay-as-clear's price is the "
         "midpoint of [-2001, -1200] rounded towards minus infinity, -1601",
         0,
         10,
         {{"s1", "wind", kOffer, 6000, -2001, 1000, "north"},
          {"s2", "solar", kOffer, 2000, -500, 0, "north"},
          {"b1", "home", kRequest, 3000, -100, -3000, "north"},
          {"b2", "school", kRequest, 3000, -1200, -4000, "north"}}},
        {"zones and a network fee",
         "a fee of 5 EUR/MWh between zones: each request buys in its own zone (2 kWh traded), "
         "not 1 kWh across (setm-negotiate's README example)",
         500,
         10,
         {{"s1", "solar", kOffer, 1000, 3900, 3900, "north"},
          {"s3", "wind", kOffer, 1000, 3000, 3000, "south"},
          {"b1", "home", kRequest, 1000, 5000, 5000, "north"},
          {"b3", "school", kRequest, 1000, 4300, 4300, "south"}}},
        {"fee across zones",
         "the only seller is in another zone: the buyer pays the price plus the fee; an "
         "offer whose floor plus the fee is above the ceiling does not trade",
         700,
         10,
         {{"s1", "wind", kOffer, 2000, 2000, 3000, "south"},
          {"s2", "farm", kOffer, 2000, 4000, 4000, "south"},
          {"b1", "home", kRequest, 3000, 4500, 2500, "north"}}},
        {"ties",
         "equal floors and equal ceilings: ties go to the lower order id (bytes, hex order)",
         0,
         10,
         {{"s1", "solar", kOffer, 2000, 3000, 3500, "north"},
          {"s2", "wind", kOffer, 2000, 3000, 3500, "north"},
          {"s3", "farm", kOffer, 2000, 3000, 3500, "north"},
          {"b1", "home", kRequest, 3000, 4000, 3000, "north"},
          {"b2", "school", kRequest, 2000, 4000, 3000, "north"}}},
        {"from lists",
         "a request restricted to one offer id and one restricted to a producer id: neither "
         "takes the cheapest offer",
         0,
         10,
         {{"s1", "solar", kOffer, 3000, 2000, 3000, "north"},
          {"s2", "wind", kOffer, 3000, 3000, 3500, "north"},
          {"s3", "farm", kOffer, 3000, 3200, 3600, "north"},
          {"b1", "home", kRequest, 2000, 4500, 3500, "north", {"@s2"}},
          {"b2", "school", kRequest, 2000, 4500, 3500, "north", {"farm"}},
          {"b3", "shop", kRequest, 2000, 2500, 2000, "north"}}},
        {"a prosumer never trades with itself",
         "shop offers and requests in the same slot: its request buys from another seller",
         0,
         10,
         {{"s1", "shop", kOffer, 2000, 1000, 2000, "north"},
          {"s2", "solar", kOffer, 2000, 3000, 3500, "north"},
          {"b1", "shop", kRequest, 2000, 4000, 3000, "north"},
          {"b2", "home", kRequest, 1000, 1500, 1000, "north"}}},
        {"no crossing",
         "every floor above every ceiling: no trade, every order left over",
         0,
         10,
         {{"s1", "solar", kOffer, 2000, 5000, 6000, "north"},
          {"b1", "home", kRequest, 2000, 4000, 3000, "north"}}},
        {"negotiation rounds",
         "four rounds, near and far: each request negotiates with its own zone first; the "
         "round of agreement (AT) is part of the trade",
         300,
         4,
         {{"s1", "solar", kOffer, 2000, 3000, 5000, "north"},
          {"s2", "wind", kOffer, 3000, 2500, 4100, "south"},
          {"b1", "home", kRequest, 3000, 4800, 2600, "north"},
          {"b2", "school", kRequest, 1000, 4400, 3900, "south"}}},
    };
    return all;
}

constexpr const char* kSlot = "2026-11-26T12:00:00Z";

Hash32 order_id(const Book& b, const BookOrder& o) {
    const std::string text = std::string("setm/vectors/") + b.name + "/" + o.label;
    return sha256(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

Result<std::vector<MarketOrder>> orders_of(const Keys& keys, const Book& b) {
    std::vector<MarketOrder> out;
    for (const BookOrder& o : b.orders) {
        MarketOrder m;
        m.id = order_id(b, o);
        m.is_offer = o.offer;
        m.owner = keys.at(o.owner).id();
        m.slot = parse_utc(kSlot).value();
        m.energy_wh = o.energy_wh;
        m.limit_price = o.limit;
        m.opening_price = o.opening;
        m.zone = o.zone;
        for (std::string f : o.from) {
            if (f.starts_with("@")) {
                for (const BookOrder& x : b.orders)
                    if (f.substr(1) == x.label) f = to_hex(order_id(b, x));
                if (f.starts_with("@")) return make_error(Exit::internal, "bad book", f);
            } else {
                f = participant_hex(keys.at(f).id());
            }
            m.from.push_back(f);
        }
        out.push_back(std::move(m));
    }
    return out;
}

void write_orders(JsonOut& o, const Book& b, const std::vector<MarketOrder>& orders) {
    o.key("orders").begin_array();
    for (std::size_t i = 0; i < orders.size(); ++i) {
        const MarketOrder& m = orders[i];
        o.begin_object().field("label", b.orders[i].label);
        o.field("side", m.is_offer ? "offer" : "request").field("id", to_hex(m.id));
        o.field("owner_name", b.orders[i].owner).field("owner", participant_hex(m.owner));
        o.field("zone", m.zone).field("energy_wh", m.energy_wh);
        o.field(m.is_offer ? "floor_price" : "ceiling_price", m.limit_price);
        o.field("opening_price", m.opening_price);
        o.key("from").begin_array();
        for (const auto& f : m.from) o.str(f);
        o.end_array().end_object();
    }
    o.end_array();
}

Status write_trades(JsonOut& o, const MarketResult& r, const std::map<Hash32, std::string>& label) {
    o.key("trades").begin_array();
    for (const Match& m : r.matches) {
        SETM_TRY(std::int64_t amount, money_for(m.energy_wh, m.price));
        SETM_TRY(std::int64_t fee, money_for(m.energy_wh, m.fee_price));
        o.begin_object().field("offer_label", label.at(m.offer));
        o.field("request_label", label.at(m.request));
        o.field("offer", to_hex(m.offer)).field("request", to_hex(m.request));
        o.field("seller", participant_hex(m.seller)).field("buyer", participant_hex(m.buyer));
        o.field("energy_wh", m.energy_wh).field("price", m.price).field("fee_price", m.fee_price);
        o.field("round", m.round).field("amount", amount).field("fee", fee);
        o.end_object();
    }
    o.end_array();
    return ok_status();
}

Status write_result(JsonOut& o, const MarketResult& r, const std::map<Hash32, std::string>& label) {
    o.begin_object();
    SETM_CHECK(write_trades(o, r, label));
    std::int64_t traded = 0;
    for (const Match& m : r.matches) traded += m.energy_wh;
    o.field("traded_wh", traded);
    o.key("clearing_price");
    if (!r.slots.empty() && r.slots.front().clearing_price)
        o.i64(*r.slots.front().clearing_price);
    else
        o.null();
    o.key("leftovers").begin_array();
    for (const MarketOrder& m : r.leftovers)
        o.begin_object()
            .field("label", label.at(m.id))
            .field("energy_wh", m.energy_wh)
            .end_object();
    o.end_array();
    o.end_object();
    return ok_status();
}

Status write_book(JsonOut& o, const Keys& keys, const Book& b) {
    SETM_TRY(std::vector<MarketOrder> orders, orders_of(keys, b));
    std::map<Hash32, std::string> label;
    for (std::size_t i = 0; i < orders.size(); ++i) label[orders[i].id] = b.orders[i].label;
    o.begin_object().field("name", b.name).field("note", b.note).field("slot", kSlot);
    o.field("network_fee", b.network_fee).field("rounds", b.rounds);
    write_orders(o, b, orders);
    o.key("results").begin_object();
    for (Mechanism mech : {Mechanism::pay_as_clear, Mechanism::pay_as_bid, Mechanism::negotiate}) {
        MarketParams p;
        p.mechanism = mech;
        p.rounds = b.rounds;
        p.network_fee = b.network_fee;
        SETM_TRY(MarketResult r, clear_market(orders, p));
        o.key(mechanism_name(mech));
        SETM_CHECK(write_result(o, r, label));
    }
    o.end_object().end_object();
    return ok_status();
}

} // namespace

Result<std::string> market_json(const Keys& keys) {
    JsonOut o;
    o.begin_object();
    o.field("format", "setm test vectors: market books");
    o.key("books").begin_array();
    for (const Book& b : books()) SETM_CHECK(write_book(o, keys, b));
    o.end_array();
    o.end_object();
    return o.str();
}

} // namespace setm::vectors
