// The swim system end to end: runs that must fail (no indirect probes under a
// cut link, plain SWIM beside a slow member, no gossip) and their passing
// counterparts, the cost per member that does not grow with N, and the
// configurations it refuses.
#include <gtest/gtest.h>

#include "nemesis/schedule.h"
#include "runner/run.h"

namespace faultline::runner {
namespace {

RunConfig swim_config(int nodes, Nanos time_limit) {
    RunConfig config;
    config.system = "swim";
    config.nodes = nodes;
    config.clients = 0;
    config.recovery = 0;
    config.nemesis = "none";
    config.time_limit = time_limit;
    return config;
}

const CheckOutcome& outcome(const RunResult& result, const std::string& name) {
    for (const CheckOutcome& check : result.checks) {
        if (check.name == name) return check;
    }
    ADD_FAILURE() << "no check " << name;
    return result.checks.front();
}

RunResult must_run(const RunConfig& config) {
    auto result = run(config, RunOptions{.keep_node_logs = false});
    EXPECT_TRUE(result.has_value()) << result.error().message;
    return result ? std::move(*result) : RunResult{};
}

TEST(SwimSystem, ACrashIsKnownToEveryMemberAndNoLiveOneIsDeclaredDead) {
    RunConfig config = swim_config(8, seconds(300));
    config.schedule =
        nemesis::Schedule{
            {nemesis::Fault{
                .kind = nemesis::FaultKind::kill, .start = seconds(60), .duration = seconds(120), .nodes = {3}}}}
            .to_json();
    const RunResult result = must_run(config);
    EXPECT_EQ(result.verdict, Verdict::valid);
    const Json& crashes = outcome(result, "completeness").details["crashes"];
    ASSERT_EQ(crashes.size(), 1u);
    ASSERT_EQ(crashes[0]["detection_ns"].size(), 7u);
    // Detection within memberlist's longest suspicion timeout (24 s at N = 8)
    // and a few periods; never faster than the shortest (4 s).
    for (const Json& t : crashes[0]["detection_ns"]) {
        EXPECT_GE(t.get<Nanos>(), seconds(4));
        EXPECT_LE(t.get<Nanos>(), seconds(34));
    }
}

TEST(SwimSystem, ACutLinkIsSuspectedOnlyWithoutIndirectProbes) {
    RunConfig config = swim_config(8, seconds(600));
    config.system_options = Json{{"cut_link", "0-1"}, {"suspicions_max", 0}};
    EXPECT_EQ(must_run(config).verdict, Verdict::valid);
    config.system_options["indirect_checks"] = 0;
    const RunResult direct = must_run(config);
    EXPECT_EQ(outcome(direct, "accuracy").verdict, Verdict::invalid) << outcome(direct, "accuracy").summary;
    EXPECT_GT(outcome(direct, "accuracy").details["suspicions_of_live"].get<int>(), 0);
}

TEST(SwimSystem, LifeguardKeepsASlowMemberFromKillingHealthyOnes) {
    RunConfig config = swim_config(16, seconds(600));
    config.system_options = Json{{"slow_member", 5}, {"slow_member_latency", "1s"}, {"lifeguard", false}};
    const RunResult plain = must_run(config);
    EXPECT_EQ(outcome(plain, "accuracy").verdict, Verdict::invalid);
    const auto plain_deaths = outcome(plain, "accuracy").details["false_deaths"].get<int>();
    EXPECT_GE(plain_deaths, 5);
    config.system_options["lifeguard"] = true;
    const RunResult lifeguard = must_run(config);
    EXPECT_EQ(outcome(lifeguard, "accuracy").verdict, Verdict::valid) << outcome(lifeguard, "accuracy").summary;
    EXPECT_LT(outcome(lifeguard, "accuracy").details["suspicions_of_live"].get<int>(),
              outcome(plain, "accuracy").details["suspicions_of_live"].get<int>() / 10);
}

TEST(SwimSystem, TheCostPerMemberDoesNotGrowWithTheCluster) {
    double cost8 = 0, cost64 = 0;
    for (int n : {8, 64}) {
        const RunResult result = must_run(swim_config(n, seconds(120)));
        ASSERT_EQ(result.verdict, Verdict::valid);
        (n == 8 ? cost8 : cost64) = outcome(result, "completeness").details["msgs_per_member_second"].get<double>();
    }
    EXPECT_GT(cost8, 1.5);  // a ping and its ack per period, give or take
    EXPECT_LT(cost64, cost8 * 1.2);
    EXPECT_GT(cost64, cost8 * 0.8);
}

TEST(SwimSystem, WithoutGossipTheNewsIsSlowToSpread) {
    RunConfig config = swim_config(32, seconds(300));
    config.schedule =
        nemesis::Schedule{
            {nemesis::Fault{
                .kind = nemesis::FaultKind::kill, .start = seconds(60), .duration = seconds(120), .nodes = {3}}}}
            .to_json();
    config.system_options = Json{{"piggyback_max", 0}, {"detection_time_max_ns", seconds(110)}};
    const RunResult result = must_run(config);
    EXPECT_EQ(outcome(result, "completeness").verdict, Verdict::valid) << outcome(result, "completeness").summary;
    EXPECT_EQ(outcome(result, "dissemination").verdict, Verdict::invalid);
}

TEST(SwimSystem, RefusesWhatItCannotRun) {
    RunConfig config = swim_config(8, seconds(60));
    config.system_options = Json{{"cut_link", "0-9"}};
    auto beyond = run(config);
    ASSERT_FALSE(beyond.has_value());
    EXPECT_NE(beyond.error().message.find("cut_link"), std::string::npos);
    config.system_options = Json{{"probe_timeout_ns", seconds(2)}};
    EXPECT_FALSE(run(config).has_value());
    config.system_options = Json{{"slow_member", 8}};
    EXPECT_FALSE(run(config).has_value());
    config.nodes = 1;
    config.system_options = Json::object();
    EXPECT_FALSE(run(config).has_value());
}

}  // namespace
}  // namespace faultline::runner
