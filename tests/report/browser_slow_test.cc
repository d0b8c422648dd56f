// A report of a long run: over a million messages, every one kept, in a page
// under 30 MB that Chromium draws within 3 s (measured in the page:
// navigation start to the diagram drawn). BENCHMARKS.md has the figures.
#include <gtest/gtest.h>

#include <filesystem>

#include "report/browser.h"
#include "support/faultline_process.h"

namespace faultline::testing {
namespace {

TEST(ReportInBrowserSlow, AMillionMessageRunOpensQuickly) {
    const std::string folder = fresh_folder("report-million");
    ASSERT_FALSE(folder.empty());
    // 20 simulated minutes of the default Raft KV: about 1.3 million messages.
    const Outcome run = run_faultline("test --seed 3 --time-limit 1200 --store '" + folder + "/store'");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    const std::string page = folder + "/store/latest/report.html";
    const auto bytes = std::filesystem::file_size(page);
    EXPECT_LT(bytes, 30u << 20) << bytes;
    const std::vector<std::string> parts = {"#diagram canvas", "#latency-plot svg", "#throughput-plot svg"};
    const PageView view = open_in_browser(page, folder + "/million-messages.png", parts);
    ASSERT_EQ(view.exit_code, 0) << view.output;
    EXPECT_TRUE(view.seen["errors"].empty()) << view.output;
    EXPECT_TRUE(view.seen["requests"].empty()) << view.output;
    for (const std::string& part : parts) EXPECT_TRUE(view.seen["matched"].value(part, false)) << part;
    ASSERT_TRUE(view.seen["renderMs"].is_string()) << view.output;
    EXPECT_LE(std::stod(view.seen["renderMs"].get<std::string>()), 3000) << view.output;
    // Every message is in the page, none cut off.
    EXPECT_NE(run.output.find("messages     1"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace faultline::testing
