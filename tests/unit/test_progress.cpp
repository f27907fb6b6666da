#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "progress.hpp"

using namespace setm;

namespace {

// A meter on a clock the test moves, writing into a string.
struct Fake {
    std::shared_ptr<std::chrono::steady_clock::time_point> now =
        std::make_shared<std::chrono::steady_clock::time_point>();
    std::shared_ptr<std::string> out = std::make_shared<std::string>();
    ProgressMeter meter;

    explicit Fake(ProgressStyle style, ProgressTiming timing = {})
        : meter(
              style, timing, [now = now] { return *now; },
              [out = out](const std::string& s) { *out += s; }) {}

    void wait(double seconds) {
        *now += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(seconds));
    }
};

} // namespace

TEST_CASE("progress: none writes nothing, whatever happens") {
    Fake f(ProgressStyle::none);
    CHECK_FALSE(f.meter.active());
    for (int i = 0; i < 10; ++i) {
        f.wait(5);
        f.meter.update("step " + std::to_string(i));
    }
    f.meter.done();
    CHECK(f.out->empty());
}

TEST_CASE("progress: rewrite draws the first state at once, then at most every redraw seconds") {
    Fake f(ProgressStyle::rewrite);
    CHECK(f.meter.active());
    f.meter.update("a");
    CHECK(*f.out == "\ra \033[K");
    f.wait(0.05);
    f.meter.update("b"); // too soon: not drawn
    CHECK(*f.out == "\ra \033[K");
    f.wait(0.06);
    f.meter.update("c");
    CHECK(*f.out == "\ra \033[K\rc \033[K");
    f.wait(0.01);
    f.meter.update("d");
    f.meter.done(); // the last state stays on its line
    CHECK(*f.out == "\ra \033[K\rc \033[K\rd \033[K\n");
}

TEST_CASE("progress: lines under TERM=dumb, one every few seconds, the last state at the end") {
    Fake f(ProgressStyle::lines);
    f.meter.update("0 s"); // a line only once line_every seconds have passed
    CHECK(f.out->empty());
    f.wait(1.5);
    f.meter.update("1.5 s");
    CHECK(f.out->empty());
    f.wait(1.5);
    f.meter.update("3 s");
    CHECK(*f.out == "3 s\n");
    f.wait(1);
    f.meter.update("4 s");
    f.wait(2);
    f.meter.update("6 s");
    CHECK(*f.out == "3 s\n6 s\n");
    f.meter.done(); // nothing new since the last line
    CHECK(*f.out == "3 s\n6 s\n");
    CHECK(f.out->find('\033') == std::string::npos);
    CHECK(f.out->find('\r') == std::string::npos);
}

TEST_CASE("progress: a short search under TERM=dumb prints its last state once") {
    Fake f(ProgressStyle::lines);
    f.meter.update("first");
    f.wait(0.5);
    f.meter.update("last");
    f.meter.done();
    CHECK(*f.out == "last\n");
}

TEST_CASE("progress: delay keeps a short run silent, in both styles") {
    for (ProgressStyle style : {ProgressStyle::rewrite, ProgressStyle::lines}) {
        ProgressTiming t;
        t.delay = 0.2;
        Fake f(style, t);
        f.meter.update("block 0");
        f.wait(0.1);
        f.meter.update("block 1");
        f.meter.done();
        CHECK(f.out->empty());
    }
    ProgressTiming t;
    t.delay = 0.2;
    Fake f(ProgressStyle::rewrite, t);
    f.wait(0.3);
    f.meter.update("block 9");
    f.meter.done();
    CHECK(*f.out == "\rblock 9 \033[K\n");
}

TEST_CASE("progress: done() starts afresh, so a second search shows its own line") {
    Fake f(ProgressStyle::rewrite);
    f.meter.update("first search");
    f.meter.done();
    f.meter.done(); // nothing shown since: no empty line
    f.wait(2);
    CHECK(f.meter.seconds() == Approx(2));
    f.meter.update("second search");
    f.meter.done();
    CHECK(*f.out == "\rfirst search \033[K\n\rsecond search \033[K\n");
    CHECK(f.meter.seconds() == 0);
}
