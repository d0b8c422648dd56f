// Broadcast: a value cut off by a partition is lost without resending, and
// reaches every node once the partition heals with it.
#include "protocols/broadcast/broadcast.h"

#include <gtest/gtest.h>

#include "sim/simulation.h"
#include "sim/test_nodes.h"

namespace faultline::protocols::broadcast {
namespace {

// Three nodes in a line (the tree: n0 is n1's and n2's parent), a value added
// at n1 while n1 is cut off, then the partition healed.
std::vector<std::size_t> known_after_heal(Nanos resend_interval) {
    sim::Simulation simulation{sim::SimulationOptions{.seed = 1}};
    std::vector<NodeId> servers;
    for (const char* name : {"n0", "n1", "n2"}) {
        servers.push_back(simulation.add_server(
            name, [resend_interval] { return std::make_unique<BroadcastNode>(Topology::tree, resend_interval); }));
    }
    const NodeId client = simulation.add_client("c0", sim::testing::make_probe);
    simulation.start();
    simulation.network().partition({{servers[1]}, {servers[0], servers[2], client}});
    simulation.network().unblock(client, servers[1]);
    simulation.invoke(client, [&](Node&, Context& ctx) {
        auto request = std::make_shared<BroadcastRequest>();
        request->msg_id = 1;
        request->value = 7;
        ctx.send(servers[1], request);
    });
    simulation.run_for(seconds(1));
    simulation.network().heal();
    simulation.run_for(seconds(1));
    std::vector<std::size_t> known;
    for (NodeId server : servers) known.push_back(simulation.node_as<BroadcastNode>(server)->values().size());
    return known;
}

TEST(BroadcastNode, ResendingDeliversAValueCutOffByAPartition) {
    EXPECT_EQ(known_after_heal(0), (std::vector<std::size_t>{0, 1, 0}));
    EXPECT_EQ(known_after_heal(milliseconds(100)), (std::vector<std::size_t>{1, 1, 1}));
}

}  // namespace
}  // namespace faultline::protocols::broadcast
