#include "stream.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace setm {

namespace {

using Traits = std::char_traits<char>;

Error line_error(std::size_t line, const char* reason, std::string detail) {
    Error e = make_error(Exit::bad_input, reason, std::move(detail));
    e.at_line(line);
    return e;
}

std::string describe(int c) {
    if (c > 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
    char b[16];
    std::snprintf(b, sizeof b, "byte 0x%02x", static_cast<unsigned>(c));
    return b;
}

bool is_space(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Frames one object by tracking strings and nesting; parse_json_object
// does the validation. Bytes are taken straight from the streambuf.
Result<std::optional<RawRecord>> frame(std::streambuf& sb, std::size_t max, std::size_t& line,
                                       std::size_t& count, bool& first) {
    if (first) {
        first = false;
        if (sb.sgetc() == 0xef) {
            sb.sbumpc();
            if (sb.sbumpc() == 0xbb && sb.sbumpc() == 0xbf)
                return line_error(1, "byte-order mark", "input must not start with one");
            return line_error(1, "bad JSON", "expected '{' to start a record, found byte 0xef");
        }
    }
    int c = sb.sgetc();
    for (; is_space(c); c = sb.snextc())
        if (c == '\n') ++line;
    if (c == Traits::eof()) return std::optional<RawRecord>();
    if (c != '{')
        return line_error(line, "bad JSON", "expected '{' to start a record, found " + describe(c));

    RawRecord r;
    r.line = line;
    r.index = ++count;
    std::size_t depth = 0;
    bool in_string = false, escaped = false;
    for (;;) {
        c = sb.sbumpc();
        if (c == Traits::eof()) return line_error(r.line, "bad JSON", "unterminated object");
        if (r.text.size() == max)
            return line_error(r.line, "record too long",
                              "longer than " + std::to_string(max) + " bytes");
        r.text += static_cast<char>(c);
        if (c == '\n') ++line;
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return std::optional<RawRecord>(std::move(r));
        }
    }
}

} // namespace

RecordReader::RecordReader(std::istream& in, std::size_t max_record_bytes)
    : in_(in), max_(max_record_bytes) {}

Result<std::optional<RawRecord>> RecordReader::next() {
    std::streambuf* sb = in_.rdbuf();
    if (!sb) return std::optional<RawRecord>();
    // libstdc++'s filebuf throws on a read error instead of returning EOF.
    try {
        return frame(*sb, max_, line_, count_, first_);
    } catch (const std::ios_base::failure& e) {
        Error err = make_error(Exit::io, "cannot read", e.what());
        err.at_line(line_);
        return err;
    }
}

FdReader::FdReader(int fd, std::string name, std::size_t buffer_bytes)
    : fd_(fd), name_(std::move(name)), buf_(new char[buffer_bytes]), size_(buffer_bytes) {}

FdReader::int_type FdReader::underflow() {
    if (gptr() < egptr()) return Traits::to_int_type(*gptr());
    for (;;) {
        ssize_t n = ::read(fd_, buf_.get(), size_);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            throw std::ios_base::failure(name_, std::error_code(errno, std::generic_category()));
        if (n == 0) return Traits::eof();
        setg(buf_.get(), buf_.get(), buf_.get() + n);
        return Traits::to_int_type(*gptr());
    }
}

Result<std::unique_ptr<Input>> Input::open(const std::string& path) {
    auto in = std::make_unique<Input>();
    in->name_ = path;
    if (path == "-") {
        in->stdin_buf_ = std::make_unique<FdReader>(STDIN_FILENO, "standard input");
        in->stdin_ = std::make_unique<std::istream>(in->stdin_buf_.get());
        in->in_ = in->stdin_.get();
        return in;
    }
    auto cannot = [&](int err) {
        return make_error(Exit::io, "cannot open", path + ": " + std::strerror(err));
    };
    // A directory opens fine and then reads as empty input: refuse it.
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return cannot(errno);
    if (S_ISDIR(st.st_mode)) return cannot(EISDIR);
    errno = 0;
    in->file_ = std::make_unique<std::ifstream>(path, std::ios::binary);
    if (!*in->file_) return cannot(errno ? errno : EIO);
    in->in_ = in->file_.get();
    return in;
}

namespace {

Error io_error(const char* reason, const std::string& what, int err) {
    return make_error(Exit::io, reason, what + ": " + std::strerror(err));
}

// ERR is 0 when the write that failed is gone (an unchecked one, its errno
// long overwritten): say so rather than guess a cause.
Error stdout_error(int err) {
    if (err == 0)
        return make_error(Exit::io, "write error", "standard output: an earlier write failed");
    return io_error("write error", "standard output", err);
}

std::string dir_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// A new file in PATH's directory; returns the fd and sets tmp.
int make_temp(const std::string& path, std::string& tmp) {
    tmp = path + ".tmp-XXXXXX";
    return ::mkostemp(tmp.data(), O_CLOEXEC);
}

Status write_all(int fd, const std::string& s, const std::string& name) {
    std::size_t done = 0;
    while (done < s.size()) {
        ssize_t n = ::write(fd, s.data() + done, s.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_error("cannot write", name, errno);
        done += static_cast<std::size_t>(n);
    }
    return ok_status();
}

Status sync_dir(const std::string& path) {
    std::string dir = dir_of(path);
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return io_error("cannot write", dir, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return io_error("cannot write", dir, err);
    return ok_status();
}

// Write, sync and close the temporary file, then rename it over PATH.
// Closes fd in every case; the caller removes tmp if this fails.
Status fill_and_rename(int fd, const std::string& tmp, const std::string& path,
                       const std::string& data, int mode) {
    Status st = write_all(fd, data, path);
    if (st.ok() && ::fsync(fd) != 0) st = io_error("cannot write", path, errno);
    if (st.ok() && ::fchmod(fd, static_cast<mode_t>(mode)) != 0)
        st = io_error("cannot write", path, errno);
    if (::close(fd) != 0 && st.ok()) st = io_error("cannot write", path, errno);
    if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
        st = io_error("cannot write", path, errno);
    return st;
}

} // namespace

Status write_stdout(std::string_view text) {
    errno = 0;
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) return stdout_error(errno);
    if (std::fflush(stdout) != 0) return stdout_error(errno);
    return ok_status();
}

Status StdoutLines::line(std::string_view s) {
    if (failed_) return *failed_;
    buf_.append(s);
    buf_ += '\n';
    return buf_.size() >= chunk_ ? flush() : ok_status();
}

Status StdoutLines::flush() {
    if (failed_) return *failed_;
    if (buf_.empty()) return ok_status();
    Status st = write_stdout(buf_);
    buf_.clear();
    if (!st) failed_ = st.error();
    return st;
}

// A write that failed earlier leaves stdio's error flag (or the stream's
// badbit) set even when this last flush has nothing left to write.
Status flush_stdout() {
    errno = 0;
    std::cout.flush();
    int err = errno;
    if (std::fflush(stdout) != 0) return stdout_error(errno);
    if (std::ferror(stdout) || !std::cout.good()) return stdout_error(err);
    return ok_status();
}

// The temporary file exists only inside commit(): open() merely proves the
// directory writable, so a killed run never leaves a stray file behind.
Result<std::unique_ptr<AtomicOutput>> AtomicOutput::open(const std::string& path, int mode) {
    auto out = std::make_unique<AtomicOutput>();
    out->path_ = path;
    out->mode_ = mode;
    if (path == "-") return out;
    if (path.empty()) return io_error("cannot create", "''", ENOENT);
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        return io_error("cannot create", path, EISDIR);
    // The file is replaced by a rename: a symlink, device or FIFO there would
    // be replaced too (think /dev/stdout), not written through. Refuse it.
    if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        return make_error(Exit::io, "cannot create",
                          path + ": not a regular file (it would be replaced, not written to)");
    std::string tmp;
    int fd = make_temp(path, tmp);
    if (fd < 0) return io_error("cannot create", path, errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return out;
}

AtomicOutput::~AtomicOutput() = default;

Status AtomicOutput::commit() {
    if (committed_) return make_error(Exit::internal, "already committed", path_);
    committed_ = true;
    std::string data = std::move(buf_);
    buf_.clear();
    if (path_ == "-") return write_stdout(data);
    std::string tmp;
    int fd = make_temp(path_, tmp);
    if (fd < 0) return io_error("cannot create", path_, errno);
    Status st = fill_and_rename(fd, tmp, path_, data, mode_);
    if (!st.ok()) {
        ::unlink(tmp.c_str());
        return st;
    }
    return sync_dir(path_);
}

} // namespace setm
