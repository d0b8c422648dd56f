#include "cli/terminal.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace faultline::cli {

std::optional<std::size_t> terminal_columns() {
    if (isatty(STDOUT_FILENO)) {
        winsize size{};
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    }
    if (const char* columns = std::getenv("COLUMNS")) {
        std::size_t value = 0;
        const char* end = columns + std::strlen(columns);
        if (std::from_chars(columns, end, value).ptr == end && value > 0) return value;
    }
    return std::nullopt;
}

std::string wrap_text(std::string_view text, std::size_t width, std::size_t indent) {
    std::string out;
    std::size_t column = indent;  // the first line starts after what the caller printed
    bool line_empty = true;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find(' ', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view word = text.substr(start, end - start);
        start = end + 1;
        if (word.empty()) continue;
        if (!line_empty && column + 1 + word.size() > width) {
            out += '\n';
            out.append(indent, ' ');
            column = indent;
            line_empty = true;
        }
        if (!line_empty) {
            out += ' ';
            ++column;
        }
        out += word;
        column += word.size();
        line_empty = false;
    }
    return out;
}

}  // namespace faultline::cli
