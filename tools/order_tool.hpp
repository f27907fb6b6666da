// order_tool.hpp - the front end shared by setm-offer and setm-request:
// they differ only in the side of the market and the meaning of --price.
#pragma once

#include <cstdlib>
#include <iostream>
#include <random>

#include "block.hpp"
#include "nats_flags.hpp"
#include "orders.hpp"
#include "store.hpp"
#include "stream.hpp"
#include "tool.hpp"

namespace setm::tool {

enum class Side { offer, request };

struct OrderOptions {
    std::string key, passphrase_file, store, chain, slot, energy, price, opening, zone, expires,
        csv, now, cancel, readings;
    std::optional<std::uint64_t> nonce;
    unsigned slot_minutes = 30;
    std::vector<std::string> from;
    NatsFlags nats;
};

// Where the order will live: the chain id, its slot length, and (with a
// store) the signer's zone and the chain's rules to check the order against.
struct OrderContext {
    Hash32 chain{};
    std::uint32_t slot_minutes = 30;
    std::string zone;
    std::string meter; // the credential's, with a store
    std::optional<Store> store;
    std::unique_ptr<Snapshot> snap;
};

inline Result<OrderContext> order_context(const OrderOptions& o, const SecretKey& key) {
    OrderContext c;
    if (!o.store.empty()) {
        if (o.nats.on()) { // the chain as the network has it, verified here first
            SETM_TRY(std::int64_t now, now_or(o.now));
            SETM_CHECK(replica::catch_up(o.nats.options(), o.store, now, default_threads()));
        }
        SETM_TRY(Store s, Store::open(o.store, true));
        c.chain = s.chain_id();
        c.slot_minutes = s.genesis().slot_minutes;
        c.store.emplace(std::move(s));
        SETM_TRY(c.snap, c.store->snapshot());
        SETM_TRY(auto serial, c.snap->state().serial_of(key.id()));
        if (!serial)
            return make_error(Exit::rejected, "wrong user",
                              participant_hex(key.id()) + " (" + key.name +
                                  ") is not registered on this chain")
                .with_hint("ask the authority: setm-auth register");
        SETM_TRY(auto entry, c.snap->state().credential(*serial));
        if (entry) c.zone = entry->credential.body.zone;
        if (entry) c.meter = entry->credential.body.meter;
        // Readings name the meter of the credential in force now: a renewal
        // with a new meter that has not begun leaves the old one in use.
        SETM_TRY(std::int64_t now, now_or(o.now));
        if (auto in_force = active_credential(c.snap->state(), key.id(), now))
            c.meter = in_force.value().meter;
    } else {
        auto h = hash_from_hex(o.chain);
        if (!h) return make_error(Exit::usage, "bad --chain", h.error().detail);
        c.chain = h.value();
        c.slot_minutes = o.slot_minutes;
    }
    if (!o.zone.empty()) c.zone = o.zone;
    return c;
}

inline Result<std::vector<ProfileRow>> rows_from_args(const OrderOptions& o) {
    if (!o.csv.empty()) {
        if (!o.slot.empty() || !o.energy.empty() || !o.price.empty() || !o.opening.empty())
            return make_error(Exit::usage, "usage",
                              "--csv takes slot, energy, price and opening from the file");
        SETM_TRY(auto in, Input::open(o.csv));
        return read_profile_csv(in->stream());
    }
    if (o.slot.empty() || o.energy.empty() || o.price.empty())
        return make_error(Exit::usage, "usage", "give --slot, --energy and --price, or --csv FILE");
    ProfileRow r;
    auto slot = parse_utc(o.slot);
    if (!slot) return make_error(Exit::usage, "bad --slot", slot.error().detail);
    auto energy = parse_energy(o.energy);
    if (!energy) return make_error(Exit::usage, "bad --energy", energy.error().detail);
    r.slot = slot.value();
    r.energy_wh = energy.value();
    SETM_TRY(r.price, price_arg(o.price, "--price"));
    if (!o.opening.empty()) {
        SETM_TRY(r.opening, price_arg(o.opening, "--opening"));
    }
    return std::vector<ProfileRow>{r};
}

inline std::uint64_t random_nonce() {
    std::uint64_t n = 0;
    random_bytes(reinterpret_cast<std::uint8_t*>(&n), sizeof n);
    return n;
}

inline Status run_order_tool(const char* tool, Side side, const OrderOptions& o) {
    report_damaged_store(tool, Exit::io);
    SETM_TRY(std::int64_t now, now_or(o.now));
    SETM_TRY(std::vector<ProfileRow> rows, rows_from_args(o));
    std::optional<std::int64_t> expires;
    if (!o.expires.empty()) {
        auto e = parse_utc(o.expires);
        if (!e) return make_error(Exit::usage, "bad --expires", e.error().detail);
        expires = e.value();
    }
    std::optional<std::string> pass_file;
    if (!o.passphrase_file.empty()) pass_file = o.passphrase_file;
    SETM_TRY(auto pass, load_passphrase(pass_file, std::getenv("SETM_PASSPHRASE")));
    SETM_TRY(SecretKey key, read_key_file(o.key, pass));
    SETM_TRY(OrderContext ctx, order_context(o, key));
    const std::uint64_t first_nonce = o.nonce ? *o.nonce : random_nonce();
    const Ed25519Signer signer(key.seed); // once for the whole profile
    const bool watched = person_watching();
    std::string out;
    std::int64_t total_wh = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const ProfileRow& r = rows[i];
        OrderTerms t;
        t.slot = r.slot;
        t.slot_minutes = ctx.slot_minutes;
        t.energy_wh = r.energy_wh;
        t.price = r.price;
        t.opening = r.opening;
        t.zone = ctx.zone;
        t.expires = expires;
        t.nonce = first_nonce + i;
        t.from = o.from;
        Record rec = side == Side::offer ? Record(make_offer(key, signer, ctx.chain, t))
                                         : Record(make_request(key, signer, ctx.chain, t));
        if (!ctx.snap) { // no chain to ask: at least what needs none
            Status s = check_order_alone(rec);
            if (!s) {
                Error e = s.error();
                if (r.line) e.at_line(r.line);
                return e;
            }
        } else {
            Status s = check_order(ctx.snap->state(), rec, now);
            if (!s) {
                Error e = s.error();
                if (r.line) e.at_line(r.line);
                return e;
            }
        }
        out += to_json(rec) + "\n";
        if (watched && rows.size() == 1)
            std::cerr << tool << ": " << (side == Side::offer ? "offer " : "request ")
                      << format_energy(r.energy_wh) << " for " << format_utc(r.slot)
                      << (side == Side::offer ? ", floor " : ", ceiling ") << format_price(r.price)
                      << " EUR/MWh, opening " << format_price(t.opening.value_or(r.price)) << ": "
                      << to_hex(record_id(rec)).substr(0, 16) << "…\n";
        total_wh += r.energy_wh;
    }
    SETM_CHECK(print(out));         // all or nothing
    if (watched && rows.size() > 1) // a profile: one line, not one per slot
        std::cerr << tool << ": signed " << rows.size()
                  << (side == Side::offer ? " offers" : " requests") << ", "
                  << format_energy(total_wh) << " in all, for " << format_utc(rows.front().slot)
                  << " to " << format_utc(rows.back().slot) << "\n";
    return ok_status();
}

// --cancel ORDER_ID: the owner's signed withdrawal of what is left of one
// of its orders, checked against the chain when there is a store.
inline Status run_cancel_tool(const char* tool, Side side, const OrderOptions& o) {
    report_damaged_store(tool, Exit::io);
    SETM_TRY(std::int64_t now, now_or(o.now));
    auto order = from_hex_fixed<32>(o.cancel);
    if (!order) return make_error(Exit::usage, "bad --cancel", order.error().detail);
    std::optional<std::string> pass_file;
    if (!o.passphrase_file.empty()) pass_file = o.passphrase_file;
    SETM_TRY(auto pass, load_passphrase(pass_file, std::getenv("SETM_PASSPHRASE")));
    SETM_TRY(SecretKey key, read_key_file(o.key, pass));
    SETM_TRY(OrderContext ctx, order_context(o, key));
    const Signed<Cancel> c = make_cancel(key, ctx.chain, *order, now);
    const setm::Side chain_side = side == Side::offer ? setm::Side::offer : setm::Side::request;
    if (ctx.snap) SETM_CHECK(check_cancel(ctx.snap->state(), c, chain_side, now));
    SETM_CHECK(print(to_json(Record(c)) + "\n"));
    if (person_watching())
        std::cerr << tool << ": cancel of " << (side == Side::offer ? "offer " : "request ")
                  << o.cancel.substr(0, 16) << "…: " << to_hex(c.id()).substr(0, 16) << "…\n";
    return ok_status();
}

// --readings FILE: the participant's signed meter readings, one per row,
// checked against the chain when there is a store; all or nothing.
inline Status run_readings_tool(const char* tool, const OrderOptions& o) {
    report_damaged_store(tool, Exit::io);
    SETM_TRY(std::int64_t now, now_or(o.now));
    SETM_TRY(auto in, Input::open(o.readings));
    SETM_TRY(std::vector<ReadingRow> rows, read_readings_csv(in->stream()));
    std::optional<std::string> pass_file;
    if (!o.passphrase_file.empty()) pass_file = o.passphrase_file;
    SETM_TRY(auto pass, load_passphrase(pass_file, std::getenv("SETM_PASSPHRASE")));
    SETM_TRY(SecretKey key, read_key_file(o.key, pass));
    SETM_TRY(OrderContext ctx, order_context(o, key));
    const Ed25519Signer signer(key.seed);
    std::string out;
    for (const ReadingRow& r : rows) {
        const std::string& meter = r.meter.empty() ? ctx.meter : r.meter;
        const Signed<Reading> rec = make_reading(key, ctx.chain, meter, r.slot, ctx.slot_minutes,
                                                 r.delivered_wh, r.consumed_wh, &signer);
        Status s = check_reading_alone(rec);
        if (s && ctx.snap) s = check_order(ctx.snap->state(), rec, now);
        if (!s) {
            Error e = s.error();
            return e.at_line(r.line);
        }
        out += to_json(Record(rec)) + "\n";
    }
    SETM_CHECK(print(out));
    if (person_watching()) std::cerr << tool << ": signed " << rows.size() << " meter reading(s)\n";
    return ok_status();
}

inline void add_order_options(CLI::App& app, OrderOptions& o, Side side) {
    const bool offer = side == Side::offer;
    app.add_option("-k,--key", o.key, offer ? "The producer's key" : "The consumer's key")
        ->required()
        ->option_text("FILE");
    app.add_option("--passphrase-file", o.passphrase_file,
                   "Passphrase of an encrypted key on FILE's first line (else SETM_PASSPHRASE)")
        ->option_text("FILE");
    auto* store =
        app.add_option(
               "-s,--store", o.store,
               "The chain store: gives the chain id, slot length and zone, and checks the order "
               "(default: $SETM_STORE unless --chain)")
            ->option_text("DIR");
    auto* chain =
        app.add_option("--chain", o.chain, "Sign for the chain with this id, without a store")
            ->option_text("HASH");
    store->excludes(chain);
    app.add_option("--slot-minutes", o.slot_minutes, "Slot length with --chain (default 30)")
        ->option_text("N")
        ->needs(chain);
    app.add_option("--slot", o.slot, "Start of the delivery slot, UTC (2026-11-25T10:00:00Z)")
        ->option_text("TIME");
    app.add_option(
           "-e,--energy", o.energy,
           offer ? "Energy offered: Wh, kWh or MWh (5kWh)" : "Energy wanted: Wh, kWh or MWh (2kWh)")
        ->option_text("ENERGY");
    app.add_option("-p,--price", o.price,
                   offer ? "Floor price in EUR/MWh: never sells below (Table 1 min bid)"
                         : "Ceiling price in EUR/MWh: never pays above (Table 1 max bid)")
        ->option_text("EUR/MWH");
    app.add_option("--opening", o.opening,
                   offer ? "Opening ask in EUR/MWh for negotiation (default: the floor)"
                         : "Opening bid in EUR/MWh for negotiation (default: the ceiling)")
        ->option_text("EUR/MWH");
    app.add_option("--zone", o.zone, "Grid zone (default: the zone of the credential)")
        ->option_text("ZONE");
    app.add_option("--expires", o.expires,
                   "The order lapses at TIME (default: when the slot begins)")
        ->option_text("TIME");
    app.add_option("--nonce", o.nonce,
                   "First nonce (default: random); equal orders need distinct nonces")
        ->option_text("N");
    app.add_option(
           "--csv", o.csv,
           "Sign one order per row of a CSV profile: slot,energy,price[,opening] (- for stdin)")
        ->option_text("FILE");
    if (!offer)
        app.add_option("--from", o.from, "Accept only this offer id or producer id (repeatable)")
            ->option_text("ID");
    auto* cancel =
        app.add_option("--cancel", o.cancel,
                       offer ? "Withdraw what is left of this offer of yours (its id) instead"
                             : "Withdraw what is left of this request of yours (its id) instead")
            ->option_text("ID");
    auto* readings =
        app.add_option("--readings", o.readings,
                       "Sign the meter readings of a CSV file instead: slot,delivered,consumed"
                       "[,meter] (- for stdin)")
            ->option_text("FILE");
    for (const char* other : {"--slot", "--energy", "--price", "--opening", "--zone", "--expires",
                              "--nonce", "--csv", "--from"})
        if (auto* opt = app.get_option_no_throw(other)) {
            cancel->excludes(opt);
            readings->excludes(opt);
        }
    readings->excludes(cancel);
    nats_flags(&app, o.nats);
    quiet_flag(&app);
    app.add_option("--now", o.now, "Use TIME (UTC) instead of the clock when checking the order")
        ->option_text("TIME");
}

} // namespace setm::tool
