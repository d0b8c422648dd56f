// The long MIT 6.824 Raft tests: Figure 8 (reliable and unreliable), unreliable
// agreement and churn, each over 20 seeds. Labelled `slow`: they run in the
// release build only.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "protocols/raft/cluster.h"

namespace faultline::protocols::raft::testing {
namespace {

constexpr int seeds = 20;

template <class Scenario>
void for_each_seed(Scenario scenario) {
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
        SCOPED_TRACE(fmt::format("seed {}", seed));
        scenario(seed);
        if (::testing::Test::HasFailure()) return;
    }
}

ClusterOptions five(std::uint64_t seed) {
    ClusterOptions options;
    options.nodes = 5;
    options.seed = seed;
    return options;
}

// A short random pause, mostly under 13 ms, sometimes up to half a second.
Nanos short_pause(Prng& random) {
    if (random.below(1000) < 100) return milliseconds(random.between(0, 500));
    return milliseconds(random.between(0, 13));
}

TEST(MitRaftSlow, Figure8) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(five(seed));
        Prng random(seed);
        cluster.one(fmt::format("f8-{}", random.next()), 1, true);
        int up = 5;
        for (int iteration = 0; iteration < 1000 && !cluster.failed(); ++iteration) {
            int leader = -1;
            for (int i = 0; i < 5; ++i) {
                if (cluster.start(i, fmt::format("f8-{}", random.next()))) leader = i;
            }
            cluster.run_for(short_pause(random));
            if (leader != -1) {
                cluster.crash(leader);
                --up;
            }
            if (up < 3) {
                const int s = static_cast<int>(random.below(5));
                if (!cluster.up(s)) {
                    cluster.restart(s);
                    ++up;
                }
            }
        }
        for (int i = 0; i < 5; ++i) {
            if (!cluster.up(i)) cluster.restart(i);
        }
        cluster.one(fmt::format("f8-final-{}", seed), 5, true);
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaftSlow, UnreliableAgree) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(five(seed));
        cluster.set_unreliable(true);
        for (int iteration = 1; iteration < 50 && !cluster.failed(); ++iteration) {
            for (int j = 0; j < 4; ++j) cluster.one(fmt::format("ua-{}-{}", iteration, j), 1, true);
            cluster.one(fmt::format("ua-{}", iteration), 1, true);
        }
        cluster.set_unreliable(false);
        cluster.one("ua-final", 5, true);
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaftSlow, Figure8Unreliable) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(five(seed));
        Prng random(seed);
        cluster.set_unreliable(true);
        cluster.one(fmt::format("f8u-{}", random.below(10000)), 1, true);
        int connected = 5;
        for (int iteration = 0; iteration < 1000 && !cluster.failed(); ++iteration) {
            if (iteration == 200) cluster.set_long_reordering(true);
            int leader = -1;
            for (int i = 0; i < 5; ++i) {
                if (cluster.connected(i) && cluster.start(i, fmt::format("f8u-{}", random.below(10000)))) leader = i;
            }
            cluster.run_for(short_pause(random));
            if (leader != -1 && random.below(1000) < 500) {
                cluster.disconnect(leader);
                --connected;
            }
            if (connected < 3) {
                const int s = static_cast<int>(random.below(5));
                if (!cluster.connected(s)) {
                    cluster.connect(s);
                    ++connected;
                }
            }
        }
        for (int i = 0; i < 5; ++i) cluster.connect(i);
        cluster.set_long_reordering(false);
        cluster.set_unreliable(false);
        cluster.one(fmt::format("f8u-final-{}", seed), 5, true);
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

// Three clients keep proposing while nodes are disconnected, crashed and
// restarted at random; every value a client saw committed must be in the final
// log agreed by all five.
void churn(std::uint64_t seed, bool unreliable) {
    Cluster cluster(five(seed));
    Prng random(seed);
    cluster.set_unreliable(unreliable);
    std::vector<std::pair<LogIndex, std::string>> proposed;
    int next = 0;
    for (int round = 0; round < 20 && !cluster.failed(); ++round) {
        // Clients: each tries a few nodes, remembering what a leader accepted.
        const Nanos round_end = cluster.simulation().now() + milliseconds(420);
        while (cluster.simulation().now() < round_end && !cluster.failed()) {
            for (int client = 0; client < 3; ++client) {
                const int target = static_cast<int>(random.below(5));
                const std::string cmd = fmt::format("churn-{}-{}", client, next++);
                if (auto index = cluster.start(target, cmd)) proposed.emplace_back(*index, cmd);
            }
            cluster.run_for(milliseconds(random.between(1, 20)));
        }
        // The nemesis: 20% disconnect, 50% restart or reconnect, 20% crash.
        const auto dice = random.below(100);
        const int victim = static_cast<int>(random.below(5));
        if (dice < 20) {
            cluster.disconnect(victim);
        } else if (dice < 70) {
            if (!cluster.up(victim)) cluster.restart(victim);
            cluster.connect(victim);
        } else if (dice < 90 && cluster.up(victim)) {
            cluster.crash(victim);
        }
    }
    cluster.set_unreliable(false);
    for (int i = 0; i < 5; ++i) {
        if (!cluster.up(i)) cluster.restart(i);
        cluster.connect(i);
    }
    cluster.run_for(seconds(1));
    const auto last = cluster.one(fmt::format("churn-final-{}", seed), 5, true);
    ASSERT_TRUE(last.has_value()) << cluster.failure();
    int committed = 0;
    for (const auto& [index, cmd] : proposed) {
        auto [count, applied] = cluster.n_committed(index);
        if (applied == cmd) {
            ++committed;
            EXPECT_EQ(count, 5) << cmd << " committed at " << index.value << " but not applied everywhere";
        }
    }
    EXPECT_GT(committed, 0) << "nothing a client proposed was committed";
    EXPECT_FALSE(cluster.failed()) << cluster.failure();
}

TEST(MitRaftSlow, ReliableChurn) {
    for_each_seed([](std::uint64_t seed) { churn(seed, false); });
}

TEST(MitRaftSlow, UnreliableChurn) {
    for_each_seed([](std::uint64_t seed) { churn(seed, true); });
}

}  // namespace
}  // namespace faultline::protocols::raft::testing
