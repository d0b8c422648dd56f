// The stale-read check: histories that must pass and histories that must fail.
#include "check/stale_read_checker.h"

#include <gtest/gtest.h>

namespace faultline::check {
namespace {

Operation op(std::int64_t process, OpType type, const char* f, Json value, Nanos time, std::int64_t key = 0) {
    return Operation{.time = time, .process = process, .type = type, .f = f, .key = key, .value = std::move(value)};
}

Operation absent(std::int64_t process, Nanos time) {
    Operation read = op(process, OpType::fail, "read", Json(), time);
    read.error = 20;
    return read;
}

// Write 1, then write 2 (acknowledged at 40), then a read begun at 50.
History read_after_two_writes(Operation read_completion) {
    return History{
        op(0, OpType::invoke, "write", 1, 10),     op(0, OpType::ok, "write", 1, 20),
        op(1, OpType::invoke, "write", 2, 30),     op(1, OpType::ok, "write", 2, 40),
        op(2, OpType::invoke, "read", Json(), 50), std::move(read_completion),
    };
}

TEST(StaleReadChecker, AReadOfTheNewestAcknowledgedWritePasses) {
    const auto result = check_stale_reads(read_after_two_writes(op(2, OpType::ok, "read", 2, 60)));
    EXPECT_TRUE(result.valid());
    EXPECT_EQ(result.reads, 1);
    EXPECT_EQ(outcome_of(result).verdict, Verdict::valid);
}

TEST(StaleReadChecker, AReadOfAReplacedWriteIsStale) {
    const auto result = check_stale_reads(read_after_two_writes(op(2, OpType::ok, "read", 1, 60)));
    ASSERT_FALSE(result.valid());
    EXPECT_EQ(result.stale, 1);
    ASSERT_EQ(result.examples.size(), 1u);
    EXPECT_EQ(result.examples[0].missed, 2);
    const Outcome outcome = outcome_of(result);
    EXPECT_EQ(outcome.verdict, Verdict::invalid);
    EXPECT_EQ(outcome.failed_at, 60);
    EXPECT_NE(outcome.summary.find("missing the write of 2"), std::string::npos) << outcome.summary;
}

TEST(StaleReadChecker, FindingTheKeyAbsentAfterAnAcknowledgedWriteIsStale) {
    const auto result = check_stale_reads(read_after_two_writes(absent(2, 60)));
    ASSERT_FALSE(result.valid());
    EXPECT_TRUE(result.examples[0].value.is_null());
    // Before any write was acknowledged, absent is a fine answer.
    const History early{op(2, OpType::invoke, "read", Json(), 5), absent(2, 8), op(0, OpType::invoke, "write", 1, 10),
                        op(0, OpType::ok, "write", 1, 20)};
    EXPECT_TRUE(check_stale_reads(early).valid());
}

TEST(StaleReadChecker, AReadConcurrentWithTheNewerWriteMaySeeEither) {
    for (int value : {1, 2}) {
        History history{
            op(0, OpType::invoke, "write", 1, 10), op(0, OpType::ok, "write", 1, 20),
            op(1, OpType::invoke, "write", 2, 30), op(2, OpType::invoke, "read", Json(), 35),
            op(1, OpType::ok, "write", 2, 40),     op(2, OpType::ok, "read", value, 60),
        };
        EXPECT_TRUE(check_stale_reads(history).valid()) << value;
    }
}

TEST(StaleReadChecker, OverlappingWritesMayBeOrderedEitherWay) {
    for (int value : {1, 2}) {
        History history{
            op(0, OpType::invoke, "write", 1, 10),     op(1, OpType::invoke, "write", 2, 12),
            op(0, OpType::ok, "write", 1, 20),         op(1, OpType::ok, "write", 2, 25),
            op(2, OpType::invoke, "read", Json(), 50), op(2, OpType::ok, "read", value, 60),
        };
        EXPECT_TRUE(check_stale_reads(history).valid()) << value;
    }
}

TEST(StaleReadChecker, AWriteOfUnknownOutcomeReplacesNothingForSure) {
    History history = read_after_two_writes(op(2, OpType::ok, "read", 1, 60));
    history[3].type = OpType::info;  // write 2 timed out
    EXPECT_TRUE(check_stale_reads(history).valid());
}

TEST(StaleReadChecker, KeysAreJudgedApart) {
    History history{
        op(0, OpType::invoke, "write", 1, 10, 0),     op(0, OpType::ok, "write", 1, 20, 0),
        op(1, OpType::invoke, "write", 2, 30, 1),     op(1, OpType::ok, "write", 2, 40, 1),
        op(2, OpType::invoke, "read", Json(), 50, 0), op(2, OpType::ok, "read", 1, 60, 0),
    };
    EXPECT_TRUE(check_stale_reads(history).valid());
}

TEST(StaleReadChecker, FinalReadsAreCountedApartAndAValueNeverWrittenFails) {
    StaleReadOptions options;
    options.finals_from = 50;
    const auto stale = check_stale_reads(read_after_two_writes(op(2, OpType::ok, "read", 1, 60)), options);
    EXPECT_EQ(stale.final_reads, 1);
    EXPECT_EQ(stale.stale_final, 1);
    const auto invented = check_stale_reads(read_after_two_writes(op(2, OpType::ok, "read", 9, 60)));
    EXPECT_FALSE(invented.valid());
    EXPECT_EQ(invented.stale, 0);
    EXPECT_EQ(invented.errors.size(), 1u);
}

}  // namespace
}  // namespace faultline::check
