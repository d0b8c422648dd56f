// The longest-chain core: the block tree's fork choice (longest wins, ties
// by first-seen or newest), its transaction index across a reorganisation,
// double-spends refused on one chain and allowed on another; and nodes in a
// small simulated cluster: production follows power, the nodes agree on a
// common prefix, a payment is answered at depth k, and a seed replays.
#include "protocols/chain/chain.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "sim/simulation.h"
#include "sim/test_nodes.h"

namespace faultline::protocols::chain {
namespace {

BlockPtr block(BlockId id, BlockId parent, std::int64_t height, std::vector<Tx> txs = {}) {
    return std::make_shared<Block>(
        Block{.id = id, .parent = parent, .height = height, .miner = NodeId{0}, .txs = std::move(txs)});
}

TEST(BlockTree, TheLongestChainWinsAndATieKeepsTheFirstSeen) {
    BlockTree tree;
    EXPECT_EQ(tree.height(), 0);
    ASSERT_TRUE(tree.add(block(1, kGenesis, 1), TieBreak::first_seen));
    ASSERT_TRUE(tree.add(block(2, 1, 2), TieBreak::first_seen));
    EXPECT_FALSE(tree.add(block(3, kGenesis, 1), TieBreak::first_seen));  // shorter: stored, not followed
    EXPECT_FALSE(tree.add(block(4, 3, 2), TieBreak::first_seen));         // a tie: the first seen stays
    EXPECT_EQ(tree.head()->id, 2u);
    auto change = tree.add(block(5, 4, 3), TieBreak::first_seen);  // longer: reorganise
    ASSERT_TRUE(change);
    EXPECT_EQ(change->from, 2u);
    EXPECT_EQ(change->to, 5u);
    EXPECT_EQ(change->fork_height, 0);
    ASSERT_EQ(change->dropped.size(), 2u);
    EXPECT_EQ(change->dropped[0]->id, 2u);  // from the old head down
    EXPECT_EQ(change->dropped[1]->id, 1u);
    ASSERT_EQ(change->added.size(), 3u);
    EXPECT_EQ(change->added[0]->id, 3u);  // from the fork point up
    EXPECT_EQ(change->added[2]->id, 5u);
    EXPECT_EQ(tree.chain(), (std::vector<BlockId>{kGenesis, 3, 4, 5}));
    EXPECT_FALSE(tree.add(block(5, 4, 3), TieBreak::newest));  // held already: nothing
}

TEST(BlockTree, NewestTieBreakSwitchesToTheLaterTip) {
    BlockTree tree;
    ASSERT_TRUE(tree.add(block(1, kGenesis, 1), TieBreak::newest));
    auto change = tree.add(block(2, kGenesis, 1), TieBreak::newest);
    ASSERT_TRUE(change);
    EXPECT_EQ(change->dropped.size(), 1u);
    EXPECT_EQ(tree.head()->id, 2u);
    EXPECT_FALSE(tree.add(block(3, kGenesis, 1), TieBreak::first_seen));
    EXPECT_EQ(tree.head()->id, 2u);
}

TEST(BlockTree, TheTransactionIndexFollowsAReorganisation) {
    BlockTree tree;
    tree.add(block(1, kGenesis, 1, {{.id = 10, .coin = 10}}), TieBreak::first_seen);
    tree.add(block(2, 1, 2), TieBreak::first_seen);
    EXPECT_EQ(tree.tx_height(10), 1);
    EXPECT_EQ(tree.depth_of(1), 2);
    tree.add(block(3, kGenesis, 1), TieBreak::first_seen);
    tree.add(block(4, 3, 2, {{.id = 11, .coin = 11}}), TieBreak::first_seen);
    tree.add(block(5, 4, 3, {{.id = 10, .coin = 10}}), TieBreak::first_seen);
    EXPECT_EQ(tree.tx_height(10), 3);  // mined again on the new chain
    EXPECT_EQ(tree.tx_height(11), 2);
    EXPECT_FALSE(tree.tx_height(12));
}

TEST(BlockTree, ACoinSpentOnAChainCannotBeSpentAgainThereButMayOnAnother) {
    BlockTree tree;
    tree.add(block(1, kGenesis, 1, {{.id = 10, .coin = 7}}), TieBreak::first_seen);
    const std::vector<Tx> theft{{.id = -11, .coin = 7}};
    EXPECT_FALSE(tree.valid_on(1, theft));                         // the coin is spent below
    EXPECT_TRUE(tree.valid_on(kGenesis, theft));                   // a branch without the payment
    EXPECT_FALSE(tree.valid_on(kGenesis, {{10, 7}, {12, 7}}));     // twice in one block
    EXPECT_FALSE(tree.valid_on(kGenesis, {{10, 7}, {10, 8}}));     // one payment twice
    tree.add(block(2, kGenesis, 1, theft), TieBreak::first_seen);  // the double-spend, on its own branch
    tree.add(block(3, 2, 2), TieBreak::first_seen);                // ...which wins
    EXPECT_FALSE(tree.tx_height(10));
    EXPECT_FALSE(tree.valid_on(3, {{10, 7}}));  // the victim can never be mined again
    // A builder picks what fits, in order, and counts the blocks above its parent.
    const std::vector<Tx> candidates{{10, 7}, {20, 20}, {21, 20}, {22, 22}};
    EXPECT_EQ(tree.select(3, {}, candidates, 10), (std::vector<Tx>{{20, 20}, {22, 22}}));
    EXPECT_EQ(tree.select(3, {}, candidates, 1), (std::vector<Tx>{{20, 20}}));
    const std::vector<BlockPtr> above{block(9, 3, 3, {{20, 20}})};
    EXPECT_EQ(tree.select(3, above, candidates, 10), (std::vector<Tx>{{22, 22}}));
    EXPECT_EQ(tree.select(kGenesis, {}, candidates, 10), (std::vector<Tx>{{10, 7}, {20, 20}, {22, 22}}));
}

// Every block mined and every head change.
class Counts final : public ChainSink {
  public:
    void mined(const BlockPtr& block) override { ++by_miner[block->miner.value]; }
    void head_changed(NodeId, const HeadChange& change) override {
        if (!change.dropped.empty()) ++reorgs;
    }
    std::map<std::uint32_t, int> by_miner;
    int reorgs = 0;
};

struct Cluster {
    Cluster(std::vector<double> shares, ChainOptions options, std::uint64_t seed = 1)
        : simulation(sim::SimulationOptions{.seed = seed}) {
        for (std::size_t i = 0; i < shares.size(); ++i) {
            ChainOptions mine = options;
            mine.share = shares[i];
            servers.push_back(simulation.add_server(
                "n" + std::to_string(i), [mine, this] { return std::make_unique<ChainNode>(mine, &counts); }));
        }
        client = simulation.add_client("c0", sim::testing::make_probe);
        simulation.start();
    }
    const ChainNode& node(int i) { return *simulation.node_as<ChainNode>(servers[static_cast<std::size_t>(i)]); }

    Counts counts;
    sim::Simulation simulation;
    std::vector<NodeId> servers;
    NodeId client;
};

TEST(ChainNode, BlocksComeAtTheClusterRateAndEachNodeMinesByItsPower) {
    ChainOptions options;
    options.block_interval = milliseconds(100);
    Cluster cluster({0.6, 0.3, 0.1}, options);
    cluster.simulation.run_for(seconds(300));
    // About 3,000 blocks; each count within five standard deviations.
    double total = 0;
    for (const auto& [miner, count] : cluster.counts.by_miner) total += count;
    EXPECT_NEAR(total, 3000, 5 * std::sqrt(3000.0));
    const double power[] = {0.6, 0.3, 0.1};
    for (int i = 0; i < 3; ++i) {
        const double expected = power[i] * total;
        EXPECT_NEAR(cluster.counts.by_miner[cluster.servers[i].value], expected,
                    5 * std::sqrt(expected * (1 - power[i])))
            << "n" << i;
    }
    // The nodes agree on all but the newest few blocks.
    const auto& a = cluster.node(0).tree().chain();
    for (int i = 1; i < 3; ++i) {
        const auto& b = cluster.node(i).tree().chain();
        const std::size_t common = std::min(a.size(), b.size()) - 5;
        ASSERT_GT(common, 2000u);
        EXPECT_TRUE(std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(common), b.begin())) << "n" << i;
    }
}

TEST(ChainNode, APaymentIsAnsweredOnceItsBlockIsKDeep) {
    ChainOptions options;
    options.confirmations = 4;
    Cluster cluster({0.5, 0.5}, options);
    std::vector<PayConfirmed> answers;
    auto* probe = cluster.simulation.node_as<sim::testing::ProbeNode>(cluster.client);
    probe->on_receive = [&](Context&, const Envelope& envelope) {
        if (const auto* reply = message_as<PayConfirmed>(*envelope.message)) answers.push_back(*reply);
    };
    cluster.simulation.invoke(cluster.client, [&](Node&, Context& ctx) {
        auto pay = std::make_shared<PayRequest>();
        pay->msg_id = 9;
        pay->tx = 42;
        ctx.send(cluster.servers[1], pay);
    });
    cluster.simulation.run_for(seconds(5));
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].in_reply_to, 9u);
    EXPECT_EQ(answers[0].tx, 42);
    EXPECT_EQ(answers[0].depth, 4);
    // The block named holds the payment, on both nodes' chains.
    for (int i = 0; i < 2; ++i) {
        const BlockTree& tree = cluster.node(i).tree();
        ASSERT_TRUE(tree.tx_height(42)) << i;
        EXPECT_EQ(*tree.tx_height(42), answers[0].height);
        EXPECT_EQ(tree.chain()[static_cast<std::size_t>(answers[0].height)], answers[0].block);
    }
}

TEST(ChainNode, TheSameSeedGrowsTheSameChain) {
    ChainOptions options;
    Cluster a({0.25, 0.25, 0.25, 0.25}, options, 7), b({0.25, 0.25, 0.25, 0.25}, options, 7),
        c({0.25, 0.25, 0.25, 0.25}, options, 8);
    a.simulation.run_for(seconds(20));
    b.simulation.run_for(seconds(20));
    c.simulation.run_for(seconds(20));
    EXPECT_EQ(a.node(2).tree().chain(), b.node(2).tree().chain());
    EXPECT_NE(a.node(2).tree().chain(), c.node(2).tree().chain());
}

TEST(ChainNode, AnAttackName) {
    for (Attack attack : {Attack::none, Attack::double_spend, Attack::selfish}) {
        EXPECT_EQ(parse_attack(attack_name(attack)), attack);
    }
    EXPECT_FALSE(parse_attack("eclipse"));
}

}  // namespace
}  // namespace faultline::protocols::chain
