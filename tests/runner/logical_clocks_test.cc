// logical-clocks as whole runs on reordering, delayed links: Lamport clocks
// meet the clock condition and are not exact, vector clocks are exact, and a
// clock that does not take the maximum on a receive breaks the condition.
#include <gtest/gtest.h>

#include "runner/run.h"

namespace faultline::runner {
namespace {

RunConfig clocks(const char* clock, const char* claim, std::uint64_t seed) {
    RunConfig config;
    config.system = "logical-clocks";
    config.nodes = 4;
    config.time_limit = seconds(4);
    config.recovery = 0;
    config.nemesis = "none";
    config.reorder = 0.5;
    config.reorder_delay = milliseconds(30);
    config.latency = "exponential:5ms,1ms";
    config.seed = seed;
    config.search = "random";
    config.system_options["clock"] = clock;
    config.system_options["claim"] = claim;
    return config;
}

const CheckOutcome& check_named(const RunResult& result, const std::string& name) {
    for (const CheckOutcome& check : result.checks) {
        if (check.name == name) return check;
    }
    ADD_FAILURE() << "no check " << name;
    return result.checks.front();
}

TEST(LogicalClocks, LamportMeetsTheConditionButIsNotExact) {
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        auto result = run(clocks("lamport", "exact", seed), RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(result.has_value()) << result.error().message;
        const CheckOutcome& condition = check_named(*result, "clock-condition");
        EXPECT_EQ(condition.verdict, Verdict::valid) << condition.summary;
        EXPECT_GT(condition.details.at("events").get<int>(), 200);
        const CheckOutcome& exact = check_named(*result, "clock-exactness");
        EXPECT_EQ(exact.verdict, Verdict::invalid) << "seed " << seed;
        EXPECT_NE(exact.summary.find("are concurrent, but one stamp is smaller"), std::string::npos) << exact.summary;
    }
}

TEST(LogicalClocks, LamportByDefaultClaimsOnlyTheCondition) {
    auto result = run(clocks("lamport", "", 1), RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->verdict, Verdict::valid);
    ASSERT_EQ(result->checks.size(), 1u);
    EXPECT_EQ(result->checks[0].name, "clock-condition");
}

TEST(LogicalClocks, VectorClocksAreExact) {
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        auto result = run(clocks("vector", "", seed), RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(result.has_value()) << result.error().message;
        EXPECT_EQ(result->verdict, Verdict::valid) << "seed " << seed;
        EXPECT_EQ(check_named(*result, "clock-exactness").verdict, Verdict::valid);
    }
}

TEST(LogicalClocks, IgnoringTheMessagesStampBreaksTheCondition) {
    for (const char* clock : {"lamport", "vector"}) {
        RunConfig config = clocks(clock, "", 1);
        config.bug = "no-max-on-receive";
        auto result = run(config, RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(result.has_value()) << result.error().message;
        const CheckOutcome& condition = check_named(*result, "clock-condition");
        EXPECT_EQ(condition.verdict, Verdict::invalid) << clock;
        EXPECT_NE(condition.summary.find("happens before"), std::string::npos) << condition.summary;
    }
}

}  // namespace
}  // namespace faultline::runner
