// Node lifecycle faults behave like the machines they model: a crash loses
// volatile state, timers and messages in flight to the node; a restart boots a
// fresh node through recover(); a pause holds deliveries and timers and replays
// them in order; a slow node delays everything it handles.
#include <gtest/gtest.h>

#include "sim/simulation.h"
#include "sim/test_nodes.h"

namespace faultline::sim {
namespace {

using testing::Probe;
using testing::ProbeNode;

struct Pair {
    Simulation simulation{SimulationOptions{.seed = 1}};
    NodeId a = simulation.add_server("a", testing::make_probe);
    NodeId b = simulation.add_server("b", testing::make_probe);
    Pair() { simulation.start(); }
    ProbeNode& node(NodeId id) { return *simulation.node_as<ProbeNode>(id); }
    void send(NodeId from, NodeId to, std::uint64_t seq) {
        simulation.invoke(from, [&](Node&, Context& ctx) { ctx.send(to, std::make_shared<Probe>(seq)); });
    }
};

TEST(Lifecycle, CrashDropsMessagesInFlightAndLaterOnes) {
    Pair pair;
    pair.send(pair.a, pair.b, 1);
    pair.simulation.crash(pair.b);
    EXPECT_EQ(pair.simulation.node(pair.b), nullptr);
    pair.simulation.run_for(seconds(1));
    EXPECT_EQ(pair.simulation.stats().dropped_by_reason[static_cast<int>(DropReason::node_down)], 1u);
    pair.simulation.restart(pair.b);
    EXPECT_EQ(pair.node(pair.b).recoveries, 1);
    EXPECT_EQ(pair.node(pair.b).starts, 0);
    EXPECT_TRUE(pair.node(pair.b).received.empty());
    pair.send(pair.a, pair.b, 2);
    pair.simulation.run_for(seconds(1));
    ASSERT_EQ(pair.node(pair.b).received.size(), 1u);
    EXPECT_EQ(pair.node(pair.b).received[0].sequence, 2u);
}

TEST(Lifecycle, TimersDieWithTheNode) {
    Pair pair;
    pair.simulation.invoke(pair.a, [](Node&, Context& ctx) { ctx.set_timer(milliseconds(10), 7); });
    pair.simulation.crash(pair.a);
    pair.simulation.restart(pair.a);
    pair.simulation.run_for(seconds(1));
    EXPECT_TRUE(pair.node(pair.a).fired.empty());
    EXPECT_EQ(pair.simulation.stats().timers_fired, 0u);
}

TEST(Lifecycle, CancelledTimersNeverFireAndCancelIsIdempotent) {
    Pair pair;
    TimerId kept = 0;
    pair.simulation.invoke(pair.a, [&](Node&, Context& ctx) {
        const TimerId cancelled = ctx.set_timer(milliseconds(10), 1);
        kept = ctx.set_timer(milliseconds(20), 2);
        ctx.cancel_timer(cancelled);
        ctx.cancel_timer(cancelled);
    });
    pair.simulation.run_for(seconds(1));
    ASSERT_EQ(pair.node(pair.a).fired.size(), 1u);
    EXPECT_EQ(pair.node(pair.a).fired[0].first, 2u);
    // Cancelling a timer that already fired is a no-op too.
    pair.simulation.invoke(pair.a, [&](Node&, Context& ctx) { ctx.cancel_timer(kept); });
}

TEST(Lifecycle, PauseHoldsDeliveriesAndTimersAndReplaysThemInOrder) {
    Pair pair;
    pair.simulation.invoke(pair.b, [](Node&, Context& ctx) { ctx.set_timer(milliseconds(5), 9); });
    pair.simulation.pause(pair.b);
    for (std::uint64_t seq = 1; seq <= 3; ++seq) pair.send(pair.a, pair.b, seq);
    pair.simulation.run_for(seconds(2));
    EXPECT_TRUE(pair.node(pair.b).received.empty());
    EXPECT_TRUE(pair.node(pair.b).fired.empty());
    EXPECT_FALSE(pair.simulation.invoke(pair.b, [](Node&, Context&) {}));

    pair.simulation.resume(pair.b);
    pair.simulation.run_for(milliseconds(1));
    const auto& received = pair.node(pair.b).received;
    ASSERT_EQ(received.size(), 3u);
    for (std::uint64_t i = 0; i < 3; ++i) {
        EXPECT_EQ(received[i].sequence, i + 1);
        EXPECT_EQ(received[i].local_time, seconds(2));  // all delivered at the resume
    }
    ASSERT_EQ(pair.node(pair.b).fired.size(), 1u);
    EXPECT_EQ(pair.node(pair.b).fired[0].second, seconds(2));
}

TEST(Lifecycle, CrashWhilePausedDiscardsHeldEvents) {
    Pair pair;
    pair.simulation.pause(pair.b);
    pair.send(pair.a, pair.b, 1);
    pair.simulation.run_for(seconds(1));
    pair.simulation.crash(pair.b);
    pair.simulation.restart(pair.b);
    pair.simulation.run_for(seconds(1));
    EXPECT_TRUE(pair.node(pair.b).received.empty());
    EXPECT_FALSE(pair.simulation.is_paused(pair.b));
}

TEST(Lifecycle, SlowNodeDelaysEachEventByItsProcessingTime) {
    Pair pair;
    pair.simulation.set_processing_delay(pair.b, milliseconds(10));
    for (std::uint64_t seq = 1; seq <= 3; ++seq) pair.send(pair.a, pair.b, seq);
    pair.simulation.run_for(seconds(1));
    const auto& received = pair.node(pair.b).received;
    ASSERT_EQ(received.size(), 3u);
    // All arrive at 1 ms; each waits for the previous one to finish.
    EXPECT_EQ(received[0].local_time, milliseconds(1));
    EXPECT_EQ(received[1].local_time, milliseconds(11));
    EXPECT_EQ(received[2].local_time, milliseconds(21));
}

TEST(Lifecycle, DiskSyncTimeIsChargedBeforeLaterSends) {
    SimulationOptions options{.seed = 1};
    options.disk.sync_latency = milliseconds(4);
    Simulation simulation(options);
    const NodeId a = simulation.add_server("a", testing::make_probe);
    const NodeId b = simulation.add_server("b", testing::make_probe);
    simulation.start();
    simulation.invoke(a, [&](Node&, Context& ctx) {
        ctx.send(b, std::make_shared<Probe>(1));  // leaves at once
        ASSERT_TRUE(ctx.storage().append("log", "x").has_value());
        ASSERT_TRUE(ctx.storage().sync().has_value());
        EXPECT_EQ(ctx.now(), milliseconds(4));
        ctx.send(b, std::make_shared<Probe>(2));  // persist, then send: leaves after the sync
    });
    simulation.run_for(seconds(1));
    const auto& received = simulation.node_as<ProbeNode>(b)->received;
    ASSERT_EQ(received.size(), 2u);
    EXPECT_EQ(received[0].local_time, milliseconds(1));
    EXPECT_EQ(received[1].local_time, milliseconds(5));
}

TEST(Lifecycle, AZeroDelayTimerLoopStopsTheRunInsteadOfHangingIt) {
    Pair pair;
    pair.node(pair.a).on_fire = [](Context& ctx, TimerId, std::uint64_t) { ctx.set_timer(0, 1); };
    pair.simulation.invoke(pair.a, [](Node&, Context& ctx) { ctx.set_timer(0, 1); });
    pair.simulation.run_for(seconds(1));
    EXPECT_TRUE(pair.simulation.stopped());
    EXPECT_NE(pair.simulation.stop_reason().find("livelock"), std::string::npos) << pair.simulation.stop_reason();
}

}  // namespace
}  // namespace faultline::sim
