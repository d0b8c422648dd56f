// The broadcast levels' cores in scripted runs: the hold-back buffers, the
// majority rule, the sequencer, lazy relaying after a suspicion, and
// crash-stop. (The delivery checks judge whole runs in tests/runner/.)
#include <gtest/gtest.h>

#include <map>

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
