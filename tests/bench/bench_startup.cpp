// bench_startup - how long each tool takes to start, against `true`.
//
// A script that runs a tool per participant (issue #12: 10,000 households,
// a key and a signature each) pays the program's start-up every time. The
// limit is the cheapest program there is: `true` (the system's /bin/true),
// started the same way in the same run. Each repetition forks and execs
// every program `--runs` times in a row (`true` without arguments, each
// tool with --version, stdout to /dev/null), rotating which program goes
// first, and takes the time per start; the figures are medians over the
// repetitions, wall time and the children's CPU time (user + system, from
// getrusage), which other work on the machine disturbs less. The ratio is
// tool / true; issue #12's target: every tool within 2x.
//
// Usage: bench_startup [--smoke] [--reps N] [--runs N] [BINDIR]. BINDIR
// holds the tools (default: the directory above this program's, where
// CMake puts them); CTest passes it. Exit 70 if a tool does not start or
// does not exit 0.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "harness.hpp"

namespace {

const char* const kTools[] = {"setm-keygen",    "setm-auth", "setm-offer", "setm-request",
                              "setm-negotiate", "setm-mine", "setm-verify"};

struct Program {
    std::string name, path;
    std::vector<std::string> args;
    bench::Series wall_us, cpu_us;
};

double children_cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_CHILDREN, &ru);
    const auto s = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
    };
    return s(ru.ru_utime) + s(ru.ru_stime);
}

// Forks and execs p once; exits 70 if it does not run and exit 0.
void run_once(const Program& p) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(p.path.c_str()));
    for (const std::string& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0) {
        std::perror("bench_startup: fork");
        std::exit(70);
    }
    if (pid == 0) {
        const int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, STDOUT_FILENO);
        execv(argv[0], argv.data());
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "bench_startup: %s did not run and exit 0 (status %d)\n",
                     p.path.c_str(), status);
        std::exit(70);
    }
}

void measure(Program& p, int runs) {
    const double cpu0 = children_cpu_seconds();
    const double wall = bench::seconds([&] {
        for (int i = 0; i < runs; ++i) run_once(p);
    });
    p.wall_us.add(wall / runs * 1e6);
    p.cpu_us.add((children_cpu_seconds() - cpu0) / runs * 1e6);
}

std::string default_bindir(const char* argv0) {
    char self[4096];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    std::string path = n > 0 ? std::string(self, static_cast<std::size_t>(n)) : argv0;
    for (int up = 0; up < 2; ++up) path = path.substr(0, path.rfind('/')); // .../tests/x -> ...
    return path.empty() ? "." : path;
}

std::string true_path() {
    for (const char* p : {"/bin/true", "/usr/bin/true"})
        if (access(p, X_OK) == 0) return p;
    std::fprintf(stderr, "bench_startup: no /bin/true\n");
    std::exit(70);
}

} // namespace

int main(int argc, char** argv) {
    // A last argument that is not an option (nor an option's value) is BINDIR.
    std::string bindir = default_bindir(argv[0]);
    const std::string before_last = argc > 2 ? argv[argc - 2] : "";
    if (argc > 1 && argv[argc - 1][0] != '-' &&
        (before_last.rfind("--", 0) != 0 || before_last == "--smoke"))
        bindir = argv[--argc];
    bench::Options opt("bench_startup", {{"runs", 40}});
    opt.parse(argc, argv);
    const int runs = opt.smoke() ? 2 : static_cast<int>(opt.count("runs"));

    std::vector<Program> progs;
    progs.push_back({"true", true_path(), {}, {}, {}});
    for (const char* t : kTools) progs.push_back({t, bindir + "/" + t, {"--version"}, {}, {}});
    for (Program& p : progs) run_once(p); // warm-up: page cache, and each must run at all

    std::vector<std::function<void()>> contenders;
    for (Program& p : progs) contenders.push_back([&p, runs] { measure(p, runs); });
    bench::interleave(opt.reps(), contenders);

    std::printf("bench_startup: %d starts per program per repetition, %d repetitions, medians\n",
                runs, opt.reps());
    std::printf("%-20s %12s %12s %10s %12s\n", "program", "wall us", "cpu us", "ratio",
                "ratio (cpu)");
    bench::Json json("startup");
    json.flag("smoke", opt.smoke()).num("runs", runs).num("reps", opt.reps());
    double worst = 0, worst_cpu = 0;
    for (const Program& p : progs) {
        const double r = bench::ratios(p.wall_us, progs[0].wall_us).med();
        const double rc = bench::ratios(p.cpu_us, progs[0].cpu_us).med();
        std::printf("%-20s %12.0f %12.0f %10.2f %12.2f\n", p.name.c_str(), p.wall_us.med(),
                    p.cpu_us.med(), r, rc);
        std::string key = p.name;
        std::replace(key.begin(), key.end(), '-', '_');
        json.num((key + "_us").c_str(), p.wall_us.med());
        if (&p == &progs[0]) continue;
        json.num(("ratio_" + key).c_str(), r);
        worst = std::max(worst, r);
        worst_cpu = std::max(worst_cpu, rc);
    }
    std::printf("worst ratio tool / true: %.2f (by CPU time %.2f; target <= 2.00: %s)\n", worst,
                worst_cpu, worst <= 2.0 ? "met" : "MISSED");
    json.num("ratio_worst", worst).num("ratio_worst_cpu_time", worst_cpu).num("target", 2).print();
    return 0;
}
