// abd and dynamo, short: the correct systems are valid on seeds of the default
// fault mix, each bug is caught on a known seed by the check that should catch
// it (and the correct system passes that seed), a seed replays exactly, and
// contradictory options are refused. The long sweeps are quorums_slow_test.cc.
#include <gtest/gtest.h>

#include <algorithm>

#include "runner/run.h"
#include "runner/scenario.h"
#include "runner/sweep.h"

namespace faultline::runner {
namespace {

RunConfig system_named(const char* name, std::uint64_t seed) {
    RunConfig config;
    config.system = name;
    config.seed = seed;
    return config;
}

std::vector<std::string> failing(const RunResult& result) {
    std::vector<std::string> names;
    for (const CheckOutcome& check : result.checks) {
        if (check.verdict == Verdict::invalid) names.push_back(check.name);
    }
    return names;
}

bool has(const std::vector<std::string>& names, const char* name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

void expect_valid_sweep(const char* name, std::uint64_t seeds, std::vector<const char*> checks) {
    const SweepResult result = sweep(system_named(name, 1), SweepOptions{1, seeds, 2, true}, [&](const RunResult& run) {
        for (const char* check : checks) {
            const bool checked = std::any_of(run.checks.begin(), run.checks.end(),
                                             [&](const CheckOutcome& outcome) { return outcome.name == check; });
            EXPECT_TRUE(checked) << check;
        }
    });
    for (const SweepOutcome& failure : result.failures) {
        ADD_FAILURE() << name << " seed " << failure.seed << ": " << failure.failed_checks << failure.error;
    }
}

TEST(Abd, IsValidOnSeedsOfTheDefaultFaultMix) {
    expect_valid_sweep("abd", 12, {"linearizability"});
}

TEST(Dynamo, IsValidOnSeedsOfTheDefaultFaultMix) {
    expect_valid_sweep("dynamo", 12, {"stale-read", "convergence"});
}

struct BugCase {
    const char* system;
    const char* bug;
    std::uint64_t seed;  // the first catching seed of the default mix (BENCHMARKS.md)
    const char* check;
};

TEST(Quorums, EachBugIsCaughtOnAKnownSeedByItsCheck) {
    for (const BugCase& c : {BugCase{"abd", "skip-write-back", 21, "linearizability"},
                             BugCase{"dynamo", "local-version", 1, "stale-read"}}) {
        RunConfig config = system_named(c.system, c.seed);
        config.bug = c.bug;
        auto result = run(config, RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(result.has_value()) << result.error().message;
        EXPECT_TRUE(has(failing(*result), c.check)) << c.bug << " seed " << c.seed;
        auto correct = run(system_named(c.system, c.seed), RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(correct.has_value());
        EXPECT_TRUE(failing(*correct).empty()) << c.bug << " seed " << c.seed;
    }
}

TEST(Quorums, TheSameSeedGivesTheSameRun) {
    for (const char* name : {"abd", "dynamo"}) {
        auto first = run(system_named(name, 5), RunOptions{.keep_node_logs = false});
        auto second = run(system_named(name, 5), RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(first.has_value() && second.has_value());
        EXPECT_EQ(first->trace_hash, second->trace_hash) << name;
        EXPECT_EQ(first->history.size(), second->history.size()) << name;
    }
}

TEST(Dynamo, RQuorumsThatMissWQuorumsReadStale) {
    // n = 5, N = 5, R = W = 2 under partitions: a read of two replicas misses a
    // write two others acknowledged.
    RunConfig config = system_named("dynamo", 2);
    config.nodes = 5;
    config.system_options["replicas"] = 5;
    config.system_options["read_quorum"] = 2;
    config.system_options["write_quorum"] = 2;
    auto result = run(config, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_TRUE(has(failing(*result), "stale-read"));
    config.system_options["read_quorum"] = 3;
    config.system_options["write_quorum"] = 3;
    auto majority = run(config, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(majority.has_value());
    EXPECT_FALSE(has(failing(*majority), "stale-read"));
}

// quorums/sloppy/handoff expects its stale reads (what sloppy quorums give up);
// what it must also show is that handoff brings the writes home.
TEST(Dynamo, SloppyWritesAreHandedBackAndTheReplicasConverge) {
    auto scenario = load_scenario(std::string(FAULTLINE_SOURCE_DIR) + "/scenarios/quorums/sloppy/handoff.toml");
    ASSERT_TRUE(scenario.has_value()) << scenario.error().message;
    for (std::uint64_t seed : scenario->seeds) {
        RunConfig config = scenario->config;
        config.seed = seed;
        auto result = run(config, RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(result.has_value()) << result.error().message;
        const std::vector<std::string> names = failing(*result);
        EXPECT_TRUE(has(names, "stale-read")) << seed;
        EXPECT_FALSE(has(names, "convergence")) << seed;
    }
}

TEST(Quorums, RefuseContradictoryOrOutOfRangeOptions) {
    auto refused = [](const char* name, const char* key, Json value, int nodes = 5) {
        RunConfig config = system_named(name, 1);
        config.nodes = nodes;
        config.system_options[key] = std::move(value);
        return !run(config, RunOptions{}).has_value();
    };
    EXPECT_TRUE(refused("dynamo", "replicas", 6));                     // more than the nodes
    EXPECT_TRUE(refused("dynamo", "replicas", 0));                     // below the range
    EXPECT_TRUE(refused("dynamo", "read_quorum", 4));                  // above N = 3
    EXPECT_TRUE(refused("dynamo", "write_quorum", 17));                // above the range
    EXPECT_TRUE(refused("dynamo", "anti_entropy_interval_ns", 1000));  // neither off nor a timer
    EXPECT_TRUE(refused("dynamo", "keys", 0));
    EXPECT_TRUE(refused("abd", "resend_interval_ns", 0));
    EXPECT_FALSE(refused("dynamo", "anti_entropy_interval_ns", 0));
    RunConfig abd = system_named("abd", 1);
    abd.bug = "local-version";  // dynamo's, not abd's
    EXPECT_FALSE(run(abd, RunOptions{}).has_value());
}

}  // namespace
}  // namespace faultline::runner
