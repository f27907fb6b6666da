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
    SETM_CHECK(replica::check_fits(link, records));
    return std::optional<replica::Link>(std::move(link));
}

Status run(const Options& o) {
    SETM_TRY(std::int64_t now, tool::now_or(o.now));
    SETM_TRY(auto input, Input::open(o.input));
    SETM_TRY(std::vector<LineRecord> in, read_records(input->stream(), o.threads));
    SETM_TRY(Store store,
             Store::open(o.store, false)); // a wrong --store is an error even with nothing to mine
    std::vector<Record> records;
    for (const auto& lr : in) records.push_back(lr.record);
    SETM_TRY(auto link, join_network(o, store, records, now));
    if (in.empty()) {
        if (tool::person_watching()) std::cerr << kTool << ": no records: nothing appended\n";
        return ok_status();
    }
    AppendOptions ao;
    ao.threads = o.threads;
    ao.retry = !o.no_retry;
    ao.max_tries = o.max_tries;
    const auto meter = tool::mining_meter(kTool); // progress on a terminal
    ao.progress = meter.tick;
    ao.searched = [meter] { meter.done(); };
    if (link) replica::replicate(ao, *link, store, now);
    if (tool::person_watching())
        ao.retried = [](unsigned) {
            std::cerr << kTool << ": the tip moved; validating and mining again\n";
        };
    std::size_t bad = in.size(); // set only when a record breaks a rule
    auto done = mine_and_append(store, records, now, ao, &bad);
    if (!done) {
        Error e = done.error();
        if (e.is(ErrorKind::tip_moved))
            e.with_hint(std::string("another ") + (link ? "node" : "setm-mine") +
                        " appended first; run again (or drop --no-retry)");
        else if (bad < in.size())
            e.at_line(in[bad].line);
        return e;
    }
    const Block& b = done.value().block;
    SETM_CHECK(tool::print(block_to_json(b, done.value().height) + "\n"));
    if (tool::person_watching())
        std::cerr << kTool << ": appended block " << done.value().height << " with "
                  << b.records.size() << " record(s): " << hash_to_hex(block_hash(b.header))
                  << "\n";
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
    tool::nats_flags(&app, o.nats);
    app.footer(
        std::string(
            "Reads records (credentials, revocations, tariffs, offers, requests, trades,\n"
            "cancels, meter readings) and either appends one block holding all of them or\n"
            "appends nothing and names the first bad record. Prints the block as one JSON\n"
            "line after the commit.\n\n"
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
