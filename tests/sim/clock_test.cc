// Each node's clock is true time with its own offset, drift and steps; a node
// sees only its own clock, and its timers run on it.
#include "sim/clock.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sim/simulation.h"
#include "sim/test_nodes.h"

namespace faultline::sim {
namespace {

TEST(NodeClock, DriftAndOffsetMatchTheConfiguration) {
    NodeClock clock;
    clock.set_offset(0, milliseconds(250));
    clock.set_drift_ppm(0, 200);  // 200 us gained per second
    EXPECT_EQ(clock.local(0), milliseconds(250));
    EXPECT_EQ(clock.local(seconds(100)), seconds(100) + milliseconds(250) + milliseconds(20));
    EXPECT_EQ(clock.offset(seconds(100)), milliseconds(270));
    EXPECT_DOUBLE_EQ(clock.drift_ppm(), 200);
}

TEST(NodeClock, DriftChangesKeepTheClockContinuous) {
    NodeClock clock;
    clock.set_drift_ppm(0, 1000);
    const Nanos before = clock.local(seconds(10));
    clock.set_drift_ppm(seconds(10), -500);
    EXPECT_EQ(clock.local(seconds(10)), before);
    EXPECT_EQ(clock.local(seconds(20)), before + seconds(10) - milliseconds(5));
}

TEST(NodeClock, StepsJumpBothWays) {
    NodeClock clock;
    clock.step(seconds(1), seconds(2));
    EXPECT_EQ(clock.local(seconds(1)), seconds(3));
    clock.step(seconds(2), -seconds(5));
    EXPECT_EQ(clock.local(seconds(2)), -seconds(1));
}

TEST(NodeClock, ObservedDriftOverAnHourMatchesPpm) {
    for (double ppm : {-150.0, -1.0, 0.0, 35.5, 400.0}) {
        NodeClock clock;
        clock.set_drift_ppm(0, ppm);
        const Nanos hour = seconds(3600);
        const double observed_ppm = static_cast<double>(clock.local(hour) - hour) / static_cast<double>(hour) * 1e6;
        EXPECT_NEAR(observed_ppm, ppm, 1e-6);
    }
}

// A timer of d local ns must end with the local clock at least d further on,
// after a positive true time: with a fast clock, rounding down made a 1 ns timer
// take no time at all, and a node waiting for its deadline spun at one instant.
TEST(NodeClock, TimersUnderDriftAlwaysTakeTimeAndReachTheirDeadline) {
    for (double ppm : {-400000.0, -5000.0, -1.0, 0.0, 1.0, 4999.0, 100000.0}) {
        NodeClock clock;
        clock.set_drift_ppm(0, ppm);
        for (Nanos start : {Nanos(0), Nanos(123'456'789), seconds(3600)}) {
            for (Nanos local : {Nanos(1), Nanos(2), Nanos(999), milliseconds(300)}) {
                const Nanos wait = clock.true_duration(local);
                ASSERT_GT(wait, 0) << ppm << " ppm, " << local << " ns";
                ASSERT_GE(clock.local(start + wait) - clock.local(start), local) << ppm << " ppm, " << local << " ns";
            }
        }
    }
}

TEST(SimulationClocks, NodesSeeOnlyTheirOwnClockAndTimersRunOnIt) {
    Simulation simulation(SimulationOptions{.seed = 1});
    const NodeId fast = simulation.add_server("fast", testing::make_probe);
    const NodeId skewed = simulation.add_server("skewed", testing::make_probe);
    simulation.clock(fast).set_drift_ppm(0, 100'000);  // 10% fast: a terrible clock
    simulation.clock(skewed).set_offset(0, -seconds(30));
    simulation.start();
    Nanos fast_seen = 0, skewed_seen = 0;
    simulation.invoke(fast, [&](Node&, Context& ctx) { ctx.set_timer(seconds(11), 1); });
    simulation.invoke(skewed, [&](Node&, Context& ctx) { ctx.set_timer(seconds(10), 1); });
    simulation.run_until(seconds(10));
    simulation.invoke(fast, [&](Node&, Context& ctx) { fast_seen = ctx.now(); });
    simulation.invoke(skewed, [&](Node&, Context& ctx) { skewed_seen = ctx.now(); });
    EXPECT_EQ(fast_seen, seconds(11));
    EXPECT_EQ(skewed_seen, -seconds(20));
    simulation.run_until(seconds(11));
    // The fast clock's 11 s timer fired after 10 true seconds, at its local 11 s.
    ASSERT_EQ(simulation.node_as<testing::ProbeNode>(fast)->fired.size(), 1u);
    EXPECT_EQ(simulation.node_as<testing::ProbeNode>(fast)->fired[0].second, seconds(11));
    // The offset clock's 10 s timer fired after 10 true seconds too: offsets do not move timers.
    ASSERT_EQ(simulation.node_as<testing::ProbeNode>(skewed)->fired.size(), 1u);
    EXPECT_EQ(simulation.node_as<testing::ProbeNode>(skewed)->fired[0].second, -seconds(20));
}

}  // namespace
}  // namespace faultline::sim
