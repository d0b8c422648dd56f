// Wrong verdicts of long runs, kept out for good (tests/runner/wrong_verdicts_test.cc
// has the short ones).
#include <gtest/gtest.h>

#include <algorithm>

#include "runner/run.h"

namespace faultline::runner {
namespace {

// An hour of the correct Raft KV (seed 3, the default search) wrote to about
// 700 keys; the final reads, one a key, filled the few seconds the run leaves
// them, and the last ten were still on their way when it ended, 122 ms after
// they started. Liveness called them "never completed" and the run invalid.
// They are cut off by the end, not stalled: judged on the time they had.
TEST(WrongVerdictsSlow, FinalReadsTheEndOfALongRunCutsOffAreNotALivenessFailure) {
    RunConfig config;
    config.seed = 3;
    config.time_limit = seconds(3600);
    const auto result = run(config);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->verdict, Verdict::valid);
    const auto liveness = std::find_if(result->checks.begin(), result->checks.end(),
                                       [](const CheckOutcome& check) { return check.name == "liveness"; });
    ASSERT_NE(liveness, result->checks.end());
    EXPECT_EQ(liveness->verdict, Verdict::valid) << liveness->summary;
    EXPECT_GT(liveness->details.value("cut_off_by_the_end", 0), 0)
        << "no operation was open at the end: the run no longer shows the case";
}

}  // namespace
}  // namespace faultline::runner
