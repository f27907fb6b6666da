#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "json.hpp"
#include "stream.hpp"

using namespace setm;
using namespace std::string_literals;

namespace {

struct Read {
    std::vector<RawRecord> records;
    std::optional<Error> error;
};

Read read_all(std::istream& in, std::size_t max = 1 << 20) {
    RecordReader reader(in, max);
    Read out;
    for (;;) {
        auto r = reader.next();
        if (!r.ok()) {
            out.error = r.error();
            return out;
        }
        if (!*r) return out;
        out.records.push_back(std::move(**r));
    }
}

Read read_all(const std::string& text, std::size_t max = 1 << 20) {
    std::istringstream in(text);
    return read_all(in, max);
}

std::vector<std::string> texts(const Read& r) {
    std::vector<std::string> t;
    for (const auto& rec : r.records) t.push_back(rec.text);
    return t;
}

// `{"a":"xxxx...` for `size` bytes and never a closing quote, made up on
// the fly: reading it all would take `size` bytes of memory.
class Endless : public std::streambuf {
public:
    explicit Endless(std::uint64_t size) : left_(size) {}
    std::uint64_t served() const { return served_; }

protected:
    int_type underflow() override {
        if (left_ == 0) return traits_type::eof();
        if (served_ == 0) {
            std::string head = R"({"a":")";
            std::copy(head.begin(), head.end(), chunk_);
            std::fill(chunk_ + head.size(), chunk_ + sizeof chunk_, 'x');
        } else {
            std::fill(chunk_, chunk_ + sizeof chunk_, 'x');
        }
        std::size_t n = left_ < sizeof chunk_ ? static_cast<std::size_t>(left_) : sizeof chunk_;
        left_ -= n;
        served_ += n;
        setg(chunk_, chunk_, chunk_ + n);
        return traits_type::to_int_type(chunk_[0]);
    }

private:
    char chunk_[4096];
    std::uint64_t left_;
    std::uint64_t served_ = 0;
};

struct TempDir {
    std::string path;
    TempDir() {
        char t[] = "/tmp/setm-test-XXXXXX";
        REQUIRE(::mkdtemp(t) != nullptr);
        path = t;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::vector<std::string> entries() const {
        std::vector<std::string> names;
        DIR* d = ::opendir(path.c_str());
        while (dirent* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n != "." && n != "..") names.push_back(n);
        }
        ::closedir(d);
        return names;
    }
};

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

} // namespace

TEST_CASE("stream: one object per line") {
    auto r = read_all("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
    CHECK(!r.error);
    CHECK(texts(r) == std::vector<std::string>{R"({"a":1})", R"({"b":2})", R"({"c":3})"});
    REQUIRE(r.records.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(r.records[i].line == i + 1);
        CHECK(r.records[i].index == i + 1);
    }
}

TEST_CASE("stream: several objects on one line") {
    auto r = read_all("{\"a\":1} {\"b\":2}\t{\"c\":3}{\"d\":4}\n{\"e\":5}");
    CHECK(!r.error);
    CHECK(texts(r).size() == 5);
    REQUIRE(r.records.size() == 5);
    CHECK(r.records[3].text == R"({"d":4})");
    CHECK(r.records[3].line == 1);
    CHECK(r.records[3].index == 4);
    CHECK(r.records[4].line == 2);
}

TEST_CASE("stream: one object over several lines") {
    std::string text = "{\n  \"a\": 1,\n  \"b\": [\n    2\n  ]\n}\n{\"c\":\n3}\n";
    auto r = read_all(text);
    CHECK(!r.error);
    REQUIRE(r.records.size() == 2);
    CHECK(r.records[0].text == "{\n  \"a\": 1,\n  \"b\": [\n    2\n  ]\n}");
    CHECK(r.records[0].line == 1);
    CHECK(r.records[1].line == 7);
    CHECK(parse_json_object(r.records[0].text).ok());
}

TEST_CASE("stream: CRLF, blank lines, no final newline") {
    auto r = read_all("\r\n\r\n{\"a\":1}\r\n\r\n   \n{\"b\":2}\r\n\n\n{\"c\":3}");
    CHECK(!r.error);
    REQUIRE(r.records.size() == 3);
    CHECK(r.records[0].text == R"({"a":1})");
    CHECK(r.records[0].line == 3);
    CHECK(r.records[1].line == 6);
    CHECK(r.records[2].line == 9);
    CHECK(r.records[2].text == R"({"c":3})");
}

TEST_CASE("stream: empty and blank input have no records") {
    CHECK(read_all("").records.empty());
    CHECK(!read_all("").error);
    auto r = read_all(" \n\r\n\t\n");
    CHECK(r.records.empty());
    CHECK(!r.error);
}

TEST_CASE("stream: braces and escaped quotes inside strings") {
    auto r = read_all(R"({"a":"}{"} {"b":"x\"}y\\"} {"c":"[\\\"{"}{"d":"]"})");
    CHECK(!r.error);
    CHECK(texts(r) == std::vector<std::string>{R"({"a":"}{"})", R"({"b":"x\"}y\\"})",
                                               R"({"c":"[\\\"{"})", R"({"d":"]"})"});
    for (const auto& rec : r.records) CHECK(parse_json_object(rec.text).ok());
}

TEST_CASE("stream: text between records is an error with its line") {
    auto r = read_all("{\"a\":1}\n\nx{\"b\":2}\n");
    REQUIRE(r.error);
    CHECK(r.records.size() == 1);
    CHECK(r.error->code == Exit::bad_input);
    CHECK(r.error->reason == "bad JSON");
    CHECK(r.error->detail == "expected '{' to start a record, found 'x'");
    CHECK(r.error->line == 3u);

    r = read_all("[1,2]\n");
    REQUIRE(r.error);
    CHECK(r.error->detail == "expected '{' to start a record, found '['");
    CHECK(r.error->line == 1u);

    r = read_all("{}}\n");
    REQUIRE(r.error);
    CHECK(r.error->detail == "expected '{' to start a record, found '}'");

    r = read_all("{}\n\x01");
    REQUIRE(r.error);
    CHECK(r.error->detail == "expected '{' to start a record, found byte 0x01");
    CHECK(r.error->line == 2u);
}

TEST_CASE("stream: the reader only frames; the parser judges") {
    auto r = read_all(R"({"a":1,"a":2} {"b":})");
    CHECK(!r.error);
    REQUIRE(r.records.size() == 2);
    CHECK(parse_json_object(r.records[0].text).error().reason == "duplicate key");
    CHECK(parse_json_object(r.records[1].text).error().reason == "bad JSON");
}

TEST_CASE("stream: an unterminated object is an error at its first line") {
    const std::pair<const char*, std::size_t> cases[] = {
        {"{\"a\":1}\n{\"b\":\n2\n", 2}, {"{\"a\":\"}", 1}, {"{\"a\":\"\\\"}", 1}, {"\n{[}", 2}};
    for (auto [t, line] : cases) {
        INFO(t);
        auto r = read_all(t);
        REQUIRE(r.error);
        CHECK(r.error->reason == "bad JSON");
        CHECK(r.error->detail == "unterminated object");
        CHECK(r.error->line == line);
    }
}

TEST_CASE("stream: a byte-order mark at the start is refused") {
    auto r = read_all("\xef\xbb\xbf{\"a\":1}\n");
    REQUIRE(r.error);
    CHECK(r.error->reason == "byte-order mark");
    CHECK(r.error->line == 1u);
    r = read_all("\xef\xbb{}");
    REQUIRE(r.error);
    CHECK(r.error->reason == "bad JSON");
    // Elsewhere it is just a stray byte (or part of a string).
    r = read_all("{}\n\xef\xbb\xbf{}");
    REQUIRE(r.error);
    CHECK(r.error->reason == "bad JSON");
    CHECK(r.error->line == 2u);
    r = read_all("{\"a\":\"\xef\xbb\xbf\"}");
    CHECK(!r.error);
}

TEST_CASE("stream: a record longer than the limit is refused") {
    std::string rec = R"({"a":"0123456789"})"; // 18 bytes
    auto r = read_all(rec + "\n" + rec, rec.size());
    CHECK(!r.error);
    CHECK(r.records.size() == 2);
    r = read_all(rec + "\n\n" + R"({"a":"01234567890"})", rec.size());
    REQUIRE(r.error);
    CHECK(r.records.size() == 1);
    CHECK(r.error->code == Exit::bad_input);
    CHECK(r.error->reason == "record too long");
    CHECK(r.error->detail == "longer than 18 bytes");
    CHECK(r.error->line == 3u);
}

TEST_CASE("stream: memory stays bounded on a huge line") {
    SECTION("generated 10 GB line") {
        Endless buf(10ull << 30);
        std::istream in(&buf);
        auto r = read_all(in, 1 << 20);
        REQUIRE(r.error);
        CHECK(r.error->reason == "record too long");
        CHECK(r.error->detail == "longer than 1048576 bytes");
        // Stopped just after the limit, not at the end of the input.
        CHECK(buf.served() < (2u << 20));
    }
    SECTION("50 MB line in a string stream") {
        std::string big = R"({"a":")" + std::string(50 << 20, 'x') + "\"}\n";
        auto r = read_all(big, 4096);
        REQUIRE(r.error);
        CHECK(r.error->reason == "record too long");
        CHECK(r.error->line == 1u);
    }
}

TEST_CASE("stream: a read error is an I/O error, not the end of input") {
    struct Failing : std::streambuf {
        int_type underflow() override { throw std::ios_base::failure("read error"); }
    } buf;
    std::istream in(&buf);
    auto r = read_all(in);
    REQUIRE(r.error);
    CHECK(r.error->code == Exit::io);
    CHECK(r.error->reason == "cannot read");
}

TEST_CASE("stream: Input opens files, refuses missing ones and directories") {
    TempDir dir;
    std::string file = dir.path + "/in.jsonl";
    std::ofstream(file) << "{\"a\":1}\n{\"b\":2}";
    auto in = Input::open(file);
    REQUIRE(in.ok());
    CHECK((*in)->name() == file);
    CHECK(read_all((*in)->stream()).records.size() == 2);

    auto missing = Input::open(dir.path + "/nope");
    REQUIRE(!missing.ok());
    CHECK(missing.error().code == Exit::io);
    CHECK(missing.error().reason == "cannot open");
    CHECK(missing.error().detail == dir.path + "/nope: No such file or directory");

    auto d = Input::open(dir.path);
    REQUIRE(!d.ok());
    CHECK(d.error().code == Exit::io);
    CHECK(d.error().detail == dir.path + ": Is a directory");

    auto s = Input::open("-");
    REQUIRE(s.ok());
    CHECK((*s)->name() == "-");
    CHECK(&(*s)->stream() != &std::cin); // read through an FdReader on descriptor 0
}

TEST_CASE("stream: FdReader frames what a pipe holds, across buffer ends, and stops at its end") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::string text;
    for (int i = 0; i < 100; ++i)
        text += "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(i, 'x') + "\"}\n";
    REQUIRE(::write(fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fds[1]);
    FdReader buf(fds[0], "the pipe", 7); // a buffer smaller than any record
    std::istream in(&buf);
    auto r = read_all(in);
    ::close(fds[0]);
    CHECK(!r.error);
    REQUIRE(r.records.size() == 100);
    CHECK(r.records[99].text == "{\"n\":99,\"pad\":\"" + std::string(99, 'x') + "\"}");
    CHECK(r.records[99].line == 100u);
}

TEST_CASE("stream: FdReader reports a failed read as an I/O error naming it, not as the end") {
    TempDir dir;
    int fd = ::open(dir.path.c_str(), O_RDONLY | O_DIRECTORY); // read() fails: EISDIR
    REQUIRE(fd >= 0);
    FdReader buf(fd, "standard input");
    std::istream in(&buf);
    auto r = read_all(in);
    ::close(fd);
    REQUIRE(r.error);
    CHECK(r.error->code == Exit::io);
    CHECK(r.error->reason == "cannot read");
    CHECK(r.error->detail == "standard input: Is a directory");
}

TEST_CASE("stream: AtomicOutput commit replaces the file whole") {
    TempDir dir;
    std::string path = dir.path + "/out.jsonl";
    std::ofstream(path) << "old\n";
    auto out = AtomicOutput::open(path, 0600);
    REQUIRE(out.ok());
    (*out)->line("{\"a\":1}");
    (*out)->write("{\"b\":2}\n");
    CHECK(slurp(path) == "old\n");
    REQUIRE((*out)->commit().ok());
    CHECK(slurp(path) == "{\"a\":1}\n{\"b\":2}\n");
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(dir.entries() == std::vector<std::string>{"out.jsonl"});
    CHECK((*out)->commit().error().code == Exit::internal);
}

TEST_CASE("stream: AtomicOutput creates a new file with the mode asked") {
    TempDir dir;
    std::string path = dir.path + "/new.json";
    {
        auto out = AtomicOutput::open(path);
        REQUIRE(out.ok());
        (*out)->line("{}");
        REQUIRE((*out)->commit().ok());
    }
    CHECK(slurp(path) == "{}\n");
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
}

TEST_CASE("stream: AtomicOutput abandoned leaves nothing behind") {
    TempDir dir;
    std::string kept = dir.path + "/kept";
    std::ofstream(kept) << "untouched";
    {
        auto out = AtomicOutput::open(kept);
        REQUIRE(out.ok());
        (*out)->line("new content");
        CHECK(dir.entries() == std::vector<std::string>{"kept"});
    }
    CHECK(slurp(kept) == "untouched");
    {
        auto out = AtomicOutput::open(dir.path + "/never");
        REQUIRE(out.ok());
        (*out)->line("x");
    }
    CHECK(dir.entries() == std::vector<std::string>{"kept"});
}

TEST_CASE("stream: AtomicOutput refuses an unusable place at open") {
    TempDir dir;
    auto missing = AtomicOutput::open(dir.path + "/no/such/dir/out");
    REQUIRE(!missing.ok());
    CHECK(missing.error().code == Exit::io);
    CHECK(missing.error().reason == "cannot create");
    CHECK(AtomicOutput::open("").error().code == Exit::io);
    auto isdir = AtomicOutput::open(dir.path);
    REQUIRE(!isdir.ok());
    CHECK(isdir.error().code == Exit::io);
    if (::geteuid() != 0) { // root writes anywhere
        ::chmod(dir.path.c_str(), 0500);
        auto ro = AtomicOutput::open(dir.path + "/out");
        CHECK(!ro.ok());
        ::chmod(dir.path.c_str(), 0700);
    }
}

TEST_CASE("stream: AtomicOutput to - writes stdout at commit") {
    TempDir dir;
    std::string file = dir.path + "/stdout";
    std::fflush(stdout);
    int saved = ::dup(1);
    REQUIRE(saved >= 0);
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    ::dup2(fd, 1);
    ::close(fd);
    Status st = Status(make_error(Exit::internal, "not run"));
    std::string before;
    {
        auto out = AtomicOutput::open("-");
        if (out.ok()) {
            (*out)->line("{\"a\":1}");
            std::fflush(stdout);
            before = slurp(file);
            st = (*out)->commit();
        }
    }
    ::dup2(saved, 1);
    ::close(saved);
    CHECK(before.empty());
    CHECK(st.ok());
    CHECK(slurp(file) == "{\"a\":1}\n");
}

namespace {

// Runs fn with file descriptor 1 on PATH, then restores it and clears the
// error state fn left on stdout and std::cout.
template <class F>
void with_stdout_on(const char* path, F fn) {
    std::cout.flush();
    std::fflush(stdout);
    int saved = ::dup(1);
    REQUIRE(saved >= 0);
    int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    ::dup2(fd, 1);
    ::close(fd);
    fn();
    std::fflush(stdout);
    ::dup2(saved, 1);
    ::close(saved);
    std::clearerr(stdout);
    std::cout.clear();
}

bool is_write_error(const Status& st, const std::string& detail) {
    return !st.ok() && st.error().code == Exit::io && st.error().reason == "write error" &&
           st.error().detail == detail;
}

} // namespace

TEST_CASE("stream: write_stdout reports a full device") {
    Status st = ok_status();
    with_stdout_on("/dev/full", [&] { st = write_stdout("{\"a\":1}\n"); });
    CHECK(is_write_error(st, "standard output: No space left on device"));
    CHECK(st.error().message() == "write error: standard output: No space left on device");
}

TEST_CASE("stream: write_stdout writes and flushes at once") {
    TempDir dir;
    const std::string file = dir.path + "/out";
    Status st = Status(make_error(Exit::internal, "not run"));
    std::string seen;
    with_stdout_on(file.c_str(), [&] {
        st = write_stdout("line\n");
        seen = slurp(file); // before any later flush
    });
    CHECK(st.ok());
    CHECK(seen == "line\n");
}

TEST_CASE("stream: flush_stdout reports what std::cout still buffers") {
    Status st = ok_status();
    with_stdout_on("/dev/full", [&] {
        std::cout << "unchecked";
        st = flush_stdout();
    });
    CHECK(is_write_error(st, "standard output: No space left on device"));
}

TEST_CASE("stream: flush_stdout reports an earlier unchecked write that failed") {
    Status st = ok_status();
    with_stdout_on("/dev/full", [&] {
        std::fputs("unchecked\n", stdout);
        std::fflush(stdout); // fails, and nobody looks
        errno = 0;
        st = flush_stdout();
    });
    REQUIRE(!st.ok());
    CHECK(st.error().code == Exit::io);
    CHECK(st.error().reason == "write error");
}

TEST_CASE("stream: flush_stdout passes when every write went through") {
    TempDir dir;
    const std::string file = dir.path + "/out";
    Status st = Status(make_error(Exit::internal, "not run"));
    with_stdout_on(file.c_str(), [&] {
        std::cout << "a\n";
        std::fputs("b\n", stdout);
        st = flush_stdout();
    });
    CHECK(st.ok());
    CHECK(slurp(file) == "a\nb\n");
}

TEST_CASE("stream: StdoutLines writes each piece once it is full, the rest at flush") {
    TempDir dir;
    const std::string file = dir.path + "/out";
    Status st = Status(make_error(Exit::internal, "not run"));
    std::vector<std::string> seen; // the file after each line
    with_stdout_on(file.c_str(), [&] {
        StdoutLines out(10); // a piece of 10 bytes at least
        for (const char* l : {"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"}) {
            st = out.line(l);
            if (!st.ok()) return;
            seen.push_back(slurp(file));
        }
        st = out.flush();
    });
    CHECK(st.ok());
    // 8 bytes held, 16 written, 8 held again: nothing is ever written twice
    CHECK(seen == std::vector<std::string>{"", "{\"a\":1}\n{\"b\":2}\n", "{\"a\":1}\n{\"b\":2}\n"});
    CHECK(slurp(file) == "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
}

TEST_CASE("stream: StdoutLines reports a failed write, then again at every call") {
    Status first = ok_status(), later = ok_status(), flushed = ok_status();
    with_stdout_on("/dev/full", [&] {
        StdoutLines out(4);
        first = out.line("{\"a\":1}");
        later = out.line("{\"b\":2}");
        flushed = out.flush();
    });
    CHECK(is_write_error(first, "standard output: No space left on device"));
    CHECK(is_write_error(later, "standard output: No space left on device"));
    CHECK(is_write_error(flushed, "standard output: No space left on device"));
}
