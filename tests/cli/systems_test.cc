// `faultline systems` and docs/systems.md: the page is the command's output,
// so a system or an option registered without updating the docs fails here.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/faultline_process.h"

namespace faultline::cli {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(Systems, TheDocsPageIsTheCommandsOutput) {
    const auto outcome = faultline::testing::run_faultline("systems --markdown");
    ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_EQ(outcome.output, read_file(std::string(FAULTLINE_SOURCE_DIR) + "/docs/systems.md"))
        << "docs/systems.md is stale: regenerate it with `faultline systems --markdown > docs/systems.md`";
}

TEST(Systems, EachSystemsHelpShowsItsOwnOptionsOnly) {
    const auto raft = faultline::testing::run_faultline("test --system raft-kv --help");
    const auto detector = faultline::testing::run_faultline("test --system detector --help");
    ASSERT_EQ(raft.exit_code, 0);
    ASSERT_EQ(detector.exit_code, 0);
    EXPECT_NE(raft.output.find("--lease-reads"), std::string::npos);
    EXPECT_EQ(raft.output.find("--phi-threshold"), std::string::npos);
    EXPECT_NE(detector.output.find("--phi-threshold"), std::string::npos);
    EXPECT_EQ(detector.output.find("--lease-reads"), std::string::npos);
    // The common options are everyone's.
    EXPECT_NE(detector.output.find("--time-limit"), std::string::npos);
    EXPECT_NE(raft.output.find("--time-limit"), std::string::npos);
}

TEST(Systems, AnotherSystemsOptionIsRefusedWithItsOwner) {
    const auto outcome = faultline::testing::run_faultline("test --system echo --lease-reads --store /nonexistent");
    EXPECT_EQ(outcome.exit_code, 3);
    EXPECT_NE(outcome.output.find("--lease-reads is an option of raft-kv"), std::string::npos) << outcome.output;
}

// raft-kv and pbft-kv both take --byzantine-behaviour, with other choices: a
// choice only pbft-kv has is a bad value for raft-kv, not pbft-kv's option.
TEST(Systems, AnOwnOptionWithABadValueIsNotSentToAnotherSystem) {
    const auto outcome =
        faultline::testing::run_faultline("test --byzantine-behaviour equivocate --store /nonexistent");
    EXPECT_EQ(outcome.exit_code, 3);
    EXPECT_EQ(outcome.output.find("option of pbft-kv"), std::string::npos) << outcome.output;
    EXPECT_NE(outcome.output.find("forged-append"), std::string::npos) << outcome.output;
}

}  // namespace
}  // namespace faultline::cli
