// setm-negotiate - the market agent (the paper's MiM agent): authenticate
// orders, match each slot, negotiate prices, and sign the trades.
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "chart.hpp"
#include "clearing.hpp"
#include "nats_flags.hpp"
#include "negotiation.hpp"
#include "tool.hpp"

using namespace setm;

namespace {

const char* kTool = "setm-negotiate";

struct Options {
    std::string store, key, passphrase_file, input = "-", mechanism, network_fee, now;
    std::string unmatched, report, rejects;
    unsigned rounds = 0; // 0: the chain's
    unsigned threads = tool::default_threads();
    bool skip_invalid = false, explain = false, compare = false;
    std::vector<std::string> explain_slots;
    tool::NatsFlags nats;
};

// What a clearing achieved (figures.hpp): the fields --report and --compare share.
void figure_fields(JsonOut& o, const ClearingFigures& f) {
    o.field("traded_wh", f.traded_wh).field("trades", f.trades);
    for (auto [name, v] : {std::pair{"price_min", f.price_min}, std::pair{"price_max", f.price_max},
                           std::pair{"price_average", f.price_average}})
        if (v) o.field(name, *v);
    o.field("amount", f.amount).field("fees", f.fees);
    o.field("buyer_surplus", f.buyer_surplus).field("seller_surplus", f.seller_surplus);
    o.field("welfare", f.welfare);
}

std::string slot_report_json(const SlotReport& s, const ClearingFigures& f, const char* mechanism) {
    JsonOut o;
    o.begin_object()
        .field("type", "slot-report")
        .field("slot", format_utc(s.slot))
        .field("mechanism", mechanism);
    o.field("offers", static_cast<std::uint64_t>(s.offers))
        .field("requests", static_cast<std::uint64_t>(s.requests));
    o.field("offered_wh", s.offered_wh).field("requested_wh", s.requested_wh);
    if (s.clearing_price) o.field("clearing_price", *s.clearing_price);
    figure_fields(o, f);
    o.end_object();
    return o.str();
}

// --compare: a line per slot and mechanism, then one total per mechanism.
std::string compare_json(const ClearingFigures& f, Mechanism m) {
    JsonOut o;
    o.begin_object().field("type", f.slot ? "compare" : "compare-total");
    o.field("mechanism", mechanism_name(m));
    if (f.slot) o.field("slot", format_utc(f.slot));
    figure_fields(o, f);
    o.end_object();
    return o.str();
}

// The same as an aligned table, for a person at a terminal.
std::string compare_row(const ClearingFigures& f, Mechanism m) {
    auto price = [](const std::optional<std::int64_t>& p) { return p ? format_price(*p) : "-"; };
    auto eur = [](std::int64_t money) { return format_money(money); };
    char line[240];
    std::snprintf(line, sizeof line, "%-20s %-12s %9s %6llu %15s %8s %11s %11s %11s %11s\n",
                  f.slot ? format_utc(f.slot).c_str() : "total", mechanism_name(m),
                  format_energy(f.traded_wh).c_str(), static_cast<unsigned long long>(f.trades),
                  (price(f.price_min) + ".." + price(f.price_max)).c_str(),
                  price(f.price_average).c_str(), eur(f.fees).c_str(), eur(f.buyer_surplus).c_str(),
                  eur(f.seller_surplus).c_str(), eur(f.welfare).c_str());
    return line;
}

std::string rejected_json(const Rejected& r) {
    JsonOut o;
    o.begin_object().field("type", "rejected").field("line", static_cast<std::uint64_t>(r.line));
    o.field("record", r.type).field("id", to_hex(r.id)).field("reason", r.error.reason);
    o.field("detail", r.error.detail).field("exit", static_cast<int>(r.error.code)).end_object();
    return o.str();
}

// --slot TIME (repeatable): the slots --explain draws.
Result<std::vector<std::int64_t>> explain_slots(const Options& o) {
    std::vector<std::int64_t> only;
    for (const auto& t : o.explain_slots) {
        SETM_TRY(auto slot, tool::time_arg(t, "--slot"));
        if (!slot) return make_error(Exit::usage, "bad --slot", "empty; expected a TIME");
        only.push_back(*slot);
    }
    return only;
}

// The chain's market, or what the options put in its place: a what-if
// whose trades setm-mine will refuse, said on stderr.
Result<MarketParams> market_of(const Options& o, const Genesis& g) {
    MarketParams p = chain_market(g);
    std::vector<std::string> differ;
    if (!o.mechanism.empty()) {
        SETM_TRY(p.mechanism, parse_mechanism(o.mechanism));
        if (o.mechanism != g.mechanism) differ.push_back("--mechanism " + o.mechanism);
    }
    if (o.rounds != 0) {
        p.rounds = o.rounds;
        if (o.rounds != g.rounds) differ.push_back("--rounds " + std::to_string(o.rounds));
    }
    if (!o.network_fee.empty()) {
        SETM_TRY(p.network_fee, tool::price_arg(o.network_fee, "--network-fee"));
        if (p.network_fee < 0)
            return make_error(Exit::usage, "bad --network-fee", "must not be negative");
        if (p.network_fee != g.network_fee) differ.push_back("--network-fee " + o.network_fee);
    }
    for (const auto& d : differ)
        std::cerr << kTool << ": warning: " << d << " is not the chain's market (" << g.mechanism
                  << ", " << g.rounds << " rounds, network fee " << format_price(g.network_fee)
                  << " EUR/MWh)" << (o.compare ? "" : "; setm-mine will refuse these trades")
                  << "\n";
    return p;
}

// --compare: every mechanism on the book, as JSON lines (and a table for a
// person); nothing signed, nothing to mine.
Status run_compare(const StateReader& chain, const std::vector<LineRecord>& orders,
                   const BatchOptions& opt) {
    std::vector<Rejected> rejected;
    SETM_TRY(std::vector<MechanismFigures> all, compare_mechanisms(chain, orders, opt, rejected));
    for (const auto& r : rejected)
        std::cerr << kTool << ": rejected: " << r.error.message() << "\n";
    std::string out, table;
    const std::size_t slots = all.empty() ? 0 : all.front().slots.size();
    for (std::size_t k = 0; k < slots; ++k)
        for (const MechanismFigures& m : all) {
            out += compare_json(m.slots[k], m.mechanism) + "\n";
            table += compare_row(m.slots[k], m.mechanism);
        }
    for (const MechanismFigures& m : all) {
        out += compare_json(m.total, m.mechanism) + "\n";
        table += compare_row(m.total, m.mechanism);
    }
    if (tool::person_watching()) {
        char head[240];
        std::snprintf(head, sizeof head, "%-20s %-12s %9s %6s %15s %8s %11s %11s %11s %11s\n",
                      "slot", "mechanism", "traded", "trades", "price EUR/MWh", "average",
                      "fees EUR", "buyers EUR", "sellers EUR", "welfare EUR");
        std::cerr << head << table;
    }
    return tool::print(out);
}

// Standard output: the new orders, the new readings, then the trades, one
// line each, written as they are made rather than held whole.
Status print_records(const BatchResult& res) {
    StdoutLines out;
    SETM_CHECK(res.each_new_order([&](const Record& r) { return out.line(to_json(r)); }));
    for (const auto& r : res.readings) SETM_CHECK(out.line(to_json(r)));
    for (const auto& t : res.trades) SETM_CHECK(out.line(to_json(Record(t))));
    return out.flush();
}

Status run(const Options& o) {
    SETM_TRY(std::int64_t now, tool::now_or(o.now));
    if (o.nats.on()) // the chain as the network has it, verified here first
        SETM_CHECK(replica::catch_up(o.nats.options(), o.store, now, o.threads));
    SETM_TRY(Store store, Store::open(o.store, true));
    BatchOptions opt;
    SETM_TRY(opt.market, market_of(o, store.genesis()));
    opt.now = now;
    opt.threads = o.threads;
    opt.skip_invalid = o.skip_invalid;
    SETM_TRY(auto input, Input::open(o.input));
    SETM_TRY(auto snap, store.snapshot());
    if (o.compare) {
        SETM_TRY(std::vector<LineRecord> orders, read_records(input->stream(), o.threads));
        return run_compare(snap->state(), orders, opt);
    }
    std::optional<std::string> pass_file;
    if (!o.passphrase_file.empty()) pass_file = o.passphrase_file;
    SETM_TRY(auto pass, load_passphrase(pass_file, std::getenv("SETM_PASSPHRASE")));
    SETM_TRY(SecretKey agent, read_key_file(o.key, pass));
    // run_batch reads the input a few thousand lines at a time, each freed
    // once its orders are in the batch's block
    SETM_TRY(BatchResult res, run_batch(snap->state(), agent, input->stream(), opt));
    std::string explain;
    if (o.explain) {
        SETM_TRY(std::vector<std::int64_t> only, explain_slots(o));
        SETM_TRY(OrderNames names, order_names(snap->state(), res.market));
        explain = explain_market(res.market.slots, only, names,
                                 static_cast<int>(store.genesis().slot_minutes));
    }

    // Open every output before writing any, so a bad path leaves nothing half-written.
    std::unique_ptr<AtomicOutput> unmatched, report, rejects;
    if (!o.unmatched.empty()) {
        SETM_TRY(unmatched, AtomicOutput::open(o.unmatched));
    }
    if (!o.report.empty()) {
        SETM_TRY(report, AtomicOutput::open(o.report));
    }
    if (!o.rejects.empty()) {
        SETM_TRY(rejects, AtomicOutput::open(o.rejects));
    }

    if (unmatched) {
        SETM_CHECK(res.each_unmatched([&](const Record& r) {
            unmatched->line(to_json(r));
            return ok_status();
        }));
        for (const auto& r : res.early_readings) unmatched->line(to_json(r));
    }
    for (const auto& r : res.rejected) {
        if (rejects) rejects->line(rejected_json(r));
        std::cerr << kTool << ": rejected: " << r.error.message() << "\n";
    }
    const bool watching = tool::person_watching();
    if (o.explain) std::cerr << explain;
    for (std::size_t k = 0; k < res.market.slots.size(); ++k) {
        const SlotReport& s = res.market.slots[k];
        if (report)
            report->line(slot_report_json(s, res.figures[k], mechanism_name(opt.market.mechanism)));
        if (watching && !o.explain && s.traded_wh > 0)
            std::cerr << kTool << ": " << format_utc(s.slot) << ": " << format_energy(s.traded_wh)
                      << " traded of " << format_energy(s.offered_wh) << " offered, "
                      << format_energy(s.requested_wh) << " requested"
                      << (s.clearing_price
                              ? ", clearing at " + format_price(*s.clearing_price) + " EUR/MWh"
                              : "")
                      << "\n";
    }
    if (unmatched) SETM_CHECK(unmatched->commit());
    if (report) SETM_CHECK(report->commit());
    if (rejects) SETM_CHECK(rejects->commit());
    SETM_CHECK(print_records(res));
    if (watching)
        std::cerr << kTool << ": " << res.trades.size() << " trade(s) signed, "
                  << res.unmatched.size() << " order(s) left over, " << res.rejected.size()
                  << " rejected; pipe the output to setm-mine\n";
    return ok_status();
}

// What CLI11 cannot say: usage errors between options.
Status check_options(const Options& o) {
    for (const auto* f : {&o.unmatched, &o.report, &o.rejects})
        if (*f == "-")
            return make_error(Exit::usage, "usage",
                              "--unmatched, --report and --rejects take a file: "
                              "stdout carries the records");
    if (o.key.empty() && !o.compare)
        return make_error(Exit::usage, "usage", "--key is required (except with --compare)");
    if (!o.rejects.empty() && !o.skip_invalid)
        return make_error(Exit::usage, "usage", "--rejects goes with --skip-invalid");
    return ok_status();
}

} // namespace

static int tool_main(int argc, char** argv) {
    CLI::App app{
        "The market agent: authenticate orders, match each slot, negotiate prices, sign trades.",
        kTool};
    tool::version_flag(app);
    tool::quiet_flag(&app);
    Options o;
    tool::store_option(&app, o.store);
    tool::nats_flags(&app, o.nats);
    app.add_option("-k,--key", o.key,
                   "The market agent's key (its credential holds the agent role)")
        ->option_text("FILE");
    app.add_option("--passphrase-file", o.passphrase_file,
                   "Passphrase of an encrypted key on FILE's first line (else SETM_PASSPHRASE)")
        ->option_text("FILE");
    app.add_option("-i,--input", o.input, "Orders to match (default - for stdin)")
        ->option_text("FILE");
    app.add_option("-m,--mechanism", o.mechanism,
                   "What-if: clear with M instead of the chain's (setm-mine refuses the trades)")
        ->option_text("M");
    app.add_option("--rounds", o.rounds, "What-if: negotiation rounds instead of the chain's")
        ->check(CLI::Range(1u, 1000u))
        ->option_text("N");
    app.add_option("--network-fee", o.network_fee,
                   "What-if: fee in EUR/MWh between zones instead of the chain's")
        ->option_text("EUR/MWH");
    app.add_option(
           "--unmatched", o.unmatched,
           "Write the orders with energy left, as signed, to FILE (feed them to the next batch)")
        ->option_text("FILE");
    app.add_option("--report", o.report, "Write a summary per slot to FILE (JSON lines)")
        ->option_text("FILE");
    app.add_flag("--skip-invalid", o.skip_invalid,
                 "Reject invalid orders by name and go on (default: stop, write nothing)");
    app.add_option("--rejects", o.rejects,
                   "With --skip-invalid: write the rejected orders and reasons to FILE")
        ->option_text("FILE");
    auto* explain =
        app.add_flag("--explain", o.explain,
                     "Show each traded slot's curves and negotiations (by participant) on stderr");
    app.add_option("--slot", o.explain_slots, "With --explain: only this slot (repeatable)")
        ->option_text("TIME")
        ->needs(explain);
    app.add_flag("--compare", o.compare,
                 "Clear the book with every mechanism and print what each achieves; sign nothing")
        ->excludes(explain)
        ->excludes("--mechanism")
        ->excludes("--unmatched")
        ->excludes("--report")
        ->excludes("--rejects");
    app.add_option("-j,--threads", o.threads, "Signature-checking threads (default: every core)")
        ->check(CLI::Range(1u, 256u))
        ->option_text("N");
    app.add_option("--now", o.now, "Use TIME (UTC) instead of the clock")->option_text("TIME");
    app.footer(
        std::string(
            "Prints the new orders (once each) and then the trades signed by the agent, ready\n"
            "for setm-mine. Each slot that may be cleared now is cleared on its whole book: the\n"
            "orders on the chain with these, with the chain's mechanism and fees, exactly as\n"
            "setm-mine and setm-verify will clear it again. The same orders in any order give\n"
            "the same output.\n\n"
            "Examples:\n"
            "  cat orders/*.jsonl | setm-negotiate --store chain --key agent.key | setm-mine "
            "--store chain\n"
            "  setm-negotiate --store chain --key agent.key --unmatched carry.jsonl --explain < "
            "orders.jsonl > trades.jsonl\n\n") +
        tool::exit_codes_footer());
    if (auto rc = tool::parse(app, argc, argv)) return *rc;
    tool::report_damaged_store(kTool, Exit::io);
    if (Status s = check_options(o); !s) return tool::fail(kTool, s.error());
    return tool::finish(kTool, run(o));
}

int main(int argc, char** argv) {
    return setm::tool::run("setm-negotiate", [&] { return tool_main(argc, argv); });
}
