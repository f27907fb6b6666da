// tool.hpp - what every setm tool's main() shares: argument-error mapping,
// the one-line error format, checked output, and whether a person is
// watching.
#pragma once

#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include <CLI/CLI.hpp>

#include "error.hpp"
#include "stream.hpp"

namespace setm::tool {

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

// A person is reading stderr: narrate. Scripts get silence.
inline bool person_watching() { return ::isatty(STDERR_FILENO) == 1; }

inline void version_flag(CLI::App& app) {
    app.set_version_flag("--version", std::string(app.get_name()) + " " SETM_VERSION);
}

inline const char* exit_codes_footer() {
    return "Exit status: 0 ok, 64 usage, 65 bad input, 66 key file, 67 rejected signature or\n"
           "credential, 68 verification failed, 70 internal, 74 storage or I/O, 75 busy (retry).";
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
