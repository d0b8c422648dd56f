// Wrapping descriptions to the terminal: no line past the width, every word
// kept in order, continuation lines indented.
#include "cli/terminal.h"

#include <gtest/gtest.h>

#include <sstream>

namespace faultline::cli {
namespace {

TEST(WrapText, NoLineIsWiderThanTheTerminalAndNoWordIsLost) {
    const std::string text =
        "Lease reads that assume perfect clocks (a lease as long as the election timeout, 300 ms) while the "
        "leader's clock runs 45% slow";
    const std::size_t width = 40, indent = 10;
    const std::string wrapped = wrap_text(text, width, indent);
    std::istringstream lines(wrapped);
    std::string line, words;
    bool first = true;
    while (std::getline(lines, line)) {
        const std::size_t shown = first ? indent + line.size() : line.size();
        EXPECT_LE(shown, width) << line;
        if (!first) {
            EXPECT_EQ(line.rfind(std::string(indent, ' '), 0), 0u) << line;
            EXPECT_NE(line[indent], ' ') << line;
        }
        words += (words.empty() ? "" : " ") + line.substr(line.find_first_not_of(' '));
        first = false;
    }
    EXPECT_EQ(words, text);
}

TEST(WrapText, AWordLongerThanALineStandsAlone) {
    EXPECT_EQ(wrap_text("a verylongword b", 12, 4), "a\n    verylongword\n    b");
}

}  // namespace
}  // namespace faultline::cli
