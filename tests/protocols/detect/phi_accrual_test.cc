// Phi accrual: tolerates a pause shorter than its acceptable pause, suspects a
// longer one and recovers when heartbeats return, and trades detection time
// for fewer mistakes as its threshold grows.
#include "protocols/detect/phi_accrual.h"

#include <gtest/gtest.h>

#include "base/prng.h"

namespace faultline::protocols::detect {
namespace {

// Akka's defaults: 1 s heartbeats, threshold 8, min deviation 100 ms, pause 3 s.
PhiAccrual steady_history(PhiAccrualOptions options = {}) {
    PhiAccrual phi(options);
    Prng random(3);
    Nanos now = 0;
    for (int i = 0; i < 100; ++i) {
        now += seconds(1) + random.between(-milliseconds(20), milliseconds(20));
        phi.heartbeat(now);
    }
    return phi;
}

TEST(PhiAccrual, APauseShorterThanTheAcceptablePauseIsNotSuspected) {
    PhiAccrual phi = steady_history();
    const Nanos last = seconds(100) + seconds(1);  // well after the history ends
    phi.heartbeat(last);
    EXPECT_FALSE(phi.suspects(last + milliseconds(3500)));  // a 2.5 s pause past the expected 1 s
    EXPECT_LT(phi.phi(last + seconds(1)), 0.5);
}

TEST(PhiAccrual, ALongPauseIsSuspectedAndHeartbeatsClearIt) {
    PhiAccrual phi = steady_history();
    const Nanos last = seconds(101);
    phi.heartbeat(last);
    EXPECT_TRUE(phi.suspects(last + seconds(10)));
    // Suspected somewhere between the expected gap plus the pause, and a few deviations more.
    Nanos first_suspected = last;
    while (!phi.suspects(first_suspected)) first_suspected += milliseconds(10);
    EXPECT_GT(first_suspected - last, seconds(4));
    EXPECT_LT(first_suspected - last, seconds(6));
    phi.heartbeat(last + seconds(11));
    EXPECT_FALSE(phi.suspects(last + seconds(11) + milliseconds(500)));
}

TEST(PhiAccrual, AHigherThresholdSuspectsLater) {
    Nanos previous = 0;
    for (double threshold : {1.0, 2.0, 4.0, 8.0, 12.0}) {
        PhiAccrualOptions options;
        options.threshold = threshold;
        PhiAccrual phi = steady_history(options);
        const Nanos last = seconds(101);
        phi.heartbeat(last);
        Nanos suspected = last;
        while (!phi.suspects(suspected)) suspected += milliseconds(1);
        EXPECT_GT(suspected, previous) << "threshold " << threshold;
        previous = suspected;
    }
}

TEST(PhiAccrual, NoHeartbeatYetMeansNoSuspicion) {
    PhiAccrual phi({});
    EXPECT_EQ(phi.phi(seconds(100)), 0.0);
}

}  // namespace
}  // namespace faultline::protocols::detect
