// Schedules as data, their swarm generation, and the nemesis playing them.
#include "nemesis/nemesis.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "nemesis/generator.h"
#include "runtime/simulation_runtime.h"
#include "sim/test_nodes.h"

namespace faultline::nemesis {
namespace {

TEST(FaultKinds, ParseNamesGroupsAndErrors) {
    auto kinds = parse_fault_kinds("partition,clock");
    ASSERT_TRUE(kinds.has_value());
    EXPECT_EQ(kinds->size(), 4u);
    EXPECT_TRUE(parse_fault_kinds("none")->empty());
    EXPECT_EQ(parse_fault_kinds("all")->size(), 12u);  // everything but tamper
    auto bad = parse_fault_kinds("partition,meteor");
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().message.find("meteor"), std::string::npos);
}

TEST(Generator, SameSeedSameScheduleDifferentSeedsDifferentOnes) {
    GeneratorOptions options;
    options.kinds = *parse_fault_kinds("all");
    const Schedule a = generate_schedule(options, 7);
    const Schedule b = generate_schedule(options, 7);
    ASSERT_EQ(a.faults, b.faults);
    EXPECT_NE(a.faults, generate_schedule(options, 8).faults);
    for (const Fault& fault : a.faults) {
        EXPECT_GE(fault.start, 0);
        EXPECT_LE(fault.end(), options.time_limit) << fault.describe();
    }
}

TEST(Generator, SwarmDrawsDifferentIntensitiesPerSeed) {
    GeneratorOptions options;
    options.kinds = {FaultKind::partition};
    std::set<std::size_t> counts;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) counts.insert(generate_schedule(options, seed).faults.size());
    EXPECT_GT(counts.size(), 5u) << "every seed got about the same number of faults";
}

TEST(Schedule, RoundTripsThroughJsonAndRejectsNonsense) {
    GeneratorOptions options;
    options.kinds = *parse_fault_kinds("all");
    const Schedule schedule = generate_schedule(options, 3);
    auto parsed = Schedule::from_json(schedule.to_json(), options.nodes);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(parsed->faults, schedule.faults);
    Json bad = Json::array({Json{{"kind", "kill"}, {"start_ns", 5}, {"duration_ns", 10}, {"nodes", {9}}}});
    auto rejected = Schedule::from_json(bad, 5);
    ASSERT_FALSE(rejected.has_value());
    EXPECT_NE(rejected.error().message.find("fault 1"), std::string::npos);
    EXPECT_FALSE(Schedule::from_json(Json::array({Json{{"kind", "loss"}, {"amount", 3.0}}}), 5).has_value());
}

struct Rig {
    sim::Simulation simulation{sim::SimulationOptions{.seed = 1}};
    runtime::SimulationRuntime runtime{simulation};
    std::vector<NodeId> servers;
    Rig() {
        for (int i = 0; i < 5; ++i)
            servers.push_back(simulation.add_server("n" + std::to_string(i), sim::testing::make_probe));
        simulation.start();
    }
    // Who holds a role: n2 leads; tests set the other roles.
    std::map<TargetRole, int> holders{{TargetRole::leader, 2}};
    Nemesis nemesis(std::vector<Fault> faults) {
        return Nemesis(NemesisTarget{&runtime,
                                     servers,
                                     {},
                                     [this](TargetRole role) -> std::optional<int> {
                                         auto found = holders.find(role);
                                         if (found == holders.end()) return std::nullopt;
                                         return found->second;
                                     }},
                       Schedule{faults});
    }
};

TEST(Nemesis, OverlappingPartitionsComposeAndHealIndependently) {
    Rig rig;
    Fault one{.kind = FaultKind::partition,
              .start = seconds(1),
              .duration = seconds(4),
              .shape = PartitionShape::one,
              .nodes = {0, 1, 2, 3, 4}};
    Fault halves{.kind = FaultKind::partition,
                 .start = seconds(2),
                 .duration = seconds(1),
                 .shape = PartitionShape::halves,
                 .nodes = {0, 1, 2, 3, 4}};
    Nemesis nemesis = rig.nemesis({one, halves});
    nemesis.install();
    auto& network = rig.simulation.network();
    rig.simulation.run_until(milliseconds(2500));
    EXPECT_TRUE(network.blocked(NodeId(0), NodeId(2)));  // both cut it
    EXPECT_TRUE(network.blocked(NodeId(1), NodeId(3)));  // halves cuts it
    rig.simulation.run_until(milliseconds(3500));
    EXPECT_TRUE(network.blocked(NodeId(0), NodeId(2)));  // still cut by `one`
    EXPECT_FALSE(network.blocked(NodeId(1), NodeId(3)));
    rig.simulation.run_until(seconds(6));
    EXPECT_FALSE(network.blocked(NodeId(0), NodeId(2)));
    EXPECT_EQ(nemesis.log().size(), 4u);
}

TEST(Nemesis, KillsPausesAndClocksAreUndoneAtTheEnd) {
    Rig rig;
    Nemesis nemesis = rig.nemesis({
        Fault{.kind = FaultKind::kill, .start = seconds(1), .duration = seconds(2), .nodes = {1}},
        Fault{.kind = FaultKind::pause, .start = seconds(1), .duration = seconds(2), .nodes = {2}},
        Fault{.kind = FaultKind::clock_skew,
              .start = seconds(1),
              .duration = seconds(2),
              .nodes = {3},
              .delta = seconds(7)},
    });
    nemesis.install();
    rig.simulation.run_until(seconds(2));
    EXPECT_FALSE(rig.simulation.is_up(NodeId(1)));
    EXPECT_TRUE(rig.simulation.is_paused(NodeId(2)));
    EXPECT_EQ(rig.simulation.clock(NodeId(3)).offset(seconds(2)), seconds(7));
    rig.simulation.run_until(seconds(4));
    EXPECT_TRUE(rig.simulation.is_up(NodeId(1)));
    EXPECT_FALSE(rig.simulation.is_paused(NodeId(2)));
    EXPECT_EQ(rig.simulation.clock(NodeId(3)).offset(seconds(4)), 0);
}

TEST(Nemesis, OverlappingDriftFaultsOnOneNodeRestoreInAnyOrder) {
    Rig rig;
    // A long drift with a shorter one inside it, then one that outlasts it:
    // whichever ends, the latest still in force applies, then the drift from before.
    Nemesis nemesis = rig.nemesis({
        Fault{.kind = FaultKind::clock_drift,
              .start = seconds(1),
              .duration = seconds(4),
              .nodes = {0},
              .amount = 100000},
        Fault{.kind = FaultKind::clock_drift,
              .start = seconds(2),
              .duration = seconds(1),
              .nodes = {0},
              .amount = -200000},
        Fault{.kind = FaultKind::clock_drift,
              .start = seconds(4),
              .duration = seconds(3),
              .nodes = {0},
              .amount = 300000},
        Fault{.kind = FaultKind::clock_drift,
              .start = seconds(1),
              .duration = seconds(1),
              .amount = 50000},  // no nodes: the leader (n2)
    });
    nemesis.install();
    const auto drift = [&](Nanos at) {
        rig.simulation.run_until(at);
        return rig.simulation.clock(NodeId(0)).drift_ppm();
    };
    EXPECT_EQ(drift(milliseconds(1500)), 100000);
    EXPECT_EQ(rig.simulation.clock(NodeId(2)).drift_ppm(), 50000);
    EXPECT_EQ(drift(milliseconds(2500)), -200000);
    EXPECT_EQ(rig.simulation.clock(NodeId(2)).drift_ppm(), 0);
    EXPECT_EQ(drift(milliseconds(3500)), 100000);
    EXPECT_EQ(drift(milliseconds(4500)), 300000);
    EXPECT_EQ(drift(milliseconds(5500)), 300000);  // the first ended; the third holds
    EXPECT_EQ(drift(milliseconds(7500)), 0);
}

TEST(Nemesis, HealAllEndsEverythingAtOnce) {
    Rig rig;
    Nemesis nemesis = rig.nemesis({
        Fault{.kind = FaultKind::kill, .start = seconds(1), .duration = seconds(60), .nodes = {0, 1}},
        Fault{.kind = FaultKind::loss, .start = seconds(1), .duration = seconds(60), .amount = 0.5},
        Fault{.kind = FaultKind::partition,
              .start = seconds(1),
              .duration = seconds(60),
              .shape = PartitionShape::isolate_leader},
    });
    nemesis.install();
    rig.simulation.run_until(seconds(2));
    EXPECT_EQ(rig.simulation.network().class_config(0).loss, 0.5);
    EXPECT_TRUE(rig.simulation.network().blocked(NodeId(2), NodeId(3)));  // the leader hook says n2
    nemesis.heal_all();
    EXPECT_TRUE(rig.simulation.is_up(NodeId(0)));
    EXPECT_TRUE(rig.simulation.is_up(NodeId(1)));
    EXPECT_EQ(rig.simulation.network().class_config(0).loss, 0.0);
    EXPECT_FALSE(rig.simulation.network().blocked(NodeId(2), NodeId(3)));
    rig.simulation.run_until(seconds(70));  // the scheduled ends find nothing left to do
    EXPECT_TRUE(rig.simulation.is_up(NodeId(0)));
}

TEST(Nemesis, DirectionalLossHitsRequestsOrResponsesOnly) {
    sim::Simulation simulation(sim::SimulationOptions{.seed = 1});
    const NodeId server = simulation.add_server("n0", sim::testing::make_probe);
    const NodeId client = simulation.add_client("c0", sim::testing::make_probe);
    simulation.start();
    runtime::SimulationRuntime runtime(simulation);
    Nemesis nemesis(NemesisTarget{&runtime, {server}, {client}, {}},
                    Schedule{{Fault{.kind = FaultKind::loss,
                                    .start = 0,
                                    .duration = seconds(10),
                                    .amount = 1.0,
                                    .links = LinkSelector::requests}}});
    nemesis.install();
    simulation.run_until(seconds(1));
    EXPECT_EQ(simulation.network().link(client, server).loss, 1.0);
    EXPECT_EQ(simulation.network().link(server, client).loss, 0.0);
    simulation.run_until(seconds(11));
    EXPECT_EQ(simulation.network().link(client, server).loss, 0.0);
}

TEST(Nemesis, ATargetedFaultWaitsForItsRoleThenStrikesItsHolderForItsDuration) {
    Rig rig;
    Nemesis nemesis = rig.nemesis(
        {Fault{.kind = FaultKind::kill, .start = seconds(1), .duration = seconds(2), .target = TargetRole::candidate}});
    rig.simulation.set_step_hook([&] { nemesis.after_step(); });
    nemesis.install();
    rig.simulation.run_until(milliseconds(1500));
    for (NodeId server : rig.servers) EXPECT_TRUE(rig.simulation.is_up(server)) << "no candidate yet: nobody struck";
    rig.holders[TargetRole::candidate] = 3;
    rig.simulation.at(milliseconds(1600), [] {});  // a step after the role appears
    rig.simulation.run_until(milliseconds(1700));
    EXPECT_FALSE(rig.simulation.is_up(NodeId(3)));
    // Down for its duration from the strike (1.6 s), not from its start.
    rig.simulation.run_until(milliseconds(3500));
    EXPECT_FALSE(rig.simulation.is_up(NodeId(3)));
    rig.simulation.run_until(milliseconds(3700));
    EXPECT_TRUE(rig.simulation.is_up(NodeId(3)));
    ASSERT_FALSE(nemesis.log().empty());
    EXPECT_NE(nemesis.log().front().find("kill candidate (n3)"), std::string::npos) << nemesis.log().front();
    EXPECT_NE(nemesis.log().back().find("heal kill n3"), std::string::npos) << nemesis.log().back();
}

TEST(Nemesis, ATargetedFaultWhoseRoleNeverAppearsStrikesNobodyAndSaysSo) {
    Rig rig;
    Nemesis nemesis = rig.nemesis({Fault{
        .kind = FaultKind::pause, .start = seconds(1), .duration = seconds(1), .target = TargetRole::just_voted}});
    rig.simulation.set_step_hook([&] { nemesis.after_step(); });
    nemesis.install();
    rig.simulation.run_until(seconds(3));
    for (NodeId server : rig.servers) EXPECT_FALSE(rig.simulation.is_paused(server));
    ASSERT_EQ(nemesis.log().size(), 1u);
    EXPECT_NE(nemesis.log().front().find("no just-voted arose"), std::string::npos) << nemesis.log().front();
}

TEST(Nemesis, ATargetedPartitionIsolatesTheRolesHolder) {
    Rig rig;
    rig.holders[TargetRole::longest_log] = 4;
    Nemesis nemesis = rig.nemesis({Fault{.kind = FaultKind::partition,
                                         .start = seconds(1),
                                         .duration = seconds(1),
                                         .shape = PartitionShape::one,
                                         .nodes = {0, 1, 2, 3, 4},
                                         .target = TargetRole::longest_log}});
    nemesis.install();
    rig.simulation.run_until(milliseconds(1500));
    auto& network = rig.simulation.network();
    EXPECT_TRUE(network.blocked(NodeId(4), NodeId(0)));
    EXPECT_TRUE(network.blocked(NodeId(1), NodeId(4)));
    EXPECT_FALSE(network.blocked(NodeId(0), NodeId(1)));
    rig.simulation.run_until(milliseconds(2500));
    EXPECT_FALSE(network.blocked(NodeId(4), NodeId(0)));
}

// The schedule as it played names the nodes the aimed faults struck, from when
// they struck, and leaves out an aimed fault that found no one.
TEST(Nemesis, ThePlayedSchedulePinsAimedFaultsOnTheNodesTheyStruck) {
    Rig rig;
    rig.holders[TargetRole::longest_log] = 4;
    const std::vector<Fault> scheduled{
        Fault{.kind = FaultKind::kill, .start = seconds(1), .duration = seconds(1), .target = TargetRole::longest_log},
        Fault{.kind = FaultKind::partition,
              .start = seconds(2),
              .duration = seconds(1),
              .shape = PartitionShape::one,
              .nodes = {0, 1, 2, 3, 4},
              .target = TargetRole::leader},
        Fault{.kind = FaultKind::pause, .start = seconds(3), .duration = seconds(1), .target = TargetRole::just_voted},
        Fault{.kind = FaultKind::slow, .start = seconds(4), .duration = seconds(1), .delta = milliseconds(5)},
        Fault{.kind = FaultKind::pause, .start = seconds(5), .duration = seconds(1), .nodes = {1}},
        Fault{.kind = FaultKind::loss, .start = seconds(6), .duration = seconds(1), .amount = 0.5},
    };
    Nemesis nemesis = rig.nemesis(scheduled);
    rig.simulation.set_step_hook([&] { nemesis.after_step(); });
    nemesis.install();
    rig.simulation.run_until(seconds(8));
    const std::vector<Fault>& played = nemesis.played().faults;
    ASSERT_EQ(played.size(), 5u) << "the pause aimed at a just-voted node struck no one: left out";
    EXPECT_EQ(played[0], (Fault{.kind = FaultKind::kill, .start = seconds(1), .duration = seconds(1), .nodes = {4}}));
    EXPECT_EQ(played[1], (Fault{.kind = FaultKind::partition,
                                .start = seconds(2),
                                .duration = seconds(1),
                                .shape = PartitionShape::one,
                                .nodes = {2, 0, 1, 3, 4}}))
        << "the leader, n2, alone against the others";
    EXPECT_EQ(played[2].nodes, std::vector<int>{2}) << "a slow fault naming no one slows the leader at its start";
    EXPECT_EQ(played[3], scheduled[4]) << "a fault naming its nodes plays as scheduled";
    EXPECT_EQ(played[4], scheduled[5]) << "a network-wide burst names no nodes";
    EXPECT_EQ(nemesis.schedule().faults, scheduled) << "the schedule itself is unchanged";
}

TEST(Generator, DiskFaultsDamageAMinorityOverTheWholeRun) {
    GeneratorOptions options;
    options.kinds = {FaultKind::disk};
    options.interval_mean_max = milliseconds(500);
    std::set<std::set<int>> damaged_sets;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        std::set<int> damaged;
        for (const Fault& fault : generate_schedule(options, seed).faults) {
            damaged.insert(fault.nodes.begin(), fault.nodes.end());
        }
        EXPECT_LE(damaged.size(), 2u) << "seed " << seed << ": a majority of 5 would have no quorum to repair them";
        damaged_sets.insert(damaged);
    }
    EXPECT_GT(damaged_sets.size(), 3u) << "which minority is drawn from the seed";
}

TEST(Generator, TargetingAimsFaultsAtRolesAndClusteringMakesBursts) {
    GeneratorOptions options;
    options.kinds = *parse_fault_kinds("partition,kill,pause,loss");
    options.targeted = 1;
    options.roles = {TargetRole::leader, TargetRole::just_voted};
    options.clustered = true;
    const Schedule schedule = generate_schedule(options, 5);
    int aimed = 0;
    int close_pairs = 0;
    for (std::size_t i = 0; i < schedule.faults.size(); ++i) {
        const Fault& fault = schedule.faults[i];
        if (fault.kind == FaultKind::loss) {
            EXPECT_EQ(fault.target, TargetRole::none) << "a network-wide burst has no target";
        } else {
            EXPECT_NE(fault.target, TargetRole::none) << fault.describe();
            ++aimed;
        }
        if (i > 0 && fault.start - schedule.faults[i - 1].start <= milliseconds(500)) ++close_pairs;
    }
    EXPECT_GT(aimed, 0);
    EXPECT_GT(close_pairs, static_cast<int>(schedule.faults.size()) / 3) << "clustered faults come in bursts";
    auto parsed = Schedule::from_json(schedule.to_json(), options.nodes);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(parsed->faults, schedule.faults);
    // Without targeting or clustering, the schedule is the one drawn before either existed.
    GeneratorOptions plain;
    plain.kinds = options.kinds;
    GeneratorOptions plain_with_roles = plain;
    plain_with_roles.roles = options.roles;  // listed, but a share of 0
    EXPECT_EQ(generate_schedule(plain, 5).faults, generate_schedule(plain_with_roles, 5).faults);
}

TEST(Schedule, TargetsParseAndNonsenseTargetsAreRefused) {
    auto kill = fault_from_json(Json{{"kind", "kill"}, {"start_ns", 1}, {"duration_ns", 5}, {"target", "leader"}}, 3);
    ASSERT_TRUE(kill.has_value()) << kill.error().message;
    EXPECT_EQ(kill->target, TargetRole::leader);
    EXPECT_EQ(fault_to_json(*kill)["target"], "leader");
    auto loss = fault_from_json(Json{{"kind", "loss"}, {"amount", 0.1}, {"target", "leader"}}, 3);
    ASSERT_FALSE(loss.has_value());
    EXPECT_NE(loss.error().message.find("takes no 'target'"), std::string::npos) << loss.error().message;
    auto both = fault_from_json(Json{{"kind", "kill"}, {"nodes", {1}}, {"target", "candidate"}}, 3);
    ASSERT_FALSE(both.has_value());
    EXPECT_NE(both.error().message.find("not both"), std::string::npos) << both.error().message;
    auto unknown = fault_from_json(Json{{"kind", "kill"}, {"target", "the-boss"}}, 3);
    ASSERT_FALSE(unknown.has_value());
    EXPECT_NE(unknown.error().message.find("unknown target 'the-boss'"), std::string::npos);
    auto halves = fault_from_json(
        Json{{"kind", "partition"}, {"shape", "halves"}, {"nodes", {0, 1, 2}}, {"target", "leader"}}, 3);
    ASSERT_FALSE(halves.has_value());
    EXPECT_NE(halves.error().message.find("its shape is 'one'"), std::string::npos) << halves.error().message;
}

}  // namespace
}  // namespace faultline::nemesis
