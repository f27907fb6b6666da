// harness.hpp - the little that every benchmark in tests/bench shares.
//
// A benchmark states its speed as a RATIO against the raw library limit
// measured in the same process: each repetition runs the limit and the code
// under test back to back (rotating which goes first, so a slow spell of a
// shared machine hits all of them), and the figures are medians over the
// repetitions. Timing is std::chrono::steady_clock around a fixed amount of
// work. Nothing here passes or fails on speed; the last line of output is
// one JSON object {"type":"bench",...} for scripts.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bench {

// Keeps the compiler from dropping work whose result is otherwise unused.
template <class T>
inline void keep(const T& value) {
    asm volatile("" : : "r"(&value) : "memory");
}

// Command line: --smoke, --reps N, and the benchmark's own numeric options
// (declared with their defaults). Anything else is a usage error (exit 64).
class Options {
public:
    Options(std::string name, std::map<std::string, double> numeric)
        : name_(std::move(name)), num_(std::move(numeric)) {
        num_.emplace("reps", 5);
    }

    void parse(int argc, char** argv) {
        for (int i = 1; i < argc; ++i) {
            const std::string_view a = argv[i];
            if (a == "--smoke") {
                smoke_ = true;
                continue;
            }
            if (a == "--help" || a == "-h") usage(0);
            if (a.substr(0, 2) != "--" || !num_.count(std::string(a.substr(2))) || i + 1 >= argc)
                usage(64);
            char* end = nullptr;
            const double v = std::strtod(argv[i + 1], &end);
            if (end == argv[i + 1] || *end != '\0' || !(v > 0)) usage(64);
            num_[std::string(a.substr(2))] = v;
            ++i;
        }
    }

    bool smoke() const { return smoke_; }
    double num(const std::string& key) const { return num_.at(key); }
    std::uint64_t count(const std::string& key) const {
        return static_cast<std::uint64_t>(num_.at(key));
    }
    int reps() const { return smoke_ ? 1 : static_cast<int>(num_.at("reps")); }

private:
    [[noreturn]] void usage(int code) const {
        std::fprintf(code ? stderr : stdout, "usage: %s [--smoke]", name_.c_str());
        for (const auto& [k, v] : num_)
            std::fprintf(code ? stderr : stdout, " [--%s %g]", k.c_str(), v);
        std::fprintf(code ? stderr : stdout, "\n");
        std::exit(code);
    }

    std::string name_;
    std::map<std::string, double> num_;
    bool smoke_ = false;
};

inline double seconds(const std::function<void()>& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time of the calling thread: on a shared machine, what a single-threaded
// run would take if it had a core to itself (page faults included).
inline double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Wall-clock and thread CPU time of one run of f on the calling thread.
struct Lap {
    double wall = 0, cpu = 0;
};
inline Lap lap(const std::function<void()>& f) {
    const double c0 = thread_cpu_seconds();
    const double w = seconds(f);
    return {w, thread_cpu_seconds() - c0};
}

inline double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

inline unsigned cores() { return std::max(1u, std::thread::hardware_concurrency()); }

// One figure: the median rate over the repetitions, and the spread.
struct Series {
    std::vector<double> values;
    void add(double v) { values.push_back(v); }
    double med() const { return median(values); }
    double lo() const {
        return values.empty() ? 0 : *std::min_element(values.begin(), values.end());
    }
    double hi() const {
        return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
    }
};

inline void print_rate(const char* what, const Series& s, const char* unit) {
    std::printf("%-58s %14.0f %s/s  (min %.0f, max %.0f)\n", what, s.med(), unit, s.lo(), s.hi());
}

// With `cpu`, also the same ratio from thread CPU times (single-threaded
// figures only): less disturbed by other work on a shared machine.
inline void print_ratio(const char* what, const Series& s, double target,
                        const Series* cpu = nullptr) {
    std::printf("%-58s %14.3f  (min %.3f, max %.3f", what, s.med(), s.lo(), s.hi());
    if (cpu != nullptr) std::printf("; by CPU time %.3f", cpu->med());
    if (target > 0)
        std::printf("; target >= %.2f: %s", target, s.med() >= target ? "met" : "MISSED");
    std::printf(")\n");
}

// The final line: {"type":"bench","name":...,key:value,...}.
class Json {
public:
    explicit Json(const std::string& name) { s_ = "{\"type\":\"bench\",\"name\":\"" + name + "\""; }
    Json& num(const char* key, double v) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.6g", v);
        s_ += std::string(",\"") + key + "\":" + buf;
        return *this;
    }
    Json& str(const char* key, const std::string& v) { // v: no quotes or backslashes
        s_ += std::string(",\"") + key + "\":\"" + v + "\"";
        return *this;
    }
    Json& flag(const char* key, bool v) {
        s_ += std::string(",\"") + key + "\":" + (v ? "true" : "false");
        return *this;
    }
    void print() const { std::printf("%s}\n", s_.c_str()); }

private:
    std::string s_;
};

// Runs every contender once per repetition, rotating which goes first, so
// that a slow spell of the machine is spread over all of them.
inline void interleave(int reps, const std::vector<std::function<void()>>& contenders) {
    const std::size_t n = contenders.size();
    for (int r = 0; r < reps; ++r)
        for (std::size_t k = 0; k < n; ++k) contenders[(static_cast<std::size_t>(r) + k) % n]();
}

// Per-repetition ratios num[i] / (den[i] * scale).
inline Series ratios(const Series& num, const Series& den, double scale = 1) {
    Series out;
    for (std::size_t i = 0; i < num.values.size() && i < den.values.size(); ++i)
        out.add(num.values[i] / (den.values[i] * scale));
    return out;
}

} // namespace bench
