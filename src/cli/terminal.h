// What the terminal can show: its width, and text wrapped to fit it. Output
// that is not a terminal (a pipe, a CI log) is left unwrapped, so lines stay
// whole for grep.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::cli {

// Columns of the terminal stdout is attached to; nullopt when it is not one
// (then $COLUMNS, if set, is taken as the width asked for).
std::optional<std::size_t> terminal_columns();

// Breaks `text` at spaces into lines of at most `width` columns, for text
// printed from column `indent` on: every line after the first starts with
// `indent` spaces. A word longer than a line stands alone on its line.
std::string wrap_text(std::string_view text, std::size_t width, std::size_t indent);

}  // namespace faultline::cli
