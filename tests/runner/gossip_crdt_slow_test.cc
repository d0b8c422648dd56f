// Gossip and the CRDTs over many seeds. spec/protocols.md scenario 17: 100
// nodes, 10% loss, 5 crashed, push gossip without anti-entropy at fan-out
// 1, 2, 3 and 5: coverage and rounds, with at least 99.9% of the live nodes
// covered at fan-out 3 and more. Scenario 32: every CRDT type under either
// delivery stays valid on 20 seeds of the default search (swarm workloads,
// priority schedules) with every fault but kill, and each bug is caught within 5.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "runner/broadcast_runs.h"
#include "runner/sweep.h"

namespace faultline::runner {
namespace {

const CheckOutcome& check_named(const RunResult& result, const std::string& name) {
    for (const CheckOutcome& check : result.checks) {
        if (check.name == name) return check;
    }
    ADD_FAILURE() << "no check " << name;
    return result.checks.front();
}

RunConfig scenario_17(int fanout, std::uint64_t seed) {
    RunConfig config;
    config.system = "gossip";
    config.nodes = 100;
    config.clients = 5;
    config.rate = 10;
    config.time_limit = seconds(10);
    config.recovery = seconds(3);
    config.search = "random";
    config.seed = seed;
    config.system_options["mode"] = "push";
    config.system_options["fanout"] = fanout;
    config.system_options["anti_entropy_interval_ns"] = 0;
    auto fault = [](const char* kind) {
        return Json{{"kind", kind}, {"start_ns", 0}, {"duration_ns", seconds(10)}, {"nodes", Json::array()}};
    };
    Json loss = fault("loss");
    loss["amount"] = 0.1;
    Json kill = fault("kill");
    kill["nodes"] = {95, 96, 97, 98, 99};
    config.schedule = Json::array({loss, kill});
    return config;
}

TEST(GossipCrdtSlow, Scenario17CoverageRisesWithTheFanout) {
    std::map<int, double> coverage;
    for (int fanout : {1, 2, 3, 5}) {
        double sum = 0;
        const int seeds = 10;
        for (int seed = 1; seed <= seeds; ++seed) {
            auto result =
                run(scenario_17(fanout, static_cast<std::uint64_t>(seed)), RunOptions{.keep_node_logs = false});
            ASSERT_TRUE(result.has_value()) << result.error().message;
            const CheckOutcome& rounds = check_named(*result, "gossip-rounds");
            sum += rounds.details.at("coverage").get<double>();
            if (fanout >= 3) {
                EXPECT_EQ(rounds.verdict, Verdict::valid) << fanout << " seed " << seed << rounds.summary;
            }
        }
        coverage[fanout] = sum / seeds;
        std::printf("fan-out %d: mean coverage %.5f\n", fanout, coverage[fanout]);
    }
    EXPECT_GE(coverage[3], 0.999);
    EXPECT_GE(coverage[5], 0.999);
    EXPECT_LT(coverage[1], coverage[3]);
}

TEST(GossipCrdtSlow, EveryCrdtStaysValidUnderTheDefaultSearch) {
    for (const char* type : {"g-counter", "pn-counter", "or-set", "lww-register"}) {
        for (const char* delivery : {"state", "op"}) {
            RunConfig config;
            config.system = "crdt";
            config.nodes = 4;
            config.time_limit = seconds(10);
            // Every fault but kill: replicas are crash-stop, and a seed that
            // kills every replica in turn leaves none to serve or converge.
            config.nemesis = "partition,pause,clock,network";
            config.system_options["type"] = type;
            config.system_options["delivery"] = delivery;
            const SweepResult result = sweep(config, SweepOptions{1, 20, 2, false}, [](const RunResult&) {});
            EXPECT_TRUE(result.failures.empty())
                << type << " " << delivery << ": seed " << result.failures.front().seed << " "
                << result.failures.front().failed_checks << result.failures.front().error;
        }
    }
}

TEST(GossipCrdtSlow, EachBugIsCaughtWithinFiveSeeds) {
    for (const auto& [bug, type] : {std::pair{"sum-deltas", "pn-counter"}, std::pair{"remove-deletes", "or-set"}}) {
        RunConfig config;
        config.system = "crdt";
        config.nodes = 4;
        config.time_limit = seconds(10);
        config.duplicate = 0.05;
        config.nemesis = "partition,pause,clock,network";
        config.bug = bug;
        config.system_options["type"] = type;
        config.system_options["delivery"] = "op";
        const SweepResult result = sweep(config, SweepOptions{1, 5, 2, false}, [](const RunResult&) {});
        EXPECT_FALSE(result.failures.empty()) << bug;
    }
}

}  // namespace
}  // namespace faultline::runner
