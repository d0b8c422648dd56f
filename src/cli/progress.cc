#include "cli/progress.h"

#include <fmt/color.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "base/time.h"
#include "cli/terminal.h"

namespace faultline::cli {

bool colour_stdout() {
    return isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
}

std::string eta_text(double fraction, double wall_seconds) {
    if (fraction <= 0 || fraction >= 1 || wall_seconds <= 0) return "";
    const double left = wall_seconds * (1 - fraction) / fraction;
    if (left > 1e7) return "";
    return "about " + format_duration(static_cast<Nanos>(left * 1e9)) + " left";
}

ProgressBar::ProgressBar(std::FILE* out) : out_(out) {
    const char* term = std::getenv("TERM");
    enabled_ = isatty(fileno(out)) && !(term != nullptr && std::string_view(term) == "dumb");
}

ProgressBar::~ProgressBar() {
    clear();
}

void ProgressBar::update(double fraction, std::string_view text) {
    if (!enabled_) return;
    fraction = std::clamp(fraction, 0.0, 1.0);
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(fraction * kWidth + 0.5);
    std::string bar;
    for (int i = 0; i < kWidth; ++i) bar += i < filled ? "█" : "░";
    // Cut to the terminal's width (less the bar), so the line never wraps:
    // a wrapped line could not be redrawn in place.
    const std::size_t columns = terminal_columns().value_or(100);
    std::string shown(text);
    const std::size_t room = columns > kWidth + 10 ? columns - kWidth - 10 : 10;
    if (shown.size() > room) shown.resize(room);
    std::string line =
        fmt::format("\r{} {:3.0f}% {}", fmt::styled(bar, fmt::fg(fmt::terminal_color::cyan)), fraction * 100, shown);
    // Spaces over whatever a longer line left behind.
    line.append(room - shown.size(), ' ');
    std::fputs(line.c_str(), out_);
    std::fflush(out_);
    drawn_ = true;
}

void ProgressBar::clear() {
    if (!enabled_ || !drawn_) return;
    const std::size_t columns = terminal_columns().value_or(100);
    std::fputs(("\r" + std::string(columns > 1 ? columns - 1 : 1, ' ') + "\r").c_str(), out_);
    std::fflush(out_);
    drawn_ = false;
}

}  // namespace faultline::cli
