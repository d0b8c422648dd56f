// The shrinker's edits on their own (runner/shrink_edits.h): each makes a run
// simpler in the one way it names and leaves alone what it cannot.
#include "runner/shrink_edits.h"

#include <gtest/gtest.h>

namespace faultline::runner {
namespace {

using nemesis::Fault;
using nemesis::FaultKind;
using nemesis::PartitionShape;
using nemesis::TargetRole;

Fault kill(int node, Nanos start, Nanos duration) {
    return Fault{.kind = FaultKind::kill, .start = start, .duration = duration, .nodes = {node}};
}

TEST(ShrinkEdits, OverlappingFaultsOfTheSameNodesMergeIntoOneSpanningThem) {
    std::vector<Fault> faults{kill(1, seconds(1), seconds(2)), kill(2, milliseconds(1500), seconds(1)),
                              kill(1, seconds(2), seconds(3)), kill(1, seconds(6), seconds(1))};
    ASSERT_TRUE(merge_overlapping(faults));
    ASSERT_EQ(faults.size(), 3u);
    EXPECT_EQ(faults[0], kill(1, seconds(1), seconds(4))) << "1s..3s and 2s..5s on n1: one kill from 1s to 5s";
    EXPECT_EQ(faults[1], kill(2, milliseconds(1500), seconds(1))) << "another node's kill stays";
    EXPECT_EQ(faults[2], kill(1, seconds(6), seconds(1))) << "a kill after a gap is not merged";
    EXPECT_FALSE(merge_overlapping(faults)) << "nothing overlaps any more";
}

TEST(ShrinkEdits, OverlappingKillsOrPausesOfOtherNodesJoinIntoOneFaultOnAllOfThem) {
    const auto joint = joined(kill(3, seconds(1), seconds(2)), kill(1, seconds(2), seconds(3)));
    ASSERT_TRUE(joint.has_value());
    EXPECT_EQ(joint->kind, FaultKind::kill);
    EXPECT_EQ(joint->nodes, (std::vector<int>{1, 3})) << "both nodes, in order";
    EXPECT_EQ(joint->start, seconds(1)) << "from the first start";
    EXPECT_EQ(joint->end(), seconds(5)) << "to the last end";
    Fault pause_a = kill(0, 0, seconds(2));
    Fault pause_b = kill(2, seconds(1), seconds(2));
    pause_a.kind = pause_b.kind = FaultKind::pause;
    ASSERT_TRUE(joined(pause_a, pause_b).has_value());
    EXPECT_EQ(joined(pause_a, pause_b)->nodes, (std::vector<int>{0, 2}));

    EXPECT_FALSE(joined(kill(1, 0, seconds(1)), kill(2, seconds(2), seconds(1)))) << "apart in time";
    EXPECT_FALSE(joined(kill(1, 0, seconds(2)), kill(1, seconds(1), seconds(2))))
        << "the same node: merge_overlapping's";
    EXPECT_FALSE(joined(kill(1, 0, seconds(2)), pause_b)) << "a kill and a pause";
    Fault aimed = kill(2, seconds(1), seconds(1));
    aimed.nodes.clear();
    aimed.target = TargetRole::leader;
    EXPECT_FALSE(joined(kill(1, 0, seconds(2)), aimed)) << "an aimed fault has no node of its own yet";
    const Fault halves{.kind = FaultKind::partition, .duration = seconds(1), .nodes = {0, 1, 2}};
    EXPECT_FALSE(joined(halves, halves)) << "partitions do not add up node by node";
}

TEST(ShrinkEdits, OnlyCountedFaultsOfTheSameNodesAndShapeHaveTheSameEffect) {
    EXPECT_TRUE(same_effect(kill(1, 0, seconds(1)), kill(1, seconds(5), seconds(1))));
    EXPECT_FALSE(same_effect(kill(1, 0, seconds(1)), kill(2, 0, seconds(1))));
    Fault pause = kill(1, 0, seconds(1));
    pause.kind = FaultKind::pause;
    EXPECT_FALSE(same_effect(kill(1, 0, seconds(1)), pause)) << "a kill and a pause differ";
    Fault aimed = kill(1, 0, seconds(1));
    aimed.nodes.clear();
    aimed.target = TargetRole::leader;
    EXPECT_FALSE(same_effect(aimed, aimed)) << "an aimed fault may strike another node each time";
    const Fault halves{.kind = FaultKind::partition, .duration = seconds(1), .nodes = {0, 1, 2}};
    Fault one = halves;
    one.shape = PartitionShape::one;
    EXPECT_TRUE(same_effect(halves, halves));
    EXPECT_FALSE(same_effect(halves, one)) << "another shape cuts other links";
    const Fault skew{.kind = FaultKind::clock_skew, .duration = seconds(1), .nodes = {1}, .delta = seconds(1)};
    EXPECT_FALSE(same_effect(skew, skew)) << "clock steps add up rather than count";
}

TEST(ShrinkEdits, SimplerVersionsAreEachOneStepSmaller) {
    const Fault fault{.kind = FaultKind::pause, .start = seconds(1), .duration = seconds(2), .nodes = {0, 3}};
    const std::vector<Fault> versions = simpler_versions(fault);
    ASSERT_EQ(versions.size(), 3u);
    EXPECT_EQ(versions[0].nodes, std::vector<int>{3});
    EXPECT_EQ(versions[1].nodes, std::vector<int>{0});
    EXPECT_EQ(versions[2].duration, seconds(1));
    const Fault shortest{.kind = FaultKind::clock_step, .duration = 0, .nodes = {0}, .delta = milliseconds(1)};
    EXPECT_TRUE(simpler_versions(shortest).empty()) << "one node, no duration, the smallest step: nothing simpler";
}

TEST(ShrinkEdits, ASmallerClusterKeepsOnlyTheFaultsThatStillHitSomeone) {
    const std::vector<Fault> faults{kill(4, 0, seconds(1)), kill(1, 0, seconds(1)),
                                    Fault{.kind = FaultKind::partition, .nodes = {4, 0, 3, 1, 2}}};
    const std::vector<Fault> kept = faults_for_nodes(faults, 3);
    ASSERT_EQ(kept.size(), 2u);
    EXPECT_EQ(kept[0], kill(1, 0, seconds(1)));
    EXPECT_EQ(kept[1].nodes, (std::vector<int>{0, 1, 2})) << "the partition reads its order without n3 and n4";
}

TEST(ShrinkEdits, APlainNetworkHasTheMeanLatencyAndNoRandomLinkFaults) {
    RunConfig config;
    config.latency = "uniform:1ms..4ms";
    config.loss = 0.1;
    ASSERT_TRUE(make_network_plain(config));
    EXPECT_EQ(config.latency, "2500us") << "the mean, exactly";
    EXPECT_EQ(config.loss, 0);
    EXPECT_FALSE(make_network_plain(config)) << "plain already";
}

TEST(ShrinkEdits, RatesReadAsAPersonWouldWriteThem) {
    EXPECT_EQ(readable_rate(6.3000000001), 6.3);
    EXPECT_EQ(readable_rate(0.63), 0.63);
    EXPECT_EQ(readable_rate(7.54286), 7.5);
    EXPECT_EQ(readable_rate(123.4), 120);
    EXPECT_EQ(readable_rate(0.01), 0.1) << "not below 0.1 operations per second";
}

}  // namespace
}  // namespace faultline::runner
