// progress.hpp - a progress line on a terminal, for a person waiting on a
// long proof of work or replay. One home for every tool's meter: when a line
// is drawn, how it is drawn (rewritten in place, or plain lines on a dumb
// terminal) and how it ends. Nothing here decides whether anyone watches:
// the tool picks the style (tools/tool.hpp, progress_style()).
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace setm {

enum class ProgressStyle {
    none,    // nobody watches (not a terminal, --quiet): nothing is written
    rewrite, // one line rewritten in place ("\r", erase to the end of the line)
    lines,   // TERM=dumb: plain lines, one every few seconds, no escape codes
};

struct ProgressTiming {
    double delay = 0;      // seconds before anything is shown (short runs stay silent)
    double redraw = 0.1;   // rewrite: seconds between two draws
    double line_every = 3; // lines: seconds between two lines
};

class ProgressMeter {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;
    using Sink = std::function<void(const std::string&)>;

    // Writes to standard error on the steady clock.
    explicit ProgressMeter(ProgressStyle style, ProgressTiming timing = {});
    // For tests: another clock and another sink.
    ProgressMeter(ProgressStyle style, ProgressTiming timing, Clock clock, Sink sink);

    bool active() const { return style_ != ProgressStyle::none; }
    // Seconds since the start (or the last done()).
    double seconds() const;
    // The state now, as one line without a newline; drawn if it is time.
    void update(const std::string& line);
    // Ends the current line: rewrite keeps the last state on its line and
    // moves on; lines prints the last state if it was not printed yet. Then
    // the meter starts afresh (a second search shows a line of its own).
    void done();

private:
    void draw();

    ProgressStyle style_;
    ProgressTiming timing_;
    Clock clock_;
    Sink sink_;
    std::chrono::steady_clock::time_point start_, drawn_at_;
    std::string last_;
    bool shown_ = false;   // something of this line is on the screen
    bool pending_ = false; // last_ is newer than what is shown
};

} // namespace setm
