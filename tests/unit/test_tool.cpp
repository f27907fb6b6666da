// tool::run, the wrapper around every tool's main: exceptions become exit
// 70 with one error line, a failed write to stdout exit 74.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <new>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "tool.hpp"

using namespace setm;

namespace {

// Redirects descriptor FD to PATH for the lifetime of the object.
class Redirect {
public:
    Redirect(int fd, const char* path) : fd_(fd) {
        std::cout.flush();
        std::fflush(nullptr);
        saved_ = ::dup(fd);
        int to = ::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(to, fd);
        ::close(to);
    }
    ~Redirect() {
        std::fflush(nullptr);
        ::dup2(saved_, fd_);
        ::close(saved_);
        std::clearerr(stdout);
        std::cout.clear();
    }

private:
    int fd_;
    int saved_;
};

std::string temp_file() {
    char path[] = "/tmp/setm-tool-test.XXXXXX";
    int fd = ::mkstemp(path);
    ::close(fd);
    return path;
}

std::string slurp_and_remove(const std::string& path) {
    std::ifstream in(path);
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ::unlink(path.c_str());
    return s;
}

// Runs body through tool::run with stderr captured; returns the exit code.
template <class Body>
int run_captured(Body body, std::string& err, const char* out = nullptr) {
    const std::string file = temp_file();
    int rc = -1;
    {
        Redirect e(STDERR_FILENO, file.c_str());
        if (out) {
            Redirect o(STDOUT_FILENO, out);
            rc = tool::run("setm-x", body);
        } else {
            rc = tool::run("setm-x", body);
        }
    }
    err = slurp_and_remove(file);
    return rc;
}

} // namespace

TEST_CASE("tool: run passes the body's exit code through") {
    std::string err;
    CHECK(run_captured([] { return 0; }, err) == 0);
    CHECK(err.empty());
    CHECK(run_captured([] { return 65; }, err) == 65);
}

TEST_CASE("tool: run turns every exception into exit 70 and one line") {
    std::string err;
    CHECK(run_captured([]() -> int { throw std::runtime_error("boom"); }, err) == 70);
    CHECK(err == "setm-x: error: internal error: boom\n");
    CHECK(run_captured([]() -> int { throw std::bad_alloc(); }, err) == 70);
    CHECK(err == "setm-x: error: internal error: out of memory\n");
    CHECK(run_captured([]() -> int { throw 42; }, err) == 70);
    CHECK(err == "setm-x: error: internal error: unknown exception\n");
}

TEST_CASE("tool: run reports output lost on a full stdout with exit 74") {
    std::string err;
    auto prints = [] {
        std::cout << "{\"type\":\"identity\"}\n"; // buffered: only the final flush sees it fail
        return 0;
    };
    CHECK(run_captured(prints, err, "/dev/full") == 74);
    CHECK(err == "setm-x: error: write error: standard output: No space left on device\n");
    auto checked = []() -> int {
        Status st = tool::print("{}\n");
        return st ? 0 : tool::fail("setm-x", st.error());
    };
    CHECK(run_captured(checked, err, "/dev/full") == 74);
    CHECK(err == "setm-x: error: write error: standard output: No space left on device\n");
}

TEST_CASE("tool: run keeps an earlier failure's exit code and line") {
    std::string err;
    auto fails = [] {
        std::cout << "partial\n";
        return tool::fail("setm-x", make_error(Exit::bad_input, "bad JSON", "x"));
    };
    CHECK(run_captured(fails, err, "/dev/full") == 65);
    CHECK(err == "setm-x: error: bad JSON: x\n");
}
