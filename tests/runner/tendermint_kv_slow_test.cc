// tendermint-kv, long: 100 seeds of the default fault mix with one Byzantine
// validator of four (its behaviour from the seed) are all valid, and --bug
// quorum-half is caught by the agreement check within the first 3 seeds of
// that same mix (found by sweeping: seed 3 is the first).
#include <gtest/gtest.h>

#include "runner/run.h"
#include "runner/sweep.h"

namespace faultline::runner {
namespace {

RunConfig tendermint_kv() {
    RunConfig config;
    config.system = "tendermint-kv";
    config.nodes = 4;
    return config;
}

TEST(TendermintKvSlow, OneHundredSeedsWithOneByzantineValidatorAreValid) {
    const SweepResult result = sweep(tendermint_kv(), SweepOptions{1, 100, 2, true}, [](const RunResult&) {});
    EXPECT_EQ(result.runs, 100u);
    for (const SweepOutcome& failure : result.failures) {
        ADD_FAILURE() << "seed " << failure.seed << ": " << failure.failed_checks << failure.error;
    }
}

TEST(TendermintKvSlow, QuorumHalfIsCaughtWithinThreeSeeds) {
    RunConfig config = tendermint_kv();
    config.bug = "quorum-half";
    const SweepResult result = sweep(config, SweepOptions{1, 3, 1, false}, [](const RunResult&) {});
    ASSERT_FALSE(result.failures.empty());
    EXPECT_NE(result.failures.front().failed_checks.find("agreement"), std::string::npos)
        << result.failures.front().failed_checks;
}

}  // namespace
}  // namespace faultline::runner
