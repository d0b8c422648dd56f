// The broadcast levels as whole runs: each level keeps its own guarantee
// under loss, duplication, reordering, a partition and a crash; each fails
// the next level's property under the fault that separates the two (the
// scenarios/broadcast/ pairs, first seed of each). Many more seeds: broadcast_levels_slow_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <utility>

#include "runner/broadcast_runs.h"
#include "runner/scenario.h"

namespace faultline::runner {
namespace {

TEST(BroadcastLevels, EachLevelKeepsItsGuaranteeUnderFaults) {
    for (const char* level : kLevels) {
        for (std::uint64_t seed : {1, 2}) {
            auto result = run(faulty_run(level, seed), RunOptions{.keep_node_logs = false});
            ASSERT_TRUE(result.has_value()) << result.error().message;
            EXPECT_EQ(result->verdict, Verdict::valid) << level << " seed " << seed << failures(*result);
            // The checks ran on something: every level delivered.
            EXPECT_GT(result->stats.server_messages, 5000u) << level;
        }
    }
}

TEST(BroadcastLevels, EachLevelsChecksAreItsGuarantee) {
    auto names = [](const char* level, const char* claim) {
        RunConfig config = faulty_run(level, 1);
        config.schedule = Json::array();
        config.time_limit = seconds(1);
        config.recovery = seconds(1);
        config.system_options["claim"] = claim;
        auto result = run(config, RunOptions{.keep_node_logs = false});
        EXPECT_TRUE(result.has_value());
        std::vector<std::string> out;
        for (const CheckOutcome& check : result->checks) out.push_back(check.name);
        return out;
    };
    using V = std::vector<std::string>;
    const V base{"validity", "no-duplication", "no-creation"};
    auto with = [&](V more) {
        V all = base;
        all.insert(all.end(), more.begin(), more.end());
        all.insert(all.end(), {"availability", "liveness"});
        return all;
    };
    EXPECT_EQ(names("best-effort", ""), with({}));
    EXPECT_EQ(names("reliable-eager", ""), with({"agreement"}));
    EXPECT_EQ(names("uniform", ""), with({"agreement", "uniform-agreement"}));
    EXPECT_EQ(names("causal", ""), with({"agreement", "fifo-order", "causal-order"}));
    EXPECT_EQ(names("total", ""), with({"agreement", "total-order"}));
    EXPECT_EQ(names("total-raft", ""), with({"agreement", "total-order"}));
    // A claim replaces the level's own.
    EXPECT_EQ(names("fifo", "causal"), with({"agreement", "fifo-order", "causal-order"}));
}

// The pairs of scenarios/broadcast/: the weaker level fails the named check
// under the separating fault, the stronger passes. Seed 1 of each here; the
// catalog test runs every listed seed.
TEST(BroadcastLevels, EachLevelFailsTheNextLevelsCheckUnderTheSeparatingFault) {
    auto scenarios = load_scenarios(std::string(FAULTLINE_SOURCE_DIR) + "/scenarios/broadcast");
    ASSERT_TRUE(scenarios.has_value()) << scenarios.error().message;
    ASSERT_EQ(scenarios->size(), 13u);
    int invalid = 0;
    for (const Scenario& scenario : *scenarios) {
        RunConfig config = scenario.config;
        config.seed = scenario.seeds.front();
        auto result = run(config, RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(result.has_value()) << scenario.name << ": " << result.error().message;
        const ScenarioOutcome outcome = judge(scenario.expect, *result);
        EXPECT_TRUE(outcome.as_expected) << scenario.name << ": " << outcome.explanation;
        if (scenario.expect.verdict == Verdict::invalid) ++invalid;
    }
    EXPECT_EQ(invalid, 6);
}

// Total order on a Raft log: the same seed gives the same trace and verdict,
// another seed another trace.
TEST(BroadcastLevels, TotalRaftIsDeterministic) {
    auto once = [](std::uint64_t seed) {
        auto result = run(faulty_run("total-raft", seed), RunOptions{.keep_node_logs = false});
        EXPECT_TRUE(result.has_value());
        return std::make_pair(result->trace_hash, result->verdict);
    };
    const auto first = once(3);
    EXPECT_EQ(once(3), first);
    EXPECT_NE(once(4).first, first.first);
}

// The leader's crash separates the two total orders: the sequencer (n0,
// the leader the fault aims at) stalls and fails validity; Raft elects
// another leader and passes. Both the same fault, aimed at the leader.
TEST(BroadcastLevels, TheLeadersCrashStallsTheSequencerNotTheRaftLog) {
    auto leader_crash = [](const char* level) {
        RunConfig config = faulty_run(level, 5);
        Json kill{{"kind", "kill"},
                  {"target", "leader"},
                  {"start_ns", seconds(3)},
                  {"duration_ns", seconds(9)},
                  {"nodes", Json::array()}};
        config.schedule = Json::array({kill});
        auto result = run(config, RunOptions{.keep_node_logs = false});
        EXPECT_TRUE(result.has_value());
        std::map<std::string, Verdict> verdicts;
        for (const CheckOutcome& check : result->checks) verdicts[check.name] = check.verdict;
        return verdicts;
    };
    const auto sequencer = leader_crash("total");
    EXPECT_EQ(sequencer.at("validity"), Verdict::invalid);
    const auto raft = leader_crash("total-raft");
    for (const auto& [name, verdict] : raft) EXPECT_EQ(verdict, Verdict::valid) << name;
    EXPECT_EQ(raft.at("total-order"), Verdict::valid);
}

}  // namespace
}  // namespace faultline::runner
