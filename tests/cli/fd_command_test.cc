// `faultline fd` from the outside: a small sweep prints its table with the
// knee and writes result.json and report.html into the store; bad input is
// one line and exit code 3.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/faultline_process.h"

namespace {

namespace fs = std::filesystem;
using faultline::testing::fresh_folder;
using faultline::testing::run_faultline;

TEST(FdCommand, SweepsPrintsTheKneeAndWritesTheResultAndTheReport) {
    const std::string folder = fresh_folder("fd");
    const auto outcome = run_faultline(
        "fd --detector phi --param threshold --values 1,2,4,8,12 --seeds 3 --time-limit 30min --jobs 2", "", folder);
    ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_NE(outcome.output.find("<- knee"), std::string::npos) << outcome.output;
    EXPECT_NE(outcome.output.find("knee         threshold"), std::string::npos) << outcome.output;
    std::string result_dir;
    for (const auto& entry : fs::directory_iterator(fs::path(folder) / "store/fd")) result_dir = entry.path().string();
    ASSERT_FALSE(result_dir.empty());
    std::ifstream json(result_dir + "/result.json");
    std::stringstream text;
    text << json.rdbuf();
    EXPECT_NE(text.str().find("\"knee\""), std::string::npos);
    EXPECT_TRUE(fs::exists(result_dir + "/report.html"));
}

TEST(FdCommand, BadInputIsOneLineAndExitCodeThree) {
    for (const std::string arguments :
         {"fd --detector gossip", "fd --detector phi --param timeout", "fd --values 3..x", "fd --loss 2",
          "fd --time-limit 10s", "fd --nemesis partition", "fd --detector ping --param timeout --values 10ms,2s",
          "fd --seeds 0", "fd --time-limit 5min --crash-duration 4min"}) {
        const auto outcome = run_faultline(arguments, "", fresh_folder("fd"));
        EXPECT_EQ(outcome.exit_code, 3) << arguments << ": " << outcome.output;
        EXPECT_EQ(outcome.output.rfind("faultline: ", 0), 0u) << arguments << ": " << outcome.output;
        EXPECT_EQ(std::count(outcome.output.begin(), outcome.output.end(), '\n'), 1)
            << arguments << ": " << outcome.output;
    }
}

}  // namespace
