// The checks every service gets: availability, liveness, latency.
#include "check/service_checks.h"

#include <gtest/gtest.h>

namespace faultline::check {
namespace {

Operation op(std::int64_t process, OpType type, Nanos time) {
    return Operation{.time = time, .process = process, .type = type, .f = "read"};
}

TEST(LatencyCheck, PassesUnderTheBoundAndFailsOverIt) {
    History history;
    for (int i = 0; i < 100; ++i) {
        history.push_back(op(i, OpType::invoke, seconds(1) + i));
        history.push_back(op(i, OpType::ok, seconds(1) + i + (i == 99 ? milliseconds(900) : milliseconds(10))));
    }
    EXPECT_EQ(check_latency(history, 0, seconds(10), milliseconds(20)).verdict, Verdict::valid);
    for (int i = 0; i < 5; ++i) history[static_cast<std::size_t>(2 * i + 1)].time += seconds(1);
    EXPECT_EQ(check_latency(history, 0, seconds(10), milliseconds(20)).verdict, Verdict::invalid);
    EXPECT_EQ(check_latency(history, seconds(5), seconds(10), milliseconds(20)).verdict, Verdict::unknown);
}

TEST(LivenessCheck, AnOperationThatNeverCompletesOrCompletesLateFails) {
    History history{op(0, OpType::invoke, 0), op(0, OpType::ok, milliseconds(5)), op(1, OpType::invoke, 0),
                    op(1, OpType::info, seconds(3))};
    EXPECT_EQ(check_liveness(history, seconds(10), 0).verdict, Verdict::valid);
    EXPECT_EQ(check_liveness(history, seconds(10), seconds(2)).verdict, Verdict::invalid);
    history.push_back(op(2, OpType::invoke, seconds(4)));
    EXPECT_EQ(check_liveness(history, seconds(10), 0).verdict, Verdict::invalid);
}

TEST(AvailabilityCheck, CountsServedOperationsInTheWindowOnly) {
    History history;
    // Ten operations in [1s, 2s): eight ok, one failed, one never completed;
    // and one failure outside the window, which must not count.
    for (int i = 0; i < 10; ++i) {
        history.push_back(op(i, OpType::invoke, seconds(1) + i));
        if (i < 8) history.push_back(op(i, OpType::ok, seconds(1) + i + 5));
        if (i == 8) history.push_back(op(i, OpType::fail, seconds(1) + i + 5));
    }
    history.push_back(op(20, OpType::invoke, seconds(5)));
    history.push_back(op(20, OpType::fail, seconds(5) + 1));
    const auto ok_only = [](const Operation& o) { return o.type == OpType::ok; };
    EXPECT_EQ(check_availability(history, ok_only, seconds(1), seconds(2), 0.8).verdict, Verdict::valid);
    EXPECT_EQ(check_availability(history, ok_only, seconds(1), seconds(2), 0.9).verdict, Verdict::invalid);
    // A system for which that failure is an answer serves nine of ten.
    const auto definite = [](const Operation& o) { return o.type != OpType::info; };
    EXPECT_EQ(check_availability(history, definite, seconds(1), seconds(2), 0.9).verdict, Verdict::valid);
    EXPECT_EQ(check_availability(history, ok_only, seconds(3), seconds(4), 0.9).verdict, Verdict::unknown);
}

}  // namespace
}  // namespace faultline::check
