// txn-kv's isolation matrix, short: each level passes its own claim, each
// weaker level is caught under a stronger claim, and a run replays exactly.
// The long sweep under faults is txn_kv_slow_test.cc.
#include <gtest/gtest.h>

#include "runner/run.h"

namespace faultline::runner {
namespace {

RunConfig txn_kv(const char* isolation, const char* claim, std::uint64_t seed) {
    RunConfig config;
    config.system = "txn-kv";
    config.nodes = 3;
    config.clients = 5;
    config.time_limit = seconds(5);
    config.nemesis = "none";
    config.seed = seed;
    config.system_options["isolation"] = isolation;
    config.system_options["claim"] = claim;
    config.system_options["keys"] = 2;
    return config;
}

const CheckOutcome* isolation_check(const RunResult& result) {
    for (const CheckOutcome& check : result.checks) {
        if (check.name == "isolation") return &check;
    }
    return nullptr;
}

TEST(TxnKv, EachLevelPassesWhatItPromises) {
    for (const char* level : {"read-uncommitted", "read-committed", "snapshot-isolation", "serializable"}) {
        for (std::uint64_t seed = 1; seed <= 2; ++seed) {
            auto result = run(txn_kv(level, "", seed), RunOptions{.keep_node_logs = false});
            ASSERT_TRUE(result.has_value()) << result.error().message;
            const CheckOutcome* check = isolation_check(*result);
            ASSERT_NE(check, nullptr);
            EXPECT_EQ(check->verdict, Verdict::valid) << level << " seed " << seed << ": " << check->summary;
        }
    }
}

TEST(TxnKv, EachWeakerLevelIsCaughtUnderAStrongerClaim) {
    struct Cell {
        const char* level;
        const char* claim;
        const char* bug;
    };
    for (const Cell& cell :
         {Cell{"read-uncommitted", "read-committed", ""}, Cell{"read-committed", "snapshot-isolation", ""},
          Cell{"snapshot-isolation", "serializable", ""}, Cell{"serializable", "", "skip-read-validation"}}) {
        RunConfig config = txn_kv(cell.level, cell.claim, 1);
        config.bug = cell.bug;
        config.search = "random";  // seed 1 was found under it
        auto result = run(config, RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(result.has_value()) << result.error().message;
        const CheckOutcome* check = isolation_check(*result);
        ASSERT_NE(check, nullptr);
        EXPECT_EQ(check->verdict, Verdict::invalid) << cell.level << " claimed as " << cell.claim << cell.bug;
    }
}

TEST(TxnKv, TheSameSeedGivesTheSameRun) {
    RunConfig config = txn_kv("snapshot-isolation", "", 7);
    config.nemesis = "all";
    auto first = run(config, RunOptions{.keep_node_logs = false});
    auto second = run(config, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(first.has_value() && second.has_value());
    EXPECT_EQ(first->trace_hash, second->trace_hash);
    EXPECT_EQ(first->history.size(), second->history.size());
}

TEST(TxnKv, RejectsAClaimThatIsNoModelAndTheBugOnAnotherLevel) {
    EXPECT_FALSE(run(txn_kv("serializable", "serialisable", 1), RunOptions{}).has_value());
    RunConfig config = txn_kv("read-committed", "", 1);
    config.bug = "skip-read-validation";
    EXPECT_FALSE(run(config, RunOptions{}).has_value());
}

}  // namespace
}  // namespace faultline::runner
