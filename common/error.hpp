// error.hpp - the one table of exit codes and the Error/Result types.
//
// Library functions return Result<T>; they never print and never exit.
// Only a tool's main() turns an Error into "setm-TOOL: error: ..." and an
// exit code (see tool.hpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace setm {

// Exit codes shared by every tool. Documented in README.md and setm(7).
enum class Exit : int {
    ok = 0,
    usage = 64,         // bad arguments (EX_USAGE)
    bad_input = 65,     // malformed or invalid input record (EX_DATAERR)
    key_file = 66,      // key file missing, unreadable, wrong mode, wrong passphrase
    rejected = 67,      // signature or credential rejected ("wrong user")
    verify_failed = 68, // the chain (or a block) does not verify
    unavailable = 69,   // a library an option needs is not installed (EX_UNAVAILABLE)
    internal = 70,      // a bug in setm (EX_SOFTWARE)
    io = 74,            // storage or I/O error (EX_IOERR)
    busy = 75,          // store busy or tip moved: try again (EX_TEMPFAIL)
};

const char* exit_name(Exit e);

// What code may branch on when an error comes back. The reason text is for
// people (stable, but never compared); the kind is for code. Most errors
// need no kind of their own: `other`.
enum class ErrorKind {
    other,
    tip_moved,         // the chain's tip changed under an append: validate and mine again
    no_store,          // there is no store at the path given
    store_exists,      // a store was to be created where one already is
    permission_denied, // the store exists but may not be opened
    store_full,        // the LMDB map is full (lmdb::write_txn grows it and retries)
};

struct Error {
    Exit code = Exit::internal;
    ErrorKind kind = ErrorKind::other;
    std::string reason;              // short, stable: "bad signature", "duplicate key"
    std::string detail;              // free text: what and where
    std::optional<std::size_t> line; // input line of the record, if any
    std::string hint;                // optional advice for a person

    // "REASON: detail (line N)"
    std::string message() const;
    Error& at_line(std::size_t n) {
        line = n;
        return *this;
    }
    Error& with_hint(std::string h) {
        hint = std::move(h);
        return *this;
    }
    Error& of_kind(ErrorKind k) {
        kind = k;
        return *this;
    }
    bool is(ErrorKind k) const { return kind == k; }
};

inline Error make_error(Exit code, std::string reason, std::string detail = {}) {
    Error e;
    e.code = code;
    e.reason = std::move(reason);
    e.detail = std::move(detail);
    return e;
}

// A value or an Error. Small on purpose: has(), value(), error().
template <class T>
class [[nodiscard]] Result {
public:
    Result(T v) : v_(std::move(v)) {}
    Result(Error e) : v_(std::move(e)) {}
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    const Error& error() const { return std::get<1>(v_); }
    Error& error() { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

// Propagate an error: SETM_TRY(auto x, f());  or SETM_CHECK(g());
#define SETM_CONCAT2(a, b) a##b
#define SETM_CONCAT(a, b) SETM_CONCAT2(a, b)
#define SETM_TRY_IMPL(tmp, decl, expr)            \
    auto tmp = (expr);                            \
    if (!tmp.ok()) return std::move(tmp.error()); \
    decl = std::move(tmp.value())
#define SETM_TRY(decl, expr) SETM_TRY_IMPL(SETM_CONCAT(setm_try_, __LINE__), decl, expr)
#define SETM_CHECK(expr)                                          \
    do {                                                          \
        auto setm_chk_ = (expr);                                  \
        if (!setm_chk_.ok()) return std::move(setm_chk_.error()); \
    } while (0)

} // namespace setm
