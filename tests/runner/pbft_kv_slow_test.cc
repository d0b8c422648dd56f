// pbft-kv under the Byzantine nemesis, swept: with f = 1 Byzantine replica of
// four (its behaviour drawn from each seed) the KV is valid on 100 seeds of the
// default fault mix; --bug quorum-2f is caught by the agreement check within
// its recorded bound; raft-kv with one Byzantine node is caught within its
// bound. BENCHMARKS.md ("PBFT KV") records the first catching seeds.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "runner/sweep.h"

namespace faultline::runner {
namespace {

// First caught at seeds 3 and 1 (BENCHMARKS.md, "PBFT KV").
constexpr std::uint64_t kQuorum2fBound = 20;
constexpr std::uint64_t kRaftBound = 10;

RunConfig pbft_kv() {
    RunConfig config;
    config.system = "pbft-kv";
    config.nodes = 4;
    // View changes back off (up to 8 x 500 ms): recovery gets 20 s, not 10.
    config.recovery = seconds(20);
    return config;
}

// The first seed at which the sweep of `config` fails, and which checks failed.
SweepOutcome first_caught(const RunConfig& config, std::uint64_t bound) {
    const SweepResult result = sweep(config, SweepOptions{1, bound, 2, false}, [](const RunResult&) {});
    if (result.failures.empty()) return SweepOutcome{};
    return result.failures.front();
}

TEST(PbftKvSweep, OneByzantineReplicaOfFourPasses100SeedsOfTheDefaultMix) {
    const SweepResult result = sweep(pbft_kv(), SweepOptions{1, 100, 2, true}, [](const RunResult&) {});
    for (const SweepOutcome& failure : result.failures) {
        ADD_FAILURE() << "pbft-kv failed at seed " << failure.seed << ": " << failure.failed_checks << failure.error;
    }
}

TEST(PbftKvSweep, Quorum2fIsCaughtWithinItsBound) {
    RunConfig config = pbft_kv();
    config.bug = "quorum-2f";
    const SweepOutcome first = first_caught(config, kQuorum2fBound);
    ASSERT_NE(first.seed, 0u) << "quorum-2f was not caught in " << kQuorum2fBound << " seeds";
    std::printf("quorum-2f: first caught at seed %llu (%s)\n", static_cast<unsigned long long>(first.seed),
                first.failed_checks.c_str());
    EXPECT_NE(first.failed_checks.find("agreement"), std::string::npos) << first.failed_checks << first.error;
}

TEST(PbftKvSweep, RaftWithOneByzantineNodeIsCaughtWithinItsBound) {
    RunConfig config;
    config.system = "raft-kv";
    config.system_options["byzantine"] = 1;
    const SweepOutcome first = first_caught(config, kRaftBound);
    ASSERT_NE(first.seed, 0u) << "one Byzantine node was not caught in " << kRaftBound << " seeds";
    std::printf("raft-kv --byzantine 1: first caught at seed %llu (%s)\n", static_cast<unsigned long long>(first.seed),
                first.failed_checks.c_str());
    EXPECT_EQ(first.verdict, Verdict::invalid) << first.error;
}

}  // namespace
}  // namespace faultline::runner
