// The set checker: histories that must pass and histories that must fail.
#include "check/set_checker.h"

#include <gtest/gtest.h>

namespace faultline::check {
namespace {

Operation op(std::int64_t process, OpType type, const char* f, Json value, Nanos time) {
    return Operation{.time = time, .process = process, .type = type, .f = f, .value = std::move(value)};
}

TEST(SetChecker, EveryAcknowledgedAddInEveryFinalReadPasses) {
    const History history{
        op(0, OpType::invoke, "add", 1, 10),        op(0, OpType::ok, "add", 1, 20),
        op(1, OpType::invoke, "add", 2, 10),        op(1, OpType::info, "add", 2, 20),  // may or may not appear
        op(2, OpType::invoke, "read", Json(), 100), op(2, OpType::ok, "read", Json::array({1, 2}), 110),
        op(3, OpType::invoke, "read", Json(), 100), op(3, OpType::ok, "read", Json::array({1}), 110),
    };
    const auto result = check_set(history, 100);
    EXPECT_TRUE(result.valid) << (result.errors.empty() ? "" : result.errors.front());
    EXPECT_EQ(result.final_reads, 2);
}

TEST(SetChecker, AnAcknowledgedAddMissingFromAFinalReadFails) {
    const History history{
        op(0, OpType::invoke, "add", 1, 10),        op(0, OpType::ok, "add", 1, 20),
        op(2, OpType::invoke, "read", Json(), 100), op(2, OpType::ok, "read", Json::array({1}), 110),
        op(3, OpType::invoke, "read", Json(), 100), op(3, OpType::ok, "read", Json::array(), 110),
    };
    const auto result = check_set(history, 100);
    EXPECT_FALSE(result.valid);
    EXPECT_EQ(result.lost, 1);
}

TEST(SetChecker, AValueNobodyAddedFails) {
    const History history{
        op(2, OpType::invoke, "read", Json(), 100),
        op(2, OpType::ok, "read", Json::array({42}), 110),
    };
    EXPECT_FALSE(check_set(history, 100).valid);
}

TEST(SetChecker, ReadsBeforeTheFinalPhaseMayBeIncomplete) {
    const History history{
        op(0, OpType::invoke, "add", 1, 10),
        op(0, OpType::ok, "add", 1, 20),
        op(2, OpType::invoke, "read", Json(), 30),
        op(2, OpType::ok, "read", Json::array(), 40),
    };
    EXPECT_TRUE(check_set(history, 100).valid);
}

}  // namespace
}  // namespace faultline::check
