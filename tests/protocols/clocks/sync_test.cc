// Clock sync against a reference in a small simulation: NTP's estimate is
// exact on symmetric links and off by half the asymmetry otherwise; the
// discipline slews small offsets, steps large ones and panics at 1000 s.
#include "protocols/clocks/sync.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/simulation.h"

namespace faultline::protocols::clocks {
namespace {

struct Samples final : SyncObserver {
    std::vector<SyncSample> all;
    void sampled(const SyncSample& sample) override { all.push_back(sample); }
};

struct Rig {
    sim::Simulation simulation{
        sim::SimulationOptions{.seed = 3, .link = {.latency = sim::LatencyModel::constant(milliseconds(10))}}};
    Samples samples;
    NodeId server, client;
    Rig(SyncMethod method, Nanos client_offset, Nanos back_latency = milliseconds(10)) {
        server = simulation.add_server("n0", [] { return std::make_unique<TimeServer>(); });
        SyncOptions options{.method = method, .server = server, .interval = seconds(10)};
        Samples* observer = &samples;
        client = simulation.add_server("n1",
                                       [options, observer] { return std::make_unique<SyncClient>(options, observer); });
        simulation.clock(client).set_offset(0, client_offset);
        sim::LinkConfig back;
        back.latency = sim::LatencyModel::constant(back_latency);
        simulation.network().assign_class(server, client, simulation.network().define_class("back", back));
        simulation.start();
    }
    Nanos error() {  // the client's corrected clock minus the reference
        const Nanos now = simulation.now();
        return simulation.node_as<SyncClient>(client)->corrected(simulation.clock(client).local(now)) -
               simulation.clock(server).local(now);
    }
};

TEST(ClockSync, SymmetricLinksGiveTheExactOffsetAndASlewClosesIt) {
    Rig rig(SyncMethod::ntp, milliseconds(50));
    rig.simulation.run_for(seconds(11));
    ASSERT_FALSE(rig.samples.all.empty());
    EXPECT_EQ(rig.samples.all[0].offset, -milliseconds(50));
    EXPECT_EQ(rig.samples.all[0].delay, milliseconds(20));
    EXPECT_EQ(rig.samples.all[0].decision, SyncDecision::slew);
    // 50 ms at 500 ppm: 100 s to feed in.
    rig.simulation.run_for(seconds(120));
    EXPECT_LT(std::abs(rig.error()), milliseconds(1));
}

TEST(ClockSync, AsymmetryMisleadsNtpByHalfOfItAndTheNaiveOneByTheWholeTripBack) {
    for (SyncMethod method : {SyncMethod::ntp, SyncMethod::cristian, SyncMethod::naive}) {
        Rig rig(method, 0, milliseconds(50));  // 10 ms there, 50 ms back
        rig.simulation.run_for(seconds(11));
        ASSERT_FALSE(rig.samples.all.empty());
        const SyncSample& first = rig.samples.all[0];
        EXPECT_EQ(first.delay, milliseconds(60));
        // The truth is 0: NTP and Cristian say -20 ms (half of 50 - 10), within d/2 = 30 ms;
        // the naive estimate says -50 ms.
        EXPECT_EQ(first.offset, method == SyncMethod::naive ? -milliseconds(50) : -milliseconds(20))
            << sync_method_name(method);
    }
}

TEST(ClockSync, LargeOffsetsAreSteppedAndHugeOnesLeftAlone) {
    Rig step(SyncMethod::ntp, seconds(2));
    step.simulation.run_for(seconds(11));
    ASSERT_FALSE(step.samples.all.empty());
    EXPECT_EQ(step.samples.all[0].decision, SyncDecision::step);
    EXPECT_LT(std::abs(step.error()), milliseconds(1));

    Rig panic(SyncMethod::ntp, seconds(2000));
    panic.simulation.run_for(seconds(11));
    ASSERT_FALSE(panic.samples.all.empty());
    EXPECT_EQ(panic.samples.all[0].decision, SyncDecision::panic);
    EXPECT_GT(panic.error(), seconds(1999));
}

}  // namespace
}  // namespace faultline::protocols::clocks
