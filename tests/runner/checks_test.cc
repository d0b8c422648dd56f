// The runner's generic checks on histories: availability, liveness, latency.
#include <gtest/gtest.h>

#include "runner/run.h"
#include "runner/system.h"

namespace faultline::runner {
namespace {

check::Operation op(std::int64_t process, check::OpType type, Nanos time) {
    return check::Operation{.time = time, .process = process, .type = type, .f = "read"};
}

TEST(LatencyCheck, PassesUnderTheBoundAndFailsOverIt) {
    check::History history;
    for (int i = 0; i < 100; ++i) {
        history.push_back(op(i, check::OpType::invoke, seconds(1) + i));
        history.push_back(op(i, check::OpType::ok, seconds(1) + i + (i == 99 ? milliseconds(900) : milliseconds(10))));
    }
    EXPECT_EQ(check_latency(history, 0, seconds(10), milliseconds(20)).verdict, Verdict::valid);
    for (int i = 0; i < 5; ++i) history[static_cast<std::size_t>(2 * i + 1)].time += seconds(1);
    EXPECT_EQ(check_latency(history, 0, seconds(10), milliseconds(20)).verdict, Verdict::invalid);
    EXPECT_EQ(check_latency(history, seconds(5), seconds(10), milliseconds(20)).verdict, Verdict::unknown);
}

TEST(LivenessCheck, AnOperationThatNeverCompletesOrCompletesLateFails) {
    check::History history{op(0, check::OpType::invoke, 0), op(0, check::OpType::ok, milliseconds(5)),
                           op(1, check::OpType::invoke, 0), op(1, check::OpType::info, seconds(3))};
    EXPECT_EQ(check_liveness(history, seconds(10), 0).verdict, Verdict::valid);
    EXPECT_EQ(check_liveness(history, seconds(10), seconds(2)).verdict, Verdict::invalid);
    history.push_back(op(2, check::OpType::invoke, seconds(4)));
    EXPECT_EQ(check_liveness(history, seconds(10), 0).verdict, Verdict::invalid);
}

}  // namespace
}  // namespace faultline::runner
