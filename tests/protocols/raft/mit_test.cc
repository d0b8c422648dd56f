// The MIT 6.824 (6.5840) Raft lab tests, rebuilt on the simulator: same
// scenarios, same oracles, each run over 20 seeds. Indexes differ from the lab's
// because a new leader appends a no-op, so tests check the order of indexes, not
// their values. A failure names its seed; the test is deterministic per seed.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "protocols/raft/cluster.h"

namespace faultline::protocols::raft::testing {
namespace {

constexpr int seeds = 20;
constexpr Nanos election_timeout = milliseconds(600);  // RaftOptions' maximum

template <class Scenario>
void for_each_seed(Scenario scenario, int count = seeds) {
    for (std::uint64_t seed = 1; seed <= static_cast<std::uint64_t>(count); ++seed) {
        SCOPED_TRACE(fmt::format("seed {}", seed));
        scenario(seed);
        if (::testing::Test::HasFailure()) return;
    }
}

ClusterOptions options(int nodes, std::uint64_t seed) {
    ClusterOptions result;
    result.nodes = nodes;
    result.seed = seed;
    return result;
}

std::string command(std::uint64_t seed, int n) {
    return fmt::format("cmd-{}-{}", seed, n);
}

TEST(MitRaft, InitialElection) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(3, seed));
        cluster.check_one_leader();
        const Term term = cluster.check_terms();
        EXPECT_GE(term, Term(1));
        cluster.run_for(2 * election_timeout);
        // Without failures the term should not change (the lab only warns).
        EXPECT_EQ(cluster.check_terms(), term);
        cluster.check_one_leader();
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, ReElection) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(3, seed));
        const int leader1 = cluster.check_one_leader();
        cluster.disconnect(leader1);
        cluster.check_one_leader();
        // The old leader rejoins: it must not disturb the new one.
        cluster.connect(leader1);
        const int leader2 = cluster.check_one_leader();
        // No quorum: no leader.
        cluster.disconnect(leader2);
        cluster.disconnect((leader2 + 1) % 3);
        cluster.run_for(2 * election_timeout);
        cluster.check_no_leader();
        cluster.connect((leader2 + 1) % 3);
        cluster.check_one_leader();
        cluster.connect(leader2);
        cluster.check_one_leader();
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, ManyElections) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(7, seed));
        Prng random(seed);
        cluster.check_one_leader();
        for (int round = 0; round < 10 && !cluster.failed(); ++round) {
            int victims[3];
            for (int& victim : victims) victim = static_cast<int>(random.below(7));
            for (int victim : victims) cluster.disconnect(victim);
            // Either the current leader survived, or the remaining four elect one.
            cluster.check_one_leader();
            for (int victim : victims) cluster.connect(victim);
        }
        cluster.check_one_leader();
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, BasicAgree) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(3, seed));
        LogIndex previous;
        for (int n = 0; n < 3; ++n) {
            const auto index = cluster.one(command(seed, n), 3, false);
            ASSERT_TRUE(index.has_value()) << cluster.failure();
            EXPECT_GT(*index, previous);
            previous = *index;
        }
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, RpcBytes) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(3, seed));
        cluster.one(command(seed, 0), 3, false);
        const std::uint64_t before = cluster.simulation().stats().bytes_sent;
        std::uint64_t payload = 0;
        for (int n = 1; n <= 10; ++n) {
            const std::string big = command(seed, n) + std::string(5000, 'x');
            payload += big.size();
            cluster.one(big, 3, false);
        }
        const std::uint64_t sent = cluster.simulation().stats().bytes_sent - before;
        // Each entry goes to each of the two followers about once.
        EXPECT_LE(sent, 2 * payload + 50'000) << "sent " << sent << " bytes for " << payload;
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, FollowerFailure) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(3, seed));
        cluster.one(command(seed, 101), 3, false);
        const int leader1 = cluster.check_one_leader();
        cluster.disconnect((leader1 + 1) % 3);
        cluster.one(command(seed, 102), 2, false);
        cluster.run_for(election_timeout);
        cluster.one(command(seed, 103), 2, false);
        const int leader2 = cluster.check_one_leader();
        cluster.disconnect((leader2 + 1) % 3);
        cluster.disconnect((leader2 + 2) % 3);
        const auto index = cluster.start(leader2, command(seed, 104));
        ASSERT_TRUE(index.has_value()) << "the leader rejected a command";
        cluster.run_for(2 * election_timeout);
        EXPECT_EQ(cluster.n_committed(*index).first, 0) << "committed without a majority";
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, LeaderFailure) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(3, seed));
        cluster.one(command(seed, 101), 3, false);
        const int leader1 = cluster.check_one_leader();
        cluster.disconnect(leader1);
        cluster.one(command(seed, 102), 2, false);
        cluster.run_for(election_timeout);
        cluster.one(command(seed, 103), 2, false);
        const int leader2 = cluster.check_one_leader();
        cluster.disconnect(leader2);
        std::vector<LogIndex> accepted;
        for (int i = 0; i < 3; ++i) {
            if (auto index = cluster.start(i, command(seed, 104))) accepted.push_back(*index);
        }
        cluster.run_for(2 * election_timeout);
        for (LogIndex index : accepted) {
            auto [count, applied] = cluster.n_committed(index);
            EXPECT_FALSE(count > 0 && applied == command(seed, 104)) << "committed without a majority";
        }
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, FailAgree) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(3, seed));
        cluster.one(command(seed, 101), 3, false);
        const int leader = cluster.check_one_leader();
        cluster.disconnect((leader + 1) % 3);
        for (int n = 102; n <= 105; ++n) cluster.one(command(seed, n), 2, false);
        cluster.connect((leader + 1) % 3);
        cluster.one(command(seed, 106), 3, true);
        cluster.run_for(election_timeout);
        cluster.one(command(seed, 107), 3, true);
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, FailNoAgree) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(5, seed));
        cluster.one(command(seed, 10), 5, false);
        const int leader = cluster.check_one_leader();
        for (int k = 1; k <= 3; ++k) cluster.disconnect((leader + k) % 5);
        const auto index = cluster.start(leader, command(seed, 20));
        ASSERT_TRUE(index.has_value());
        cluster.run_for(2 * election_timeout);
        EXPECT_EQ(cluster.n_committed(*index).first, 0) << "committed with 2 of 5";
        for (int k = 1; k <= 3; ++k) cluster.connect((leader + k) % 5);
        const int leader2 = cluster.check_one_leader();
        EXPECT_TRUE(cluster.start(leader2, command(seed, 30)).has_value());
        cluster.one(command(seed, 1000), 5, true);
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, ConcurrentStarts) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(3, seed));
        bool done = false;
        for (int attempt = 0; attempt < 5 && !done && !cluster.failed(); ++attempt) {
            const int leader = cluster.check_one_leader();
            const Term term = cluster.raft(leader)->term();
            std::vector<std::pair<LogIndex, std::string>> started;
            for (int n = 0; n < 5; ++n) {
                const std::string cmd = command(seed, 100 * attempt + n);
                if (auto index = cluster.start(leader, cmd)) started.emplace_back(*index, cmd);
            }
            if (started.size() < 5) continue;  // leadership moved: try again
            bool all = true;
            for (const auto& [index, cmd] : started) {
                auto applied = cluster.wait(index, 3, seconds(2));
                if (!applied || *applied != cmd) all = false;
            }
            if (cluster.raft(leader) == nullptr || cluster.raft(leader)->term() != term) continue;
            EXPECT_TRUE(all) << "commands started in one term were not all committed";
            done = true;
        }
        EXPECT_TRUE(done) << "term changed too often";
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, Rejoin) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(3, seed));
        cluster.one(command(seed, 101), 3, true);
        const int leader1 = cluster.check_one_leader();
        cluster.disconnect(leader1);
        // The partitioned leader accepts commands it can never commit.
        for (int n = 102; n <= 104; ++n) cluster.start(leader1, command(seed, n));
        cluster.one(command(seed, 103), 2, true);
        const int leader2 = cluster.check_one_leader();
        cluster.disconnect(leader2);
        cluster.connect(leader1);
        cluster.one(command(seed, 104), 2, true);
        cluster.connect(leader2);
        cluster.one(command(seed, 105), 3, true);
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, Backup) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(5, seed));
        Prng random(seed);
        int n = 0;
        cluster.one(command(seed, n++), 5, true);
        const int leader1 = cluster.check_one_leader();
        // Leader and one follower, alone: 50 entries that never commit.
        for (int k = 2; k <= 4; ++k) cluster.disconnect((leader1 + k) % 5);
        for (int i = 0; i < 50; ++i) cluster.start(leader1, command(seed, n++));
        cluster.run_for(election_timeout / 2);
        cluster.disconnect(leader1);
        cluster.disconnect((leader1 + 1) % 5);
        // The other three commit 50 entries.
        for (int k = 2; k <= 4; ++k) cluster.connect((leader1 + k) % 5);
        for (int i = 0; i < 50; ++i) cluster.one(command(seed, n++), 3, true);
        // Their leader and one follower, alone: 50 more that never commit.
        const int leader2 = cluster.check_one_leader();
        int other = (leader1 + 2) % 5;
        if (other == leader2) other = (leader2 + 1) % 5;
        cluster.disconnect(other);
        for (int i = 0; i < 50; ++i) cluster.start(leader2, command(seed, n++));
        cluster.run_for(election_timeout / 2);
        // The original pair and `other` form a majority; they must overwrite fast.
        for (int i = 0; i < 5; ++i) cluster.disconnect(i);
        cluster.connect(leader1);
        cluster.connect((leader1 + 1) % 5);
        cluster.connect(other);
        for (int i = 0; i < 50; ++i) cluster.one(command(seed, n++), 3, true);
        for (int i = 0; i < 5; ++i) cluster.connect(i);
        cluster.one(command(seed, n++), 5, true);
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, Count) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(3, seed));
        const int leader = cluster.check_one_leader();
        // Messages, not RPCs: each RPC is a request and a reply, so the lab's 30
        // RPCs to elect are 60 messages.
        EXPECT_LE(cluster.rpc_count(), 60u) << "too many messages to elect a leader";
        const std::uint64_t before = cluster.rpc_count();
        const Term term = cluster.raft(leader)->term();
        for (int n = 0; n < 10; ++n) {
            auto index = cluster.start(leader, command(seed, n));
            ASSERT_TRUE(index.has_value());
            ASSERT_TRUE(cluster.wait(*index, 3, seconds(1)).has_value());
        }
        if (cluster.raft(leader)->term() == term) {
            EXPECT_LE(cluster.rpc_count() - before, 2u * (10 + 1 + 3) * 3) << "too many messages for 10 entries";
        }
        const std::uint64_t idle_start = cluster.rpc_count();
        cluster.run_for(seconds(1));
        EXPECT_LE(cluster.rpc_count() - idle_start, 2u * 60) << "too many messages per idle second";
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, Persist1) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(3, seed));
        cluster.one(command(seed, 11), 3, true);
        for (int i = 0; i < 3; ++i) cluster.crash(i);
        for (int i = 0; i < 3; ++i) cluster.restart(i);
        cluster.one(command(seed, 12), 3, true);
        const int leader1 = cluster.check_one_leader();
        cluster.crash(leader1);
        cluster.restart(leader1);
        cluster.one(command(seed, 13), 3, true);
        const int leader2 = cluster.check_one_leader();
        cluster.crash(leader2);
        const auto index = cluster.one(command(seed, 14), 2, true);
        cluster.restart(leader2);
        if (index) {
            EXPECT_TRUE(cluster.wait(*index, 3, seconds(5)).has_value()) << "restarted node did not catch up";
        }
        const int i3 = (cluster.check_one_leader() + 1) % 3;
        cluster.crash(i3);
        cluster.one(command(seed, 15), 2, true);
        cluster.restart(i3);
        cluster.one(command(seed, 16), 3, true);
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, Persist2) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(5, seed));
        int n = 0;
        for (int iteration = 0; iteration < 5 && !cluster.failed(); ++iteration) {
            cluster.one(command(seed, n++), 5, true);
            const int leader1 = cluster.check_one_leader();
            cluster.crash((leader1 + 1) % 5);
            cluster.crash((leader1 + 2) % 5);
            cluster.one(command(seed, n++), 3, true);
            cluster.crash(leader1);
            cluster.crash((leader1 + 3) % 5);
            cluster.crash((leader1 + 4) % 5);
            cluster.restart((leader1 + 1) % 5);
            cluster.restart((leader1 + 2) % 5);
            cluster.run_for(election_timeout);
            cluster.restart((leader1 + 3) % 5);
            cluster.one(command(seed, n++), 3, true);
            cluster.restart(leader1);
            cluster.restart((leader1 + 4) % 5);
        }
        cluster.one(command(seed, 1000), 5, true);
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, Persist3) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(options(3, seed));
        cluster.one(command(seed, 101), 3, true);
        const int leader = cluster.check_one_leader();
        cluster.disconnect((leader + 2) % 3);
        cluster.one(command(seed, 102), 2, true);
        cluster.crash(leader);
        cluster.crash((leader + 1) % 3);
        // The stale node must not win alone with its shorter log.
        cluster.connect((leader + 2) % 3);
        cluster.restart(leader);
        cluster.one(command(seed, 103), 2, true);
        cluster.restart((leader + 1) % 3);
        cluster.one(command(seed, 104), 3, true);
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

// Snapshot tests: a snapshot every 10 applied entries, small log segments, so
// that compaction keeps what is persisted bounded.
ClusterOptions snapshotting(int nodes, std::uint64_t seed) {
    ClusterOptions result = options(nodes, seed);
    result.raft.snapshot_interval_entries = 10;
    result.raft.segment_bytes_max = 512;
    return result;
}

TEST(MitRaft, SnapshotBasic) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(snapshotting(3, seed));
        for (int n = 0; n < 200; ++n) cluster.one(command(seed, n), 3, true);
        for (int i = 0; i < 3; ++i) {
            EXPECT_LT(cluster.persisted_bytes(i), 4000u) << "n" << i << "'s persisted state is not bounded";
            EXPECT_GT(cluster.raft(i)->log().snapshot_index(), LogIndex(150));
        }
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, PersistedStateGrowsWithoutSnapshots) {
    // The control for SnapshotBasic: the bound is not met by accident.
    ClusterOptions control = options(3, 1);
    control.raft.snapshot_interval_entries = 0;
    Cluster cluster(control);
    for (int n = 0; n < 200; ++n) cluster.one(command(1, n), 3, true);
    EXPECT_GT(cluster.persisted_bytes(0), 8000u);
    EXPECT_FALSE(cluster.failed()) << cluster.failure();
}

// A follower disconnected (or crashed) while the others move past a snapshot
// must catch up through InstallSnapshot.
void snapshot_install(std::uint64_t seed, bool crash, bool unreliable) {
    Cluster cluster(snapshotting(3, seed));
    cluster.set_unreliable(unreliable);
    int n = 0;
    cluster.one(command(seed, n++), 1, true);
    for (int round = 0; round < 10 && !cluster.failed(); ++round) {
        const int victim = (cluster.check_one_leader() + 1) % 3;
        if (crash) {
            cluster.crash(victim);
        } else {
            cluster.disconnect(victim);
        }
        for (int i = 0; i < 11; ++i) cluster.one(command(seed, n++), 2, true);
        if (crash) {
            cluster.restart(victim);
        } else {
            cluster.connect(victim);
        }
        cluster.one(command(seed, n++), 3, true);
    }
    cluster.set_unreliable(false);
    cluster.one(command(seed, n++), 3, true);
    EXPECT_FALSE(cluster.failed()) << cluster.failure();
}

TEST(MitRaft, SnapshotInstall) {
    for_each_seed([](std::uint64_t seed) { snapshot_install(seed, false, false); });
}

TEST(MitRaft, SnapshotInstallUnreliable) {
    for_each_seed([](std::uint64_t seed) { snapshot_install(seed, false, true); });
}

TEST(MitRaft, SnapshotInstallCrash) {
    for_each_seed([](std::uint64_t seed) { snapshot_install(seed, true, false); });
}

TEST(MitRaft, SnapshotInstallUnCrash) {
    for_each_seed([](std::uint64_t seed) { snapshot_install(seed, true, true); });
}

TEST(MitRaft, SnapshotAllCrash) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(snapshotting(3, seed));
        int n = 0;
        cluster.one(command(seed, n++), 3, true);
        for (int round = 0; round < 5 && !cluster.failed(); ++round) {
            for (int i = 0; i < 11; ++i) cluster.one(command(seed, n++), 3, true);
            const auto before = cluster.one(command(seed, n++), 3, true);
            for (int i = 0; i < 3; ++i) cluster.crash(i);
            for (int i = 0; i < 3; ++i) cluster.restart(i);
            const auto after = cluster.one(command(seed, n++), 3, true);
            ASSERT_TRUE(before && after) << cluster.failure();
            EXPECT_GT(*after, *before) << "the log index went backwards after crashing everyone";
        }
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

TEST(MitRaft, SnapshotInit) {
    for_each_seed([](std::uint64_t seed) {
        Cluster cluster(snapshotting(3, seed));
        int n = 0;
        for (int i = 0; i < 11; ++i) cluster.one(command(seed, n++), 3, true);
        for (int i = 0; i < 3; ++i) cluster.crash(i);
        for (int i = 0; i < 3; ++i) cluster.restart(i);
        cluster.one(command(seed, n++), 3, true);
        // Crash again: the snapshot loaded at the first restart must have been
        // kept, not lost.
        for (int i = 0; i < 3; ++i) cluster.crash(i);
        for (int i = 0; i < 3; ++i) cluster.restart(i);
        cluster.one(command(seed, n++), 3, true);
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    });
}

}  // namespace
}  // namespace faultline::protocols::raft::testing
