// The counter checker: histories that must pass and histories that must fail.
#include "check/counter_checker.h"

#include <gtest/gtest.h>

#include <limits>

namespace faultline::check {
namespace {

Operation op(std::int64_t process, OpType type, const char* f, Json value, Nanos time) {
    return Operation{.time = time, .process = process, .type = type, .f = f, .value = std::move(value)};
}

TEST(CounterChecker, ReadsWithinTheBoundsPass) {
    const History history{
        op(0, OpType::invoke, "add", 3, 10),       op(0, OpType::ok, "add", 3, 20),
        op(1, OpType::invoke, "add", 2, 15),  // unknown outcome: may count
        op(1, OpType::info, "add", 2, 50),         op(2, OpType::invoke, "read", Json(), 30),
        op(2, OpType::ok, "read", 5, 40),                                             // 3 + maybe 2
        op(3, OpType::invoke, "read", Json(), 60), op(3, OpType::ok, "read", 3, 70),  // without the unknown one
    };
    const auto result = check_counter(history);
    EXPECT_TRUE(result.valid) << (result.errors.empty() ? "" : result.errors.front());
    EXPECT_EQ(result.reads_checked, 2);
}

TEST(CounterChecker, AnAddAppliedTwiceFails) {
    const History history{
        op(0, OpType::invoke, "add", 3, 10),
        op(0, OpType::ok, "add", 3, 20),
        op(2, OpType::invoke, "read", Json(), 30),
        op(2, OpType::ok, "read", 6, 40),
    };
    const auto result = check_counter(history);
    EXPECT_FALSE(result.valid);
    ASSERT_FALSE(result.errors.empty());
    EXPECT_NE(result.errors.front().find("applied twice"), std::string::npos) << result.errors.front();
}

TEST(CounterChecker, ALostAcknowledgedAddFails) {
    const History history{
        op(0, OpType::invoke, "add", 3, 10),
        op(0, OpType::ok, "add", 3, 20),
        op(2, OpType::invoke, "read", Json(), 30),
        op(2, OpType::ok, "read", 0, 40),
    };
    EXPECT_FALSE(check_counter(history).valid);
}

TEST(CounterChecker, AFailedAddCountsForNothing) {
    const History history{
        op(0, OpType::invoke, "add", 3, 10),
        op(0, OpType::fail, "add", 3, 20),
        op(2, OpType::invoke, "read", Json(), 30),
        op(2, OpType::ok, "read", 3, 40),
    };
    EXPECT_FALSE(check_counter(history).valid);
}

TEST(CounterChecker, AConcurrentAddMayOrMayNotBeSeen) {
    for (std::int64_t seen : {0, 4}) {
        const History history{
            op(0, OpType::invoke, "add", 4, 10),
            op(2, OpType::invoke, "read", Json(), 12),
            op(2, OpType::ok, "read", seen, 14),
            op(0, OpType::ok, "add", 4, 20),
        };
        EXPECT_TRUE(check_counter(history).valid) << "read " << seen;
    }
}

TEST(CounterChecker, TotalsBeyondInt64AreNotWrapped) {
    // Two acknowledged adds of 2^63-1 total 2^64-2; in 64 bits that wraps to
    // -2, and a counter that wrapped the same way used to pass.
    const std::int64_t max = std::numeric_limits<std::int64_t>::max();
    const History history{
        op(0, OpType::invoke, "add", max, 10),     op(0, OpType::ok, "add", max, 20),
        op(1, OpType::invoke, "add", max, 30),     op(1, OpType::ok, "add", max, 40),
        op(2, OpType::invoke, "read", Json(), 50), op(2, OpType::ok, "read", -2, 60),
    };
    const auto result = check_counter(history);
    EXPECT_FALSE(result.valid);
    EXPECT_TRUE(result.cannot_check.empty()) << result.cannot_check;
    ASSERT_FALSE(result.errors.empty());
    EXPECT_NE(result.errors.front().find("at least 18446744073709551614"), std::string::npos) << result.errors.front();
}

TEST(CounterChecker, AnAddOfSomethingOtherThanAnInt64CannotBeChecked) {
    // Such adds used to count as 0.
    for (const Json& delta : {Json(1.5), Json("3"), Json(std::numeric_limits<std::uint64_t>::max())}) {
        const History history{
            op(0, OpType::invoke, "add", delta, 10),
            op(0, OpType::ok, "add", delta, 20),
            op(2, OpType::invoke, "read", Json(), 30),
            op(2, OpType::ok, "read", 0, 40),
        };
        const auto result = check_counter(history);
        EXPECT_FALSE(result.valid) << delta.dump();
        EXPECT_NE(result.cannot_check.find("a delta must be a 64-bit integer"), std::string::npos)
            << delta.dump() << ": " << result.cannot_check;
    }
}

}  // namespace
}  // namespace faultline::check
