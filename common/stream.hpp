// stream.hpp - streams of JSON objects in, one compact object per line out.
//
// Input is what jq accepts as a stream of objects: one per line, or any
// whitespace-separated sequence, CRLF line ends, no final newline. Each
// record's text is bounded (default 1 MiB): a longer one is an error
// ("record too long"), never an out-of-memory kill.
#pragma once

#include <cstddef>
#include <fstream>
#include <iosfwd>
#include <memory>
#include <optional>
#include <streambuf>
#include <string>
#include <string_view>

#include "error.hpp"

namespace setm {

struct RawRecord {
    std::string text;      // the object's JSON text, exactly as read
    std::size_t line = 0;  // 1-based line where the object starts
    std::size_t index = 0; // 1-based position in the stream
};

class RecordReader {
public:
    explicit RecordReader(std::istream& in, std::size_t max_record_bytes = 1 << 20);
    // The next record, std::nullopt at end of input, or an error naming the
    // line: "bad JSON" (not an object, stray text, unterminated), "byte-order
    // mark", "record too long".
    Result<std::optional<RawRecord>> next();

private:
    std::istream& in_;
    std::size_t max_;
    std::size_t line_ = 1;
    std::size_t count_ = 0;
    bool first_ = true;
};

// A file descriptor read through a buffer of its own, for standard input:
// std::cin, kept synced with stdio, hands over a byte per call (getc) and
// takes a failed read for the end of input. A failed read here throws
// std::ios_base::failure naming NAME and the cause, as libstdc++'s filebuf
// throws for a file, which RecordReader reports as "cannot read". The
// descriptor stays open.
class FdReader : public std::streambuf {
public:
    FdReader(int fd, std::string name, std::size_t buffer_bytes = 1 << 16);

protected:
    int_type underflow() override;

private:
    int fd_;
    std::string name_;
    std::unique_ptr<char[]> buf_;
    std::size_t size_;
};

// "-" is stdin (through an FdReader); anything else a file opened for
// reading (Exit::io on failure).
class Input {
public:
    static Result<std::unique_ptr<Input>> open(const std::string& path);
    std::istream& stream() { return *in_; }
    const std::string& name() const { return name_; }

private:
    std::string name_;
    std::unique_ptr<std::ifstream> file_;
    std::unique_ptr<FdReader> stdin_buf_; // outlives stdin_, which reads it
    std::unique_ptr<std::istream> stdin_;
    std::istream* in_ = nullptr;
};

// Standard output, checked. write_stdout writes TEXT and flushes it at
// once; flush_stdout flushes whatever std::cout or stdio still buffer and
// reports any earlier failed write. Either fails with Exit::io, reason
// "write error", detail "standard output: <strerror>" (a full disk, a
// closed descriptor, EPIPE when SIGPIPE is ignored). std::cout stays synced
// with stdio, so the two may be mixed. Nothing here ignores SIGPIPE.
Status write_stdout(std::string_view text);
Status flush_stdout();

// Lines to standard output as a tool produces them, written in pieces of
// about `chunk` bytes (write_stdout), so that a long output is never held
// whole; flush() writes what is left. The bytes are those of one
// write_stdout of every line joined. A failed write is returned by the
// line() or flush() that made it, and by every call after it.
class StdoutLines {
public:
    explicit StdoutLines(std::size_t chunk = std::size_t{1} << 20) : chunk_(chunk) {}
    Status line(std::string_view s);
    Status flush();

private:
    std::string buf_;
    std::size_t chunk_;
    std::optional<Error> failed_;
};

// All-or-nothing output file: written to a temporary file in the same
// directory and renamed over PATH by commit(); destroyed uncommitted, it
// leaves nothing behind. "-" writes to stdout at commit().
class AtomicOutput {
public:
    static Result<std::unique_ptr<AtomicOutput>> open(const std::string& path, int mode = 0644);
    ~AtomicOutput();
    void write(const std::string& s) { buf_ += s; }
    void line(const std::string& s) {
        buf_ += s;
        buf_ += '\n';
    }
    Status commit();

private:
    std::string path_;
    int mode_ = 0644;
    std::string buf_;
    bool committed_ = false;
};

} // namespace setm
