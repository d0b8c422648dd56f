// SWIM nodes in a simulated cluster, watched from outside: a crash is
// suspected, confirmed dead and known everywhere; a suspected member refutes
// with a higher incarnation; a restarted member rejoins; a cut link is routed
// around by the indirect probes; state stays bounded.
#include "protocols/swim/swim.h"

#include <gtest/gtest.h>

#include "sim/simulation.h"

namespace faultline::protocols::swim {
namespace {

struct Cluster {
    sim::Simulation simulation;
    std::vector<NodeId> ids;
    Cluster(int n, SwimOptions options, std::uint64_t seed = 1)
        : simulation(
              sim::SimulationOptions{.seed = seed, .link = {.latency = sim::LatencyModel::constant(milliseconds(5))}}) {
        for (int i = 0; i < n; ++i) {
            ids.push_back(simulation.add_server("n" + std::to_string(i),
                                                [options] { return std::make_unique<SwimNode>(options); }));
        }
        simulation.start();
    }
    SwimNode& node(int i) { return *simulation.node_as<SwimNode>(ids[i]); }
    // How many of the live members other than `member` believe `state` of it.
    int believe(int member, MemberState state) {
        int count = 0;
        for (int i = 0; i < static_cast<int>(ids.size()); ++i) {
            if (i != member && simulation.is_up(ids[i]) && node(i).state_of(ids[member]) == state) ++count;
        }
        return count;
    }
};

TEST(Swim, ACrashedMemberIsDeclaredDeadByEveryOtherWithinTheSuspicionTimeout) {
    for (bool lifeguard : {false, true}) {
        SwimOptions options;
        options.local_health = options.dynamic_suspicion = options.buddy = lifeguard;
        Cluster cluster(8, options);
        cluster.simulation.run_for(seconds(10));
        EXPECT_EQ(cluster.believe(3, MemberState::alive), 7);
        cluster.simulation.crash(cluster.ids[3]);
        // Plain SWIM: a flat 4 s suspicion (4 x max(1, log10 8) x 1 s) after
        // a period or two to notice. Lifeguard: up to 24 s, less with
        // confirmations from independent suspectors.
        cluster.simulation.run_for(lifeguard ? seconds(30) : seconds(12));
        EXPECT_EQ(cluster.believe(3, MemberState::dead), 7) << "lifeguard " << lifeguard;
    }
}

TEST(Swim, ARestartedMemberRefutesItsDeathAndRejoins) {
    Cluster cluster(5, SwimOptions{});
    cluster.simulation.run_for(seconds(5));
    cluster.simulation.crash(cluster.ids[2]);
    cluster.simulation.run_for(seconds(60));
    ASSERT_EQ(cluster.believe(2, MemberState::dead), 4);
    cluster.simulation.restart(cluster.ids[2]);
    cluster.simulation.run_for(seconds(20));
    EXPECT_EQ(cluster.believe(2, MemberState::alive), 4);
    EXPECT_GT(cluster.node(2).incarnation(), 0u);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(cluster.node(2).state_of(cluster.ids[i]), MemberState::alive) << i;
}

TEST(Swim, APausedMemberIsSuspectedAndRefutesWithAHigherIncarnation) {
    Cluster cluster(8, SwimOptions{});
    cluster.simulation.run_for(seconds(5));
    cluster.simulation.pause(cluster.ids[4]);
    cluster.simulation.run_for(seconds(3));
    EXPECT_GT(cluster.believe(4, MemberState::suspect), 0);
    cluster.simulation.resume(cluster.ids[4]);
    cluster.simulation.run_for(seconds(10));
    EXPECT_EQ(cluster.believe(4, MemberState::alive), 7);
    EXPECT_GE(cluster.node(4).incarnation(), 1u);
}

TEST(Swim, IndirectProbesRouteAroundACutLinkAndWithoutThemItIsSuspected) {
    for (int k : {3, 0}) {
        SwimOptions options;
        options.indirect_checks = k;
        Cluster cluster(8, options);
        cluster.simulation.network().block(cluster.ids[0], cluster.ids[1]);
        cluster.simulation.network().block(cluster.ids[1], cluster.ids[0]);
        int suspected = 0;
        for (int step = 0; step < 120; ++step) {
            cluster.simulation.run_for(seconds(1));
            if (cluster.node(0).state_of(cluster.ids[1]) != MemberState::alive) ++suspected;
        }
        if (k == 3) {
            EXPECT_EQ(suspected, 0);
        } else {
            EXPECT_GT(suspected, 0);
        }
        EXPECT_NE(cluster.node(0).state_of(cluster.ids[1]), MemberState::dead) << "k " << k;
    }
}

TEST(Swim, StateStaysBoundedUnderAFloodOfChanges) {
    Cluster cluster(16, SwimOptions{});
    for (int round = 0; round < 5; ++round) {
        for (int i = 0; i < 16; i += 3) cluster.simulation.pause(cluster.ids[i]);
        cluster.simulation.run_for(seconds(4));
        for (int i = 0; i < 16; i += 3) cluster.simulation.resume(cluster.ids[i]);
        cluster.simulation.run_for(seconds(4));
    }
    for (int i = 0; i < 16; ++i) {
        EXPECT_LE(cluster.node(i).queued_updates(), 16u);
        EXPECT_LE(cluster.node(i).relays_pending(), 64u);
        EXPECT_LE(cluster.node(i).health_score(), 7);
    }
}

}  // namespace
}  // namespace faultline::protocols::swim
