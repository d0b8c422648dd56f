// txn-kv's isolation matrix under faults (crashes, partitions, message loss,
// pauses, clocks, disks: the default nemesis), at the default workload: each
// level passes its own claim on seeds 1..8, and each weaker level (or the
// broken serializable) is caught under a stronger claim within a bounded
// number of seeds.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "runner/run.h"

namespace faultline::runner {
namespace {

RunConfig txn_kv(const std::string& isolation, const std::string& claim, const std::string& bug, std::uint64_t seed) {
    RunConfig config;
    config.system = "txn-kv";
    config.seed = seed;
    config.bug = bug;
    config.system_options["isolation"] = isolation;
    config.system_options["claim"] = claim;
    return config;
}

Verdict isolation_verdict(const RunConfig& config, std::string* summary) {
    auto result = run(config, RunOptions{.keep_node_logs = false});
    EXPECT_TRUE(result.has_value()) << result.error().message;
    if (!result) return Verdict::unknown;
    for (const CheckOutcome& check : result->checks) {
        if (check.name == "isolation") {
            *summary = check.summary;
            return check.verdict;
        }
    }
    ADD_FAILURE() << "no isolation check";
    return Verdict::unknown;
}

TEST(TxnKvMatrix, EachLevelPassesItsOwnClaimUnderFaults) {
    for (const char* level : {"read-uncommitted", "read-committed", "snapshot-isolation", "serializable"}) {
        for (std::uint64_t seed = 1; seed <= 8; ++seed) {
            std::string summary;
            EXPECT_EQ(isolation_verdict(txn_kv(level, "", "", seed), &summary), Verdict::valid)
                << level << " seed " << seed << ": " << summary
                << "\n  repro: faultline test --system txn-kv --isolation " << level << " --seed " << seed;
        }
    }
}

TEST(TxnKvMatrix, EachWeakerLevelIsCaughtUnderAStrongerClaimWithinTheBound) {
    struct Cell {
        const char* level;
        const char* claim;
        const char* bug;
        std::uint64_t seeds_max;
    };
    const Cell cells[] = {
        {"read-uncommitted", "read-committed", "", 5},    {"read-uncommitted", "serializable", "", 5},
        {"read-committed", "cursor-stability", "", 5},    {"read-committed", "snapshot-isolation", "", 5},
        {"read-committed", "serializable", "", 5},        {"snapshot-isolation", "serializable", "", 5},
        {"snapshot-isolation", "repeatable-read", "", 5}, {"serializable", "", "skip-read-validation", 5},
    };
    for (const Cell& cell : cells) {
        bool caught = false;
        for (std::uint64_t seed = 1; seed <= cell.seeds_max && !caught; ++seed) {
            std::string summary;
            caught = isolation_verdict(txn_kv(cell.level, cell.claim, cell.bug, seed), &summary) == Verdict::invalid;
        }
        EXPECT_TRUE(caught) << cell.level << " claimed as " << cell.claim << cell.bug << ": not caught in "
                            << cell.seeds_max << " seeds";
    }
}

}  // namespace
}  // namespace faultline::runner
