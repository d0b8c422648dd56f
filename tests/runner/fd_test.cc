// `faultline fd`'s parts: the settings a --values names, the knee of a curve,
// each seed's faults (the same for every setting), the errors it gives before
// running anything, and a small sweep whose curve bends the way it must.
#include "runner/fd.h"

#include <gtest/gtest.h>

namespace faultline::runner {
namespace {

TEST(Fd, SettingsFromRangesAndLists) {
    EXPECT_EQ(*fd_settings("1..4"), (std::vector<std::string>{"1", "2", "3", "4"}));
    EXPECT_EQ(fd_settings("1..16")->size(), 16u);
    EXPECT_EQ(fd_settings("1..100")->size(), 20u);
    EXPECT_EQ(*fd_settings("1s..2s/3"), (std::vector<std::string>{"1000ms", "1500ms", "2000ms"}));
    EXPECT_EQ(*fd_settings("0.5,8,12"), (std::vector<std::string>{"0.5", "8", "12"}));
    EXPECT_FALSE(fd_settings("1..x").has_value());
    EXPECT_FALSE(fd_settings("1..4/1").has_value());
    EXPECT_FALSE(fd_settings("1,,2").has_value());
}

TEST(Fd, TheKneeIsThePointFarthestFromTheChord) {
    // An L: fast and wrong at one end, slow and right at the other; (1, 1) bends most.
    EXPECT_EQ(fd_knee({{10, 0.5}, {1, 1}, {0.5, 5}, {0, 10}}), 1);
    EXPECT_EQ(fd_knee({{0, 0}, {1, 1}, {2, 2}}), -1);  // a straight line has no knee
    EXPECT_EQ(fd_knee({{0, 1}, {1, 1}, {2, 1}}), -1);  // flat
    EXPECT_EQ(fd_knee({{0, 1}, {1, 2}}), -1);          // too few
}

TEST(Fd, EachSeedDrawsItsOwnFaultsTheSameForEverySetting) {
    FdOptions options;
    const Json one = fd_schedule(options, 1);
    EXPECT_EQ(one, fd_schedule(options, 1));
    EXPECT_NE(one, fd_schedule(options, 2));
    std::size_t kills = 0;
    for (const Json& fault : one) kills += fault["kind"] == "kill" ? 1 : 0;
    EXPECT_GT(kills, 0u);
    options.nemesis = "pause";
    for (const Json& fault : fd_schedule(options, 1)) EXPECT_EQ(fault["kind"], "pause");
}

TEST(Fd, ABadSettingIsRefusedBeforeAnyRun) {
    FdOptions options;
    options.detector = "heartbeat";
    options.param = "timeout";
    options.values = "100ms,2s";  // below the 1 s interval
    auto result = run_fd(options);
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().message.find("100ms"), std::string::npos) << result.error().message;
    options.param = "threshold";
    result = run_fd(options);
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().message.find("timeout, interval"), std::string::npos) << result.error().message;
}

TEST(Fd, ALongerTimeoutDetectsSlowerAndErrsLess) {
    FdOptions options;
    options.detector = "heartbeat";
    options.param = "timeout";
    options.values = "1100ms,3s,8s";
    options.last_seed = 3;
    options.jobs = 2;
    options.time_limit = seconds(1800);
    auto result = run_fd(options);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    ASSERT_EQ(result->curves.size(), 1u);
    const auto& points = result->curves[0].points;
    ASSERT_EQ(points.size(), 3u);
    EXPECT_EQ(result->runs, 9u);
    for (std::size_t i = 1; i < points.size(); ++i) {
        EXPECT_GT(points[i].detection_s, points[i - 1].detection_s);
        EXPECT_LE(points[i].false_per_hour, points[i - 1].false_per_hour);
    }
    EXPECT_GT(points[0].false_per_hour, points[2].false_per_hour);
    EXPECT_GT(points[0].msgs_per_second, 0.9);
    EXPECT_EQ(points[0].missed, 0u);
}

TEST(Fd, CompareRunsEveryDetectorOnTheSameFaults) {
    FdOptions options;
    options.compare = true;
    options.last_seed = 2;
    options.time_limit = seconds(1200);
    auto result = run_fd(options);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    ASSERT_EQ(result->curves.size(), 4u);
    for (const FdCurve& curve : result->curves) {
        ASSERT_EQ(curve.points.size(), 1u);
        EXPECT_GT(curve.points[0].detected, 0u) << curve.detector;
        EXPECT_GT(curve.points[0].msgs_per_second, 0) << curve.detector;
    }
    // A ping costs twice a heartbeat: the request and its answer.
    EXPECT_NEAR(result->curves[1].points[0].msgs_per_second, 2 * result->curves[0].points[0].msgs_per_second, 0.3);
}

}  // namespace
}  // namespace faultline::runner
