// The lost-write check: histories that must pass and histories that must fail.
#include "check/lost_write_checker.h"

#include <gtest/gtest.h>

namespace faultline::check {
namespace {

Operation op(std::int64_t process, OpType type, const char* f, Json value, Nanos time) {
    return Operation{.time = time, .process = process, .type = type, .f = f, .key = 0, .value = std::move(value)};
}

// Two writes one after the other in real time, then final reads on two replicas.
History two_writes_then_finals(Json final_value) {
    return History{
        op(0, OpType::invoke, "write", 1, 10),      op(0, OpType::ok, "write", 1, 20),
        op(1, OpType::invoke, "write", 2, 30),      op(1, OpType::ok, "write", 2, 40),
        op(2, OpType::invoke, "read", Json(), 100), op(2, OpType::ok, "read", final_value, 110),
        op(3, OpType::invoke, "read", Json(), 100), op(3, OpType::ok, "read", final_value, 110),
    };
}

TEST(LostWriteChecker, TheLaterWriteWinningPasses) {
    const auto result = check_lost_writes(two_writes_then_finals(2), 100);
    EXPECT_TRUE(result.valid) << (result.errors.empty() ? "" : result.errors.front());
    EXPECT_EQ(result.final_reads, 2);
    EXPECT_EQ(result.lost, 0);
}

TEST(LostWriteChecker, TheEarlierWriteWinningLosesTheLaterOne) {
    const auto result = check_lost_writes(two_writes_then_finals(1), 100);
    ASSERT_FALSE(result.valid);
    EXPECT_EQ(result.lost, 1);
    EXPECT_NE(result.errors.front().find("write of 2"), std::string::npos) << result.errors.front();
}

TEST(LostWriteChecker, ConcurrentWritesMayEndEitherWay) {
    for (int final_value : {1, 2}) {
        const History history{
            op(0, OpType::invoke, "write", 1, 10),      op(1, OpType::invoke, "write", 2, 15),
            op(0, OpType::ok, "write", 1, 20),          op(1, OpType::ok, "write", 2, 25),
            op(2, OpType::invoke, "read", Json(), 100), op(2, OpType::ok, "read", final_value, 110),
        };
        EXPECT_TRUE(check_lost_writes(history, 100).valid) << final_value;
    }
}

TEST(LostWriteChecker, AWriteOfUnknownOutcomeMayBeTheLast) {
    History history = two_writes_then_finals(1);
    history[1].type = OpType::info;  // write 1 timed out: it may have landed after write 2
    EXPECT_TRUE(check_lost_writes(history, 100).valid);
}

TEST(LostWriteChecker, DivergedReplicasAndUnwrittenValuesFail) {
    History diverged = two_writes_then_finals(2);
    diverged[7].value = 1;
    EXPECT_FALSE(check_lost_writes(diverged, 100).valid);
    EXPECT_FALSE(check_lost_writes(two_writes_then_finals(7), 100).valid);
}

TEST(LostWriteChecker, AReadDuringTheRunCatchesALossALaterWriteHides) {
    // Write 2 follows write 1 but a read after it still sees 1; write 3 then
    // overwrites both, so the final state alone would look fine.
    History history{
        op(0, OpType::invoke, "write", 1, 10),      op(0, OpType::ok, "write", 1, 20),
        op(1, OpType::invoke, "write", 2, 30),      op(1, OpType::ok, "write", 2, 40),
        op(2, OpType::invoke, "read", Json(), 50),  op(2, OpType::ok, "read", 1, 55),
        op(0, OpType::invoke, "write", 3, 60),      op(0, OpType::ok, "write", 3, 70),
        op(2, OpType::invoke, "read", Json(), 100), op(2, OpType::ok, "read", 3, 110),
    };
    const auto result = check_lost_writes(history, 100);
    ASSERT_FALSE(result.valid);
    EXPECT_EQ(result.lost, 1);
    EXPECT_NE(result.errors.front().find("write of 2"), std::string::npos) << result.errors.front();
    // The same read before write 2 completed is fine: the two may still be concurrent.
    history[4].time = 35;
    history[5].time = 45;
    EXPECT_TRUE(check_lost_writes(history, 100).valid);
}

}  // namespace
}  // namespace faultline::check
