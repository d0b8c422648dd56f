// abd and dynamo over many seeds of the default fault mix: the correct systems
// pass 100 seeds each, and each bug is caught within its recorded bound by the
// check that should catch it. BENCHMARKS.md ("Quorums") records the figures.
#include <gtest/gtest.h>

#include <algorithm>

#include "runner/sweep.h"

namespace faultline::runner {
namespace {

constexpr std::uint64_t kValidSeeds = 100;

RunConfig system_named(const char* name) {
    RunConfig config;
    config.system = name;
    return config;
}

TEST(QuorumsSweep, TheCorrectSystemsPass100SeedsOfTheDefaultMix) {
    for (const char* name : {"abd", "dynamo"}) {
        const SweepResult result =
            sweep(system_named(name), SweepOptions{1, kValidSeeds, 2, true}, [](const RunResult&) {});
        for (const SweepOutcome& failure : result.failures) {
            ADD_FAILURE() << name << " failed at seed " << failure.seed << ": " << failure.failed_checks
                          << failure.error;
        }
    }
}

TEST(QuorumsSweep, EachBugIsCaughtWithinItsRecordedBound) {
    struct Case {
        const char* system;
        const char* bug;
        std::uint64_t bound;  // its first catching seed (BENCHMARKS.md)
        const char* check;
    };
    for (const Case& c :
         {Case{"abd", "skip-write-back", 21, "linearizability"}, Case{"dynamo", "local-version", 1, "stale-read"}}) {
        SCOPED_TRACE(c.bug);
        RunConfig config = system_named(c.system);
        config.bug = c.bug;
        std::vector<std::string> failing_checks;
        const SweepResult result = sweep(config, SweepOptions{1, c.bound, 2, false}, [&](const RunResult& run) {
            for (const CheckOutcome& check : run.checks) {
                if (check.verdict == Verdict::invalid) failing_checks.push_back(check.name);
            }
        });
        ASSERT_FALSE(result.failures.empty()) << c.bug << " was not caught in " << c.bound << " seeds";
        EXPECT_EQ(result.failures.front().verdict, Verdict::invalid) << result.failures.front().error;
        EXPECT_NE(std::find(failing_checks.begin(), failing_checks.end(), c.check), failing_checks.end())
            << c.bug << " was caught by another check";
    }
}

}  // namespace
}  // namespace faultline::runner
