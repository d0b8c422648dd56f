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

TEST(SetChecker, CompactSetWritesRunsAsRanges) {
    EXPECT_EQ(compact_set({}), (Json{{"ranges", Json::array()}}));
    EXPECT_EQ(compact_set({1, 2, 3, 5, 7, 8}), (Json{{"ranges", {{1, 3}, {5, 5}, {7, 8}}}}));
}

TEST(SetChecker, SetAsArrayExpandsTheCompactFormOnly) {
    EXPECT_EQ(set_as_array(compact_set({1, 2, 3, 7})), Json::array({1, 2, 3, 7}));
    EXPECT_EQ(set_as_array(compact_set({})), Json::array());
    EXPECT_EQ(set_as_array(Json::array({3, 1})), Json::array({3, 1}));
    EXPECT_EQ(set_as_array(Json(5)), Json(5));
}

// The same histories with compact reads: the same verdicts.
TEST(SetChecker, CompactReadsAreJudgedAsTheirValues) {
    auto history = [](Json final_read, Json early_read) {
        History h;
        for (std::int64_t v = 1; v <= 5; ++v) {
            h.push_back(op(0, OpType::invoke, "add", v, 10 * v));
            h.push_back(op(0, OpType::ok, "add", v, 10 * v + 5));
        }
        h.push_back(op(1, OpType::invoke, "read", Json(), 60));
        h.push_back(op(1, OpType::ok, "read", std::move(early_read), 70));
        h.push_back(op(2, OpType::invoke, "read", Json(), 100));
        h.push_back(op(2, OpType::ok, "read", std::move(final_read), 110));
        return h;
    };
    const Json early = compact_set({1, 2});
    EXPECT_TRUE(check_set(history(compact_set({1, 2, 3, 4, 5}), early), 100).valid);
    EXPECT_TRUE(check_set(history(Json::array({5, 3, 1, 2, 4, 4}), early), 100).valid);
    // 4 lost from the final read, in either form.
    const auto lost = check_set(history(compact_set({1, 2, 3, 5}), early), 100);
    EXPECT_FALSE(lost.valid);
    EXPECT_EQ(lost.lost, 1);
    EXPECT_EQ(check_set(history(Json::array({1, 2, 3, 5}), early), 100).lost, 1);
    // 6 was never added: a range that reaches past the adds fails, early or final.
    const auto created = check_set(history(compact_set({1, 2, 3, 4, 5}), compact_set({1, 2, 6})), 100);
    EXPECT_FALSE(created.valid);
    EXPECT_EQ(created.errors.front(), "op 0: read 6, which nobody added");
    EXPECT_FALSE(check_set(history(Json{{"ranges", {{1, 6}}}}, early), 100).valid);
    EXPECT_FALSE(check_set(history(Json{{"ranges", {{0, 5}}}}, early), 100).valid);
}

TEST(SetChecker, AMalformedCompactReadIsNoFinalRead) {
    History h{op(0, OpType::invoke, "add", 1, 10), op(0, OpType::ok, "add", 1, 20),
              op(1, OpType::invoke, "read", Json(), 100), op(1, OpType::ok, "read", Json{{"ranges", {{3, 1}}}}, 110)};
    EXPECT_EQ(check_set(h, 100).final_reads, 0);
    h.back().value = Json{{"ranges", {{1, 1}, {1, 1}}}};  // overlapping
    EXPECT_EQ(check_set(h, 100).final_reads, 0);
    h.back().value = Json{{"ranges", {{1, 1}}}};
    EXPECT_EQ(check_set(h, 100).final_reads, 1);
}

}  // namespace
}  // namespace faultline::check
