// pbft-kv, short: with one Byzantine replica of four (each behaviour) the KV is
// valid on seeds of the default fault mix; --bug quorum-2f and two colluding
// replicas are caught by the agreement check on known seeds, and the correct
// system passes the very same runs; raft-kv with one Byzantine node is caught;
// a seed replays exactly; contradictory options are refused. The sweeps (100
// seeds, the bugs' bounds) are pbft_kv_slow_test.cc.
#include <gtest/gtest.h>

#include <algorithm>

#include "runner/run.h"
#include "runner/sweep.h"

namespace faultline::runner {
namespace {

// Seeds found by sweeping (each scenario of scenarios/bft/ names its own):
// with no other faults, seed 11 makes n0 (the first primary) Byzantine, and
// seed 1 makes n0 and an odd replica Byzantine.
constexpr std::uint64_t kQuorum2fSeed = 11;
constexpr std::uint64_t kTwoByzantineSeed = 1;
constexpr std::uint64_t kRaftSeed = 1;

RunConfig pbft_kv(std::uint64_t seed) {
    RunConfig config;
    config.system = "pbft-kv";
    config.nodes = 4;
    config.seed = seed;
    // View changes back off (up to 8 x 500 ms): recovery gets 20 s, not 10.
    config.recovery = seconds(20);
    return config;
}

// n0's lies alone, without crashes or partitions.
RunConfig without_other_faults(RunConfig config) {
    config.nemesis = "none";
    config.time_limit = seconds(20);
    return config;
}

std::vector<std::string> failing(const RunResult& result) {
    std::vector<std::string> names;
    for (const CheckOutcome& check : result.checks) {
        if (check.verdict == Verdict::invalid) names.push_back(check.name);
    }
    return names;
}

bool fails(const RunResult& result, const std::string& check) {
    const auto names = failing(result);
    return std::find(names.begin(), names.end(), check) != names.end();
}

TEST(PbftKv, IsValidWithOneByzantineReplicaOfEachBehaviour) {
    for (const char* behaviour : {"silent", "equivocate", "conflicting", "tamper"}) {
        SCOPED_TRACE(behaviour);
        RunConfig config = pbft_kv(1);
        config.system_options["byzantine_behaviour"] = behaviour;
        const SweepResult result = sweep(config, SweepOptions{1, 4, 2, true}, [](const RunResult& run) {
            for (const char* name : {"linearizability", "agreement"}) {
                const bool checked = std::any_of(run.checks.begin(), run.checks.end(),
                                                 [&](const CheckOutcome& check) { return check.name == name; });
                EXPECT_TRUE(checked) << name;
            }
        });
        for (const SweepOutcome& failure : result.failures) {
            ADD_FAILURE() << "seed " << failure.seed << ": " << failure.failed_checks << failure.error;
        }
    }
}

TEST(PbftKv, Quorum2fIsCaughtByAgreementAndCorrectPbftPassesTheSameRun) {
    RunConfig config = without_other_faults(pbft_kv(kQuorum2fSeed));
    config.system_options["byzantine_behaviour"] = "equivocate";
    RunConfig broken = config;
    broken.bug = "quorum-2f";
    auto caught = run(broken, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(caught.has_value()) << caught.error().message;
    EXPECT_TRUE(fails(*caught, "agreement"));
    auto correct = run(config, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(correct.has_value());
    EXPECT_TRUE(failing(*correct).empty());
}

TEST(PbftKv, TwoColludingReplicasOfFourBreakAgreement) {
    RunConfig config = without_other_faults(pbft_kv(kTwoByzantineSeed));
    config.system_options["byzantine"] = 2;
    config.system_options["byzantine_behaviour"] = "equivocate";
    auto result = run(config, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_TRUE(fails(*result, "agreement"));
}

TEST(PbftKv, RaftWithOneByzantineNodeIsCaughtAndWithoutItPasses) {
    RunConfig config;
    config.system = "raft-kv";
    config.seed = kRaftSeed;
    config.system_options["byzantine"] = 1;
    auto broken = run(config, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(broken.has_value()) << broken.error().message;
    EXPECT_FALSE(failing(*broken).empty());
    config.system_options["byzantine"] = 0;
    auto correct = run(config, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(correct.has_value());
    EXPECT_TRUE(failing(*correct).empty());
}

TEST(PbftKv, TheSameSeedGivesTheSameRun) {
    auto first = run(pbft_kv(5), RunOptions{.keep_node_logs = false});
    auto second = run(pbft_kv(5), RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(first.has_value() && second.has_value());
    EXPECT_EQ(first->trace_hash, second->trace_hash);
    EXPECT_EQ(first->history.size(), second->history.size());
}

TEST(PbftKv, RefusesContradictoryOrOutOfRangeOptions) {
    auto refused = [](const char* key, Json value) {
        RunConfig config = pbft_kv(1);
        config.system_options[key] = std::move(value);
        return !run(config, RunOptions{}).has_value();
    };
    EXPECT_TRUE(refused("byzantine", 4));                           // no correct replica left
    EXPECT_TRUE(refused("byzantine", -1));                          // below its range
    EXPECT_TRUE(refused("byzantine_behaviour", "lazy"));            // not a behaviour
    EXPECT_TRUE(refused("log_window", 24));                         // not a multiple of checkpoint_interval
    EXPECT_TRUE(refused("checkpoint_interval", 0));                 // below its range
    EXPECT_TRUE(refused("status_interval_ns", milliseconds(600)));  // not below the view-change timeout
    EXPECT_FALSE(refused("byzantine_behaviour", "silent"));
    RunConfig config = pbft_kv(1);
    config.bug = "forget-vote";  // raft-kv's, not ours
    EXPECT_FALSE(run(config, RunOptions{}).has_value());
    RunConfig raft;
    raft.system_options["byzantine_behaviour"] = "equivocate";  // pbft-kv's, not raft-kv's
    EXPECT_FALSE(run(raft, RunOptions{}).has_value());
}

}  // namespace
}  // namespace faultline::runner
