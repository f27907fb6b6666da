// progress.cpp - see progress.hpp.
#include "progress.hpp"

#include <cstdio>

namespace setm {

namespace {

double between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

} // namespace

ProgressMeter::ProgressMeter(ProgressStyle style, ProgressTiming timing)
    : ProgressMeter(
          style, timing, [] { return std::chrono::steady_clock::now(); },
          [](const std::string& s) {
              std::fputs(s.c_str(), stderr);
              std::fflush(stderr);
          }) {}

ProgressMeter::ProgressMeter(ProgressStyle style, ProgressTiming timing, Clock clock, Sink sink)
    : style_(style), timing_(timing), clock_(std::move(clock)), sink_(std::move(sink)) {
    start_ = drawn_at_ = clock_();
}

double ProgressMeter::seconds() const { return between(start_, clock_()); }

void ProgressMeter::update(const std::string& line) {
    if (style_ == ProgressStyle::none) return;
    const auto now = clock_();
    if (between(start_, now) < timing_.delay) return;
    last_ = line;
    pending_ = true;
    const double since = between(drawn_at_, now);
    if (style_ == ProgressStyle::rewrite ? !shown_ || since >= timing_.redraw
                                         : since >= timing_.line_every) {
        drawn_at_ = now;
        draw();
    }
}

void ProgressMeter::draw() {
    if (style_ == ProgressStyle::rewrite)
        sink_("\r" + last_ + " \033[K");
    else
        sink_(last_ + "\n");
    shown_ = true;
    pending_ = false;
}

void ProgressMeter::done() {
    if (style_ == ProgressStyle::none) return;
    if (pending_) draw();
    if (shown_ && style_ == ProgressStyle::rewrite) sink_("\n");
    shown_ = pending_ = false;
    last_.clear();
    start_ = drawn_at_ = clock_();
}

} // namespace setm
