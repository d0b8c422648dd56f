// The Dynamo-style core driven by hand: the ring, quorum reads and writes,
// sloppy quorums with hinted handoff, read repair,
// anti-entropy, and the local-version bug.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "protocols/dynamo/dynamo_server.h"
#include "protocols/quorum/cluster.h"

namespace faultline::protocols::dynamo {
namespace {

using quorum::testing::Cluster;
using quorum::testing::cut_off;

std::vector<NodeId> servers(int n) {
    std::vector<NodeId> ids;
    for (int i = 0; i < n; ++i) ids.emplace_back(static_cast<std::uint32_t>(i));
    return ids;
}

Cluster<DynamoServer> cluster_of(int size, DynamoOptions options) {
    return Cluster<DynamoServer>(size, [options] { return std::make_unique<DynamoServer>(options); });
}

// Home replicas of `key` and the rest, by index.
std::vector<int> preference(int size, std::int64_t key) {
    std::vector<int> order;
    for (NodeId id : Ring(servers(size), DynamoOptions{}.tokens_per_server).preference(key)) {
        order.push_back(static_cast<int>(id.value));
    }
    return order;
}

bool holds(Cluster<DynamoServer>& cluster, int node, std::int64_t key, std::int64_t value) {
    const auto* copy = cluster.node(node).store().find(key);
    return copy != nullptr && copy->value == value;
}

TEST(Ring, EveryServerOnceInAStableOrderAndKeysSpread) {
    const Ring ring(servers(6), 8);
    std::set<std::uint32_t> first;
    for (std::int64_t key = 0; key < 200; ++key) {
        const std::vector<NodeId> order = ring.preference(key);
        ASSERT_EQ(order.size(), 6u);
        EXPECT_EQ(std::set<NodeId>(order.begin(), order.end()).size(), 6u);
        EXPECT_EQ(order, Ring(servers(6), 8).preference(key));  // every node computes the same ring
        first.insert(order.front().value);
    }
    EXPECT_EQ(first.size(), 6u);  // every server is the first home of some key
}

TEST(Dynamo, AQuorumWriteThenAQuorumRead) {
    auto cluster = cluster_of(5, DynamoOptions{});
    const std::vector<int> order = preference(5, 1);
    cluster.request(order[4], kv::KvOp::write, 1, 42);  // coordinated by a node that is not a replica
    cluster.deliver();
    ASSERT_TRUE(cluster.last_reply());
    EXPECT_EQ(cluster.last_reply()->code, 0);
    for (int rank = 0; rank < 3; ++rank) EXPECT_TRUE(holds(cluster, order[rank], 1, 42)) << rank;
    for (int rank = 3; rank < 5; ++rank) EXPECT_EQ(cluster.node(order[rank]).store().find(1), nullptr) << rank;
    cluster.request(order[3], kv::KvOp::read, 1);
    cluster.deliver();
    EXPECT_EQ(cluster.last_reply()->value, 42);
}

TEST(Dynamo, StrictQuorumsWaitForTheHomeReplicas) {
    auto cluster = cluster_of(6, DynamoOptions{});
    const std::vector<int> order = preference(6, 1);
    cluster.request(order[5], kv::KvOp::write, 1, 7);
    cluster.run_for(milliseconds(500), cut_off({order[0], order[1]}));
    EXPECT_TRUE(cluster.replies.empty());  // one home replica of three: no W = 2
}

// Ring of 6, N = 3, R = W = 2: two of the three home replicas are cut off during
// a write; a sloppy quorum takes the next node on the list as a stand-in.
TEST(Dynamo, ASloppyWriteLandsOnAStandInAndIsHandedBack) {
    auto cluster = cluster_of(6, DynamoOptions{.sloppy = true, .anti_entropy_interval = 0});
    const std::vector<int> order = preference(6, 1);
    cluster.request(order[5], kv::KvOp::write, 1, 7);
    cluster.run_for(milliseconds(300), cut_off({order[0], order[1]}));
    ASSERT_TRUE(cluster.last_reply());
    EXPECT_EQ(cluster.last_reply()->code, 0);
    EXPECT_TRUE(holds(cluster, order[2], 1, 7));
    // The stand-in (the fourth on the list) holds it as a hint, not as its own copy.
    EXPECT_EQ(cluster.node(order[3]).store().find(1), nullptr);
    ASSERT_EQ(cluster.node(order[3]).store().hints().size(), 1u);
    EXPECT_FALSE(holds(cluster, order[0], 1, 7));
    // Heal: the hints go back to the home replicas and are dropped.
    cluster.run_for(seconds(2));
    EXPECT_TRUE(holds(cluster, order[0], 1, 7));
    EXPECT_TRUE(holds(cluster, order[1], 1, 7));
    EXPECT_TRUE(cluster.node(order[3]).store().hints().empty());
    EXPECT_TRUE(cluster.node(order[4]).store().hints().empty());
}

TEST(Dynamo, AReadRepairsTheHomeReplicasThatAnsweredOlder) {
    auto cluster = cluster_of(5, DynamoOptions{.anti_entropy_interval = 0});
    const std::vector<int> order = preference(5, 1);
    cluster.request(order[0], kv::KvOp::write, 1, 7);
    cluster.deliver(cut_off({order[2]}));  // the third replica misses the write
    ASSERT_EQ(cluster.last_reply()->code, 0);
    ASSERT_FALSE(holds(cluster, order[2], 1, 7));
    cluster.request(order[3], kv::KvOp::read, 1);
    cluster.deliver();
    EXPECT_EQ(cluster.last_reply()->value, 7);
    EXPECT_TRUE(holds(cluster, order[2], 1, 7));
}

TEST(Dynamo, WithoutReadRepairOrAntiEntropyAMissedWriteStaysMissed) {
    auto cluster = cluster_of(5, DynamoOptions{.read_repair = false, .anti_entropy_interval = 0});
    const std::vector<int> order = preference(5, 1);
    cluster.request(order[0], kv::KvOp::write, 1, 7);
    cluster.deliver(cut_off({order[2]}));
    cluster.request(order[3], kv::KvOp::read, 1);
    cluster.run_for(seconds(3));
    EXPECT_EQ(cluster.last_reply()->value, 7);
    EXPECT_FALSE(holds(cluster, order[2], 1, 7));
}

TEST(Dynamo, AntiEntropyBringsEveryReplicaUpToDate) {
    auto cluster = cluster_of(5, DynamoOptions{.read_repair = false, .anti_entropy_interval = milliseconds(200)});
    const std::vector<int> order = preference(5, 1);
    cluster.request(order[0], kv::KvOp::write, 1, 7);
    cluster.deliver(cut_off({order[2]}));
    ASSERT_FALSE(holds(cluster, order[2], 1, 7));
    cluster.run_for(seconds(3));
    for (int rank = 0; rank < 3; ++rank) EXPECT_TRUE(holds(cluster, order[rank], 1, 7)) << rank;
    // Only the key's replicas take part: the others hold nothing.
    EXPECT_EQ(cluster.node(order[3]).store().find(1), nullptr);
}

// Two writes one after the other: the second coordinated by a node that is not a
// replica (it holds no copy). Correct, it reads the replicas' counter and writes
// above it; with local-version it starts from its own (absent) copy, writes at
// counter 1 again, and loses to the first write.
std::int64_t value_after_two_writes(bool local_version) {
    DynamoOptions options{.anti_entropy_interval = 0};
    options.bugs.local_version = local_version;
    auto cluster = cluster_of(5, options);
    const std::vector<int> order = preference(5, 1);
    cluster.request(order[0], kv::KvOp::write, 1, 10, 1);
    cluster.deliver();
    cluster.request(order[0], kv::KvOp::write, 1, 20, 2);
    cluster.deliver();
    cluster.request(order[4], kv::KvOp::write, 1, 30, 3);
    cluster.deliver();
    EXPECT_EQ(cluster.last_reply()->code, 0);
    cluster.request(order[3], kv::KvOp::read, 1);
    cluster.deliver();
    return cluster.last_reply()->value;
}

TEST(Dynamo, ALaterWriteWinsOverAnEarlierOne) {
    EXPECT_EQ(value_after_two_writes(false), 30);
}

TEST(Dynamo, WithLocalVersionsALaterWriteLoses) {
    EXPECT_EQ(value_after_two_writes(true), 20);
}

TEST(Dynamo, AReplicaKeepsWhatItAcknowledgedAcrossACrash) {
    auto cluster = cluster_of(3, DynamoOptions{.anti_entropy_interval = 0});
    cluster.request(0, kv::KvOp::write, 4, 44);
    cluster.deliver();
    ASSERT_EQ(cluster.last_reply()->code, 0);
    for (int i = 0; i < 3; ++i) {
        cluster.crash(i);
        cluster.restart(i);
    }
    int holding = 0;
    for (int i = 0; i < 3; ++i) holding += holds(cluster, i, 4, 44) ? 1 : 0;
    EXPECT_GE(holding, 2);
}

}  // namespace
}  // namespace faultline::protocols::dynamo
