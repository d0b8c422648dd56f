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

// An operation still open when the run ended is judged on the time it had:
// one invoked just before the end may still complete (as info, when its
// client's timeout runs out), so the end cut it off; one that had waited
// longer than that, or than the bound, did fail.
TEST(LivenessCheck, AnOperationTheEndOfTheRunCutOffIsNotJudged) {
    History history{op(0, OpType::invoke, 0), op(0, OpType::ok, milliseconds(5)),
                    op(1, OpType::invoke, seconds(9) + milliseconds(800))};
    const Outcome cut_off = check_liveness(history, seconds(10), 0, seconds(1));
    EXPECT_EQ(cut_off.verdict, Verdict::valid) << cut_off.summary;
    EXPECT_EQ(cut_off.details["cut_off_by_the_end"], 1);
    EXPECT_EQ(check_liveness(history, seconds(10), 0, 0).verdict, Verdict::invalid) << "clients that wait forever";
    EXPECT_EQ(check_liveness(history, seconds(10), milliseconds(500)).verdict, Verdict::valid)
        << "200 ms open is within a 500 ms bound";
    EXPECT_EQ(check_liveness(history, seconds(10), milliseconds(100)).verdict, Verdict::invalid)
        << "200 ms open is past a 100 ms bound, whatever comes after";
    history.push_back(op(2, OpType::invoke, seconds(8)));
    const Outcome stalled = check_liveness(history, seconds(10), 0, seconds(1));
    EXPECT_EQ(stalled.verdict, Verdict::invalid) << "open for 2 s, past its client's 1 s timeout";
    EXPECT_EQ(stalled.details["late_or_never"], 1);
    EXPECT_EQ(stalled.details["cut_off_by_the_end"], 1);
}

TEST(LivenessAfterGstCheck, JudgesOnlyTheOperationsInvokedFromGstOn) {
    // Before GST (5 s) one operation waits 4 s and one never completes; from
    // GST on, each completes within 100 ms.
    History history{op(0, OpType::invoke, seconds(1)), op(0, OpType::ok, seconds(5)), op(1, OpType::invoke, seconds(2)),
                    op(2, OpType::invoke, seconds(5)), op(2, OpType::ok, seconds(5) + milliseconds(100))};
    EXPECT_EQ(check_liveness(history, seconds(10), seconds(1)).verdict, Verdict::invalid);
    const Outcome after = check_liveness_after(history, seconds(10), seconds(1), seconds(5));
    EXPECT_EQ(after.name, "liveness-after-gst");
    EXPECT_EQ(after.verdict, Verdict::valid) << after.summary;
    // One late completion from GST on fails it, and so does one that never comes.
    History late = history;
    late.push_back(op(3, OpType::invoke, seconds(6)));
    late.push_back(op(3, OpType::ok, seconds(8)));
    EXPECT_EQ(check_liveness_after(late, seconds(10), seconds(1), seconds(5)).verdict, Verdict::invalid);
    EXPECT_EQ(check_liveness_after(late, seconds(10), 0, seconds(5)).verdict, Verdict::valid);
    History never = history;
    never.push_back(op(4, OpType::invoke, seconds(7)));
    const Outcome stuck = check_liveness_after(never, seconds(10), 0, seconds(5));
    EXPECT_EQ(stuck.verdict, Verdict::invalid);
    EXPECT_NE(stuck.summary.find("invoked from 5s on"), std::string::npos) << stuck.summary;
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
