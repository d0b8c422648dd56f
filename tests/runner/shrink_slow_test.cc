// Shrinking a failing --bug run leaves a handful of faults and operations, and
// the scenario it writes still fails the same way.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "runner/scenario.h"
#include "runner/shrink.h"
#include "runner/store.h"
#include "support/faultline_process.h"

namespace faultline::runner {
namespace {

// Shrinks a failing run, checks it is down to a handful of faults and
// operations, then writes it as a scenario, reads it back and runs it: it must
// fail the same way, with the same trace.
void expect_shrinks_to_a_handful(const RunConfig& config) {
    auto original = run(config);
    ASSERT_TRUE(original.has_value());
    ASSERT_EQ(original->verdict, Verdict::invalid) << "the seed no longer fails: pick another";
    const auto shrunk = shrink(config, *original, ShrinkOptions{});
    ASSERT_TRUE(shrunk.has_value()) << shrunk.error().message;
    EXPECT_EQ(shrunk->failing, std::vector<std::string>{"linearizability"});
    EXPECT_LE(shrunk->faults_after, 3u) << shrunk->faults_before << " faults before";
    EXPECT_LT(shrunk->faults_after, shrunk->faults_before);
    EXPECT_LE(shrunk->operations_after, 10) << shrunk->operations_before << " -> " << shrunk->operations_after;
    EXPECT_EQ(shrunk->result.ops.invoked, shrunk->operations_after);

    Scenario scenario;
    scenario.name = "shrunk/test";
    scenario.config = shrunk->config;
    scenario.seeds = {shrunk->config.seed};
    scenario.expect.verdict = Verdict::invalid;
    scenario.expect.failing = shrunk->failing;
    // A folder of this test's own: the shrink tests may run at once (ctest -j).
    const std::string folder = faultline::testing::fresh_folder("shrunk-test");
    ASSERT_FALSE(folder.empty());
    const auto path = std::filesystem::path(folder) / "shrunk.toml";
    ASSERT_TRUE(write_text_file(path.string(), scenario_to_toml(scenario)).has_value());
    auto loaded = load_scenario(path.string());
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    RunConfig replayed = loaded->config;
    replayed.seed = loaded->seeds.at(0);
    auto rerun = run(replayed);
    ASSERT_TRUE(rerun.has_value());
    EXPECT_EQ(rerun->ops.invoked, shrunk->operations_after);
    const ScenarioOutcome outcome = judge(loaded->expect, *rerun);
    EXPECT_TRUE(outcome.as_expected) << outcome.explanation;
    EXPECT_EQ(rerun->trace_hash, shrunk->result.trace_hash) << "the scenario file does not reproduce the shrunk run";
}

// The first failing seeds of the fixed fault mix (--search random).
TEST(Shrink, AnEarlyAckRunShrinksToAHandfulOfFaultsAndOperations) {
    RunConfig config;
    config.bug = "early-ack";
    config.search = "random";
    config.seed = 1;
    expect_shrinks_to_a_handful(config);
}

TEST(Shrink, ANoDedupRunShrinksToAHandfulOfFaultsAndOperations) {
    RunConfig config;
    config.bug = "no-dedup";
    config.search = "random";
    config.seed = 5;
    expect_shrinks_to_a_handful(config);
}

// The budget counts runs, never wall time: cut short, a shrink stops after
// exactly that many runs, at the same smaller run every time, however loaded
// the machine.
TEST(Shrink, TheBudgetCountsRunsSoACutShortShrinkIsTheSameEveryTime) {
    RunConfig config;
    config.bug = "early-ack";
    config.search = "random";
    config.seed = 1;
    auto original = run(config);
    ASSERT_TRUE(original.has_value());
    ASSERT_EQ(original->verdict, Verdict::invalid) << "the seed no longer fails: pick another";
    ShrinkOptions options;
    options.runs_max = 12;
    const auto first = shrink(config, *original, options);
    const auto second = shrink(config, *original, options);
    ASSERT_TRUE(first.has_value() && second.has_value());
    EXPECT_EQ(first->runs, 12);
    EXPECT_TRUE(first->budget_exhausted);
    EXPECT_EQ(second->runs, 12);
    EXPECT_EQ(first->config.to_json(), second->config.to_json());
    EXPECT_EQ(first->result.trace_hash, second->result.trace_hash);
    EXPECT_EQ(first->operations_after, second->operations_after);
}

TEST(Shrink, ARunThatDoesNotFailIsRefused) {
    RunConfig config;
    config.time_limit = seconds(5);
    auto original = run(config);
    ASSERT_TRUE(original.has_value());
    ASSERT_EQ(original->verdict, Verdict::valid);
    EXPECT_FALSE(shrink(config, *original, ShrinkOptions{}).has_value());
}

}  // namespace
}  // namespace faultline::runner
