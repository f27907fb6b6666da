// lmdb.hpp - RAII over the LMDB C API: environment, transaction, database,
// cursor. No setm knowledge here (that is store.hpp).
//
// LMDB errors map to setm errors: MDB_MAP_FULL -> Exit::io "store full"
// (write_txn() grows the map and retries), ENOSPC / EDQUOT from a write or
// commit -> Exit::io "disk full", MDB_READERS_FULL / lock
// contention -> Exit::busy, MDB_INVALID / MDB_VERSION_MISMATCH /
// MDB_CORRUPTED / MDB_PAGE_NOTFOUND -> Exit::io "store unreadable".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <lmdb.h>

#include "bytes.hpp"
#include "error.hpp"

namespace setm::lmdb {

Error error_from(int rc, const std::string& what);

class Env {
public:
    struct Options {
        bool create = false; // create the directory's data file if missing
        bool read_only = false;
        unsigned max_dbs = 16;
        std::size_t map_size = std::size_t(1) << 30; // grown on demand
    };
    // Opens DIR (a directory holding data.mdb and lock.mdb). Clears stale
    // reader slots (mdb_reader_check) after opening.
    static Result<Env> open(const std::string& dir, const Options& opt);
    Env(Env&&) noexcept;
    Env& operator=(Env&&) noexcept;
    Env(const Env&) = delete;
    Env& operator=(const Env&) = delete;
    ~Env();
    MDB_env* get() const { return env_; }
    bool read_only() const { return read_only_; }
    Status grow(); // double the map size (when no txn of ours is open)
    // Unmaps the pages of the data file this process has read (madvise
    // MADV_DONTNEED on the read-only map): they stay in the kernel's page
    // cache, a later read maps them again, but they leave the process's
    // resident set, which otherwise grows with every page a write touched.
    void release_pages() const;

private:
    Env() = default;
    MDB_env* env_ = nullptr;
    bool read_only_ = false;
};

class Txn {
public:
    static Result<Txn> begin(Env& env, bool write);
    Txn(Txn&&) noexcept;
    Txn& operator=(Txn&&) noexcept;
    Txn(const Txn&) = delete;
    ~Txn();          // aborts if neither committed nor aborted
    Status commit(); // after a failed commit the txn is already freed
    void abort();
    MDB_txn* get() const { return txn_; }

private:
    Txn() = default;
    MDB_txn* txn_ = nullptr;
};

struct Dbi {
    MDB_dbi id = 0;
    // Opens (create=true: creates) the named database in txn.
    static Result<Dbi> open(Txn& txn, const char* name, bool create, unsigned flags = 0);
};

inline MDB_val as_val(const void* p, std::size_t n) {
    MDB_val v;
    v.mv_size = n;
    v.mv_data = const_cast<void*>(p);
    return v;
}
inline MDB_val as_val(const Bytes& b) { return as_val(b.data(), b.size()); }
inline MDB_val as_val(std::string_view s) { return as_val(s.data(), s.size()); }

// get: nullopt when the key is absent.
Result<std::optional<Bytes>> get(Txn& txn, Dbi db, MDB_val key);
Status put(Txn& txn, Dbi db, MDB_val key, MDB_val val, unsigned flags = 0);
Status del(Txn& txn, Dbi db, MDB_val key);

class Cursor {
public:
    static Result<Cursor> open(Txn& txn, Dbi db);
    Cursor(Cursor&&) noexcept;
    Cursor(const Cursor&) = delete;
    ~Cursor();
    // Positioning: returns false at the end (MDB_NOTFOUND), error otherwise.
    Result<bool> first();
    Result<bool> last();
    Result<bool> next();
    Result<bool> seek(MDB_val key); // MDB_SET_RANGE
    std::string_view key() const;
    std::string_view value() const;

private:
    Cursor() = default;
    Result<bool> move(MDB_cursor_op op, MDB_val* k = nullptr);
    MDB_cursor* cur_ = nullptr;
    MDB_val k_{}, v_{};
};

// Writes a compacted copy of the environment to fd (mdb_env_copyfd2 with
// MDB_CP_COMPACT: free pages left out, pages renumbered), from a read
// transaction of its own, so writers go on while it copies. The copy is
// one consistent state of the environment; fd is neither synced nor
// closed. `what` names the environment in an error (ENOSPC: "disk full").
Status copy_compact(Env& env, int fd, const std::string& what);

// Runs fn in a write transaction and commits it. On MDB_MAP_FULL (from a put
// or from the commit) the transaction is dropped, the map doubled and fn run
// again from the start; fn must therefore have no effect outside the txn.
Status write_txn(Env& env, const std::function<Status(Txn&)>& fn);

} // namespace setm::lmdb
