// The clock-sync and truetime systems end to end: the runs that must fail
// (a naive estimate, NTP over asymmetric routes held to 10 ms, commits without
// commit wait) and the runs that must pass.
#include <gtest/gtest.h>

#include "runner/run.h"

namespace faultline::runner {
namespace {

RunConfig clock_config(const std::string& system, int nodes, Nanos time_limit, Json options) {
    RunConfig config;
    config.system = system;
    config.nodes = nodes;
    config.clients = 0;
    config.recovery = 0;
    config.nemesis = "none";
    config.time_limit = time_limit;
    config.system_options = std::move(options);
    return config;
}

std::vector<std::string> failing(const RunConfig& config) {
    auto result = run(config, RunOptions{.keep_node_logs = false});
    EXPECT_TRUE(result.has_value()) << result.error().message;
    std::vector<std::string> names;
    if (!result) return names;
    for (const CheckOutcome& check : result->checks) {
        if (check.verdict == Verdict::invalid) names.push_back(check.name);
    }
    return names;
}

TEST(ClockSyncSystem, NtpHoldsItsBoundAndReachesItOverAnAsymmetricRoute) {
    const Json asymmetric{{"latency_to_reference", "1ms"}, {"latency_from_reference", "60ms"}};
    RunConfig symmetric = clock_config("clock-sync", 5, seconds(300), Json{{"method", "ntp"}});
    symmetric.latency = "uniform:10ms..20ms";  // each way: NTP's estimate is off by at most 5 ms
    EXPECT_TRUE(failing(symmetric).empty());
    Json ntp = asymmetric;
    ntp["method"] = "ntp";
    EXPECT_EQ(failing(clock_config("clock-sync", 5, seconds(300), ntp)), std::vector<std::string>{"clock-accuracy"});
    Json naive = asymmetric;
    naive["method"] = "naive";
    EXPECT_EQ(failing(clock_config("clock-sync", 5, seconds(300), naive)),
              (std::vector<std::string>{"offset-bound", "clock-accuracy"}));
}

TEST(TrueTimeSystem, CommitWaitKeepsExternalConsistencyAndItsAbsenceBreaksIt) {
    EXPECT_TRUE(failing(clock_config("truetime", 3, seconds(20), Json{{"epsilon_ns", milliseconds(7)}})).empty());
    EXPECT_EQ(failing(clock_config("truetime", 3, seconds(20),
                                   Json{{"epsilon_ns", milliseconds(7)}, {"commit_wait", false}})),
              std::vector<std::string>{"external-consistency"});
}

TEST(TrueTimeSystem, RefusesTooFewNodes) {
    EXPECT_FALSE(run(clock_config("truetime", 2, seconds(5), Json::object())).has_value());
    EXPECT_FALSE(run(clock_config("clock-sync", 1, seconds(5), Json::object())).has_value());
}

}  // namespace
}  // namespace faultline::runner
