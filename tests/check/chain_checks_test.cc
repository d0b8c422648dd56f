// The longest-chain checks on hand-built histories: finality passes when
// every confirmed block is on the final chain and fails, naming the payment,
// the node, the depth and the fork, when one left it (or never held the
// payment); fair-share passes a producer near its power and fails one well
// beyond it; the statistics count stale blocks and reorganisations.
#include "check/chain_checks.h"

#include <gtest/gtest.h>

namespace faultline::check {
namespace {

// Genesis <- 1 <- 2 <- 3 (n0, n1, n0), and a side branch genesis <- 1 <- 12
// (n1) that lost; payment 5 is in block 2, payment 6 in block 12.
ChainHistory two_branches() {
    ChainHistory chain;
    chain.add_node("n0", 0.5);
    chain.add_node("n1", 0.5);
    chain.add_block(1, 0, 0, seconds(1), {});
    chain.add_block(2, 1, 1, seconds(2), {5});
    chain.add_block(12, 1, 1, seconds(2), {6});
    chain.add_block(3, 2, 0, seconds(3), {});
    chain.reorgs.push_back(ChainReorg{.node = 1, .at = seconds(3), .depth = 1});
    chain.head_changes = 7;
    chain.final_head = 3;
    return chain;
}

Operation confirmation(std::int64_t index, std::int64_t tx, std::uint64_t block, std::int64_t height,
                       std::int64_t depth, std::string node) {
    return Operation{.index = index,
                     .time = seconds(4),
                     .process = 0,
                     .type = OpType::ok,
                     .f = "pay",
                     .key = tx,
                     .value = Json{{"block", block}, {"height", height}, {"depth", depth}},
                     .node = std::move(node)};
}

TEST(ChainChecks, FinalityPassesWhenEveryConfirmedBlockIsOnTheFinalChain) {
    const History history{
        Operation{.index = 0, .type = OpType::invoke, .f = "pay", .key = 5}, confirmation(1, 5, 2, 2, 2, "n0"),
        Operation{.index = 2, .type = OpType::info, .f = "pay", .key = 6},  // never confirmed: no promise
    };
    const Outcome outcome = check_finality(history, two_branches());
    EXPECT_EQ(outcome.verdict, Verdict::valid) << outcome.summary;
    EXPECT_EQ(outcome.details["confirmed"], 1);
    EXPECT_EQ(outcome.details["reverted"], 0);
}

TEST(ChainChecks, FinalityFailsWhenAConfirmedBlockLeftTheChain) {
    const History history{confirmation(0, 5, 2, 2, 2, "n0"), confirmation(1, 6, 12, 2, 1, "n1")};
    const Outcome outcome = check_finality(history, two_branches());
    ASSERT_EQ(outcome.verdict, Verdict::invalid);
    EXPECT_NE(outcome.summary.find("payment 6 was confirmed at depth 1 by n1"), std::string::npos) << outcome.summary;
    EXPECT_NE(outcome.summary.find("the two branches split above height 1"), std::string::npos) << outcome.summary;
    EXPECT_NE(outcome.summary.find("it is not on the final chain"), std::string::npos) << outcome.summary;
    const Json& example = outcome.details["counterexample"];
    EXPECT_EQ(example["tx"], 6);
    EXPECT_EQ(example["node"], "n1");
    EXPECT_EQ(example["block"], 12);
    EXPECT_EQ(example["final_block_at_height"], 2);
    EXPECT_EQ(example["fork_height"], 1);
    EXPECT_EQ(outcome.details["involved_ops"], Json::array({1}));
    EXPECT_EQ(outcome.details["reverted"], 1);
}

TEST(ChainChecks, FinalityNamesAPaymentMinedAgainElsewhere) {
    ChainHistory chain = two_branches();
    chain.add_block(4, 3, 1, seconds(5), {6});
    chain.final_head = 4;
    const Outcome outcome = check_finality(History{confirmation(0, 6, 12, 2, 3, "n1")}, chain);
    ASSERT_EQ(outcome.verdict, Verdict::invalid);
    EXPECT_NE(outcome.summary.find("it was mined again at height 4"), std::string::npos) << outcome.summary;
    EXPECT_EQ(outcome.details["counterexample"]["on_final_chain_at"], 4);
}

TEST(ChainChecks, FinalityFailsAConfirmationInABlockThatLacksThePaymentOrWasNeverMined) {
    const Outcome lacking = check_finality(History{confirmation(0, 6, 2, 2, 2, "n0")}, two_branches());
    EXPECT_EQ(lacking.verdict, Verdict::invalid);
    EXPECT_NE(lacking.summary.find("does not hold it"), std::string::npos) << lacking.summary;
    const Outcome unknown = check_finality(History{confirmation(0, 5, 99, 2, 2, "n0")}, two_branches());
    EXPECT_EQ(unknown.verdict, Verdict::invalid);
}

TEST(ChainChecks, StatisticsCountStaleBlocksAndReorganisations) {
    const Json stats = chain_stats(two_branches());
    EXPECT_EQ(stats["mined"], 4);
    EXPECT_EQ(stats["final_length"], 3);
    EXPECT_EQ(stats["stale"], 1);
    EXPECT_DOUBLE_EQ(stats["fork_rate"].get<double>(), 0.25);
    EXPECT_EQ(stats["reorgs"], 1);
    EXPECT_EQ(stats["reorg_depth_max"], 1);
    EXPECT_EQ(stats["head_changes"], 7);
    EXPECT_EQ(stats["shares"]["n0"]["blocks"], 2);
    EXPECT_EQ(stats["shares"]["n1"]["blocks"], 1);
}

// A final chain of `length` blocks, the first `first` of them by n0, and
// `stale` blocks by n1 off it (orphaned: found, not kept).
ChainHistory shares(int length, int first, int stale) {
    ChainHistory chain;
    chain.add_node("n0", 1.0 / 3);
    chain.add_node("n1", 2.0 / 3);
    for (int h = 1; h <= length; ++h) chain.add_block(h, h - 1, h <= first ? 0 : 1, h, {});
    for (int i = 0; i < stale; ++i) chain.add_block(100000 + i, 0, 1, i, {});
    chain.final_head = static_cast<std::uint64_t>(length);
    return chain;
}

TEST(ChainChecks, FairSharePassesAProducerNearWhatItFoundAndFailsOneWellBeyond) {
    // n0 found every block it kept: it cannot have more than its share.
    EXPECT_EQ(check_fair_share(shares(1000, 400, 0), 0).verdict, Verdict::valid);
    // 1,300 found, n0 a third of them (p = 0.33, 5 sigma over 1,000 blocks is
    // 7.4 points): keeping 35% passes, keeping 43% (selfish mining) fails.
    EXPECT_EQ(check_fair_share(shares(1000, 350, 60), 0).verdict, Verdict::valid);
    const Outcome selfish = check_fair_share(shares(1000, 430, 300), 0);
    ASSERT_EQ(selfish.verdict, Verdict::invalid);
    EXPECT_NE(selfish.summary.find("n0 mined 430 of the final chain's 1000 blocks (43.0%), having found 33.1% of all "
                                   "1300 blocks (power 33.3%)"),
              std::string::npos)
        << selfish.summary;
    EXPECT_EQ(selfish.details["node"], "n0");
    // The tolerance widens the bound.
    EXPECT_EQ(check_fair_share(shares(1000, 430, 300), 0.05).verdict, Verdict::valid);
    // Nothing mined: nothing to judge.
    EXPECT_EQ(check_fair_share(shares(0, 0, 0), 0).verdict, Verdict::unknown);
}

}  // namespace
}  // namespace faultline::check
