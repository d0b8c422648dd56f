// Shrinking the first failing seed of each --bug variant leaves a run small
// enough to read (at most 5 faults and 20 client operations) that fails the
// same check, the scenario it writes fails the same way, and the same input
// shrinks to the same result every time.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "runner/scenario.h"
#include "runner/shrink.h"
#include "runner/store.h"
#include "support/faultline_process.h"

namespace faultline::runner {
namespace {

struct FirstFailingSeed {
    const char* bug;
    std::uint64_t seed;
    std::vector<std::string> failing;
    // The options that make a sweep catch it (BENCHMARKS.md, "Bug-finding power").
    void (*options)(RunConfig&);
};

void PrintTo(const FirstFailingSeed& first, std::ostream* out) {
    *out << first.bug << " seed " << first.seed;
}

void defaults(RunConfig&) {}

// The bank's seeds (scripts/shrink-bank-mutants.txt) were found by the default search.
void default_search(RunConfig& config) {
    config.search = "default";
}

void forget_vote_options(RunConfig& config) {
    config.system_options["pre_vote"] = false;
    config.nemesis = "kill";
    config.fault_interval = milliseconds(500);
    config.fault_duration = milliseconds(300);
    config.latency = "exponential:20ms,1ms";
}

void commit_old_term_options(RunConfig& config) {
    config.rate = 5;
    config.system_options["pre_vote"] = false;
    config.system_options["check_quorum"] = false;
    config.nemesis = "partition";
    config.fault_interval = milliseconds(500);
    config.fault_duration = seconds(1);
}

RunConfig config_of(const FirstFailingSeed& first) {
    RunConfig config;
    config.bug = first.bug;
    config.seed = first.seed;
    config.search = "random";  // the fault mix these seeds were found under
    first.options(config);
    return config;
}

// Writes the shrunk run as a scenario, reads it back and runs it: it must fail
// the same way, with the same trace.
void expect_scenario_reproduces(const ShrinkResult& shrunk) {
    Scenario scenario;
    scenario.name = "shrunk/test";
    scenario.config = shrunk.config;
    scenario.seeds = {shrunk.config.seed};
    scenario.expect.verdict = Verdict::invalid;
    scenario.expect.failing = shrunk.failing;
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
    EXPECT_EQ(failing_checks(*rerun), shrunk.failing);
    EXPECT_EQ(rerun->ops.invoked, shrunk.operations_after);
    const ScenarioOutcome outcome = judge(loaded->expect, *rerun);
    EXPECT_TRUE(outcome.as_expected) << outcome.explanation;
    EXPECT_EQ(rerun->trace_hash, shrunk.result.trace_hash) << "the scenario file does not reproduce the shrunk run";
}

class ShrinkFirstFailingSeed : public ::testing::TestWithParam<FirstFailingSeed> {};

// The targets of the shrinker: at most 5 faults and 20 client operations
// within the default budget, failing exactly the checks the original failed.
TEST_P(ShrinkFirstFailingSeed, ShrinksToAtMostFiveFaultsAndTwentyOperations) {
    const RunConfig config = config_of(GetParam());
    auto original = run(config);
    ASSERT_TRUE(original.has_value());
    ASSERT_EQ(failing_checks(*original), GetParam().failing) << "the seed no longer fails so: pick another";
    const auto shrunk = shrink(config, *original, ShrinkOptions{});
    ASSERT_TRUE(shrunk.has_value()) << shrunk.error().message;
    EXPECT_EQ(shrunk->failing, GetParam().failing);
    EXPECT_EQ(failing_checks(shrunk->result), GetParam().failing);
    EXPECT_LE(shrunk->faults_after, 5u) << shrunk->faults_before << " faults before";
    EXPECT_LE(shrunk->operations_after, 20) << shrunk->operations_before << " operations before";
    EXPECT_EQ(shrunk->result.ops.invoked, shrunk->operations_after);
    EXPECT_LE(shrunk->runs, ShrinkOptions{}.runs_max);
    EXPECT_TRUE(shrunk->config.validate().has_value());
    expect_scenario_reproduces(*shrunk);
}

INSTANTIATE_TEST_SUITE_P(
    Bugs, ShrinkFirstFailingSeed,
    ::testing::Values(FirstFailingSeed{"early-ack", 1, {"linearizability"}, defaults},
                      FirstFailingSeed{"no-dedup", 1, {"linearizability"}, defaults},
                      FirstFailingSeed{"stale-read", 271, {"linearizability"}, defaults},
                      FirstFailingSeed{"forget-vote", 1, {"one-vote-per-term"}, forget_vote_options},
                      FirstFailingSeed{"commit-old-term", 47, {"leader-completeness"}, commit_old_term_options},
                      // A snapshot comes after 2,000 entries: these shrink only
                      // once the shrinker lowers the threshold (scale_downs).
                      FirstFailingSeed{"sessions-not-in-snapshot", 3, {"replica-state-agreement"}, default_search},
                      FirstFailingSeed{"snapshot-before-apply", 3, {"replica-state-agreement"}, default_search},
                      FirstFailingSeed{"recover-without-snapshot", 3, {"replica-state-agreement"}, default_search},
                      // Needs a new leader that serves a read before its first
                      // commit: several aimed kills, which shrink once pinned
                      // on the nodes they struck and merged where they overlap.
                      FirstFailingSeed{"read-before-term-commit", 12, {"linearizability"}, default_search},
                      // Figure 8 of the Raft paper: four leader changes in
                      // order. Shrinking the 60 s run gets stuck at a longer
                      // chain of pauses; a small run found by search does not.
                      FirstFailingSeed{"commit-old-term", 50, {"leader-completeness"}, default_search},
                      // Two of its faults are fault-point crashes, which the
                      // shrinker plays as scheduled kills to shrink further.
                      FirstFailingSeed{"match-from-rejection", 5, {"state-machine-safety"}, default_search}),
    [](const ::testing::TestParamInfo<FirstFailingSeed>& info) {
        std::string name = info.param.bug;
        std::erase(name, '-');
        return name + std::to_string(info.param.seed);
    });

// The same input shrinks to the same run, in the same number of runs: the
// budget counts runs and the shrinker's draws come from the run's seed. The
// stale read of seed 271 goes through every kind of step (focused draws, a
// plain network, thinner workloads, ddmin over faults and operations).
TEST(Shrink, TheSameFailingRunShrinksToTheSameResultEveryTime) {
    const RunConfig config = config_of(FirstFailingSeed{"stale-read", 271, {"linearizability"}, defaults});
    auto original = run(config);
    ASSERT_TRUE(original.has_value());
    ASSERT_EQ(original->verdict, Verdict::invalid) << "the seed no longer fails: pick another";
    ShrinkOptions options;
    options.runs_max = 800;
    const auto first = shrink(config, *original, options);
    const auto second = shrink(config, *original, options);
    ASSERT_TRUE(first.has_value() && second.has_value());
    EXPECT_EQ(first->runs, second->runs);
    EXPECT_EQ(first->config.to_json(), second->config.to_json());
    EXPECT_EQ(first->result.trace_hash, second->result.trace_hash);
    EXPECT_EQ(first->operations_after, second->operations_after);
    EXPECT_EQ(first->faults_after, second->faults_after);
    EXPECT_LT(first->operations_after, first->operations_before / 10);
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

}  // namespace
}  // namespace faultline::runner
