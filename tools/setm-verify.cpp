// setm-verify - replay the chain from genesis and check everything.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "store.hpp"
#include "tool.hpp"
#include "verify.hpp"

using namespace setm;

namespace {

const char* kTool = "setm-verify";

struct Options {
    std::string store, now;
    unsigned threads = tool::default_threads();
    bool json = false;
};

std::string report_json(const VerifyReport& r) {
    JsonOut o;
    o.begin_object().field("type", "verify-report").field("ok", true);
    o.field("chain", hash_to_hex(r.chain)).field("height", r.height).field("tip", hash_to_hex(r.tip));
    o.field("records", r.records).field("signatures", r.signatures);
    o.key("by_type").begin_object();
    for (const auto& [t, n] : r.by_type) o.field(t, n);
    o.end_object().end_object();
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
    if (e.code == Exit::io && e.reason != "no store" && e.reason != "permission denied") e.code = Exit::verify_failed;
    return e;
}

BlockObserver progress() {
    if (!tool::person_watching()) return {};
    auto last = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
    return [last](const Block&, std::uint64_t h, const MemoryState&) {
        const auto now = std::chrono::steady_clock::now();
        if (now - *last < std::chrono::milliseconds(200)) return;
        *last = now;
        std::fprintf(stderr, "\r%s: verified block %llu ", kTool, static_cast<unsigned long long>(h));
    };
}

Status run(const Options& o) {
    SETM_TRY(std::int64_t now, tool::now_or(o.now));
    auto store = Store::open(o.store, true);
    if (!store) return as_verification(store.error());
    auto snap = store->snapshot();
    if (!snap) return as_verification(snap.error());
    auto v = verify_chain(snap.value()->state(), now, o.threads, progress());
    if (tool::person_watching()) std::fputs("\r\033[K", stderr);
    if (!v) {
        Error e = as_verification(v.error());
        if (o.json) std::cout << failure_json(e) << '\n' << std::flush;
        return e;
    }
    const VerifyReport& r = v->report;
    if (o.json) std::cout << report_json(r) << '\n' << std::flush;
    if (tool::person_watching())
        std::cerr << kTool << ": chain " << hash_to_hex(r.chain).substr(0, 16) << "… verified: " << r.height + 1
                  << " block(s), " << r.records << " record(s), tip " << hash_to_hex(r.tip) << "\n";
    return ok_status();
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"Replay a setm chain from genesis, trusting no stored index, and check every rule.", kTool};
    tool::version_flag(app);
    Options o;
    app.add_option("-s,--store", o.store, "The chain store directory")->required()->option_text("DIR");
    app.add_option("--now", o.now, "Check block times against TIME (UTC) instead of the clock")->option_text("TIME");
    app.add_option("-j,--threads", o.threads, "Signature-checking threads (default: every core)")
        ->check(CLI::Range(1u, 256u))->option_text("N");
    app.add_flag("--json", o.json, "Print a machine-readable report on stdout");
    app.footer(std::string("Exit 0 when the whole chain holds; otherwise 68 and the first failure as\n"
                           "'REASON height=H: detail'.\n\n"
                           "Examples:\n"
                           "  setm-verify --store chain && echo valid\n"
                           "  setm-verify --store chain --json | jq .height\n\n") +
               tool::exit_codes_footer());
    if (auto rc = tool::parse(app, argc, argv)) return *rc;
    return tool::finish(kTool, run(o));
}
