// The chain system as whole runs: the scenario pairs' first seeds (a
// partition outlasting k and a majority double-spend revert confirmations,
// a deep k and a minority attacker do not; selfish mining gets a third of
// the power more of the chain, honest mining does not), a seed replays to
// the same trace and figures, and bad settings are refused with a message.
#include <gtest/gtest.h>

#include "runner/broadcast_runs.h"
#include "runner/scenario.h"

namespace faultline::runner {
namespace {

Scenario scenario(const std::string& name) {
    auto scenarios = load_scenarios(std::string(FAULTLINE_SOURCE_DIR) + "/scenarios");
    EXPECT_TRUE(scenarios.has_value());
    for (const Scenario& s : *scenarios) {
        if (s.name == name) return s;
    }
    ADD_FAILURE() << "no scenario " << name;
    return {};
}

const CheckOutcome* check_named(const RunResult& result, const std::string& name) {
    for (const CheckOutcome& check : result.checks) {
        if (check.name == name) return &check;
    }
    return nullptr;
}

RunResult run_scenario(const std::string& name) {
    const Scenario s = scenario(name);
    EXPECT_FALSE(s.seeds.empty()) << name;
    RunConfig config = s.config;
    config.seed = s.seeds.front();
    auto result = run(config, RunOptions{.keep_node_logs = false});
    EXPECT_TRUE(result.has_value()) << name << ": " << result.error().message;
    if (!result) return {};
    const ScenarioOutcome outcome = judge(s.expect, *result);
    EXPECT_TRUE(outcome.as_expected) << name << ": " << outcome.explanation << failures(*result);
    return *result;
}

TEST(Chain, APartitionLongerThanKRevertsConfirmationsAndADeepKKeepsThem) {
    const RunResult naive = run_scenario("chain/partition/naive");
    const CheckOutcome* finality = check_named(naive, "finality");
    ASSERT_NE(finality, nullptr);
    EXPECT_EQ(finality->verdict, Verdict::invalid);
    EXPECT_NE(finality->summary.find("then reverted"), std::string::npos) << finality->summary;
    EXPECT_GE(finality->details["forks"]["reorg_depth_max"].get<int>(), 3);
    const RunResult deep = run_scenario("chain/partition/deep");
    ASSERT_NE(check_named(deep, "finality"), nullptr);
    EXPECT_GT(check_named(deep, "finality")->details["confirmed"].get<int>(), 50);
}

TEST(Chain, AMajorityDoubleSpendRevertsThePaymentForGood) {
    const RunResult majority = run_scenario("chain/double-spend/majority");
    const CheckOutcome* finality = check_named(majority, "finality");
    ASSERT_NE(finality, nullptr);
    EXPECT_NE(finality->summary.find("it is not on the final chain"), std::string::npos) << finality->summary;
    EXPECT_TRUE(finality->details["counterexample"]["on_final_chain_at"].is_null());
    run_scenario("chain/double-spend/minority");
}

TEST(Chain, SelfishMiningGetsAMinorityMoreThanItsShare) {
    const RunResult selfish = run_scenario("chain/selfish/selfish-mining");
    const RunResult honest = run_scenario("chain/selfish/honest");
    const CheckOutcome* unfair = check_named(selfish, "fair-share");
    const CheckOutcome* fair = check_named(honest, "fair-share");
    ASSERT_NE(unfair, nullptr);
    ASSERT_NE(fair, nullptr);
    EXPECT_EQ(unfair->details["node"], "n0");
    EXPECT_GT(unfair->details["share"].get<double>(), 0.38);
    const double honest_share = check_named(honest, "finality")->details["forks"]["shares"]["n0"]["share"];
    EXPECT_NEAR(honest_share, 1.0 / 3, 0.04);
}

RunConfig chain_run(std::uint64_t seed) {
    RunConfig config;
    config.system = "chain";
    config.nodes = 5;
    config.clients = 3;
    config.rate = 20;
    config.time_limit = seconds(10);
    config.recovery = seconds(2);
    config.seed = seed;
    config.nemesis = "partition,kill,pause";
    return config;
}

TEST(Chain, TheSameSeedGivesTheSameTraceVerdictAndFigures) {
    auto first = run(chain_run(5), RunOptions{.keep_node_logs = false});
    auto second = run(chain_run(5), RunOptions{.keep_node_logs = false});
    auto other = run(chain_run(6), RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(first && second && other);
    EXPECT_EQ(first->trace_hash, second->trace_hash);
    EXPECT_EQ(first->verdict, second->verdict);
    ASSERT_NE(check_named(*first, "finality"), nullptr);
    EXPECT_EQ(check_named(*first, "finality")->details, check_named(*second, "finality")->details);
    EXPECT_GT(check_named(*first, "finality")->details["forks"]["mined"].get<int>(), 50);
    EXPECT_NE(first->trace_hash, other->trace_hash);
}

TEST(Chain, BadSettingsAreRefusedWithAMessage) {
    const auto refused = [](std::map<std::string, Json> options, int nodes, const std::string& words) {
        RunConfig config = chain_run(1);
        config.nodes = nodes;
        config.nemesis = "none";
        for (auto& [key, value] : options) config.system_options[key] = value;
        auto status = config.validate();
        ASSERT_FALSE(status.has_value()) << words;
        EXPECT_NE(status.error().message.find(words), std::string::npos) << status.error().message;
    };
    refused({{"shares", "1,2"}}, 3, "2 values for 3 nodes");
    refused({{"shares", "1,x,2"}}, 3, "'x' is not a positive number");
    refused({{"shares", "1,0,2"}}, 3, "'0' is not a positive number");
    refused({{"attacker_power", 0.4}}, 3, "attacker_power needs an attack");
    refused({{"attack", "selfish"}, {"attacker_power", 0.4}, {"shares", "1,1,1"}}, 3, "not both");
    refused({{"attack", "selfish"}}, 1, "an attack needs at least 2 nodes");
    refused({{"confirmations", 0}}, 3, "confirmations");
    refused({{"gamma", 1.5}}, 3, "gamma");
    refused({{"attack", "eclipse"}}, 3, "attack");
}

}  // namespace
}  // namespace faultline::runner
