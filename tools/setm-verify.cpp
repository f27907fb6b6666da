// setm-verify - replay the chain from genesis and check everything.
#include <chrono>
#include <cstdio>
#include <iostream>

#include <csignal>

#include <unistd.h>

#include "backup.hpp"
#include "explain.hpp"
#include "metering.hpp"
#include "nats_flags.hpp"
#include "open_book.hpp"
#include "statement.hpp"
#include "store.hpp"
#include "tool.hpp"
#include "verify.hpp"

using namespace setm;

namespace {

const char* kTool = "setm-verify";

struct Options {
    std::string store, now;
    unsigned threads = tool::default_threads();
    bool json = false, explain = false, statement = false, metered = false;
    std::string from, to, format = "json";
    std::optional<std::string> from_height, to_height;
    std::vector<std::string> has_record;
    tool::NatsFlags nats;
    bool sync = false, follow = false;
    std::string chain_id;
    std::optional<std::string> backup;
    bool open_book = false, table = false;
    std::string slot, side;
    std::optional<std::string> assume_valid;
};

// --assume-valid: the height verify_chain assumes up to, once it has said
// (shared by the narrator of each block and the lines at the end).
using AssumedCell = std::shared_ptr<std::optional<AssumedValid>>;

// The authority in office at the tip, and its hand-overs (setm(7),
// AUTHORITY ROTATION).
void authority_json(JsonOut& o, const AuthorityState& a) {
    const AuthorityTerm& now = a.current();
    o.key("authority").begin_object();
    o.field("name", now.name).field("id", participant_hex(participant_id(now.ed25519)));
    o.field("since", now.from_height)
        .field("handovers", static_cast<std::uint64_t>(a.terms.size() - 1));
    o.field("recovery", a.recovery == PublicKey{} ? std::string()
                                                  : participant_hex(participant_id(a.recovery)));
    o.end_object();
}

// --assume-valid: what was assumed, or null (nothing: the option absent,
// or its block not on this chain).
void assumed_json(JsonOut& o, const VerifyReport& r) {
    o.key("assumed_valid");
    if (!r.assumed) {
        o.null();
        return;
    }
    o.begin_object().field("height", r.assumed->height);
    o.field("block", hash_to_hex(r.assumed->block)).field("signatures", r.assumed->signatures);
    o.end_object();
}

std::string report_json(const VerifyReport& r, const AuthorityState& a) {
    JsonOut o;
    o.begin_object().field("type", "verify-report").field("ok", true);
    o.field("chain", hash_to_hex(r.chain))
        .field("height", r.height)
        .field("tip", hash_to_hex(r.tip));
    o.field("records", r.records).field("signatures", r.signatures);
    o.key("by_type").begin_object();
    for (const auto& [t, n] : r.by_type) o.field(t, n);
    o.end_object();
    authority_json(o, a);
    assumed_json(o, r);
    o.end_object();
    return o.str();
}

std::string failure_json(const Error& e) {
    JsonOut o;
    o.begin_object().field("type", "verify-report").field("ok", false);
    o.field("reason", e.reason).field("detail", e.detail).end_object();
    return o.str();
}

// A store that cannot be read as a chain is a failed verification, not an
// I/O error: only "there is no store" or "busy" are reported as such.
Error as_verification(Error e) {
    if (e.code == Exit::io && !e.is(ErrorKind::no_store) && !e.is(ErrorKind::permission_denied))
        e.code = Exit::verify_failed;
    return e;
}

// Progress on a terminal while a long chain replays (quiet for a short one).
BlockObserver progress(const std::shared_ptr<ProgressMeter>& meter) {
    if (!meter) return {};
    return [meter](const Block&, std::uint64_t h, const MemoryState&) {
        meter->update(std::string(kTool) + ": verified block " + std::to_string(h));
    };
}

// --explain: what was checked in each block, as a teacher would say it
// (explain.hpp writes the lines).
BlockObserver narrator(BlockObserver next, AssumedCell assumed) {
    return [next, assumed](const Block& b, std::uint64_t h, const MemoryState& st) {
        auto lines = explain_block(b, h, st);
        if (lines && *assumed && h > 0 && h <= (*assumed)->height)
            mark_signatures_assumed(lines.value());
        if (!lines)
            std::cerr << "  (cannot narrate block " << h << ": " << lines.error().message()
                      << ")\n";
        else
            for (const auto& line : lines.value()) std::cerr << line << "\n";
        if (next) next(b, h, st);
    };
}

// --assume-valid HASH, read: a block id of 64 hex digits, or a usage error.
Result<std::optional<Hash32>> assume_valid_arg(const Options& o) {
    if (!o.assume_valid) return std::optional<Hash32>{};
    auto id = hash_from_hex(*o.assume_valid);
    if (!id)
        return make_error(Exit::usage, "bad --assume-valid", id.error().detail)
            .with_hint("give a block id (64 hex digits), e.g. the tip of setm-verify --json");
    return std::optional<Hash32>(id.value());
}

// How to verify: at `now`, on -j threads, assuming what --assume-valid
// names. What is assumed is said once, before the replay: with --explain,
// and (not on this chain) to a person or with --explain, never with -q.
Result<VerifyOptions> verify_options(const Options& o, std::int64_t now, AssumedCell cell) {
    VerifyOptions v;
    v.now = now;
    v.threads = o.threads;
    SETM_TRY(v.assume_valid, assume_valid_arg(o));
    const bool explain = o.explain, tell = !tool::quiet && (o.explain || tool::person_watching());
    v.assumed = [cell, explain, tell,
                 asked = o.assume_valid](const std::optional<AssumedValid>& a) {
        *cell = a;
        if (!asked) return;
        if (a && explain && a->height == 0)
            std::cerr << "--assume-valid names block 0, whose signatures are always checked: "
                         "nothing assumed\n";
        else if (a && explain)
            std::cerr << "signatures of blocks 1.." << a->height
                      << " assumed valid (--assume-valid " << hash_to_hex(a->block)
                      << "); block 0's and every later block's are checked\n";
        else if (!a && tell)
            std::cerr << kTool << ": note: block " << *asked
                      << " is not on this chain; checking every signature\n";
    };
    return v;
}

// --open-book: one line per open order (open_book.hpp).
std::string open_order_json(const OpenOrder& b) {
    const bool offer = b.side == Side::offer;
    JsonOut o;
    o.begin_object().field("type", "open-order").field("id", to_hex(b.id));
    o.field("side", offer ? "offer" : "request").field("participant", participant_hex(b.owner));
    o.field("name", b.name).field("zone", b.zone).field("slot", format_utc(b.slot));
    o.field("energy_wh", b.energy_wh).field("remaining_wh", b.remaining_wh);
    o.key("floor_price");
    offer ? o.i64(b.limit_price) : o.null();
    o.key("ceiling_price");
    offer ? o.null() : o.i64(b.limit_price);
    o.field("opening_price", b.opening_price).field("expires", format_utc(b.expires));
    o.field("height", b.height).key("gate");
    b.gate ? o.str(format_utc(*b.gate)) : o.null();
    o.field("gate_closed", b.gate_closed);
    if (!offer) {
        o.key("from").begin_array();
        for (const auto& f : b.from) o.str(f);
        o.end_array();
    }
    return o.end_object().str();
}

// The same as an aligned table, for a person choosing --from.
std::string left(const std::string& s, std::size_t width) {
    return s.size() >= width ? s + " " : s + std::string(width - s.size() + 1, ' ');
}
std::string right(const std::string& s, std::size_t width) {
    return s.size() >= width ? s + " " : std::string(width - s.size(), ' ') + s + " ";
}

std::string open_order_row(const OpenOrder& b) {
    const char* gate = !b.gate ? "-" : b.gate_closed ? "closed" : "open";
    return left(format_utc(b.slot), 20) + left(b.side == Side::offer ? "offer" : "request", 7) +
           right(format_price(b.limit_price), 9) + right(format_energy(b.remaining_wh), 9) +
           right(format_energy(b.energy_wh), 9) + left(b.zone, 8) + left(gate, 6) +
           left(b.name, 12) + to_hex(b.id) + "\n";
}

std::string open_book_table(const std::vector<OpenOrder>& book) {
    std::string out = left("slot", 20) + left("side", 7) + right("EUR/MWh", 9) + right("open", 9) +
                      right("of", 9) + left("zone", 8) + left("gate", 6) + left("name", 12) +
                      "id\n";
    for (const OpenOrder& b : book) out += open_order_row(b);
    if (book.empty()) out += "(no open order)\n";
    return out;
}

// --slot and --side, read and checked (the slot against the chain's slots
// by open_book itself).
Result<OpenBookQuery> open_book_query(const Options& o, std::int64_t now) {
    OpenBookQuery q;
    q.now = now;
    SETM_TRY(q.slot, tool::time_arg(o.slot, "--slot"));
    if (!o.side.empty()) q.side = o.side == "offer" ? Side::offer : Side::request;
    return q;
}

// A --slot that does not start a slot of the chain is the option's fault.
Error slot_usage(Error e) {
    if (e.code == Exit::usage && e.reason == "bad slot")
        return make_error(Exit::usage, "bad --slot", e.detail);
    return e;
}

// --slot against the chain's slots, before a replay that may be long.
Status check_slot_arg(const Options& o, const Genesis& g, std::int64_t now) {
    SETM_TRY(OpenBookQuery q, open_book_query(o, now));
    Status s = check_open_book_query(g, q);
    if (!s) return slot_usage(s.error());
    return ok_status();
}

// Prints the open book of the replayed chain: JSON lines, or with --table
// the table on stdout; a person at a terminal also sees the table on stderr.
Status print_open_book(const Options& o, const MemoryState& st, std::int64_t now) {
    SETM_TRY(OpenBookQuery q, open_book_query(o, now));
    auto book = open_book(st, q);
    if (!book) return slot_usage(book.error());
    if (o.table) return tool::print(open_book_table(*book));
    std::string out;
    for (const OpenOrder& b : *book) out += open_order_json(b) + "\n";
    SETM_CHECK(tool::print(out));
    if (tool::person_watching()) std::cerr << open_book_table(*book);
    return ok_status();
}

// --has-record: where each record is, from the store's index (no replay).
Status locate_records(const Options& o) {
    std::vector<Hash32> ids;
    for (const auto& text : o.has_record) {
        auto id = from_hex_fixed<32>(text);
        if (!id) return make_error(Exit::usage, "bad --has-record", id.error().detail);
        ids.push_back(id.value());
    }
    SETM_TRY(Store store, Store::open(o.store, true));
    SETM_TRY(auto snap, store.snapshot());
    const TxnState& st = snap->state();
    std::string out;
    for (const Hash32& id : ids) {
        SETM_TRY(auto height, st.record_height(id));
        JsonOut j;
        j.begin_object().field("type", "record-location").field("id", to_hex(id));
        if (height) {
            SETM_TRY(BlockHeader h, st.header(*height));
            const auto raw = serialize_header(h);
            j.field("height", *height).field("block", hash_to_hex(block_hash(h)));
            j.field("header_hex", to_hex(raw.data(), raw.size()));
        } else {
            j.key("height").null();
        }
        out += j.end_object().str() + "\n";
    }
    SETM_CHECK(tool::print(out));
    return ok_status();
}

// ---- --nats: catching up with the network -----------------------------------------

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void request_stop(int) { stop_requested = 1; }

std::string sync_json(const Hash32& chain, const replica::SyncReport& r) {
    JsonOut j;
    j.begin_object().field("type", "sync-report").field("chain", hash_to_hex(chain));
    j.field("from", r.from).field("height", r.height).field("appended", r.appended);
    return j.field("tip", hash_to_hex(r.tip)).end_object().str();
}

// The store of --store, or a new one made from the network's genesis when
// the directory holds none (or only the empty environment of a join that
// was killed) and --chain-id names the chain.
Result<Store> open_or_join(const Options& o, replica::Link& link) {
    auto opened = Store::open(o.store, false);
    if (!opened && opened.error().is(ErrorKind::no_store) && !o.chain_id.empty()) {
        SETM_TRY(Hash32 chain, hash_from_hex(o.chain_id));
        return replica::join(link, o.store, chain);
    }
    if (!opened) return opened.error();
    Store store = std::move(opened.value());
    if (!o.chain_id.empty()) {
        SETM_TRY(Hash32 chain, hash_from_hex(o.chain_id));
        if (chain != store.chain_id())
            return make_error(Exit::usage, "wrong chain",
                              o.store + " holds chain " + hash_to_hex(store.chain_id()));
    }
    return store;
}

// Brings the store up to the network's tip (and, with --follow, keeps it
// there until SIGINT or SIGTERM). --sync and --follow print what they did.
Status sync_store(const Options& o, std::int64_t now) {
    SETM_TRY(replica::Link link, replica::Link::connect(o.nats.options()));
    SETM_TRY(Store store, open_or_join(o, link));
    replica::SyncOptions so;
    so.now = now;
    so.threads = o.threads;
    so.follow = o.follow;
    const bool report = o.sync || o.follow;
    if (o.follow) {
        std::signal(SIGINT, request_stop);
        std::signal(SIGTERM, request_stop);
        so.stop = [] { return stop_requested != 0; };
        so.committed = [&](const replica::SyncReport& r) {
            if (tool::person_watching())
                std::cerr << kTool << ": block " << r.height << " " << hash_to_hex(r.tip)
                          << " verified and appended\n";
            return tool::print(sync_json(store.chain_id(), r) + "\n");
        };
    }
    SETM_TRY(replica::SyncReport r, replica::sync(link, store, so));
    if (report && !o.follow) SETM_CHECK(tool::print(sync_json(store.chain_id(), r) + "\n"));
    if (tool::person_watching())
        std::cerr << kTool << ": " << r.appended << " block(s) from the network verified and "
                  << "appended; tip " << r.height << " " << hash_to_hex(r.tip) << "\n";
    return ok_status();
}

// --from, --to, --from-height and --to-height, read and checked.
Result<StatementRange> statement_range(const Options& o) {
    StatementRange r;
    SETM_TRY(r.from_slot, tool::time_arg(o.from, "--from"));
    SETM_TRY(r.to_slot, tool::time_arg(o.to, "--to"));
    if (o.from_height) {
        SETM_TRY(r.from_height, parse_height(*o.from_height, "--from-height"));
    }
    if (o.to_height) {
        SETM_TRY(r.to_height, parse_height(*o.to_height, "--to-height"));
    }
    SETM_CHECK(check_range(r));
    return r;
}

// The statement of the trades as promised, or (--metered) as delivered.
Status print_statement(const Options& o, const StatementBuilder& statement,
                       const MeteredBuilder& metered, const StateReader& tip) {
    std::string out;
    if (o.metered) {
        SETM_TRY(MeteredStatement m, metered.finish());
        for (const auto& l : m.lines) out += metered_line_json(l, "metered-line") + "\n";
        for (const auto& t : m.totals) out += metered_line_json(t, "metered-total") + "\n";
        out += metered_balance_json(m) + "\n";
        return tool::print(out);
    }
    SETM_TRY(Statement st, statement.finish(&tip));
    if (o.format == "csv") {
        out = statement_csv(st);
    } else {
        for (const auto& l : st.lines) out += statement_line_json(l, "statement-line") + "\n";
        for (const auto& t : st.totals) out += statement_line_json(t, "statement-total") + "\n";
        out += statement_balance_json(st) + "\n";
    }
    return tool::print(out);
}

// --backup DEST: a verified hot copy of the store, and one line about it.
Status backup(const Options& o, std::int64_t now) {
    const auto cell = std::make_shared<std::optional<AssumedValid>>();
    SETM_TRY(const VerifyOptions vo, verify_options(o, now, cell));
    const auto meter = o.explain ? nullptr : tool::progress_meter(ProgressTiming{});
    const BlockObserver observer = o.explain ? narrator({}, cell) : progress(meter);
    const auto started = std::chrono::steady_clock::now();
    auto r = backup_store(o.store, *o.backup, vo, observer);
    if (meter) meter->done();
    if (!r) return r.error();
    const VerifyReport& v = r->verified;
    JsonOut j;
    j.begin_object().field("type", "backup").field("store", o.store).field("path", r->path);
    j.field("chain", hash_to_hex(v.chain))
        .field("height", v.height)
        .field("tip", hash_to_hex(v.tip));
    j.field("records", v.records).field("bytes", r->bytes);
    assumed_json(j, v);
    SETM_CHECK(tool::print(j.end_object().str() + "\n"));
    if (tool::person_watching()) {
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
        std::cerr << kTool << ": copied " << o.store << " to " << r->path
                  << " and verified the copy: " << v.height + 1 << " block(s), tip "
                  << hash_to_hex(v.tip) << ", " << r->bytes << " bytes, in " << took.count()
                  << " s\n";
    }
    return ok_status();
}

Status run(const Options& o) {
    if ((o.sync || o.follow || !o.chain_id.empty()) && !o.nats.on())
        return make_error(Exit::usage, "missing --nats",
                          "--sync, --follow and --chain-id need the network's servers")
            .with_hint("give --nats URL or set SETM_NATS");
    SETM_CHECK(assume_valid_arg(o)); // a bad HASH before any sync or copy
    if (o.nats.on() && o.has_record.empty()) {
        SETM_TRY(std::int64_t now, tool::now_or(o.now));
        SETM_CHECK(sync_store(o, now));
        if (o.sync || o.follow) return ok_status();
    }
    if (!o.has_record.empty()) return locate_records(o);
    SETM_TRY(std::int64_t now, tool::now_or(o.now));
    if (o.backup) return backup(o, now);
    auto fail = [&](Error e) {
        e = as_verification(std::move(e));
        if (o.json) (void)tool::print(failure_json(e) + "\n"); // the verdict outranks a lost report
        return e;
    };
    SETM_TRY(StatementRange range, statement_range(o));
    const auto cell = std::make_shared<std::optional<AssumedValid>>();
    SETM_TRY(const VerifyOptions vo, verify_options(o, now, cell));
    if (o.open_book) SETM_CHECK(open_book_query(o, now)); // a bad --slot before the replay
    auto store = Store::open(o.store, true);
    if (!store) return fail(store.error());
    if (o.open_book) SETM_CHECK(check_slot_arg(o, store->genesis(), now));
    auto snap = store->snapshot();
    if (!snap) return fail(snap.error());
    StatementBuilder statement(range);
    MeteredBuilder metered(range);
    Status collected = ok_status();
    ProgressTiming quiet_start; // a chain that replays in a moment shows no meter
    quiet_start.delay = 0.2;
    const auto meter = o.explain ? nullptr : tool::progress_meter(quiet_start);
    BlockObserver observer = o.explain ? narrator({}, cell) : progress(meter);
    if (o.statement) {
        observer = [&, inner = observer](const Block& b, std::uint64_t h, const MemoryState& st) {
            if (collected)
                collected = o.metered ? metered.add_block(b, h, st) : statement.add_block(b, h, st);
            if (inner) inner(b, h, st);
        };
    }
    auto v = verify_chain(snap.value()->state(), vo, observer);
    if (meter) meter->done();
    if (!v) return fail(v.error());
    const VerifyReport& r = v->report;
    SETM_TRY(const AuthorityState authority, v->state->authority());
    if (o.json) SETM_CHECK(tool::print(report_json(r, authority) + "\n"));
    if (o.open_book) SETM_CHECK(print_open_book(o, *v->state, now));
    if (o.statement) {
        SETM_CHECK(collected);
        SETM_CHECK(print_statement(o, statement, metered, *v->state));
    }
    if (tool::person_watching())
        std::cerr << kTool << ": chain " << hash_to_hex(r.chain).substr(0, 16)
                  << "… verified: " << r.height + 1 << " block(s), " << r.records
                  << " record(s), tip " << hash_to_hex(r.tip)
                  << (r.assumed && r.assumed->height > 0
                          ? " (signatures of blocks 1.." + std::to_string(r.assumed->height) +
                                " assumed valid)"
                          : std::string())
                  << "\n";
    if (tool::person_watching() && authority.terms.size() > 1)
        std::cerr << kTool << ": authority " << authority.current().name << " since block "
                  << authority.current().from_height << " (" << authority.terms.size() - 1
                  << " hand-over(s))\n";
    return ok_status();
}

// --open-book and the options that narrow it.
void open_book_options(CLI::App& app, Options& o, CLI::Option* statement, CLI::Option* sync) {
    auto* book = app.add_flag("--open-book", o.open_book,
                              "Print the orders on the chain still open at --now, of a chain that "
                              "verifies (JSON lines; a table on a terminal)");
    book->excludes(statement)->excludes("--json")->excludes("--has-record");
    book->excludes(sync)->excludes("--follow")->excludes("--backup");
    app.add_option("--slot", o.slot, "With --open-book: only the slot that starts at TIME")
        ->option_text("TIME")
        ->needs(book);
    app.add_option("--side", o.side, "With --open-book: only offers or only requests")
        ->check(CLI::IsMember({"offer", "request"}))
        ->option_text("SIDE")
        ->needs(book);
    app.add_flag("--table", o.table,
                 "With --open-book: print the aligned table on stdout instead of JSON lines")
        ->needs(book);
}

// --statement and the options that go with it.
CLI::Option* statement_options(CLI::App& app, Options& o) {
    app.add_flag("--statement", o.statement,
                 "Print the settlement statement of a chain that verifies");
    auto* statement = app.get_option("--statement");
    app.add_option("--from", o.from, "With --statement: only slots from TIME on")
        ->option_text("TIME")
        ->needs(statement);
    app.add_option("--to", o.to, "With --statement: only slots before TIME")
        ->option_text("TIME")
        ->needs(statement);
    app.add_option("--from-height", o.from_height,
                   "With --statement: only trades in blocks at height H or above")
        ->option_text("H")
        ->needs(statement);
    app.add_option("--to-height", o.to_height,
                   "With --statement: only trades in blocks below height H")
        ->option_text("H")
        ->needs(statement);
    app.add_option("--format", o.format, "With --statement: json (default) or csv")
        ->check(CLI::IsMember({"json", "csv"}))
        ->option_text("FORMAT")
        ->needs(statement);
    app.add_flag("--metered", o.metered,
                 "With --statement: settle what the meters read, not what was traded, with "
                 "each participant's imbalance")
        ->needs(statement)
        ->excludes("--from-height")
        ->excludes("--to-height")
        ->excludes("--format");
    return statement;
}

} // namespace

static int tool_main(int argc, char** argv) {
    CLI::App app{
        "Replay a setm chain from genesis, trusting no stored index, and check every rule.", kTool};
    tool::version_flag(app);
    tool::quiet_flag(&app);
    Options o;
    tool::store_option(&app, o.store);
    app.add_option("--now", o.now, "Check block times against TIME (UTC) instead of the clock")
        ->option_text("TIME");
    app.add_option("-j,--threads", o.threads, "Signature-checking threads (default: every core)")
        ->check(CLI::Range(1u, 256u))
        ->option_text("N");
    app.add_flag("--json", o.json, "Print a machine-readable report on stdout");
    app.add_flag("--explain", o.explain,
                 "Narrate the checks of every block on stderr (Algorithm 1 for each signer)");
    auto* statement = statement_options(app, o);
    app.add_option(
           "--has-record", o.has_record,
           "Print where the record ID is on the chain (repeatable; looks it up, replays nothing)")
        ->option_text("ID")
        ->excludes(statement)
        ->excludes("--json")
        ->excludes("--explain");
    app.add_option("--backup", o.backup,
                   "Copy the store, live, to the new directory DEST and verify the copy "
                   "before giving it that name")
        ->option_text("DEST")
        ->excludes(statement)
        ->excludes("--has-record")
        ->excludes("--json");
    tool::nats_flags(&app, o.nats);
    auto* sync = app.add_flag("--sync", o.sync,
                              "With --nats: bring the store up to the network's tip, verifying "
                              "every block before appending it; replay nothing else");
    app.add_flag("--follow", o.follow,
                 "With --nats: keep syncing as blocks arrive, until SIGINT or SIGTERM")
        ->excludes(statement)
        ->excludes("--has-record")
        ->excludes("--backup");
    sync->excludes(statement)->excludes("--has-record")->excludes("--backup");
    app.add_option("--chain-id", o.chain_id,
                   "With --nats: the chain to join when --store holds no store yet")
        ->option_text("HASH");
    open_book_options(app, o, statement, sync);
    app.add_option("--assume-valid", o.assume_valid,
                   "Do not check the record signatures of block HASH and of the blocks below "
                   "it, if the chain holds HASH (every other rule is checked)")
        ->option_text("HASH")
        ->excludes("--has-record")
        ->excludes(sync)
        ->excludes("--follow");
    app.footer(
        std::string("Exit 0 when the whole chain holds; otherwise 68 and the first failure as\n"
                    "'REASON: block H: detail'. --backup: 74 when DEST exists or cannot be\n"
                    "written (nothing is left behind), 68 when the copy does not verify.\n\n"
                    "Examples:\n"
                    "  setm-verify --store chain && echo valid\n"
                    "  setm-verify --store chain --json | jq .height\n"
                    "  setm-verify --store chain --backup backups/$(date -u +%Y%m%d)\n"
                    "  setm-verify --store chain --assume-valid \"$(cat verified-tip)\"\n"
                    "  setm-verify --store chain --open-book --side offer --table\n"
                    "  setm-verify --store node --nats nats://a:4222 --sync --chain-id HASH\n\n") +
        tool::exit_codes_footer());
    if (auto rc = tool::parse(app, argc, argv)) return *rc;
    tool::report_damaged_store(kTool, Exit::verify_failed);
    return tool::finish(kTool, run(o));
}

int main(int argc, char** argv) {
    return setm::tool::run("setm-verify", [&] { return tool_main(argc, argv); });
}
