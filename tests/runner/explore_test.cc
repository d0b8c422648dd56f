// Coverage-guided search (runner/explore.h): deterministic whatever the jobs,
// it grows a corpus from what runs reach, and it finds a bug that is there.
#include "runner/explore.h"

#include <gtest/gtest.h>

namespace faultline::runner {
namespace {

RunConfig short_config(const std::string& bug = "") {
    RunConfig config;
    config.bug = bug;
    config.time_limit = seconds(10);
    config.recovery = seconds(3);
    return config;
}

TEST(Explore, TheSameOptionsGiveTheSameExplorationOnAnyNumberOfJobs) {
    const ExploreOptions one{.runs = 24, .seed = 5, .initial_runs = 6, .jobs = 1, .keep_going = true};
    ExploreOptions two = one;
    two.jobs = 2;
    std::vector<std::uint64_t> hashes_one, hashes_two;
    const ExploreResult a =
        explore(short_config(), one, [&](const RunResult& run) { hashes_one.push_back(run.trace_hash); });
    const ExploreResult b =
        explore(short_config(), two, [&](const RunResult& run) { hashes_two.push_back(run.trace_hash); });
    EXPECT_EQ(a.runs, 24u);
    EXPECT_EQ(a.runs, b.runs);
    EXPECT_EQ(a.corpus, b.corpus);
    EXPECT_EQ(a.features, b.features);
    EXPECT_EQ(hashes_one, hashes_two);
    EXPECT_TRUE(a.failures.empty()) << "correct Raft failed a guided run";
    EXPECT_GT(a.corpus, 1u) << "runs that reach new states join the corpus";
    EXPECT_GT(a.features, 10u);
}

TEST(Explore, ItFindsAKnownBugAndItsRunReplays) {
    std::vector<RunResult> failing;
    const ExploreResult result = explore(short_config("early-ack"), ExploreOptions{.runs = 60, .seed = 1, .jobs = 2},
                                         [&](const RunResult& run) { failing.push_back(run); });
    ASSERT_EQ(result.failures.size(), 1u) << "early-ack was not caught in 60 guided runs";
    ASSERT_EQ(failing.size(), 1u);
    EXPECT_EQ(result.runs, result.failures.front().run) << "it stops at the first failing run";
    // The failure's config carries the schedule it ran: the same run again.
    auto again = run(result.failures.front().config, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(again.has_value()) << again.error().message;
    EXPECT_EQ(again->trace_hash, failing.front().trace_hash);
    EXPECT_EQ(again->verdict, Verdict::invalid);
}

TEST(Explore, OverlappingFaultsAreFeaturesOfTheirOwn) {
    RunResult apart;
    apart.schedule.faults = {
        nemesis::Fault{.kind = nemesis::FaultKind::kill, .start = seconds(1), .duration = seconds(1), .nodes = {0}},
        nemesis::Fault{.kind = nemesis::FaultKind::pause, .start = seconds(5), .duration = seconds(1), .nodes = {1}}};
    RunResult overlapping = apart;
    overlapping.schedule.faults[1].start = milliseconds(1500);
    EXPECT_TRUE(run_features(apart, {}).empty());
    EXPECT_EQ(run_features(overlapping, {}).size(), 1u);
    EXPECT_EQ(run_features(overlapping, {7, 8}).size(), 3u) << "the system's own features come first";
}

}  // namespace
}  // namespace faultline::runner
