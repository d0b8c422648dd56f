// Partition shapes cut what their names promise.
#include "nemesis/shapes.h"

#include <gtest/gtest.h>

#include <set>

namespace faultline::nemesis {
namespace {

// Who can reach whom (directed) once `links` are cut among `nodes`.
std::set<Link> reachable(const std::vector<Link>& links, int nodes) {
    std::set<Link> cut(links.begin(), links.end());
    std::set<Link> open;
    for (int a = 0; a < nodes; ++a) {
        for (int b = 0; b < nodes; ++b) {
            if (a != b && cut.count({a, b}) == 0) open.insert({a, b});
        }
    }
    return open;
}

std::vector<int> identity(int nodes) {
    std::vector<int> order;
    for (int i = 0; i < nodes; ++i) order.push_back(i);
    return order;
}

bool symmetric(const std::vector<Link>& links) {
    std::set<Link> cut(links.begin(), links.end());
    for (const auto& [a, b] : cut) {
        if (cut.count({b, a}) == 0) return false;
    }
    return true;
}

TEST(PartitionShapes, TwoSidedShapesSplitWhereTheySay) {
    const std::vector<int> order{3, 0, 4, 1, 2};
    struct Case {
        PartitionShape shape;
        std::size_t first_side;
    } cases[] = {{PartitionShape::halves, 2},
                 {PartitionShape::one, 1},
                 {PartitionShape::majority, 3},
                 {PartitionShape::minority_third, 1}};
    for (const Case& c : cases) {
        const auto links = cut_links(c.shape, order, 5);
        EXPECT_TRUE(symmetric(links));
        EXPECT_EQ(links.size(), 2 * c.first_side * (5 - c.first_side)) << partition_shape_name(c.shape);
        const auto open = reachable(links, 5);
        // Within a side everything flows; across, nothing.
        for (std::size_t i = 0; i < 5; ++i) {
            for (std::size_t j = 0; j < 5; ++j) {
                if (i == j) continue;
                const bool same_side = (i < c.first_side) == (j < c.first_side);
                EXPECT_EQ(open.count({order[i], order[j]}) == 1, same_side) << partition_shape_name(c.shape);
            }
        }
    }
}

TEST(PartitionShapes, HalvesOfAnEvenClusterLeaveNoMajority) {
    const auto links = cut_links(PartitionShape::halves, identity(6), 6);
    EXPECT_EQ(links.size(), 2u * 3 * 3);
    const auto majority = cut_links(PartitionShape::majority, identity(6), 6);
    EXPECT_EQ(majority.size(), 2u * 4 * 2);
}

TEST(PartitionShapes, MajoritiesRingGivesEveryNodeADifferentMajority) {
    for (int nodes : {3, 4, 5, 7, 9}) {
        const auto links = cut_links(PartitionShape::majorities_ring, identity(nodes), nodes);
        EXPECT_TRUE(symmetric(links));
        const auto open = reachable(links, nodes);
        std::set<std::set<int>> views;
        for (int a = 0; a < nodes; ++a) {
            std::set<int> view{a};
            for (int b = 0; b < nodes; ++b) {
                if (open.count({a, b}) != 0) view.insert(b);
            }
            EXPECT_GE(static_cast<int>(view.size()), nodes / 2 + 1) << nodes << " nodes: node " << a;
            views.insert(view);
        }
        if (nodes >= 5) {
            EXPECT_EQ(static_cast<int>(views.size()), nodes) << "two nodes share a majority";
        }
    }
}

TEST(PartitionShapes, BridgeTalksToBothHalvesWhichCannotTalk) {
    const std::vector<int> order{2, 0, 1, 3, 4};  // n2 bridges {n0, n1} and {n3, n4}
    const auto open = reachable(cut_links(PartitionShape::bridge, order, 5), 5);
    for (int other : {0, 1, 3, 4}) {
        EXPECT_EQ(open.count({2, other}), 1u);
        EXPECT_EQ(open.count({other, 2}), 1u);
    }
    EXPECT_EQ(open.count({0, 3}), 0u);
    EXPECT_EQ(open.count({4, 1}), 0u);
    EXPECT_EQ(open.count({0, 1}), 1u);
}

TEST(PartitionShapes, OneWayIsOneWay) {
    const std::vector<int> order{4, 0, 1, 2, 3};
    const auto open = reachable(cut_links(PartitionShape::one_way, order, 5), 5);
    for (int other = 0; other < 4; ++other) {
        EXPECT_EQ(open.count({4, other}), 1u) << "n4 can still send";
        EXPECT_EQ(open.count({other, 4}), 0u) << "nothing reaches n4";
    }
}

TEST(PartitionShapes, IsolateLeaderCutsTheLeaderOnlyIfThereIsOne) {
    const auto links = cut_links(PartitionShape::isolate_leader, {}, 5, 3);
    const auto open = reachable(links, 5);
    for (int other : {0, 1, 2, 4}) {
        EXPECT_EQ(open.count({3, other}), 0u);
        EXPECT_EQ(open.count({other, 3}), 0u);
    }
    EXPECT_TRUE(cut_links(PartitionShape::isolate_leader, {}, 5, std::nullopt).empty());
}

}  // namespace
}  // namespace faultline::nemesis
