// Leadership transfer (thesis §3.10) and lease reads, on a simulated cluster.
#include <gtest/gtest.h>

#include "protocols/raft/cluster.h"
#include "protocols/raft/fake_context.h"

namespace faultline::protocols::raft::testing {
namespace {

// Thesis §3.10: "the prior leader sends a TimeoutNow request to the target
// server ... the target server starts a new election". The target must win,
// and nothing committed is lost.
TEST(LeadershipTransfer, TheTargetBecomesLeaderWithEverythingCommitted) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        SCOPED_TRACE(seed);
        ClusterOptions options;
        options.nodes = 5;
        options.seed = seed;
        Cluster cluster(options);
        for (int n = 0; n < 10; ++n) cluster.one("before-" + std::to_string(n), 5, true);
        const int leader = cluster.check_one_leader();
        const int target = (leader + 2) % 5;
        const Term term = cluster.raft(leader)->term();
        bool started = false;
        cluster.input(leader, [&](Raft& raft, Context& ctx) {
            started = raft.transfer_leadership(ctx, NodeId(static_cast<std::uint32_t>(target)));
        });
        ASSERT_TRUE(started);
        // A leader handing over accepts no new proposals.
        EXPECT_FALSE(cluster.start(leader, "during-transfer").has_value());
        cluster.run_for(milliseconds(100));  // far less than an election timeout
        EXPECT_EQ(cluster.raft(target)->role(), Role::leader);
        EXPECT_GT(cluster.raft(target)->term(), term);
        cluster.one("after", 5, true);
        EXPECT_FALSE(cluster.failed()) << cluster.failure();
    }
}

TEST(LeadershipTransfer, ATransferToAnUnreachableNodeTimesOutAndTheLeaderCarriesOn) {
    ClusterOptions options;
    options.nodes = 3;
    Cluster cluster(options);
    cluster.one("x", 3, true);
    const int leader = cluster.check_one_leader();
    const int target = (leader + 1) % 3;
    cluster.disconnect(target);
    cluster.input(leader, [&](Raft& raft, Context& ctx) {
        ASSERT_TRUE(raft.transfer_leadership(ctx, NodeId(static_cast<std::uint32_t>(target))));
    });
    cluster.run_for(seconds(1));
    EXPECT_EQ(cluster.raft(leader)->role(), Role::leader);
    EXPECT_TRUE(cluster.start(leader, "y").has_value()) << "the leader still refuses proposals";
    EXPECT_FALSE(cluster.failed()) << cluster.failure();
}

// With lease reads, a leader that heard from a majority within the lease
// answers reads without a heartbeat round; once the lease lapses (its
// followers gone), it needs a round, which it cannot complete.
TEST(LeaseReads, ServedLocallyWithinTheLeaseAndNotAfter) {
    ClusterOptions options;
    options.nodes = 3;
    options.raft.lease_reads = true;
    Cluster cluster(options);
    cluster.one("x", 3, true);
    const int leader = cluster.check_one_leader();
    cluster.run_for(milliseconds(60));  // a heartbeat round confirms the lease
    const std::uint64_t sent_before = cluster.rpc_count();
    bool accepted = false;
    cluster.input(leader, [&](Raft& raft, Context& ctx) { accepted = raft.read_index(ctx, 1); });
    ASSERT_TRUE(accepted);
    EXPECT_EQ(cluster.reads_ready(leader), std::vector<std::uint64_t>{1}) << "not served within the lease";
    EXPECT_EQ(cluster.rpc_count(), sent_before) << "a lease read sent messages";
    // Cut off from its followers, the leader's lease lapses (and CheckQuorum
    // deposes it); a read then needs a majority it cannot reach.
    cluster.disconnect((leader + 1) % 3);
    cluster.disconnect((leader + 2) % 3);
    cluster.run_for(options.raft.election_timeout_min);
    cluster.input(leader, [&](Raft& raft, Context& ctx) { raft.read_index(ctx, 2); });
    cluster.run_for(seconds(1));
    EXPECT_EQ(cluster.reads_ready(leader), std::vector<std::uint64_t>{1})
        << "served a read without a lease or a majority";
    EXPECT_FALSE(cluster.failed()) << cluster.failure();
}

// A transfer's vote skips the voters' "heard from a leader recently" rule, the
// very rule a lease stands on: while handing over, the leader gives its lease
// up, and rounds sent during the handover never renew it.
TEST(LeaseReads, ALeaderHandingOverServesNoReadFromItsLease) {
    ClusterOptions options;
    options.nodes = 3;
    options.raft.lease_reads = true;
    Cluster cluster(options);
    cluster.one("x", 3, true);
    const int leader = cluster.check_one_leader();
    const int target = (leader + 1) % 3;
    cluster.run_for(milliseconds(60));  // a heartbeat round confirms the lease
    cluster.disconnect(target);         // so the transfer cannot finish at once
    cluster.input(leader, [&](Raft& raft, Context& ctx) {
        ASSERT_TRUE(raft.transfer_leadership(ctx, NodeId(static_cast<std::uint32_t>(target))));
    });
    cluster.input(leader, [&](Raft& raft, Context& ctx) { ASSERT_TRUE(raft.read_index(ctx, 1)); });
    EXPECT_TRUE(cluster.reads_ready(leader).empty()) << "served from the lease during a transfer";
    // The other follower still answers heartbeat rounds: the read completes by a round.
    cluster.run_for(milliseconds(100));
    EXPECT_EQ(cluster.reads_ready(leader), std::vector<std::uint64_t>{1});
    // Once the transfer has timed out and its votes are surely over, leases come back.
    cluster.run_for(options.raft.election_timeout_min + options.raft.election_timeout_max + milliseconds(100));
    ASSERT_EQ(cluster.raft(leader)->role(), Role::leader);
    const std::uint64_t sent_before = cluster.rpc_count();
    cluster.input(leader, [&](Raft& raft, Context& ctx) { ASSERT_TRUE(raft.read_index(ctx, 2)); });
    EXPECT_EQ(cluster.reads_ready(leader), (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(cluster.rpc_count(), sent_before) << "no lease after the transfer ended";
    EXPECT_FALSE(cluster.failed()) << cluster.failure();
}

}  // namespace
}  // namespace faultline::protocols::raft::testing
