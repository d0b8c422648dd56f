// Gossip and the CRDTs as whole runs: the scenario pairs' first seeds (the
// naive side fails the named check, the robust side passes), every CRDT type
// under both deliveries through partitions, duplication and reordering, and
// the bugs refused without the setting their code needs. More seeds and
// sizes: gossip_crdt_slow_test.cc.
#include <gtest/gtest.h>

#include <algorithm>

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

// The catalog's pairs on their first seed: each gives its expected verdict.
TEST(GossipCrdt, ScenarioPairsGiveTheirVerdicts) {
    for (const char* name :
         {"gossip/lossy/naive", "gossip/lossy/push-pull", "gossip/partition/naive", "gossip/partition/anti-entropy",
          "crdt/duplicated-increments/naive", "crdt/duplicated-increments/op", "crdt/concurrent-remove/naive",
          "crdt/concurrent-remove/or-set"}) {
        const Scenario s = scenario(name);
        ASSERT_FALSE(s.seeds.empty()) << name;
        RunConfig config = s.config;
        config.seed = s.seeds.front();
        auto result = run(config, RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(result.has_value()) << name << ": " << result.error().message;
        const ScenarioOutcome outcome = judge(s.expect, *result);
        EXPECT_TRUE(outcome.as_expected) << name << ": " << outcome.explanation << failures(*result);
    }
}

RunConfig crdt_run(const std::string& type, const std::string& delivery, std::uint64_t seed) {
    RunConfig config;
    config.system = "crdt";
    config.nodes = 4;
    config.clients = 4;
    config.rate = 50;
    config.time_limit = seconds(6);
    config.recovery = seconds(2);
    config.seed = seed;
    config.search = "random";  // the load and faults as written, not a swarm's
    config.nemesis = "partition";
    config.fault_interval = seconds(2);
    config.fault_duration = seconds(1);
    config.duplicate = 0.1;
    config.reorder = 0.3;
    config.system_options["type"] = type;
    config.system_options["delivery"] = delivery;
    return config;
}

// spec/protocols.md scenario 32: four replicas of each type, random
// partitions, duplicated and reordered messages; both checks hold.
TEST(GossipCrdt, EveryTypeConvergesUnderEitherDelivery) {
    for (const char* type : {"g-counter", "pn-counter", "or-set", "lww-register"}) {
        for (const char* delivery : {"state", "op"}) {
            auto result = run(crdt_run(type, delivery, 1), RunOptions{.keep_node_logs = false});
            ASSERT_TRUE(result.has_value()) << result.error().message;
            EXPECT_EQ(result->verdict, Verdict::valid) << type << " " << delivery << failures(*result);
            const CheckOutcome* strong = check_named(*result, "strong-convergence");
            ASSERT_NE(strong, nullptr);
            // The checks judged something: many states, many sets of updates.
            EXPECT_GT(strong->details.at("versions").get<int>(), 100) << type << " " << delivery;
        }
    }
}

TEST(GossipCrdt, TheNaiveReplicasFailUnderTheSameRuns) {
    RunConfig sum = crdt_run("pn-counter", "op", 1);
    sum.bug = "sum-deltas";
    auto summed = run(sum, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(summed.has_value());
    EXPECT_EQ(check_named(*summed, "eventual-convergence")->verdict, Verdict::invalid) << failures(*summed);
    EXPECT_EQ(check_named(*summed, "strong-convergence")->verdict, Verdict::invalid) << failures(*summed);

    RunConfig remove = crdt_run("or-set", "op", 1);
    remove.bug = "remove-deletes";
    auto removed = run(remove, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(removed.has_value());
    EXPECT_EQ(removed->verdict, Verdict::invalid) << failures(*removed);
}

TEST(GossipCrdt, BugsAreRefusedWithoutTheirSettings) {
    RunConfig config = crdt_run("g-counter", "state", 1);
    config.bug = "sum-deltas";
    auto refused = run(config, RunOptions{.keep_node_logs = false});
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().message.find("needs --delivery op"), std::string::npos) << refused.error().message;
    config.system_options["delivery"] = "op";
    config.system_options["type"] = "or-set";
    EXPECT_FALSE(run(config, RunOptions{.keep_node_logs = false}).has_value());
    config.bug = "remove-deletes";
    EXPECT_TRUE(run(config, RunOptions{.keep_node_logs = false}).has_value());
}

// The gossip checks report the figures they judge: rounds against the
// bound, coverage, and the cost per rumour.
TEST(GossipCrdt, GossipReportsRoundsCoverageAndCost) {
    RunConfig config;
    config.system = "gossip";
    config.nodes = 32;
    config.clients = 2;
    config.rate = 5;
    config.time_limit = seconds(5);
    config.recovery = seconds(2);
    config.nemesis = "none";
    config.search = "random";
    config.system_options["fanout"] = 2;
    auto result = run(config, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->verdict, Verdict::valid) << failures(*result);
    const CheckOutcome* rounds = check_named(*result, "gossip-rounds");
    ASSERT_NE(rounds, nullptr);
    EXPECT_GE(rounds->details.at("rumours_timed").get<int>(), 15);
    EXPECT_LE(rounds->details.at("median_rounds").get<double>(), rounds->details.at("bound_rounds").get<double>());
    EXPECT_GE(rounds->details.at("median_rounds").get<double>(), 2);  // 32 nodes are not reached in one round
    EXPECT_EQ(rounds->details.at("coverage").get<double>(), 1.0);
    // Each of the 32 nodes passes a rumour on while it is hot: fan-out 2,
    // push-pull, 10 hot rounds.
    EXPECT_GT(rounds->details.at("median_copies_per_rumour").get<double>(), 31);
    EXPECT_LT(rounds->details.at("median_copies_per_rumour").get<double>(), 32 * 2 * 2 * 10);
}

}  // namespace
}  // namespace faultline::runner
