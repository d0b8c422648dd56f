// The broadcast levels' cores in scripted runs: the hold-back buffers, the
// majority rule, the sequencer, total order on a Raft log across a leader's
// crash, lazy relaying after a suspicion, and crash-stop. (The delivery checks judge whole runs in tests/runner/.)
#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "protocols/broadcast/broadcast.h"
#include "protocols/broadcast/level_node.h"
#include "sim/simulation.h"
#include "sim/test_nodes.h"

namespace faultline::protocols::broadcast {
namespace {

// Deliveries by node name, in order.
class Deliveries final : public DeliverySink {
  public:
    void broadcast(NodeId, std::int64_t) override {}
    void deliver(NodeId node, NodeId, std::int64_t value) override { by_node[node.value].push_back(value); }
    std::map<std::uint32_t, std::vector<std::int64_t>> by_node;
};

struct Cluster {
    explicit Cluster(Level level, int nodes = 3, sim::LinkConfig link = {})
        : simulation(sim::SimulationOptions{.seed = 1, .link = link}) {
        LevelOptions options;
        options.level = level;
        options.resend_interval = milliseconds(100);
        for (int i = 0; i < nodes; ++i) {
            servers.push_back(simulation.add_server("n" + std::to_string(i),
                                                    [options, this] { return make_level_node(options, &deliveries); }));
        }
        client = simulation.add_client("c0", sim::testing::make_probe);
        simulation.start();
    }
    void broadcast(int server, std::int64_t value) {
        simulation.invoke(client, [&](Node&, Context& ctx) {
            auto request = std::make_shared<BroadcastRequest>();
            request->msg_id = static_cast<std::uint64_t>(value);
            request->value = value;
            ctx.send(servers[static_cast<std::size_t>(server)], request);
        });
    }
    const std::vector<std::int64_t>& at(int server) { return deliveries.by_node[servers[server].value]; }
    void cut(int from, int to) { simulation.network().block(servers[from], servers[to]); }
    void mend(int from, int to) { simulation.network().unblock(servers[from], servers[to]); }

    Deliveries deliveries;
    sim::Simulation simulation;
    std::vector<NodeId> servers;
    NodeId client;
};

// spec/protocols.md scenario 15: n0 broadcasts 1; n1 delivers it and
// broadcasts 2; n2 receives 2 first (n0 -> n2 is cut, and n1's relay of 1 is
// lost until its resend).
std::vector<std::int64_t> reply_overtakes(Level level) {
    Cluster cluster(level);
    cluster.cut(0, 2);
    cluster.cut(1, 2);
    cluster.broadcast(0, 1);
    cluster.simulation.run_for(milliseconds(20));
    EXPECT_EQ(cluster.at(1), (std::vector<std::int64_t>{1}));
    cluster.mend(1, 2);
    cluster.broadcast(1, 2);
    cluster.simulation.run_for(milliseconds(20));
    EXPECT_EQ(cluster.at(2).size(), level == Level::fifo ? 1u : 0u) << "before the resend";
    cluster.mend(0, 2);
    cluster.simulation.run_for(seconds(1));
    return cluster.at(2);
}

TEST(BroadcastLevels, FifoDeliversAReplyBeforeWhatItAnswersCausalHoldsItBack) {
    EXPECT_EQ(reply_overtakes(Level::fifo), (std::vector<std::int64_t>{2, 1}));
    EXPECT_EQ(reply_overtakes(Level::causal), (std::vector<std::int64_t>{1, 2}));
}

TEST(BroadcastLevels, FifoHoldsBackOneOriginsLaterMessage) {
    Cluster cluster(Level::fifo);
    cluster.cut(0, 2);
    cluster.cut(1, 2);
    cluster.broadcast(0, 1);
    cluster.simulation.run_for(milliseconds(20));
    cluster.mend(0, 2);
    cluster.broadcast(0, 2);  // reaches n2 at once; 1 only at the resend
    cluster.simulation.run_for(milliseconds(20));
    EXPECT_TRUE(cluster.at(2).empty());
    cluster.mend(1, 2);
    cluster.simulation.run_for(seconds(1));
    EXPECT_EQ(cluster.at(2), (std::vector<std::int64_t>{1, 2}));
}

TEST(BroadcastLevels, BestEffortNeverRelaysReliableEagerDoes) {
    for (Level level : {Level::best_effort, Level::reliable_eager}) {
        Cluster cluster(level);
        cluster.cut(0, 2);
        cluster.broadcast(0, 1);
        cluster.simulation.run_for(milliseconds(20));
        cluster.simulation.crash(cluster.servers[0]);  // mid-send: n2 never heard from it
        cluster.simulation.run_for(seconds(1));
        EXPECT_EQ(cluster.at(1).size(), 1u);
        EXPECT_EQ(cluster.at(2).size(), level == Level::best_effort ? 0u : 1u) << level_name(level);
    }
}

// The eager levels' relays are their acknowledgements: n(n - 1) messages a
// broadcast, and once every node has relayed, no resend.
TEST(BroadcastLevels, EagerLevelsRelaysAcknowledgeAndStopTheResends) {
    for (Level level : {Level::reliable_eager, Level::uniform, Level::fifo, Level::causal}) {
        Cluster cluster(level, 5);
        cluster.broadcast(0, 1);
        cluster.simulation.run_for(seconds(1));
        EXPECT_EQ(cluster.simulation.stats().server_messages, 20u) << level_name(level);
        for (int node = 0; node < 5; ++node) EXPECT_EQ(cluster.at(node).size(), 1u) << level_name(level);
        // n2 cut off from both: n0 and n1 resend to it until its own relay
        // reaches them.
        Cluster lossy(level, 3);
        lossy.cut(0, 2);
        lossy.cut(1, 2);
        lossy.broadcast(0, 1);
        lossy.simulation.run_for(milliseconds(350));
        EXPECT_GE(lossy.simulation.stats().server_messages, 4u + 2 * 3) << level_name(level) << ": resent while cut";
        lossy.mend(0, 2);
        lossy.mend(1, 2);
        lossy.simulation.run_for(seconds(1));
        const auto settled = lossy.simulation.stats().server_messages;
        lossy.simulation.run_for(seconds(1));
        EXPECT_EQ(lossy.simulation.stats().server_messages, settled) << level_name(level) << ": still resending";
        // n1's relay to n0 is lost, and n1 will not relay again: it answers
        // n0's resent copies with an acknowledgement instead.
        Cluster one_way(level, 3);
        one_way.cut(1, 0);
        one_way.broadcast(0, 1);
        one_way.simulation.run_for(milliseconds(350));
        one_way.mend(1, 0);
        one_way.simulation.run_for(seconds(1));
        const auto quiet = one_way.simulation.stats().server_messages;
        one_way.simulation.run_for(seconds(1));
        EXPECT_EQ(one_way.simulation.stats().server_messages, quiet) << level_name(level) << ": n0 still resending";
    }
}

TEST(BroadcastLevels, ReliableLazyRelaysOnlyOnceTheOriginIsSuspected) {
    Cluster cluster(Level::reliable_lazy);
    cluster.cut(0, 2);
    cluster.broadcast(0, 1);
    cluster.simulation.run_for(milliseconds(300));
    EXPECT_TRUE(cluster.at(2).empty()) << "n0 is alive (its heartbeats reach n1): nobody relays";
    cluster.simulation.crash(cluster.servers[0]);
    cluster.simulation.run_for(milliseconds(300));
    EXPECT_TRUE(cluster.at(2).empty()) << "not suspected yet";
    cluster.simulation.run_for(seconds(1));
    EXPECT_EQ(cluster.at(2), (std::vector<std::int64_t>{1}));
}

TEST(BroadcastLevels, UniformDeliversOnlyWithAMajority) {
    Cluster cluster(Level::uniform, 5);
    // n0 reaches only n1: two holders of five.
    for (int to : {2, 3, 4}) cluster.cut(0, to);
    for (int to : {2, 3, 4}) cluster.cut(1, to);
    cluster.broadcast(0, 1);
    cluster.simulation.run_for(seconds(1));
    EXPECT_TRUE(cluster.at(0).empty());
    EXPECT_TRUE(cluster.at(1).empty());
    cluster.mend(1, 2);  // a third holder: a majority
    cluster.simulation.run_for(seconds(1));
    for (int node : {0, 1, 2}) EXPECT_EQ(cluster.at(node), (std::vector<std::int64_t>{1})) << node;
}

// n1's and n2's relays to the origin are lost, and they relay only once:
// the origin learns they hold its message from their answers to its resends.
TEST(BroadcastLevels, UniformCountsAHolderByItsAcknowledgement) {
    Cluster cluster(Level::uniform);
    cluster.cut(1, 0);
    cluster.cut(2, 0);
    cluster.broadcast(0, 1);
    cluster.simulation.run_for(milliseconds(50));
    EXPECT_TRUE(cluster.at(0).empty());
    cluster.mend(1, 0);
    cluster.mend(2, 0);
    cluster.simulation.run_for(seconds(1));
    EXPECT_EQ(cluster.at(0), (std::vector<std::int64_t>{1}));
}

TEST(BroadcastLevels, TotalOrderDeliversOneSequenceEverywhere) {
    // Reordering links: the sequencer's numbering, not arrival, decides.
    Cluster cluster(Level::total, 4,
                    sim::LinkConfig{.latency = sim::LatencyModel::uniform(0, milliseconds(5)),
                                    .reorder = 0.5,
                                    .reorder_delay = milliseconds(20)});
    for (std::int64_t value = 1; value <= 30; ++value) cluster.broadcast(static_cast<int>(value % 4), value);
    cluster.simulation.run_for(seconds(2));
    ASSERT_EQ(cluster.at(0).size(), 30u);
    for (int node : {1, 2, 3}) EXPECT_EQ(cluster.at(node), cluster.at(0)) << node;
}

TEST(BroadcastLevels, TotalOrderStallsWhenTheSequencerCrashes) {
    Cluster cluster(Level::total);
    cluster.simulation.crash(cluster.servers[0]);
    cluster.broadcast(1, 1);
    cluster.simulation.run_for(seconds(2));
    EXPECT_TRUE(cluster.at(1).empty());
    EXPECT_TRUE(cluster.at(2).empty());
}

// The Raft leader of a cluster whose nodes are level nodes, if one leads.
std::optional<int> raft_leader(Cluster& cluster) {
    std::optional<int> leader;
    for (std::size_t i = 0; i < cluster.servers.size(); ++i) {
        Node* node = cluster.simulation.node(cluster.servers[i]);
        if (node != nullptr && leadership(*node)) leader = static_cast<int>(i);
    }
    return leader;
}

TEST(BroadcastLevels, TotalRaftDeliversOneSequenceEverywhereFromAnyOrigin) {
    Cluster cluster(Level::total_raft, 5,
                    sim::LinkConfig{.latency = sim::LatencyModel::uniform(0, milliseconds(5)),
                                    .reorder = 0.5,
                                    .reorder_delay = milliseconds(20)});
    cluster.simulation.run_for(seconds(2));  // an election
    ASSERT_TRUE(raft_leader(cluster).has_value());
    for (std::int64_t value = 1; value <= 40; ++value) cluster.broadcast(static_cast<int>(value % 5), value);
    cluster.simulation.run_for(seconds(2));
    ASSERT_EQ(cluster.at(0).size(), 40u);
    for (int node : {1, 2, 3, 4}) EXPECT_EQ(cluster.at(node), cluster.at(0)) << node;
}

TEST(BroadcastLevels, TotalRaftGoesOnWhenTheLeaderCrashes) {
    Cluster cluster(Level::total_raft, 5);
    cluster.simulation.run_for(seconds(2));
    const auto leader = raft_leader(cluster);
    ASSERT_TRUE(leader.has_value());
    const int origin = (*leader + 1) % 5;
    cluster.broadcast(origin, 1);
    cluster.simulation.run_for(seconds(1));
    // The leader holds the next message and nobody else: its crash loses it
    // from the log, and the origin must propose it again to the next leader.
    for (int to = 0; to < 5; ++to) {
        if (to != *leader) cluster.cut(*leader, to);
    }
    cluster.broadcast(origin, 2);
    cluster.simulation.run_for(milliseconds(50));
    cluster.simulation.crash(cluster.servers[static_cast<std::size_t>(*leader)]);
    cluster.broadcast(origin, 3);
    cluster.simulation.run_for(seconds(3));
    const auto next = raft_leader(cluster);
    ASSERT_TRUE(next.has_value());
    EXPECT_NE(*next, *leader);
    for (int node = 0; node < 5; ++node) {
        if (node == *leader) continue;
        EXPECT_EQ(cluster.at(node), cluster.at(origin)) << node;
        EXPECT_EQ(cluster.at(node).size(), 3u) << node;
    }
    // The sequencer under the same crash delivers nothing more (validity).
    Cluster sequenced(Level::total, 5);
    sequenced.broadcast(1, 1);
    sequenced.simulation.run_for(seconds(1));
    sequenced.simulation.crash(sequenced.servers[0]);
    sequenced.broadcast(1, 2);
    sequenced.simulation.run_for(seconds(3));
    EXPECT_EQ(sequenced.at(1), (std::vector<std::int64_t>{1}));
}

// Three of five nodes crash and restart, one after another: faulty
// processes now, they deliver nothing, but their Raft members recover from
// disk, so the two correct nodes still have a majority to deliver with.
TEST(BroadcastLevels, TotalRaftsRestartedMembersKeepTheMajority) {
    Cluster cluster(Level::total_raft, 5);
    cluster.simulation.run_for(seconds(2));
    for (int node : {2, 3, 4}) {
        cluster.simulation.crash(cluster.servers[static_cast<std::size_t>(node)]);
        cluster.simulation.run_for(milliseconds(500));
        cluster.simulation.restart(cluster.servers[static_cast<std::size_t>(node)]);
        cluster.simulation.run_for(milliseconds(500));
    }
    cluster.broadcast(0, 1);
    cluster.broadcast(1, 2);
    cluster.simulation.run_for(seconds(3));
    EXPECT_EQ(cluster.at(0).size(), 2u);
    EXPECT_EQ(cluster.at(1), cluster.at(0));
    for (int node : {2, 3, 4}) EXPECT_TRUE(cluster.at(node).empty()) << node;
}

TEST(BroadcastLevels, ARestartedNodeKeepsQuietAndRefusesClients) {
    Cluster cluster(Level::reliable_eager);
    cluster.simulation.crash(cluster.servers[1]);
    cluster.simulation.restart(cluster.servers[1]);
    std::vector<bool> refused;
    auto* probe = cluster.simulation.node_as<sim::testing::ProbeNode>(cluster.client);
    probe->on_receive = [&](Context&, const Envelope& envelope) {
        if (const auto* reply = message_as<BroadcastReply>(*envelope.message)) refused.push_back(reply->refused);
    };
    cluster.broadcast(1, 1);
    cluster.broadcast(0, 2);
    cluster.simulation.run_for(seconds(1));
    EXPECT_EQ(refused, (std::vector<bool>{true, false}));
    EXPECT_TRUE(cluster.at(1).empty());
    EXPECT_EQ(cluster.at(2), (std::vector<std::int64_t>{2}));
}

}  // namespace
}  // namespace faultline::protocols::broadcast
