// The broadcast levels over many seeds: each keeps its own guarantee under
// the faults of faulty_run (loss, duplication, reordering, a partition, a
// crash) on seeds 1..20, and the separating scenarios give their verdicts on
// seeds 1..10 (the catalog lists three).
#include <gtest/gtest.h>

#include "runner/broadcast_runs.h"
#include "runner/scenario.h"

namespace faultline::runner {
namespace {

TEST(BroadcastLevelsSweep, EachLevelKeepsItsGuaranteeOnTwentySeeds) {
    for (const char* level : kLevels) {
        for (std::uint64_t seed = 1; seed <= 20; ++seed) {
            auto result = run(faulty_run(level, seed), RunOptions{.keep_node_logs = false});
            ASSERT_TRUE(result.has_value()) << result.error().message;
            EXPECT_EQ(result->verdict, Verdict::valid)
                << level << " seed " << seed << failures(*result) << "\n  repro: " << result->config.command_line();
        }
    }
}

TEST(BroadcastLevelsSweep, TheSeparatingScenariosHoldOnTenSeeds) {
    auto scenarios = load_scenarios(std::string(FAULTLINE_SOURCE_DIR) + "/scenarios/broadcast");
    ASSERT_TRUE(scenarios.has_value()) << scenarios.error().message;
    for (const Scenario& scenario : *scenarios) {
        for (std::uint64_t seed = 1; seed <= 10; ++seed) {
            RunConfig config = scenario.config;
            config.seed = seed;
            auto result = run(config, RunOptions{.keep_node_logs = false});
            ASSERT_TRUE(result.has_value()) << scenario.name << ": " << result.error().message;
            const ScenarioOutcome outcome = judge(scenario.expect, *result);
            EXPECT_TRUE(outcome.as_expected) << scenario.name << " seed " << seed << ": " << outcome.explanation;
        }
    }
}

}  // namespace
}  // namespace faultline::runner
