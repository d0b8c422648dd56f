// One regression test per real Raft bug catalogued in the style-and-raft survey
// (§2.4), each named after the bug it guards against. Some drive one Raft by
// hand; others run a cluster and rely on the invariant checker, and for those
// the deliberately broken variant must be caught, so the test proves it can fail.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "protocols/raft/cluster.h"
#include "protocols/raft/fake_context.h"
#include "protocols/raft/hand_cluster.h"

namespace faultline::protocols::raft {
namespace {

using namespace testing;

RaftOptions plain() {
    RaftOptions options;
    options.pre_vote = false;
    options.check_quorum = false;
    return options;
}

// The paper's Figure 8, replayed on five hand-driven nodes (s1..s5 are nodes
// 0..4). Returns the violation the invariants report, if any. With the bug the
// schedule unfolds as in the paper; correct Raft's no-op changes its course (s5
// cannot win in (b) or (d)), which is the point.
std::optional<InvariantViolation> figure8(RaftOptions options) {
    HandCluster cluster(5, options);
    // (a) s1 leads term 1 and gets its entry to s2 only.
    auto elect = [&](int node) {
        for (int attempt = 0; attempt < 4 && cluster.raft(node).role() != Role::leader; ++attempt) {
            cluster.time_out(node);
        }
        return cluster.raft(node).role() == Role::leader;
    };
    cluster.connect_only({0, 1, 2});
    elect(0);
    cluster.connect_only({0, 1});
    cluster.propose(0, "from-s1");
    // (b) s1 crashes; s5 leads term 2 with votes from s3, s4 and appends its own
    // entry at the same index, then crashes before sending it anywhere.
    cluster.connect_only({2, 3, 4});
    elect(4);
    cluster.connect_only({});
    cluster.propose(4, "from-s5");
    // (c) s1 restarts and leads term 3 with votes from s2, s3; it replicates its
    // term-1 entry to s3 (a majority: s1, s2, s3) ...
    cluster.connect_only({0, 1, 2});
    elect(0);
    cluster.tick(0, options.heartbeat_interval);
    // ... and crashes.
    // (d) s5 comes back and wins term 4 with votes from s2, s3, s4: its last term
    // (2) beats their last term (1), unless they hold s1's term-3 entry.
    cluster.connect_only({1, 2, 3, 4});
    if (elect(4)) {
        cluster.propose(4, "s5-term-4");
        cluster.tick(4, options.heartbeat_interval);
    }
    return cluster.violation();
}

// 1. logcabin#44, Raft Figure 8: committing an earlier term's entry by counting
// its replicas lets a later leader overwrite a committed entry.
TEST(RaftRegression, Logcabin44_Figure8CommittingOldTermEntriesByCounting) {
    RaftOptions broken = plain();
    broken.bugs.set(Bug::commit_old_term);
    const auto caught = figure8(broken);
    ASSERT_TRUE(caught.has_value()) << "the commit-old-term bug was not caught";
    // The first symptom: s5 wins without the entry s1 counted as committed
    // (leader completeness); were the run to go on, s5 would commit its own
    // entry at that index (state machine safety).
    EXPECT_TRUE(caught->invariant == "leader-completeness" || caught->invariant == "state-machine-safety")
        << caught->invariant << ": " << caught->detail;
    // Correct Raft on the same schedule: s1 commits only with its own term-3
    // no-op, which s2 and s3 then hold, so s5 cannot win and nothing is overwritten.
    EXPECT_FALSE(figure8(plain()).has_value());
}

// 2. logcabin#160: when an entry did not fit an AppendEntries, batching skipped
// it and went on with the next ones, leaving a gap. A batch is always a
// contiguous run from its first index.
TEST(RaftRegression, Logcabin160_BatchingNeverSkipsAnEntry) {
    RaftLog log;
    log.append(entry(1, 1, std::string(10, 'a')));
    log.append(entry(1, 2, std::string(1000, 'b')));
    log.append(entry(1, 3, std::string(10, 'c')));
    auto batch = log.slice(LogIndex(1), 64, 500);
    ASSERT_EQ(batch.size(), 1u) << "entry 2 does not fit, so entry 3 must not be sent either";
    EXPECT_EQ(batch[0].index, LogIndex(1));
    // An entry larger than the limit still goes, alone, so replication progresses.
    batch = log.slice(LogIndex(2), 64, 500);
    ASSERT_EQ(batch.size(), 1u);
    EXPECT_EQ(batch[0].index, LogIndex(2));
}

// 3. hashicorp/raft#113: a duplicated or reordered AppendEntries must not
// truncate entries the follower already has and acknowledged.
TEST(RaftRegression, Hashicorp113_ReorderedAppendDoesNotTruncateMatchingEntries) {
    Subject follower(NodeId(1), 3, plain());
    follower.receive(NodeId(0), append_request(1, 0, 0, {entry(1, 1), entry(1, 2), entry(1, 3)}, 0));
    follower.receive(NodeId(0), append_request(1, 0, 0, {entry(1, 1), entry(1, 2)}, 0));  // the older one, late
    follower.receive(NodeId(0), append_request(1, 1, 1, {entry(1, 2)}, 0));               // a duplicate
    EXPECT_EQ(follower.raft.log().last_index(), LogIndex(3));
    // The late replies report what each request covered, never more.
    auto replies = follower.ctx.take<AppendReply>();
    ASSERT_EQ(replies.size(), 3u);
    EXPECT_EQ(replies[1].second.match_index, LogIndex(2));
    EXPECT_EQ(replies[2].second.match_index, LogIndex(2));
}

// 4. baidu/braft#119: suffix truncation must be crash-atomic. Covered on disk by
// DurableState.TornTruncationNeverLeavesAHole; here through a node: a follower
// that truncates and crashes with torn writes comes back with a contiguous log.
TEST(RaftRegression, Braft119_TruncationSurvivesATornCrash) {
    for (std::uint64_t seed = 1; seed <= 100; ++seed) {
        RecordingHost host;
        FakeContext ctx(NodeId(1), 3, seed);
        {
            Raft raft(plain());
            raft.start(ctx);
            host.act(raft, ctx);
            std::vector<LogEntry> old_entries;
            for (std::uint64_t i = 1; i <= 6; ++i) old_entries.push_back(entry(1, i));
            raft.step(ctx, Envelope{NodeId(0), NodeId(1), append_request(1, 0, 0, old_entries, 0)});
            host.act(raft, ctx);
            ctx.disk().config().torn_write_probability = 1.0;
            // A new leader overwrites 4..6 with its own entries; the node crashes before the next sync.
            raft.step(ctx, Envelope{NodeId(2), NodeId(1), append_request(2, 3, 1, {entry(2, 4), entry(2, 5)}, 0)});
            host.act(raft, ctx);
        }
        ctx.disk().crash();
        Raft recovered(plain());
        recovered.recover(ctx);
        host.act(recovered, ctx);
        const RaftLog& log = recovered.log();
        ASSERT_GE(log.last_index(), LogIndex(3)) << "seed " << seed;
        for (LogIndex i(1); i <= log.last_index(); ++i) ASSERT_EQ(log.at(i).index, i);
    }
}

// 5. etcd#10166 (and #3519, #17081): a follower whose disk lost synced,
// acknowledged entries must not be counted for them, must not vote until it is
// repaired, and the leader's commit index must never run past its log.
TEST(RaftRegression, Etcd10166_FollowerThatLostAcknowledgedEntries) {
    ClusterOptions options;
    options.nodes = 3;
    options.seed = 7;
    Cluster cluster(options);
    for (int n = 0; n < 20; ++n) cluster.one(fmt::format("before-{}", n), 3, true);
    const int leader = cluster.check_one_leader();
    const int victim = (leader + 1) % 3;
    cluster.crash(victim);
    // Damage the middle of its log on disk: synced records it acknowledged.
    sim::SimDisk& disk = cluster.simulation().disk(cluster.id(victim));
    for (const std::string& name : disk.list()) {
        if (name.rfind("log-", 0) != 0) continue;
        std::string bytes = *disk.read(name);
        if (bytes.size() < 200) continue;
        bytes[bytes.size() / 3] ^= 0x40;
        ASSERT_TRUE(disk.write(name, 0, bytes).has_value());
        ASSERT_TRUE(disk.sync().has_value());
    }
    cluster.restart(victim);
    Raft* damaged = cluster.raft(victim);
    ASSERT_NE(damaged, nullptr);
    EXPECT_TRUE(damaged->vote_withheld()) << "a node with a damaged log must not vote";
    EXPECT_LT(damaged->log().last_index(), LogIndex(20));
    // The cluster carries on and repairs it; invariants hold throughout.
    for (int n = 0; n < 20; ++n) cluster.one(fmt::format("after-{}", n), 3, true);
    cluster.disconnect(leader);
    cluster.one("new-leader", 2, true);
    cluster.connect(leader);
    cluster.run_for(seconds(1));
    EXPECT_FALSE(cluster.raft(victim)->vote_withheld()) << "repaired by a later leader's entries";
    EXPECT_FALSE(cluster.failed()) << cluster.failure();
}

// 6a. etcd#7331: ReadIndex served by a new leader before it committed an entry
// of its term returns stale data. See RaftPaper.ReadIndexWaitsForACommitInTheLeadersTerm.
// 6b. etcd#20418: a duplicated read context plus delayed heartbeat replies gave
// stale reads. Rounds are unique and acknowledgements per follower: a late ack
// of an older round confirms only reads of that round or before.
TEST(RaftRegression, Etcd20418_DelayedHeartbeatAckConfirmsOnlyOlderReads) {
    Subject leader(NodeId(0), 5, plain());
    elect(leader);
    const Term term = leader.raft.term();
    for (int peer = 1; peer <= 2; ++peer) leader.receive(NodeId(peer), append_ok(term.value, 1));
    ASSERT_EQ(leader.raft.commit_index(), LogIndex(1));
    leader.ctx.sent.clear();
    ASSERT_TRUE(leader.read_index(1));
    const auto first_round = leader.ctx.take<AppendRequest>().at(0).second.read_round;
    ASSERT_TRUE(leader.read_index(2));
    const auto second_round = leader.ctx.take<AppendRequest>().at(0).second.read_round;
    ASSERT_GT(second_round, first_round);
    auto ack = [&](int peer, std::uint64_t round) {
        auto reply = std::make_shared<AppendReply>();
        reply->term = term;
        reply->heartbeat = true;
        reply->success = true;
        reply->read_round = round;
        reply->last_log_index = LogIndex(1);
        leader.receive(NodeId(static_cast<std::uint32_t>(peer)), reply);
    };
    // Late acks of the first round, duplicated: they confirm read 1 only.
    ack(1, first_round);
    ack(1, first_round);
    ack(2, first_round);
    EXPECT_EQ(leader.host.reads_ready, (std::vector<std::uint64_t>{1}));
    ack(3, second_round);
    EXPECT_EQ(leader.host.reads_ready, (std::vector<std::uint64_t>{1}));
    ack(4, second_round);
    EXPECT_EQ(leader.host.reads_ready, (std::vector<std::uint64_t>{1, 2}));
}

// 7. sofa-jraft #25/#34: lease reads timed by a coarse step-down timer let two
// leaders serve reads. The lease runs from when the acknowledged round was
// SENT, and lasts election_timeout_min * (1 - drift bound), never longer.
TEST(RaftRegression, SofaJraft25_LeaseCountsFromTheSendTimeOfTheConfirmedRound) {
    RaftOptions options;
    options.lease_reads = true;
    options.clock_drift_bound = 0.1;
    Subject leader(NodeId(0), 3, options);
    elect(leader);
    const Term term = leader.raft.term();
    leader.receive(NodeId(1), append_ok(term.value, 1));
    leader.ctx.sent.clear();
    leader.advance(options.heartbeat_interval);  // a heartbeat round goes out
    const auto heartbeats = leader.ctx.take<AppendRequest>();
    ASSERT_FALSE(heartbeats.empty());
    const Nanos sent_at = leader.ctx.now();
    leader.advance(milliseconds(40));  // the acknowledgement is slow
    auto reply = std::make_shared<AppendReply>();
    reply->term = term;
    reply->heartbeat = true;
    reply->success = true;
    reply->read_round = heartbeats[0].second.read_round;
    reply->last_log_index = LogIndex(1);
    leader.receive(NodeId(1), reply);
    // Within the lease: served at once, without a round.
    ASSERT_TRUE(leader.read_index(1));
    EXPECT_EQ(leader.host.reads_ready, (std::vector<std::uint64_t>{1}));
    // Past sent_at + min * 0.9 (not ack time + anything): a round is needed.
    const Nanos expiry = sent_at + static_cast<Nanos>(0.9 * static_cast<double>(options.election_timeout_min));
    leader.ctx.advance(expiry - leader.ctx.now(), leader);
    leader.ctx.sent.clear();
    ASSERT_TRUE(leader.read_index(2));
    EXPECT_EQ(leader.host.reads_ready, (std::vector<std::uint64_t>{1}));
}

// 8. cornerstone#65, nebula#3415: term and vote not persisted before replying
// elect two leaders in one term after a crash. s1 and s2 campaign in the same
// term; s3 votes for s1 (the reply is delayed), loses power and reboots, then is
// asked by s2 in that same term.
std::optional<InvariantViolation> double_vote(RaftOptions options) {
    HandCluster cluster(3, options);
    cluster.connect_only({});
    cluster.time_out(0);  // s1: candidate of term 1
    cluster.open(0, 2);   // s1's request reaches s3; s3's vote waits on the wire
    EXPECT_EQ(cluster.raft(2).voted_for(), NodeId(0));
    cluster.crash_and_restart(2);
    cluster.time_out(1);  // s2: candidate of term 1 as well
    EXPECT_EQ(cluster.raft(1).term(), Term(1));
    cluster.open(1, 2);  // s2's request reaches s3 ...
    cluster.open(2, 1);  // ... and its answer reaches s2
    cluster.open(2, 0);  // s3's old vote finally reaches s1
    return cluster.violation();
}

TEST(RaftRegression, Cornerstone65_VoteMustBePersistedBeforeReplying) {
    RaftOptions broken = plain();
    broken.bugs.set(Bug::forget_vote);
    const auto caught = double_vote(broken);
    ASSERT_TRUE(caught.has_value()) << "the forget-vote bug was not caught";
    EXPECT_TRUE(caught->invariant == "one-vote-per-term" || caught->invariant == "election-safety")
        << caught->invariant << ": " << caught->detail;
    EXPECT_FALSE(double_vote(plain()).has_value());
}

// 9. etcd-io/raft#48, etcd#15784: every node starting at once must still elect a
// leader promptly (and an off-by-one in the timeout range, etcd#5253, must not
// make it flaky).
TEST(RaftRegression, EtcdRaft48_ElectionCompletesWhenAllStartAtOnce) {
    for (bool pre_vote : {false, true}) {
        for (std::uint64_t seed = 1; seed <= 100; ++seed) {
            ClusterOptions options;
            options.nodes = 5;
            options.seed = seed;
            options.raft.pre_vote = pre_vote;
            Cluster cluster(options);
            cluster.run_for(seconds(3));
            int leaders = 0;
            for (int i = 0; i < 5; ++i) leaders += cluster.raft(i)->role() == Role::leader ? 1 : 0;
            EXPECT_EQ(leaders, 1) << "seed " << seed << " pre_vote " << pre_vote;
            EXPECT_FALSE(cluster.failed()) << cluster.failure();
        }
    }
}

// 10. microsoft/CCF#5325: using a rejection's hint (the follower's last index) as
// a match index advances commit unsafely. A rejection never raises match_index.
TEST(RaftRegression, Ccf5325_RejectionHintNeverCountsAsAMatch) {
    Subject leader(NodeId(0), 3, plain());
    elect(leader);
    const Term term = leader.raft.term();
    for (int n = 0; n < 5; ++n) leader.propose("x");
    auto reject = std::make_shared<AppendReply>();
    reject->term = term;
    reject->success = false;
    reject->rejected_index = LogIndex(5);
    reject->conflict_term = Term(1);
    reject->conflict_index = LogIndex(2);
    reject->last_log_index = LogIndex(6);  // its log is long, but it does not match ours
    leader.receive(NodeId(1), reject);
    EXPECT_EQ(leader.raft.progress(NodeId(1))->match_index, LogIndex(0));
    EXPECT_EQ(leader.raft.commit_index(), LogIndex(0));
}

// 11. eBay/NuRaft#185: committed entries rolled back. A snapshot older than the
// commit index, or any append, must never roll a follower back below its commit.
TEST(RaftRegression, NuRaft185_StaleSnapshotDoesNotRollBackCommittedEntries) {
    Subject follower(NodeId(1), 3, plain());
    follower.receive(NodeId(0), append_request(1, 0, 0, {entry(1, 1), entry(1, 2), entry(1, 3)}, 3));
    ASSERT_EQ(follower.raft.commit_index(), LogIndex(3));
    auto stale = std::make_shared<SnapshotRequest>();
    stale->term = Term(1);
    stale->last_index = LogIndex(2);
    stale->last_term = Term(1);
    stale->data = "old";
    follower.receive(NodeId(0), stale);
    EXPECT_EQ(follower.raft.commit_index(), LogIndex(3));
    EXPECT_EQ(follower.raft.log().last_index(), LogIndex(3));
    EXPECT_TRUE(follower.host.restored.empty()) << "an older snapshot was installed";
    auto replies = follower.ctx.take<SnapshotReply>();
    ASSERT_EQ(replies.size(), 1u);
}

}  // namespace
}  // namespace faultline::protocols::raft
