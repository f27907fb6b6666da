// fail_sync.cpp - an LD_PRELOAD shim for the fault tests: fsync, fdatasync
// and msync fail with EIO, as on a disk that stops accepting writes.
//
// LMDB 0.9.24 commits by writing the new pages, then fdatasync on data.mdb
// (msync instead with MDB_WRITEMAP, which setm does not use), then the meta
// page through an O_DSYNC descriptor: a failed sync stops the commit before
// the meta page, so the store keeps its last committed tip.
//
// With SETM_FAULT_LOG=FILE each intercepted call appends its name to FILE,
// so a test can show that the fault was really hit.
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace {

int refuse(const char* name) {
    if (const char* log = std::getenv("SETM_FAULT_LOG")) {
        int fd = ::open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            const std::size_t n = std::strlen(name);
            ssize_t w = ::write(fd, name, n);
            w = ::write(fd, "\n", 1);
            (void)w;
            ::close(fd);
        }
    }
    errno = EIO;
    return -1;
}

} // namespace

extern "C" {

int fsync(int) { return refuse("fsync"); }
int fdatasync(int) { return refuse("fdatasync"); }
int msync(void*, std::size_t, int) { return refuse("msync"); }

} // extern "C"
