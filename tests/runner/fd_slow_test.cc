// Spec scenario 3, the QoS trade-off: on a link with 1% loss and exponential
// delay (mean 20 ms), under pauses and crash/recover cycles, raising phi's
// threshold (or a heartbeat's timeout) never makes detection faster and
// never adds false suspicions, seed for seed the same faults.
#include <gtest/gtest.h>

#include "runner/fd.h"

namespace faultline::runner {
namespace {

void expect_monotone_trade_off(const std::string& detector, const std::string& param, const std::string& values) {
    FdOptions options;
    options.detector = detector;
    options.param = param;
    options.values = values;
    options.latency = "exponential:20ms";
    options.loss = 0.01;
    options.last_seed = 20;
    options.jobs = 2;
    auto result = run_fd(options);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    const auto& points = result->curves.at(0).points;
    ASSERT_GE(points.size(), 3u);
    for (std::size_t i = 1; i < points.size(); ++i) {
        EXPECT_GE(points[i].detection_s, points[i - 1].detection_s) << detector << " " << points[i].setting;
        EXPECT_LE(points[i].false_per_hour, points[i - 1].false_per_hour) << detector << " " << points[i].setting;
        EXPECT_EQ(points[i].missed, 0u) << detector << " " << points[i].setting;
    }
    // Not flat: the ends differ in both.
    EXPECT_GT(points.back().detection_s, points.front().detection_s);
    EXPECT_LT(points.back().false_per_hour, points.front().false_per_hour);
}

TEST(FdTradeOff, PhiThresholdIsMonotone) {
    expect_monotone_trade_off("phi", "threshold", "1,2,4,8,12");
}

TEST(FdTradeOff, HeartbeatTimeoutIsMonotone) {
    expect_monotone_trade_off("heartbeat", "timeout", "1s..10s/10");
}

TEST(FdTradeOff, SwimProbeIntervalIsMonotone) {
    expect_monotone_trade_off("swim", "probe_interval", "500ms,1s,2s,4s");
}

}  // namespace
}  // namespace faultline::runner
