// Progress while a run or a sweep goes on, and colour in what follows it,
// for a person at a terminal; plain text for everything else.
//
// The bar is one line on stderr, redrawn in place ('\r'), only when stderr is
// a terminal: a CI log or a pipe gets no control codes at all. Colour goes
// to stdout only when stdout is a terminal and NO_COLOR is not set
// (no-color.org). fmt draws the colours; nothing here speaks to the terminal
// beyond a carriage return.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace faultline::cli {

// Whether stdout is a terminal that may be coloured (runner::verdict_text).
bool colour_stdout();

// "about 1m20s left" from how far along a task is and how long it has taken.
std::string eta_text(double fraction, double wall_seconds);

class ProgressBar {
  public:
    // A bar on `out` if it is a terminal; otherwise every call does nothing.
    explicit ProgressBar(std::FILE* out = stderr);
    ~ProgressBar();
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    bool shown() const { return enabled_; }
    // Redraws the bar: `fraction` done (0..1), then `text`.
    void update(double fraction, std::string_view text);
    // Erases the bar, so that other output can take its line.
    void clear();

  private:
    std::FILE* out_;
    bool enabled_ = false;
    bool drawn_ = false;
};

}  // namespace faultline::cli
