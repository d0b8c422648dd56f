// Every known-bug variant of the Raft KV is caught within a bounded number of
// seeds, by the check that should catch it; correct Raft passes the same runs.
// BENCHMARKS.md ("Search power") records how many seeds each took.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "runner/sweep.h"

namespace faultline::runner {
namespace {

struct BugCase {
    const char* bug;
    std::uint64_t seeds_max;     // the bound this test enforces
    const char* caught_by;       // a check that must be among the failing ones
    const char* caught_by_also;  // another acceptable one ("" if none)
    void (*configure)(RunConfig&);
};

void lin_kv_defaults(RunConfig&) {}

// Under the defaults (no hand-tuned flags: the search strategies do the
// tuning, see docs/search.md). Each bound is a little above the first
// catching seed in BENCHMARKS.md ("Search power").
const BugCase cases[] = {
    {"commit-old-term", 60, "leader-completeness", "state-machine-safety", lin_kv_defaults},
    {"forget-vote", 60, "one-vote-per-term", "election-safety", lin_kv_defaults},
    {"stale-read", 20, "linearizability", "", lin_kv_defaults},
    {"no-dedup", 10, "linearizability", "", lin_kv_defaults},
    {"early-ack", 10, "linearizability", "", lin_kv_defaults},
};

TEST(BugVariants, EachIsCaughtWithinItsBoundByTheRightCheck) {
    for (const BugCase& bug : cases) {
        SCOPED_TRACE(bug.bug);
        RunConfig config;
        config.bug = bug.bug;
        bug.configure(config);
        ASSERT_TRUE(config.validate().has_value());
        std::vector<std::string> failing_checks;
        const SweepResult result = sweep(config, SweepOptions{1, bug.seeds_max, 2, false}, [&](const RunResult& run) {
            for (const CheckOutcome& check : run.checks) {
                if (check.verdict == Verdict::invalid) failing_checks.push_back(check.name);
            }
        });
        ASSERT_FALSE(result.failures.empty()) << bug.bug << " was not caught in " << bug.seeds_max << " seeds";
        EXPECT_EQ(result.failures.front().verdict, Verdict::invalid) << result.failures.front().error;
        const bool right_check =
            std::find(failing_checks.begin(), failing_checks.end(), bug.caught_by) != failing_checks.end() ||
            (*bug.caught_by_also != '\0' &&
             std::find(failing_checks.begin(), failing_checks.end(), bug.caught_by_also) != failing_checks.end());
        EXPECT_TRUE(right_check) << bug.bug << " was caught, but by "
                                 << fmt::format("{}", fmt::join(failing_checks, ", "));
    }
}

TEST(BugVariants, CorrectRaftPassesTheSameFaultMixes) {
    for (const BugCase& bug : cases) {
        SCOPED_TRACE(bug.bug);
        RunConfig config;
        bug.configure(config);
        const SweepResult result = sweep(config, SweepOptions{1, 12, 2, true}, [](const RunResult&) {});
        for (const SweepOutcome& failure : result.failures) {
            ADD_FAILURE() << "correct Raft failed with the " << bug.bug << " fault mix at seed " << failure.seed << ": "
                          << failure.failed_checks << failure.error;
        }
    }
}

}  // namespace
}  // namespace faultline::runner
