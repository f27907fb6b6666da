#include "backup.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

namespace setm {

namespace {

Error io_error(const char* reason, const std::string& what, int err) {
    if (err == ENOSPC || err == EDQUOT) reason = "disk full";
    Error e = make_error(Exit::io, reason, what + ": " + std::strerror(err));
    if (err == EACCES || err == EPERM || err == EROFS) {
        e.reason = "permission denied";
        e.of_kind(ErrorKind::permission_denied);
    }
    return e;
}

// "a/b/" -> "a/b"; "/" stays "/".
std::string without_trailing_slashes(const std::string& path) {
    const auto last = path.find_last_not_of('/');
    if (last == std::string::npos) return path.empty() ? path : "/";
    return path.substr(0, last + 1);
}

std::string parent_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string name_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

Error backup_exists(const std::string& dest) {
    return make_error(Exit::io, "backup exists", dest + ": already exists")
        .of_kind(ErrorKind::store_exists)
        .with_hint("a backup never replaces anything: name a directory that does not exist yet");
}

// DEST is new, and its parent a directory we may create entries in.
Status check_destination(const std::string& dest, const std::string& parent) {
    struct stat st {};
    if (::lstat(dest.c_str(), &st) == 0) return backup_exists(dest);
    if (errno != ENOENT && errno != ENOTDIR) return io_error("storage error", dest, errno);
    if (::stat(parent.c_str(), &st) == -1) {
        const int err = errno;
        Error e = io_error("storage error", parent, err);
        if (err == ENOENT || err == ENOTDIR)
            e.with_hint("the backup's directory must exist: mkdir -p " + parent);
        return e;
    }
    if (!S_ISDIR(st.st_mode))
        return make_error(Exit::io, "storage error", parent + ": not a directory");
    if (::access(parent.c_str(), W_OK | X_OK) == -1)
        return io_error("permission denied", parent, errno)
            .with_hint("the copy is written beside DEST: name a directory you may write");
    return ok_status();
}

Status sync_path(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) return io_error("storage error", path, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc == -1) return io_error("storage error", "fsync " + path, err);
    return ok_status();
}

// The partial directory: removed with what it holds unless released.
class PartialDir {
public:
    PartialDir() = default;
    PartialDir(const PartialDir&) = delete;
    PartialDir& operator=(const PartialDir&) = delete;
    ~PartialDir() {
        if (path_.empty()) return;
        for (const char* f : {"/data.mdb", "/lock.mdb"}) ::unlink((path_ + f).c_str());
        ::rmdir(path_.c_str());
    }
    Status make(const std::string& parent, const std::string& name) {
        std::string tmpl = parent + "/." + name + ".partial-XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        if (!::mkdtemp(buf.data()))
            return io_error("storage error", "mkdir " + tmpl, errno)
                .with_hint("the copy is written beside DEST: name a directory you may write");
        path_ = buf.data();
        return ok_status();
    }
    const std::string& path() const { return path_; }
    void release() { path_.clear(); }

private:
    std::string path_;
};

// data.mdb of `dir`: the source's hot copy, synced. Returns its size.
Result<std::uint64_t> write_copy(Store& src, const std::string& dir) {
    const std::string data = dir + "/data.mdb";
    const int fd = ::open(data.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd == -1) return io_error("storage error", data, errno);
    Status st = src.copy_compact_to(fd);
    struct stat fs {};
    if (st && ::fsync(fd) == -1) st = io_error("storage error", "fsync " + data, errno);
    if (st && ::fstat(fd, &fs) == -1) st = io_error("storage error", data, errno);
    if (::close(fd) == -1 && st) st = io_error("storage error", "close " + data, errno);
    if (!st) return st.error();
    return static_cast<std::uint64_t>(fs.st_size);
}

// The copy, verified as a store of its own. Whatever makes it fail to
// verify was in the snapshot it was copied from.
Result<VerifyReport> verify_copy(const std::string& dir, const Store& src,
                                 const VerifyOptions& options, const BlockObserver& observer) {
    auto verified = [&]() -> Result<VerifyReport> {
        SETM_TRY(Store copy, Store::open(dir, true));
        if (copy.chain_id() != src.chain_id())
            return make_error(Exit::verify_failed, "bad backup", "the copy holds another chain");
        SETM_TRY(auto snap, copy.snapshot());
        SETM_TRY(VerifiedChain v, verify_chain(snap->state(), options, observer));
        return v.report;
    }();
    if (verified) return verified;
    Error e = std::move(verified.error());
    if (e.code == Exit::io && !e.is(ErrorKind::permission_denied)) e.code = Exit::verify_failed;
    if (e.code == Exit::verify_failed)
        e.with_hint("the copy was removed; it is a snapshot of " + src.dir() +
                    ", which does not verify either: see setm-verify --store " + src.dir());
    return e;
}

// The directory as a store directory: data.mdb alone (the lock file the
// verification opened holds nothing of the store), the mode of a new
// directory under the umask, synced.
Status finish_dir(const std::string& dir) {
    const std::string lock = dir + "/lock.mdb";
    if (::unlink(lock.c_str()) == -1 && errno != ENOENT)
        return io_error("storage error", lock, errno);
    const mode_t mask = ::umask(0);
    ::umask(mask);
    if (::chmod(dir.c_str(), 0777 & ~mask) == -1) return io_error("storage error", dir, errno);
    return sync_path(dir);
}

// Renames the finished directory to DEST, never over anything.
Status publish(const std::string& from, const std::string& dest) {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, dest.c_str(), RENAME_NOREPLACE) == 0)
        return ok_status();
    const int err = errno;
    if (err == EEXIST || err == ENOTEMPTY) return backup_exists(dest);
    if (err != EINVAL && err != ENOSYS) return io_error("storage error", "rename to " + dest, err);
    // A file system without RENAME_NOREPLACE: check, then rename.
    struct stat st {};
    if (::lstat(dest.c_str(), &st) == 0) return backup_exists(dest);
    if (::rename(from.c_str(), dest.c_str()) == -1)
        return io_error("storage error", "rename to " + dest, errno);
    return ok_status();
}

} // namespace

Result<BackupReport> backup_store(const std::string& store_dir, const std::string& dest,
                                  std::int64_t now, unsigned threads,
                                  const BlockObserver& observer) {
    VerifyOptions o;
    o.now = now;
    o.threads = threads;
    return backup_store(store_dir, dest, o, observer);
}

Result<BackupReport> backup_store(const std::string& store_dir, const std::string& dest_arg,
                                  const VerifyOptions& options, const BlockObserver& observer) {
    const std::string dest = without_trailing_slashes(dest_arg);
    if (dest.empty()) return make_error(Exit::usage, "bad --backup", "an empty path");
    const std::string parent = parent_of(dest);
    SETM_CHECK(check_destination(dest, parent));
    SETM_TRY(Store src, Store::open(store_dir, true));
    PartialDir partial;
    SETM_CHECK(partial.make(parent, name_of(dest)));
    BackupReport r;
    r.path = dest;
    SETM_TRY(r.bytes, write_copy(src, partial.path()));
    SETM_TRY(r.verified, verify_copy(partial.path(), src, options, observer));
    SETM_CHECK(finish_dir(partial.path()));
    SETM_CHECK(publish(partial.path(), dest));
    partial.release();
    SETM_CHECK(sync_path(parent));
    return r;
}

} // namespace setm
