// tool.hpp - what every setm tool's main() shares: argument-error mapping,
// the one-line error format, checked output, and whether a person is
// watching.
#pragma once

#include <unistd.h>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "error.hpp"
#include "progress.hpp"
#include "stream.hpp"

namespace setm::tool {

// Edit distance with adjacent transpositions (optimal string alignment):
// "--stroe" is one edit from "--store".
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

// The name closest to WORD, if it is close enough to be a slip of the
// fingers (at most 2 edits, and fewer than half of WORD); "" otherwise.
inline std::string closest(const std::string& word, const std::vector<std::string>& names) {
    std::string best;
    std::size_t best_d = 3;
    for (const auto& n : names) {
        const std::size_t d = edit_distance(word, n);
        if (d < best_d && 2 * d < word.size()) {
            best = n;
            best_d = d;
        }
    }
    return best;
}

// The subcommand argv selected, innermost (the app itself if none).
inline const CLI::App* selected_app(const CLI::App& app) {
    const CLI::App* a = &app;
    while (!a->get_subcommands().empty()) a = a->get_subcommands().front();
    return a;
}

// Every option name valid where argv ended: "--store", "-i", ...
inline std::vector<std::string> option_names(const CLI::App* a) {
    std::vector<std::string> names;
    for (; a != nullptr; a = a->get_parent())
        for (const CLI::Option* o : a->get_options()) {
            for (const auto& l : o->get_lnames()) names.push_back("--" + l);
            for (const auto& s : o->get_snames()) names.push_back("-" + s);
        }
    return names;
}

inline std::vector<std::string> subcommand_names(const CLI::App* a) {
    std::vector<std::string> names;
    for (const CLI::App* sub : a->get_subcommands([](const CLI::App*) { return true; }))
        names.push_back(sub->get_name());
    return names;
}

// When argv held a word CLI11 did not know, the usage error names it (with
// the closest option or subcommand as a hint) instead of what its absence
// left missing: "unknown option --stroe" rather than "--store is required".
inline bool report_unknown(const CLI::App& app) {
    const std::vector<std::string> extra = app.remaining(true);
    if (extra.empty()) return false;
    const CLI::App* at = selected_app(app);
    const std::string& w = extra.front();
    const bool option = w.size() > 1 && w[0] == '-';
    const std::vector<std::string> subs = subcommand_names(at);
    const bool subcommand = !option && at == &app && !subs.empty();
    std::string what = option       ? "unknown option"
                       : subcommand ? "unknown subcommand"
                                    : "unexpected argument";
    std::string word = option ? w.substr(0, w.find('=')) : w;
    std::string near = option       ? closest(word, option_names(at))
                       : subcommand ? closest(word, subs)
                                    : "";
    const char* name = app.get_name().c_str();
    std::fprintf(stderr, "%s: error: usage: %s '%s'\n", name, what.c_str(), word.c_str());
    if (!near.empty())
        std::fprintf(stderr, "%s: hint: did you mean %s?\n", name, near.c_str());
    else
        std::fprintf(stderr, "%s: hint: see '%s --help'\n", name, name);
    return true;
}

// Parses argv. Returns an exit code when main should stop now (--help,
// --version, or a usage error mapped to Exit::usage), nullopt to go on.
inline std::optional<int> parse(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) { // --help, --version: output checked like any other
            std::ostringstream out;
            app.exit(e, out);
            Status st = write_stdout(out.str());
            if (!st) {
                std::fprintf(stderr, "%s: error: %s\n", app.get_name().c_str(),
                             st.error().message().c_str());
                return static_cast<int>(st.error().code);
            }
            return 0;
        }
        if (report_unknown(app)) return static_cast<int>(Exit::usage);
        std::fprintf(stderr, "%s: error: usage: %s\n", app.get_name().c_str(), e.what());
        std::fprintf(stderr, "%s: hint: see '%s --help'\n", app.get_name().c_str(),
                     app.get_name().c_str());
        return static_cast<int>(Exit::usage);
    }
    return std::nullopt;
}

// Prints "setm-TOOL: error: REASON: detail (line N)" and a hint line, and
// returns the exit code for main.
inline int fail(const std::string& tool, const Error& e) {
    std::fprintf(stderr, "%s: error: %s\n", tool.c_str(), e.message().c_str());
    if (!e.hint.empty()) std::fprintf(stderr, "%s: hint: %s\n", tool.c_str(), e.hint.c_str());
    return static_cast<int>(e.code);
}

inline int finish(const std::string& tool, const Status& st) {
    return st ? 0 : fail(tool, st.error());
}

// Writes TEXT to standard output now. A failed write is an Exit::io error
// ("write error: standard output: No space left on device"), so output that
// a script depends on is never lost silently.
inline Status print(std::string_view text) { return write_stdout(text); }

// The last word on a run whose body returned RC: whatever standard output
// still buffers is flushed, and a failed write (now or earlier, unchecked)
// turns success into one error line and Exit::io. A run that already failed
// keeps its own error and exit code.
inline int finish_output(const char* tool, int rc) {
    Status st = flush_stdout();
    if (rc == 0 && !st) return fail(tool, st.error());
    return rc;
}

inline int internal_error(const char* tool, const char* what) {
    return fail(tool, make_error(Exit::internal, "internal error", what));
}

// A tool's main: int main(int argc, char** argv) { return tool::run(NAME,
// [&] { return tool_main(argc, argv); }); }. Every exception that escapes
// BODY becomes one error line and Exit::internal (70), never
// std::terminate; then the output is checked (finish_output).
template <class Body>
int run(const char* tool, Body&& body) noexcept {
    int rc = static_cast<int>(Exit::internal);
    try {
        try {
            rc = body();
        } catch (const std::bad_alloc&) {
            rc = internal_error(tool, "out of memory");
        } catch (const std::exception& e) {
            rc = internal_error(tool, e.what());
        } catch (...) {
            rc = internal_error(tool, "unknown exception");
        }
        return finish_output(tool, rc);
    } catch (...) { // reporting itself failed (out of memory): the code alone
        return rc == 0 ? static_cast<int>(Exit::internal) : rc;
    }
}

// --quiet: no narration, even on a terminal (errors still go to stderr).
inline bool quiet = false;

inline void quiet_flag(CLI::App* app) {
    app->add_flag("-q,--quiet", quiet, "No narration or progress on stderr, even on a terminal");
}

// A person is reading stderr: narrate. Scripts, and --quiet, get silence.
inline bool person_watching() { return !quiet && ::isatty(STDERR_FILENO) == 1; }

// The terminal can move the cursor back over a line (a progress line that
// rewrites itself): not when TERM is unset or "dumb" (Emacs shells, some
// CI logs), where a rewritten line would pile up as garbage.
inline bool rewritable_terminal() {
    const char* term = std::getenv("TERM");
    return person_watching() && term != nullptr && *term != 0 && std::string_view(term) != "dumb";
}

// How progress shows on stderr: not at all when nobody watches (not a
// terminal, --quiet); plain lines every few seconds, without escape codes,
// where a line cannot be rewritten (TERM unset or dumb); else one line
// rewritten in place. No colour in any case (NO_COLOR holds trivially).
inline ProgressStyle progress_style() {
    if (!person_watching()) return ProgressStyle::none;
    return rewritable_terminal() ? ProgressStyle::rewrite : ProgressStyle::lines;
}

// A meter on stderr in the style above, or none (nullptr) when nobody watches.
inline std::shared_ptr<ProgressMeter> progress_meter(ProgressTiming timing = {}) {
    const ProgressStyle style = progress_style();
    if (style == ProgressStyle::none) return nullptr;
    return std::make_shared<ProgressMeter>(style, timing);
}

// Progress of a proof of work (setm-auth init, setm-mine): the hash rate and
// elapsed time, ended by done() after each search. tick is empty (the search
// then skips its callbacks) when nobody watches.
struct MiningMeter {
    std::function<void(std::uint64_t)> tick;
    std::shared_ptr<ProgressMeter> meter;
    void done() const {
        if (meter) meter->done();
    }
};

inline MiningMeter mining_meter(const char* tool) {
    MiningMeter m;
    m.meter = progress_meter();
    if (!m.meter) return m;
    m.tick = [tool, meter = m.meter](std::uint64_t hashes) {
        const double s = meter->seconds();
        char line[160];
        std::snprintf(line, sizeof line, "%s: mining: %.2f Mhash/s, %.1f s", tool,
                      s > 0 ? static_cast<double>(hashes) / s / 1e6 : 0.0, s);
        meter->update(line);
    };
    return m;
}

// --store DIR, required; the environment variable SETM_STORE supplies it
// when it is not given, so a session names its chain once.
inline CLI::Option* store_option(CLI::App* app, std::string& dir) {
    return app->add_option("-s,--store", dir, "The chain store directory (default: $SETM_STORE)")
        ->envname("SETM_STORE")
        ->required()
        ->option_text("DIR");
}

// For tools where --store is optional (orders: --store or --chain): the
// store of SETM_STORE when neither was given.
inline void store_from_env(std::string& dir, const std::string& instead) {
    const char* env = std::getenv("SETM_STORE");
    if (dir.empty() && instead.empty() && env != nullptr) dir = env;
}

inline void version_flag(CLI::App& app) {
    app.set_version_flag("--version", std::string(app.get_name()) + " " SETM_VERSION);
}

inline const char* exit_codes_footer() {
    return "Exit status: 0 ok, 64 usage, 65 bad input, 66 key file, 67 rejected signature or\n"
           "credential, 68 verification failed, 69 unavailable (--nats: no NATS client library),\n"
           "70 internal, 74 storage or I/O, 75 busy (retry).";
}

} // namespace setm::tool

#include <ctime>
#include "units.hpp"

namespace setm::tool {

// --now TIME, or the clock.
inline Result<std::int64_t> now_or(const std::string& given) {
    if (given.empty()) return static_cast<std::int64_t>(std::time(nullptr));
    auto t = parse_utc(given);
    if (!t) return make_error(Exit::usage, "bad --now", t.error().detail);
    return t;
}

// An optional TIME option (empty = not given).
inline Result<std::optional<std::int64_t>> time_arg(const std::string& given, const char* flag) {
    if (given.empty()) return std::optional<std::int64_t>{};
    auto t = parse_utc(given);
    if (!t) return make_error(Exit::usage, std::string("bad ") + flag, t.error().detail);
    return std::optional<std::int64_t>(t.value());
}

// A price option in EUR/MWh (up to two decimals) as cEUR/MWh.
inline Result<std::int64_t> price_arg(const std::string& s, const char* flag) {
    auto p = parse_price(s);
    if (!p) return make_error(Exit::usage, std::string("bad ") + flag, p.error().detail);
    return p;
}

inline unsigned default_threads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : n;
}

} // namespace setm::tool

namespace setm::tool {

// LMDB maps data.mdb and trusts its B-tree pages: in a damaged file a page
// or value that points past the end of the file faults with SIGBUS inside
// liblmdb, where no return code can report it. Stored values carry
// checksums (store.hpp); this turns a damaged page structure into one error
// line and an exit code instead of a crash. The message is prepared before
// the handler is installed, so the handler only calls write and _exit.
inline char damaged_store_message[256];
inline int damaged_store_code = static_cast<int>(Exit::io);

extern "C" inline void on_damaged_store(int) {
    ssize_t n = ::write(STDERR_FILENO, damaged_store_message, std::strlen(damaged_store_message));
    (void)n;
    ::_exit(damaged_store_code);
}

inline void report_damaged_store(const char* tool, Exit code) {
    std::snprintf(
        damaged_store_message, sizeof damaged_store_message,
        "%s: error: store unreadable: data.mdb is damaged (a page lies past the end of the file)\n",
        tool);
    damaged_store_code = static_cast<int>(code);
    std::signal(SIGBUS, on_damaged_store);
}

} // namespace setm::tool
