// setm-mine - validate records against the chain and append them as one
// proof-of-work block, or append nothing.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "miner.hpp"
#include "record_stream.hpp"
#include "store.hpp"
#include "tool.hpp"

using namespace setm;

namespace {

const char* kTool = "setm-mine";

struct Options {
    std::string store, input = "-", now;
    unsigned threads = tool::default_threads();
    bool no_retry = false;
    unsigned max_tries = 100;
};

// Progress on a terminal: hash rate and elapsed time, on one line of stderr
// that rewrites itself; none where a line cannot be rewritten (TERM=dumb).
MineProgress progress_meter() {
    if (!tool::rewritable_terminal()) return {};
    const auto start = std::chrono::steady_clock::now();
    return [start](std::uint64_t hashes) {
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::fprintf(stderr, "\r%s: mining: %.2f Mhash/s, %.1f s ", kTool,
                     s > 0 ? hashes / s / 1e6 : 0.0, s);
    };
}

Error at_record(Error e, const std::vector<LineRecord>& in, std::size_t index) {
    if (index < in.size()) e.at_line(in[index].line);
    return e;
}

// One attempt: validate on a snapshot, mine outside any transaction, append
// if the tip has not moved.
Status attempt(Store& store, const std::vector<LineRecord>& in, const std::vector<Record>& records,
               std::int64_t now, const Options& o, Block* out, std::uint64_t* height) {
    Tip tip;
    std::uint32_t t = 0;
    {
        SETM_TRY(auto snap, store.snapshot());
        SETM_TRY(tip, snap->state().tip());
        t = next_block_time(tip.last_times, now);
        std::size_t bad = 0;
        auto delta = apply_records(snap->state(), records, t, tip.height + 1, o.threads, &bad);
        if (!delta) return at_record(delta.error(), in, bad);
    } // the read transaction ends here: mining holds no lock
    auto progress = progress_meter();
    SETM_TRY(Block b, mine_block(records, tip.hash, t, store.genesis().bits, o.threads, progress));
    if (progress) std::fputc('\n', stderr);
    SETM_CHECK(store.append_if_tip(b, tip.hash, now, o.threads));
    *out = std::move(b);
    *height = tip.height + 1;
    return ok_status();
}

Status run(const Options& o) {
    SETM_TRY(std::int64_t now, tool::now_or(o.now));
    SETM_TRY(auto input, Input::open(o.input));
    SETM_TRY(std::vector<LineRecord> in, read_records(input->stream()));
    SETM_TRY(Store store,
             Store::open(o.store, false)); // a wrong --store is an error even with nothing to mine
    if (in.empty()) {
        if (tool::person_watching()) std::cerr << kTool << ": no records: nothing appended\n";
        return ok_status();
    }
    std::vector<Record> records;
    for (const auto& lr : in) records.push_back(lr.record);
    for (unsigned tries = 1;; ++tries) {
        Block b;
        std::uint64_t height = 0;
        Status s = attempt(store, in, records, now, o, &b, &height);
        if (s) {
            SETM_CHECK(tool::print(block_to_json(b, height) + "\n"));
            if (tool::person_watching())
                std::cerr << kTool << ": appended block " << height << " with " << b.records.size()
                          << " record(s): " << hash_to_hex(block_hash(b.header)) << "\n";
            return ok_status();
        }
        const bool moved = s.error().is(ErrorKind::tip_moved);
        if (!moved || o.no_retry || tries >= o.max_tries) {
            Error e = s.error();
            if (moved)
                e.with_hint("another setm-mine appended first; run again (or drop --no-retry)");
            return e;
        }
        if (tool::person_watching())
            std::cerr << kTool << ": the tip moved; validating and mining again\n";
    }
}

} // namespace

static int tool_main(int argc, char** argv) {
    CLI::App app{"Validate records against the chain and append them as one proof-of-work block.",
                 kTool};
    tool::version_flag(app);
    tool::quiet_flag(&app);
    Options o;
    tool::store_option(&app, o.store);
    app.add_option("-i,--input", o.input, "Records to mine (default - for stdin)")
        ->option_text("FILE");
    app.add_option("-j,--threads", o.threads, "Mining threads (default: every core)")
        ->check(CLI::Range(1u, 256u))
        ->option_text("N");
    app.add_option("--now", o.now, "Use TIME (UTC, 2026-11-25T10:00:00Z) instead of the clock")
        ->option_text("TIME");
    app.add_flag("--no-retry", o.no_retry,
                 "If another miner appends first, exit 75 instead of mining again");
    app.footer(std::string(
                   "Reads records (credentials, revocations, offers, requests, trades) and either\n"
                   "appends one block holding all of them or appends nothing and names the first\n"
                   "bad record. Prints the block as one JSON line after the commit.\n\n"
                   "Examples:\n"
                   "  setm-auth register --store chain --key authority.key --role consumer < "
                   "bob.id.json | setm-mine --store chain\n"
                   "  setm-negotiate --store chain --key agent.key < orders.jsonl | setm-mine "
                   "--store chain --no-retry\n\n") +
               tool::exit_codes_footer());
    if (auto rc = tool::parse(app, argc, argv)) return *rc;
    tool::report_damaged_store(kTool, Exit::io);
    return tool::finish(kTool, run(o));
}

int main(int argc, char** argv) {
    return setm::tool::run("setm-mine", [&] { return tool_main(argc, argv); });
}
