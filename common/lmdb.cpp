#include "lmdb.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

namespace setm::lmdb {

namespace {

// A write transaction that keeps hitting MDB_MAP_FULL is re-run with a map
// twice as large each time: 16 doublings take 64 KiB to 4 GiB and the 1 GiB
// default to 64 TiB, which is more than any setm store will hold.
constexpr int max_write_attempts = 16;

// A map resize by another process is picked up in one retry; more means the
// map keeps moving under us.
constexpr int max_begin_attempts = 4;

// error_from()'s reason for MDB_MAP_FULL (write_txn() recognises the error by
// its kind, ErrorKind::store_full).
constexpr const char* reason_map_full = "store full";

// The file system under the store has no room (or the quota is used up):
// a write or commit failed, the transaction is rolled back and the store
// keeps its last committed state.
constexpr const char* reason_disk_full = "disk full";
Error map_full(const std::string& detail) {
    return make_error(Exit::io, reason_map_full, detail).of_kind(ErrorKind::store_full);
}

bool is_corruption(int rc) {
    switch (rc) {
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_PANIC:
    case MDB_INCOMPATIBLE:
    case MDB_BAD_TXN:
    case MDB_BAD_VALSIZE: return true;
    }
    return false;
}

Error io_error(const char* reason, const std::string& what, int err) {
    if (err == ENOSPC || err == EDQUOT) reason = reason_disk_full;
    return make_error(Exit::io, reason, what + ": " + std::strerror(err));
}

// The store directory of txn's environment, to name it in an error.
std::string store_path(MDB_txn* txn) {
    const char* path = nullptr;
    if (mdb_env_get_path(mdb_txn_env(txn), &path) != 0 || !path) return "store";
    return path;
}

Error permission_denied(const std::string& what, int err) {
    return io_error("permission denied", what, err).of_kind(ErrorKind::permission_denied);
}

Error no_store(const std::string& dir, const char* why) {
    return make_error(Exit::io, "no store",
                      dir + ": " + why + " (create one with 'setm-auth init')")
        .of_kind(ErrorKind::no_store);
}

// Reads never create anything: without opt.create the directory and its
// data.mdb must already exist, checked before LMDB gets to see the path.
Status check_store(const std::string& dir, bool create) {
    struct stat st;
    if (stat(dir.c_str(), &st) == -1) {
        int err = errno;
        if (err == EACCES) return permission_denied(dir, err);
        if (err != ENOENT) return io_error("storage error", dir, err);
        if (!create) return no_store(dir, "no data.mdb");
        if (mkdir(dir.c_str(), 0755) == -1) {
            err = errno;
            return io_error("storage error", "mkdir " + dir, err);
        }
        return ok_status();
    }
    if (!S_ISDIR(st.st_mode))
        return make_error(Exit::io, "storage error", dir + ": not a directory");
    if (create) return ok_status();
    std::string data = dir + "/data.mdb";
    if (stat(data.c_str(), &st) == -1) {
        int err = errno;
        if (err == ENOENT) return no_store(dir, "no data.mdb");
        if (err == EACCES) return permission_denied(data, err);
        return io_error("storage error", data, err);
    }
    if (!S_ISREG(st.st_mode))
        return make_error(Exit::io, "store unreadable", data + ": not a regular file");
    // LMDB would initialise an empty file (or fail oddly when read-only).
    if (st.st_size == 0) return no_store(dir, "empty data.mdb");
    return ok_status();
}

// A data.mdb cut short (a copy that stopped, a full disk) still opens:
// LMDB reads its meta pages with read(2) but maps the rest, and touching a
// page past the end of the file kills the process with SIGBUS. Refuse it
// here, while that is still an error message and not a signal.
Status check_length(MDB_env* env, const std::string& dir) {
    MDB_envinfo info;
    MDB_stat st;
    int rc = mdb_env_info(env, &info);
    if (rc == 0) rc = mdb_env_stat(env, &st);
    if (rc != 0) return error_from(rc, dir);
    const std::string data = dir + "/data.mdb";
    struct stat fs;
    if (stat(data.c_str(), &fs) == -1) return io_error("storage error", data, errno);
    const std::uint64_t need = (static_cast<std::uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
    if (static_cast<std::uint64_t>(fs.st_size) < need)
        return make_error(Exit::io, "store unreadable",
                          data + ": truncated: " + std::to_string(fs.st_size) +
                              " bytes, but its pages end at " + std::to_string(need));
    return ok_status();
}

// LMDB sizes a new lock.mdb with ftruncate and writes it through a shared
// mapping: on a full file system the first store to a page of it kills the
// process with SIGBUS. For a new store, reserve the lock file's blocks
// first, so that a full disk is an error here. 8 KiB is what LMDB 0.9
// uses for its default 126 reader slots; if it wants more it extends the
// file itself.
Status reserve_lock_file(const std::string& dir) {
    const std::string lock = dir + "/lock.mdb";
    int fd = open(lock.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd == -1) return ok_status(); // already there (or unusable): LMDB reports it
    int err = posix_fallocate(fd, 0, 8192);
    close(fd);
    if (err == ENOSPC || err == EDQUOT) {
        unlink(lock.c_str());
        return io_error("storage error", lock, err);
    }
    return ok_status();
}

Error open_error(int rc, const std::string& dir) {
    if (rc == EACCES || rc == EPERM) return permission_denied(dir, rc);
    if (rc == ENOENT) return no_store(dir, "no data.mdb");
    return error_from(rc, dir);
}

} // namespace

Error error_from(int rc, const std::string& what) {
    std::string detail = what + ": " + mdb_strerror(rc);
    if (rc == MDB_MAP_FULL) return map_full(detail);
    if (rc == ENOSPC || rc == EDQUOT) return make_error(Exit::io, reason_disk_full, detail);
    if (rc == MDB_READERS_FULL || rc == EAGAIN || rc == EBUSY)
        return make_error(Exit::busy, "store busy", detail);
    if (is_corruption(rc)) return make_error(Exit::io, "store unreadable", detail);
    if (rc == MDB_KEYEXIST) return make_error(Exit::io, "key exists", detail);
    return make_error(Exit::io, "storage error", detail);
}

// Env

Result<Env> Env::open(const std::string& dir, const Options& opt) {
    bool create = opt.create && !opt.read_only;
    SETM_CHECK(check_store(dir, create));
    if (create) SETM_CHECK(reserve_lock_file(dir));

    Env env;
    env.read_only_ = opt.read_only;
    int rc = mdb_env_create(&env.env_);
    if (rc != 0) return error_from(rc, "mdb_env_create");
    rc = mdb_env_set_maxdbs(env.env_, opt.max_dbs);
    if (rc != 0) return error_from(rc, "mdb_env_set_maxdbs");
    rc = mdb_env_set_mapsize(env.env_, opt.map_size);
    if (rc != 0) return error_from(rc, "mdb_env_set_mapsize");

    // MDB_NOTLS: read transactions are tied to the Txn, not to the thread.
    unsigned flags = MDB_NOTLS | (opt.read_only ? MDB_RDONLY : 0);
    rc = mdb_env_open(env.env_, dir.c_str(), flags, 0644);
    if (rc != 0) return open_error(rc, dir);
    SETM_CHECK(check_length(env.env_, dir));

    // A reader killed inside a read transaction keeps its slot, and with it
    // the pages it saw, until someone clears it.
    int dead = 0;
    rc = mdb_reader_check(env.env_, &dead);
    if (rc != 0) return error_from(rc, dir + ": mdb_reader_check");
    return env;
}

Env::Env(Env&& o) noexcept : env_(std::exchange(o.env_, nullptr)), read_only_(o.read_only_) {}

Env& Env::operator=(Env&& o) noexcept {
    if (this != &o) {
        if (env_) mdb_env_close(env_);
        env_ = std::exchange(o.env_, nullptr);
        read_only_ = o.read_only_;
    }
    return *this;
}

Env::~Env() {
    if (env_) mdb_env_close(env_);
}

void Env::release_pages() const {
    // LMDB does not say where it mapped the file (me_mapaddr is only set
    // with MDB_FIXEDMAP): find the mappings of its inode in /proc/self/maps.
    mdb_filehandle_t fd;
    struct stat st;
    if (mdb_env_get_fd(env_, &fd) != 0 || ::fstat(fd, &st) != 0) return;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        unsigned long long lo = 0, hi = 0, inode = 0;
        char perms[8] = {};
        if (std::sscanf(line.c_str(), "%llx-%llx %7s %*s %*s %llu", &lo, &hi, perms, &inode) != 4 ||
            inode != static_cast<unsigned long long>(st.st_ino) || perms[3] != 's')
            continue;
        // Advice only: a failure leaves the pages mapped, which is no error.
        (void)::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
    }
}

// LMDB only checks for an open write txn here; remapping under a live read
// txn (another thread, MDB_NOTLS) would pull its pages away. Callers grow
// only while no txn of this env is open.
Status Env::grow() {
    MDB_envinfo info;
    int rc = mdb_env_info(env_, &info);
    if (rc != 0) return error_from(rc, "mdb_env_info");
    if (info.me_mapsize > SIZE_MAX / 2) return map_full("map size limit reached");
    rc = mdb_env_set_mapsize(env_, info.me_mapsize * 2);
    if (rc != 0) return error_from(rc, "mdb_env_set_mapsize");
    return ok_status();
}

// Txn

Result<Txn> Txn::begin(Env& env, bool write) {
    if (write && env.read_only())
        return make_error(Exit::io, "store is read-only", "write transaction on a read-only store");
    Txn txn;
    unsigned flags = write ? 0 : MDB_RDONLY;
    for (int i = 0; i < max_begin_attempts; ++i) {
        int rc = mdb_txn_begin(env.get(), nullptr, flags, &txn.txn_);
        if (rc == 0) return txn;
        txn.txn_ = nullptr;
        if (rc != MDB_MAP_RESIZED) return error_from(rc, "mdb_txn_begin");
        // Another process grew the map: adopt its size and try again.
        rc = mdb_env_set_mapsize(env.get(), 0);
        if (rc != 0) return error_from(rc, "mdb_env_set_mapsize");
    }
    return error_from(MDB_MAP_RESIZED, "mdb_txn_begin");
}

Txn::Txn(Txn&& o) noexcept : txn_(std::exchange(o.txn_, nullptr)) {}

Txn& Txn::operator=(Txn&& o) noexcept {
    if (this != &o) {
        abort();
        txn_ = std::exchange(o.txn_, nullptr);
    }
    return *this;
}

Txn::~Txn() { abort(); }

Status Txn::commit() {
    if (!txn_)
        return make_error(Exit::internal, "transaction ended", "commit after commit or abort");
    // mdb_txn_commit frees the txn whatever it returns. A failed write or
    // sync (ENOSPC, EIO) leaves the last committed state in place: the new
    // meta page is written only after the data pages are synced.
    const std::string where = store_path(txn_) + ": commit";
    int rc = mdb_txn_commit(std::exchange(txn_, nullptr));
    if (rc != 0) return error_from(rc, where);
    return ok_status();
}

void Txn::abort() {
    if (txn_) mdb_txn_abort(std::exchange(txn_, nullptr));
}

// Dbi

Result<Dbi> Dbi::open(Txn& txn, const char* name, bool create, unsigned flags) {
    std::string what = std::string("database ") + (name ? name : "(main)");
    Dbi db;
    int rc = mdb_dbi_open(txn.get(), name, flags | (create ? MDB_CREATE : 0), &db.id);
    if (rc == MDB_NOTFOUND) return make_error(Exit::io, "not a setm store", "missing " + what);
    if (rc == MDB_INCOMPATIBLE)
        return make_error(Exit::io, "not a setm store", what + " has the wrong type");
    if (rc != 0) return error_from(rc, "open " + what);
    return db;
}

// Records

Result<std::optional<Bytes>> get(Txn& txn, Dbi db, MDB_val key) {
    MDB_val val;
    int rc = mdb_get(txn.get(), db.id, &key, &val);
    if (rc == MDB_NOTFOUND) return std::optional<Bytes>();
    if (rc != 0) return error_from(rc, "mdb_get");
    auto p = static_cast<const std::uint8_t*>(val.mv_data);
    return std::optional<Bytes>(Bytes(p, p + val.mv_size));
}

Status put(Txn& txn, Dbi db, MDB_val key, MDB_val val, unsigned flags) {
    int rc = mdb_put(txn.get(), db.id, &key, &val, flags);
    if (rc != 0) return error_from(rc, "mdb_put");
    return ok_status();
}

// Deleting an absent key is not an error: the key is absent afterwards.
Status del(Txn& txn, Dbi db, MDB_val key) {
    int rc = mdb_del(txn.get(), db.id, &key, nullptr);
    if (rc != 0 && rc != MDB_NOTFOUND) return error_from(rc, "mdb_del");
    return ok_status();
}

// Cursor
//
// LMDB frees a write txn's cursors when the txn ends, so a Cursor must be
// destroyed before its Txn commits or aborts.

Result<Cursor> Cursor::open(Txn& txn, Dbi db) {
    Cursor c;
    int rc = mdb_cursor_open(txn.get(), db.id, &c.cur_);
    if (rc != 0) return error_from(rc, "mdb_cursor_open");
    return c;
}

Cursor::Cursor(Cursor&& o) noexcept : cur_(std::exchange(o.cur_, nullptr)), k_(o.k_), v_(o.v_) {}

Cursor::~Cursor() {
    if (cur_) mdb_cursor_close(cur_);
}

Result<bool> Cursor::move(MDB_cursor_op op, MDB_val* k) {
    MDB_val key = k ? *k : MDB_val{};
    MDB_val val{};
    int rc = mdb_cursor_get(cur_, &key, &val, op);
    if (rc == MDB_NOTFOUND) {
        k_ = MDB_val{};
        v_ = MDB_val{};
        return false;
    }
    if (rc != 0) return error_from(rc, "mdb_cursor_get");
    k_ = key;
    v_ = val;
    return true;
}

Result<bool> Cursor::first() { return move(MDB_FIRST); }
Result<bool> Cursor::last() { return move(MDB_LAST); }
Result<bool> Cursor::next() { return move(MDB_NEXT); }
Result<bool> Cursor::seek(MDB_val key) { return move(MDB_SET_RANGE, &key); }

std::string_view Cursor::key() const { return {static_cast<const char*>(k_.mv_data), k_.mv_size}; }

std::string_view Cursor::value() const {
    return {static_cast<const char*>(v_.mv_data), v_.mv_size};
}

// copy_compact

Status copy_compact(Env& env, int fd, const std::string& what) {
    int rc = mdb_env_copyfd2(env.get(), fd, MDB_CP_COMPACT);
    if (rc != 0) return error_from(rc, what + ": copy");
    return ok_status();
}

// write_txn

Status write_txn(Env& env, const std::function<Status(Txn&)>& fn) {
    for (int i = 0; i < max_write_attempts; ++i) {
        SETM_TRY(Txn txn, Txn::begin(env, true));
        Status st = fn(txn);
        if (!st.ok() && !st.error().is(ErrorKind::store_full)) return st;
        if (st.ok()) {
            st = txn.commit();
            if (st.ok() || !st.error().is(ErrorKind::store_full)) return st;
        }
        txn.abort(); // must end before the map can be resized
        SETM_CHECK(env.grow());
    }
    return map_full("write transaction still too large after growing the map");
}

} // namespace setm::lmdb
