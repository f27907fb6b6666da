// setm-mine - validate records against the chain and append them as one
// proof-of-work block, or append nothing.
#include <cstdio>
#include <iostream>

#include "miner.hpp"
#include "nats_flags.hpp"
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
    bool split = false, summary = false;
    unsigned max_tries = 100;
    tool::NatsFlags nats;
};

// --nats: the store catches up with the network, and the block is published
// before it is appended (replica.hpp).
Result<std::optional<replica::Link>> join_network(const Options& o, Store& store,
                                                  const std::vector<Record>& records,
                                                  std::int64_t now) {
    if (!o.nats.on()) return std::optional<replica::Link>{};
    SETM_TRY(replica::Link link, replica::Link::connect(o.nats.options()));
    replica::SyncOptions so;
    so.now = now;
    so.threads = o.threads;
    SETM_TRY(replica::SyncReport r, replica::sync(link, store, so));
    if (r.appended > 0 && tool::person_watching())
        std::cerr << kTool << ": caught up with the network: " << r.appended << " block(s), tip "
                  << r.height << "\n";
    std::vector<std::size_t> ends; // --split: each block must fit, not the whole input
    if (o.split) {
        SETM_TRY(ends, split_points(records, store.genesis().max_records));
    }
    SETM_CHECK(replica::check_fits(link, records, ends));
    return std::optional<replica::Link>(std::move(link));
}

// One line per appended block, after its commit (and a note on a terminal).
Status print_block(const Options& o, const Appended& a) {
    const Block& b = a.block;
    // The line grows in place: a big block's JSON (hundreds of MB) is not copied for its '\n'.
    std::string line = o.summary ? block_summary_json(b, a.height) : block_to_json(b, a.height);
    line += '\n';
    SETM_CHECK(tool::print(line));
    if (tool::person_watching())
        std::cerr << kTool << ": appended block " << a.height << " with " << b.records.size()
                  << " record(s): " << hash_to_hex(block_hash(b.header)) << "\n";
    return ok_status();
}

AppendOptions append_options(const Options& o, const tool::MiningMeter& meter) {
    AppendOptions ao;
    ao.threads = o.threads;
    ao.retry = !o.no_retry;
    ao.max_tries = o.max_tries;
    ao.progress = meter.tick;
    ao.searched = [meter] { meter.done(); };
    if (tool::person_watching())
        ao.retried = [](unsigned) {
            std::cerr << kTool << ": the tip moved; validating and mining again\n";
        };
    return ao;
}

Status run(const Options& o) {
    SETM_TRY(std::int64_t now, tool::now_or(o.now));
    SETM_TRY(auto input, Input::open(o.input));
    SETM_TRY(RecordBatches in, read_record_batches(input->stream(), o.threads));
    SETM_TRY(Store store,
             Store::open(o.store, false)); // a wrong --store is an error even with nothing to mine
    const std::vector<std::size_t> lines = std::move(in.lines);
    // --split mines the batches as read, each freed once its records are in
    // a block; otherwise (or to check the blocks fit the network's limit)
    // they are one vector.
    std::vector<Record> records;
    if (!o.split || o.nats.on()) records = in.flatten();
    SETM_TRY(auto link, join_network(o, store, records, now));
    if (lines.empty()) {
        if (tool::person_watching()) std::cerr << kTool << ": no records: nothing appended\n";
        return ok_status();
    }
    const auto meter = tool::mining_meter(kTool); // progress on a terminal
    AppendOptions ao = append_options(o, meter);
    if (link) replica::replicate(ao, *link, store, now);
    std::size_t bad = lines.size(); // set only when a record breaks a rule
    Status done = ok_status();
    if (o.split) {
        if (!records.empty()) in.batches.push_back(std::move(records));
        done = mine_and_append_split(
            store, std::move(in.batches), now, ao,
            [&](const Appended& a) { return print_block(o, a); }, &bad);
    } else {
        auto one = mine_and_append(store, records, now, ao, &bad);
        done = one ? print_block(o, one.value()) : Status(one.error());
    }
    if (!done) {
        Error e = done.error();
        if (e.is(ErrorKind::tip_moved))
            e.with_hint(std::string("another ") + (link ? "node" : "setm-mine") +
                        " appended first; run again (or drop --no-retry)");
        else if (bad < lines.size())
            e.at_line(lines[bad]);
        return e;
    }
    return ok_status();
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
    app.add_flag("--split", o.split,
                 "Mine as many blocks as the chain's max_records needs, in order, each "
                 "committed on its own; a slot's trades stay in one block");
    app.add_flag("--summary", o.summary,
                 "Print each block without its records: height, hash, header, record_count");
    tool::nats_flags(&app, o.nats);
    app.footer(
        std::string(
            "Reads records (credentials, revocations, hand-overs, authority records,\n"
            "tariffs, offers, requests, trades, cancels, meter readings) and either appends\n"
            "one block holding all of them or appends nothing and names the first bad\n"
            "record. Prints the block as one JSON line after the commit. --split: one\n"
            "block per max_records records; a failing block leaves the blocks before it\n"
            "on the chain.\n\n"
            "Examples:\n"
            "  setm-auth register --store chain --key authority.key --role consumer < "
            "bob.id.json | setm-mine --store chain\n"
            "  setm-negotiate --store chain --key agent.key < orders.jsonl | setm-mine "
            "--store chain --no-retry\n"
            "  setm-mine --store chain --nats nats://a:4222,nats://b:4222 < trades.jsonl\n\n") +
        tool::exit_codes_footer());
    if (auto rc = tool::parse(app, argc, argv)) return *rc;
    tool::report_damaged_store(kTool, Exit::io);
    return tool::finish(kTool, run(o));
}

int main(int argc, char** argv) {
    return setm::tool::run("setm-mine", [&] { return tool_main(argc, argv); });
}
