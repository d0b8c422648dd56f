// The physical-clock checks on hand-made records: each fails on its case and
// passes the honest one beside it.
#include "check/physical_clock_checks.h"

#include <gtest/gtest.h>

namespace faultline::check {
namespace {

SyncRecord exchange(Nanos delay, Nanos estimate, Nanos true_offset, Nanos applied) {
    return SyncRecord{seconds(30), "n1", delay, estimate, true_offset, applied, "slew"};
}

TEST(SyncChecks, AnEstimateWithinHalfTheRoundTripPassesAndOneBeyondFails) {
    const SyncBounds bounds{.sync_error_max = milliseconds(10)};
    // A 40 ms round trip: the estimate may be off by up to 20 ms.
    auto outcomes = check_sync({exchange(milliseconds(40), milliseconds(19), 0, milliseconds(19))}, bounds);
    EXPECT_EQ(outcomes[0].name, "offset-bound");
    EXPECT_EQ(outcomes[0].verdict, Verdict::valid) << outcomes[0].summary;
    EXPECT_EQ(outcomes[1].verdict, Verdict::invalid);  // but 19 ms is beyond the 10 ms asked for
    outcomes = check_sync({exchange(milliseconds(40), milliseconds(25), 0, milliseconds(25))}, bounds);
    EXPECT_EQ(outcomes[0].verdict, Verdict::invalid);
    EXPECT_NE(outcomes[0].summary.find("n1"), std::string::npos);
}

TEST(SyncChecks, APanicAppliesNothingAndLeavesTheClockWhereItWas) {
    SyncRecord panic = exchange(milliseconds(20), -seconds(2000), -seconds(2000), 0);
    panic.decision = "panic";
    const auto outcomes = check_sync({panic}, SyncBounds{});
    EXPECT_EQ(outcomes[0].verdict, Verdict::valid);    // the estimate was right
    EXPECT_EQ(outcomes[1].verdict, Verdict::invalid);  // and the clock stayed 2000 s off
}

TEST(ExternalConsistency, ALaterTransactionWithASmallerTimestampIsCaught) {
    const std::vector<CommitRecord> ordered = {{0, milliseconds(5), milliseconds(10), "n0"},
                                               {milliseconds(6), milliseconds(9), milliseconds(11), "n1"}};
    EXPECT_EQ(check_external_consistency(ordered).verdict, Verdict::valid);
    const std::vector<CommitRecord> inverted = {{0, milliseconds(5), milliseconds(10), "n0"},
                                                {milliseconds(6), milliseconds(9), milliseconds(8), "n1"}};
    const Outcome outcome = check_external_consistency(inverted);
    EXPECT_EQ(outcome.verdict, Verdict::invalid);
    EXPECT_NE(outcome.summary.find("n1"), std::string::npos);
    // Overlapping in real time, either order is fine.
    const std::vector<CommitRecord> overlapping = {{0, milliseconds(7), milliseconds(10), "n0"},
                                                   {milliseconds(6), milliseconds(9), milliseconds(8), "n1"}};
    EXPECT_EQ(check_external_consistency(overlapping).verdict, Verdict::valid);
}

}  // namespace
}  // namespace faultline::check
