// The gossip core in small simulated clusters: each mode reaches every node
// in about log N rounds, a rumour cools after its hot rounds, pull costs
// messages even with nothing to say, and anti-entropy fills in a node that
// crashed and came back empty.
#include "protocols/gossip/gossip.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <map>

#include "protocols/broadcast/broadcast.h"
#include "sim/simulation.h"
#include "sim/test_nodes.h"

namespace faultline::protocols::gossip {
namespace {

// Counts what the nodes report.
class Counts final : public GossipSink {
  public:
    void learnt(NodeId, std::int64_t rumour, bool) override { ++learnt_by[rumour]; }
    void carried(NodeId, const std::vector<std::int64_t>& rumours) override {
        for (std::int64_t r : rumours) ++copies[r];
    }
    std::map<std::int64_t, int> learnt_by, copies;
};

struct Cluster {
    Cluster(GossipOptions options, int nodes, std::uint64_t seed = 1, sim::LinkConfig link = {})
        : simulation(sim::SimulationOptions{.seed = seed, .link = link}) {
        for (int i = 0; i < nodes; ++i) {
            servers.push_back(simulation.add_server(
                "n" + std::to_string(i), [options, this] { return std::make_unique<GossipNode>(options, &counts); }));
        }
        client = simulation.add_client("c0", sim::testing::make_probe);
        simulation.start();
    }
    void give(int server, std::int64_t rumour) {
        simulation.invoke(client, [&](Node&, Context& ctx) {
            auto request = std::make_shared<broadcast::BroadcastRequest>();
            request->msg_id = static_cast<std::uint64_t>(rumour) + 1;
            request->value = rumour;
            ctx.send(servers[static_cast<std::size_t>(server)], request);
        });
    }
    int knowing(std::int64_t rumour) {
        int count = 0;
        for (NodeId server : servers) {
            const auto* node = simulation.node_as<GossipNode>(server);
            if (node != nullptr && node->known().contains(rumour)) ++count;
        }
        return count;
    }
    // Rounds (of 100 ms) until every node knows `rumour`, up to `max`.
    int rounds_to_all(std::int64_t rumour, int max) {
        for (int round = 1; round <= max; ++round) {
            simulation.run_for(milliseconds(100));
            if (knowing(rumour) == static_cast<int>(servers.size())) return round;
        }
        return max + 1;
    }

    Counts counts;
    sim::Simulation simulation;
    std::vector<NodeId> servers;
    NodeId client;
};

GossipOptions options(Mode mode, int fanout, Nanos anti_entropy = 0) {
    GossipOptions o;
    o.mode = mode;
    o.fanout = fanout;
    o.hot_rounds = 20;
    o.anti_entropy_interval = anti_entropy;
    return o;
}

TEST(Gossip, EveryModeReachesEveryNodeInAboutLogNRounds) {
    // 64 nodes: log2 64 + ln 64 = 10.2 rounds for push with fan-out 1.
    for (Mode mode : {Mode::push, Mode::pull, Mode::push_pull}) {
        int total = 0;
        for (std::uint64_t seed = 1; seed <= 5; ++seed) {
            Cluster cluster(options(mode, 1), 64, seed);
            cluster.simulation.run_for(milliseconds(50));  // mid-round
            cluster.give(0, 1);
            const int rounds = cluster.rounds_to_all(1, 60);
            EXPECT_LE(rounds, 20) << mode_name(mode) << " seed " << seed;
            EXPECT_GE(rounds, 4) << mode_name(mode) << " seed " << seed;  // no faster than doubling
            total += rounds;
        }
        if (mode == Mode::push_pull) {
            EXPECT_LE(total, 5 * 10) << "push-pull: under log2 N + ln N on average";
        }
    }
}

TEST(Gossip, ALargerFanoutIsFaster) {
    int one = 0, four = 0;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        Cluster a(options(Mode::push, 1), 64, seed), b(options(Mode::push, 4), 64, seed);
        a.give(0, 1);
        b.give(0, 1);
        one += a.rounds_to_all(1, 60);
        four += b.rounds_to_all(1, 60);
    }
    EXPECT_LT(four, one);
}

TEST(Gossip, PushGoesSilentOnceRumoursCoolAndPullKeepsAsking) {
    for (Mode mode : {Mode::push, Mode::pull}) {
        GossipOptions o = options(mode, 2);
        o.hot_rounds = 3;
        Cluster cluster(o, 8);
        cluster.give(0, 1);
        cluster.simulation.run_for(seconds(3));
        const std::uint64_t sent = cluster.simulation.stats().server_messages;
        cluster.simulation.run_for(seconds(1));  // 10 more rounds, nothing hot anywhere
        const std::uint64_t more = cluster.simulation.stats().server_messages - sent;
        if (mode == Mode::push) {
            EXPECT_EQ(more, 0u);
        } else {
            EXPECT_EQ(more, 8u * 2 * 10);  // every node asks 2 peers every round
        }
        EXPECT_EQ(cluster.counts.learnt_by[1], cluster.knowing(1));
    }
}

TEST(Gossip, AntiEntropyFillsInANodeThatCameBackEmpty) {
    Cluster cluster(options(Mode::push, 2, seconds(1)), 8);
    for (std::int64_t r = 0; r < 5; ++r) cluster.give(static_cast<int>(r), r);
    cluster.simulation.run_for(seconds(4));  // 20 hot rounds: still hot, but let them spread
    for (std::int64_t r = 0; r < 5; ++r) ASSERT_EQ(cluster.knowing(r), 8);
    cluster.simulation.crash(cluster.servers[3]);
    cluster.simulation.restart(cluster.servers[3]);
    EXPECT_EQ(cluster.simulation.node_as<GossipNode>(cluster.servers[3])->known().size(), 0u);
    cluster.simulation.run_for(seconds(10));  // the rumours cooled long ago
    EXPECT_EQ(cluster.simulation.node_as<GossipNode>(cluster.servers[3])->known().ids(),
              (std::set<std::int64_t>{0, 1, 2, 3, 4}));
}

TEST(Gossip, WithoutAntiEntropyACooledRumourNeverReachesANodeCutOffMeanwhile) {
    GossipOptions o = options(Mode::push_pull, 2);
    o.hot_rounds = 5;
    Cluster cluster(o, 6);
    for (int i = 0; i < 6; ++i) {
        if (i != 5) {
            cluster.simulation.network().block(cluster.servers[i], cluster.servers[5]);
            cluster.simulation.network().block(cluster.servers[5], cluster.servers[i]);
        }
    }
    cluster.give(0, 1);
    cluster.simulation.run_for(seconds(2));
    EXPECT_EQ(cluster.knowing(1), 5);
    for (int i = 0; i < 5; ++i) {
        cluster.simulation.network().unblock(cluster.servers[i], cluster.servers[5]);
        cluster.simulation.network().unblock(cluster.servers[5], cluster.servers[i]);
    }
    cluster.simulation.run_for(seconds(5));
    EXPECT_EQ(cluster.knowing(1), 5);
}

TEST(Gossip, KnowledgeIsRangesOfConsecutiveIds) {
    using R = std::vector<IdRanges::Range>;
    IdRanges ids;
    EXPECT_EQ(ids.ranges(), R{});
    for (std::int64_t id : {4, 0, 2, 8, 1, 7, 5}) EXPECT_TRUE(ids.insert(id));
    EXPECT_FALSE(ids.insert(2));
    EXPECT_EQ(ids.ranges(), (R{{0, 2}, {4, 5}, {7, 8}}));
    EXPECT_EQ(ids.size(), 7u);
    EXPECT_TRUE(ids.contains(5));
    EXPECT_FALSE(ids.contains(6));
    EXPECT_TRUE(ids.insert(6));  // joins two ranges
    EXPECT_EQ(ids.ranges(), (R{{0, 2}, {4, 8}}));
    EXPECT_EQ(ids.missing_from({}), (std::vector<std::int64_t>{0, 1, 2, 4, 5, 6, 7, 8}));
    EXPECT_EQ(ids.missing_from({{1, 1}, {3, 5}, {8, 20}}), (std::vector<std::int64_t>{0, 2, 6, 7}));
    EXPECT_EQ(ids.missing_from({{-5, 30}}), (std::vector<std::int64_t>{}));
    // Against a random set: the same as a set difference.
    Prng random(7);
    IdRanges a, b;
    std::set<std::int64_t> sa, sb;
    for (int i = 0; i < 300; ++i) {
        const std::int64_t x = random.between(0, 200), y = random.between(0, 200);
        EXPECT_EQ(a.insert(x), sa.insert(x).second);
        EXPECT_EQ(b.insert(y), sb.insert(y).second);
    }
    EXPECT_EQ(a.ids(), sa);
    std::vector<std::int64_t> expected;
    std::set_difference(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(expected));
    EXPECT_EQ(a.missing_from(b.ranges()), expected);
    EXPECT_EQ(parse_mode("push-pull"), Mode::push_pull);
    EXPECT_EQ(parse_mode("gossip"), std::nullopt);
}

}  // namespace
}  // namespace faultline::protocols::gossip
