// paxos-kv, short: the correct system is valid on seeds of the default fault
// mix, each bug is caught on a known seed by the check that should catch it,
// a seed replays exactly, and contradictory options are refused. The long
// sweeps (200 seeds per bug) are paxos_kv_slow_test.cc.
#include <gtest/gtest.h>

#include <algorithm>

#include "runner/run.h"
#include "runner/sweep.h"

namespace faultline::runner {
namespace {

RunConfig paxos_kv(std::uint64_t seed) {
    RunConfig config;
    config.system = "paxos-kv";
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

TEST(PaxosKv, IsValidOnSeedsOfTheDefaultFaultMix) {
    const SweepResult result = sweep(paxos_kv(1), SweepOptions{1, 24, 2, true}, [](const RunResult& run) {
        for (const char* name : {"linearizability", "one-value-per-slot", "promise-kept"}) {
            const bool checked = std::any_of(run.checks.begin(), run.checks.end(),
                                             [&](const CheckOutcome& check) { return check.name == name; });
            EXPECT_TRUE(checked) << name;
        }
    });
    for (const SweepOutcome& failure : result.failures) {
        ADD_FAILURE() << "seed " << failure.seed << ": " << failure.failed_checks << failure.error;
    }
}

// Seed 1 of the default mix catches both (paxos_kv_slow_test.cc sweeps 200).
TEST(PaxosKv, EachBugIsCaughtOnAKnownSeedByItsCheck) {
    struct Case {
        const char* bug;
        const char* check;
    };
    for (const Case& c :
         {Case{"ignore-accepted", "one-value-per-slot"}, Case{"acceptor-forgets-promise", "promise-kept"}}) {
        RunConfig config = paxos_kv(1);
        config.bug = c.bug;
        auto result = run(config, RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(result.has_value()) << result.error().message;
        const std::vector<std::string> names = failing(*result);
        EXPECT_NE(std::find(names.begin(), names.end(), c.check), names.end()) << c.bug;
        // The correct system passes the very same run.
        auto correct = run(paxos_kv(1), RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(correct.has_value());
        EXPECT_TRUE(failing(*correct).empty()) << c.bug;
    }
}

TEST(PaxosKv, TheSameSeedGivesTheSameRun) {
    auto first = run(paxos_kv(5), RunOptions{.keep_node_logs = false});
    auto second = run(paxos_kv(5), RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(first.has_value() && second.has_value());
    EXPECT_EQ(first->trace_hash, second->trace_hash);
    EXPECT_EQ(first->history.size(), second->history.size());
}

TEST(PaxosKv, RefusesContradictoryOrOutOfRangeOptions) {
    auto refused = [](const char* key, Json value) {
        RunConfig config = paxos_kv(1);
        config.system_options[key] = std::move(value);
        return !run(config, RunOptions{}).has_value();
    };
    EXPECT_TRUE(refused("backoff", "exponential"));
    EXPECT_TRUE(refused("backoff_min_ns", milliseconds(500)));           // above backoff_max
    EXPECT_TRUE(refused("election_timeout_min_ns", milliseconds(400)));  // above election_timeout_max
    EXPECT_TRUE(refused("heartbeat_interval_ns", milliseconds(200)));    // not below the election timeout
    EXPECT_TRUE(refused("backoff_max_ns", 0));                           // below the shortest timer
    EXPECT_FALSE(refused("backoff", "fixed"));
    RunConfig config = paxos_kv(1);
    config.bug = "forget-vote";  // raft-kv's, not ours
    EXPECT_FALSE(run(config, RunOptions{}).has_value());
}

}  // namespace
}  // namespace faultline::runner
