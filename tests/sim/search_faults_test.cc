// What the search strategies ask of the simulator (runner/search.h): fault
// points act as their seed says and only where the run turned them on, and a
// priority schedule orders messages by their links' priorities.
#include <gtest/gtest.h>

#include <set>

#include "sim/simulation.h"
#include "sim/test_nodes.h"

namespace faultline::sim {
namespace {

using testing::Probe;
using testing::ProbeNode;

// n0 reaches a fault point on every probe it receives, then answers n2 with
// two probes. n1 sends n0 a probe every 10 ms for a second.
struct FaultPointRig {
    Simulation simulation;
    NodeId n0, n1, n2;

    explicit FaultPointRig(std::uint64_t seed, bool fault_points)
        : simulation(SimulationOptions{.seed = seed, .link = LinkConfig{}}) {
        n0 = simulation.add_server("n0", [this] {
            auto node = std::make_unique<ProbeNode>();
            node->on_receive = [this](Context& ctx, const Envelope& envelope) {
                const auto sequence = message_as<Probe>(*envelope.message)->sequence;
                ctx.fault_point("test.received");
                ctx.send(n2, std::make_shared<Probe>(sequence * 2));
                ctx.send(n2, std::make_shared<Probe>(sequence * 2 + 1));
            };
            return node;
        });
        n1 = simulation.add_server("n1", testing::make_probe);
        n2 = simulation.add_server("n2", testing::make_probe);
        simulation.start();
        if (fault_points) simulation.enable_fault_points(seed, 4);
        for (int i = 0; i < 100; ++i) {
            simulation.at(milliseconds(10) * i, [this, i] {
                simulation.invoke(n1, [this, i](Node&, Context& ctx) {
                    ctx.send(n0, std::make_shared<Probe>(static_cast<std::uint64_t>(i)));
                });
            });
        }
    }
    std::size_t answers() { return simulation.node_as<ProbeNode>(n2)->received.size(); }
};

TEST(FaultPoints, OffTheyDoNothing) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        FaultPointRig rig(seed, false);
        rig.simulation.run_until(seconds(2));
        EXPECT_EQ(rig.answers(), 200u) << "seed " << seed;
        EXPECT_EQ(rig.simulation.incarnation(rig.n0), 0u);
    }
}

TEST(FaultPoints, ACrashLosesTheRestOfTheInputAndTheNodeComesBack) {
    // Some seed makes the point a crash; find it, deterministically.
    bool crashed = false;
    for (std::uint64_t seed = 1; seed <= 64 && !crashed; ++seed) {
        FaultPointRig rig(seed, true);
        rig.simulation.run_until(seconds(3));
        const std::uint32_t crashes = rig.simulation.incarnation(rig.n0);
        if (crashes == 0) continue;
        crashed = true;
        EXPECT_LE(crashes, 2u) << "at most two crashes per point";
        EXPECT_TRUE(rig.simulation.is_up(rig.n0)) << "a crashed node restarts within a second";
        // Every probe n0 received while up was answered by both probes, or by
        // none (it crashed at the point, before sending): never by one.
        std::multiset<std::uint64_t> answered;
        for (const auto& received : rig.simulation.node_as<ProbeNode>(rig.n2)->received) {
            answered.insert(received.sequence / 2);
        }
        for (std::uint64_t probe : answered) EXPECT_EQ(answered.count(probe), 2u) << "probe " << probe;
        EXPECT_LT(rig.answers(), 200u);
    }
    EXPECT_TRUE(crashed) << "no seed in 1..64 made the point crash the node";
}

TEST(FaultPoints, TheSameSeedActsTheSameWay) {
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
        FaultPointRig a(seed, true);
        FaultPointRig b(seed, true);
        a.simulation.run_until(seconds(3));
        b.simulation.run_until(seconds(3));
        EXPECT_EQ(a.simulation.trace().hash(), b.simulation.trace().hash()) << "seed " << seed;
    }
}

TEST(FaultPoints, NoneActOnceTheRunStopsThem) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        FaultPointRig rig(seed, true);
        rig.simulation.set_fault_points_acting(false);
        rig.simulation.run_until(seconds(2));
        EXPECT_EQ(rig.answers(), 200u) << "seed " << seed;
    }
}

// Four senders each send one probe to n4 at the same instant over constant
// links: under a priority schedule they arrive in the order of their links' levels.
std::vector<std::uint64_t> arrival_order(const PrioritySchedule& schedule) {
    LinkConfig link;
    link.latency = LatencyModel::constant(milliseconds(1));
    Simulation simulation(SimulationOptions{.seed = 1, .link = link});
    std::vector<NodeId> senders;
    for (int i = 0; i < 4; ++i) senders.push_back(simulation.add_server("s" + std::to_string(i), testing::make_probe));
    const NodeId receiver = simulation.add_server("r", testing::make_probe);
    simulation.start();
    simulation.network().set_priority_schedule(schedule);
    for (int i = 0; i < 4; ++i) {
        simulation.invoke(senders[static_cast<std::size_t>(i)], [&, i](Node&, Context& ctx) {
            ctx.send(receiver, std::make_shared<Probe>(static_cast<std::uint64_t>(i)));
        });
    }
    simulation.run_until(seconds(1));
    std::vector<std::uint64_t> order;
    for (const auto& received : simulation.node_as<ProbeNode>(receiver)->received) order.push_back(received.sequence);
    return order;
}

TEST(PrioritySchedules, MessagesOvertakeByTheirLinksPriorities) {
    EXPECT_EQ(arrival_order({}), (std::vector<std::uint64_t>{0, 1, 2, 3})) << "off: the order sent";
    std::set<std::vector<std::uint64_t>> orders;
    for (std::uint64_t seed = 1; seed <= 30; ++seed) {
        const auto order = arrival_order(PrioritySchedule{.levels = 8, .step = milliseconds(1), .seed = seed});
        ASSERT_EQ(order.size(), 4u);
        EXPECT_EQ(order, arrival_order(PrioritySchedule{.levels = 8, .step = milliseconds(1), .seed = seed}));
        orders.insert(order);
    }
    EXPECT_GT(orders.size(), 5u) << "different seeds give different priorities";
}

TEST(PrioritySchedules, AChangePointDemotesTheNextMessagesLinkBelowAllOthers) {
    // Depth 2: the change point at 0 demotes the first link that sends (s0).
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
        const auto order =
            arrival_order(PrioritySchedule{.levels = 8, .step = milliseconds(1), .change_points = {0}, .seed = seed});
        ASSERT_EQ(order.size(), 4u);
        EXPECT_EQ(order.back(), 0u) << "seed " << seed;
    }
}

}  // namespace
}  // namespace faultline::sim
