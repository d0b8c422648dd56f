// Shrinking on a short run, quick enough for every build (the first failing
// seeds of the --bug variants are in shrink_slow_test.cc): the result is a
// valid config, no larger than the original, that fails exactly the same
// checks when run again, and the same input gives the same result.
#include "runner/shrink.h"

#include <gtest/gtest.h>

namespace faultline::runner {
namespace {

// An early acknowledgement caught in three seconds of partitions.
RunConfig short_failing_run() {
    RunConfig config;
    config.bug = "early-ack";
    config.seed = 1;
    config.time_limit = seconds(3);
    config.recovery = seconds(1);
    config.nemesis = "partition";
    config.fault_interval = seconds(1);
    config.fault_duration = milliseconds(500);
    return config;
}

TEST(Shrink, AShortRunShrinksToASmallerOneThatFailsTheSameChecks) {
    const RunConfig config = short_failing_run();
    auto original = run(config);
    ASSERT_TRUE(original.has_value());
    const std::vector<std::string> failing = failing_checks(*original);
    ASSERT_EQ(failing, std::vector<std::string>{"linearizability"}) << "the seed no longer fails so: pick another";
    ShrinkOptions options;
    options.runs_max = 30;
    const auto shrunk = shrink(config, *original, options);
    ASSERT_TRUE(shrunk.has_value()) << shrunk.error().message;
    EXPECT_EQ(shrunk->failing, failing);
    EXPECT_EQ(shrunk->runs, 30);
    EXPECT_TRUE(shrunk->budget_exhausted);
    EXPECT_EQ(shrunk->faults_before, original->schedule.faults.size());
    EXPECT_EQ(shrunk->operations_before, original->ops.invoked);
    EXPECT_LE(shrunk->faults_after, shrunk->faults_before);
    EXPECT_LT(shrunk->operations_after, shrunk->operations_before);
    EXPECT_LT(shrunk->config.time_limit, config.time_limit);

    ASSERT_TRUE(shrunk->config.validate().has_value());
    auto rerun = run(shrunk->config);
    ASSERT_TRUE(rerun.has_value());
    EXPECT_EQ(failing_checks(*rerun), failing);
    EXPECT_EQ(rerun->trace_hash, shrunk->result.trace_hash);
    EXPECT_EQ(rerun->ops.invoked, shrunk->operations_after);
    EXPECT_EQ(rerun->schedule.faults.size(), shrunk->faults_after);
}

TEST(Shrink, TheSameShortRunShrinksTheSameWayTwice) {
    const RunConfig config = short_failing_run();
    auto original = run(config);
    ASSERT_TRUE(original.has_value());
    ShrinkOptions options;
    options.runs_max = 30;
    std::vector<std::string> first_progress;
    options.progress = [&first_progress](const std::string& line) { first_progress.push_back(line); };
    const auto first = shrink(config, *original, options);
    std::vector<std::string> second_progress;
    options.progress = [&second_progress](const std::string& line) { second_progress.push_back(line); };
    const auto second = shrink(config, *original, options);
    ASSERT_TRUE(first.has_value() && second.has_value());
    EXPECT_EQ(first->config.to_json(), second->config.to_json());
    EXPECT_EQ(first->result.trace_hash, second->result.trace_hash);
    EXPECT_EQ(first_progress, second_progress);
    EXPECT_FALSE(first_progress.empty());
}

TEST(Shrink, ARunThatDoesNotFailIsRefused) {
    RunConfig config;
    config.time_limit = seconds(5);
    auto original = run(config);
    ASSERT_TRUE(original.has_value());
    ASSERT_EQ(original->verdict, Verdict::valid);
    const auto shrunk = shrink(config, *original, ShrinkOptions{});
    ASSERT_FALSE(shrunk.has_value());
    EXPECT_NE(shrunk.error().message.find("did not fail"), std::string::npos) << shrunk.error().message;
}

}  // namespace
}  // namespace faultline::runner
