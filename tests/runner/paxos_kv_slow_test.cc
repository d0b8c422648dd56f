// paxos-kv's bugs are each caught within 200 seeds of the default fault mix,
// by a check that should catch it, and the correct system passes 200 seeds of
// the same mix. BENCHMARKS.md ("Paxos KV") records the first catching seeds.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "runner/sweep.h"

namespace faultline::runner {
namespace {

constexpr std::uint64_t kSeedsMax = 200;

RunConfig paxos_kv() {
    RunConfig config;
    config.system = "paxos-kv";
    return config;
}

TEST(PaxosKvBugs, EachIsCaughtWithin200SeedsOfTheDefaultMix) {
    struct Case {
        const char* bug;
        std::vector<std::string> caught_by;  // any of these
    };
    for (const Case& c : {Case{"ignore-accepted", {"one-value-per-slot", "linearizability"}},
                          Case{"acceptor-forgets-promise", {"promise-kept", "one-value-per-slot"}}}) {
        SCOPED_TRACE(c.bug);
        RunConfig config = paxos_kv();
        config.bug = c.bug;
        std::vector<std::string> failing_checks;
        const SweepResult result = sweep(config, SweepOptions{1, kSeedsMax, 2, false}, [&](const RunResult& run) {
            for (const CheckOutcome& check : run.checks) {
                if (check.verdict == Verdict::invalid) failing_checks.push_back(check.name);
            }
        });
        ASSERT_FALSE(result.failures.empty()) << c.bug << " was not caught in " << kSeedsMax << " seeds";
        const SweepOutcome& first = result.failures.front();
        std::printf("%s: first caught at seed %llu (%s)\n", c.bug, static_cast<unsigned long long>(first.seed),
                    first.failed_checks.c_str());
        EXPECT_EQ(first.verdict, Verdict::invalid) << first.error;
        EXPECT_LE(first.seed, kSeedsMax);
        const bool right_check = std::any_of(c.caught_by.begin(), c.caught_by.end(), [&](const std::string& name) {
            return std::find(failing_checks.begin(), failing_checks.end(), name) != failing_checks.end();
        });
        EXPECT_TRUE(right_check) << c.bug << " was caught, but by "
                                 << fmt::format("{}", fmt::join(failing_checks, ", "));
    }
}

TEST(PaxosKvBugs, CorrectPaxosPasses200SeedsOfTheSameMix) {
    const SweepResult result = sweep(paxos_kv(), SweepOptions{1, kSeedsMax, 2, true}, [](const RunResult&) {});
    for (const SweepOutcome& failure : result.failures) {
        ADD_FAILURE() << "correct paxos-kv failed at seed " << failure.seed << ": " << failure.failed_checks
                      << failure.error;
    }
}

}  // namespace
}  // namespace faultline::runner
