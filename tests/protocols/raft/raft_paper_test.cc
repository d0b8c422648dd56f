// Paper tests: each checks one sentence of the Raft paper (Ongaro & Ousterhout,
// USENIX ATC 2014) or Ongaro's thesis, quoted above it, on a single Raft driven
// by hand. The FakeContext also checks, at every send, that everything written
// before it was synced (persist before send).
#include <gtest/gtest.h>

#include "protocols/raft/fake_context.h"

namespace faultline::protocols::raft {
namespace {

using namespace testing;

RaftOptions no_pre_vote() {
    RaftOptions options;
    options.pre_vote = false;
    options.check_quorum = false;
    return options;
}

// §5.1: "Current terms are exchanged whenever servers communicate; if one
// server's current term is smaller than the other's, then it updates its current
// term to the larger value."
TEST(RaftPaper, UpdatesTermFromAnyMessageWithALargerTerm) {
    Subject subject(NodeId(0), 3, no_pre_vote());
    subject.receive(NodeId(1), append_request(4, 0, 0, {}, 0));
    EXPECT_EQ(subject.raft.term(), Term(4));
    EXPECT_EQ(subject.raft.leader(), NodeId(1));
    subject.receive(NodeId(2), vote_reply(7, false));
    EXPECT_EQ(subject.raft.term(), Term(7));
}

// §5.1: "If a candidate or leader discovers that its term is out of date, it
// immediately reverts to follower state."
TEST(RaftPaper, LeaderWithAStaleTermRevertsToFollower) {
    Subject subject(NodeId(0), 3, no_pre_vote());
    elect(subject);
    subject.receive(NodeId(1), append_request(subject.raft.term().value + 1, 0, 0, {}, 0));
    EXPECT_EQ(subject.raft.role(), Role::follower);
}

// §5.1: "If a server receives a request with a stale term number, it rejects the
// request."
TEST(RaftPaper, RejectsRequestsWithAStaleTerm) {
    Subject subject(NodeId(0), 3, no_pre_vote());
    subject.receive(NodeId(1), append_request(5, 0, 0, {}, 0));
    subject.ctx.sent.clear();
    subject.receive(NodeId(2), append_request(3, 0, 0, {entry(3, 1)}, 0));
    EXPECT_EQ(subject.raft.log().last_index(), LogIndex(0));
    auto replies = subject.ctx.take<AppendReply>();
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_FALSE(replies[0].second.success);
    EXPECT_EQ(replies[0].second.term, Term(5));  // so the stale leader learns it is stale
}

// §5.2: "When servers start up, they begin as followers."
TEST(RaftPaper, StartsAsFollower) {
    Subject subject(NodeId(0), 3);
    EXPECT_EQ(subject.raft.role(), Role::follower);
    EXPECT_EQ(subject.raft.term(), Term(0));
}

// §5.2: "Leaders send periodic heartbeats (AppendEntries RPCs that carry no log
// entries) to all followers in order to maintain their authority."
TEST(RaftPaper, LeaderSendsPeriodicHeartbeats) {
    Subject subject(NodeId(0), 3, no_pre_vote());
    elect(subject);
    subject.ctx.sent.clear();
    subject.advance(subject.raft.options().heartbeat_interval);
    auto heartbeats = subject.ctx.take<AppendRequest>();
    ASSERT_EQ(heartbeats.size(), 2u);
    for (const auto& [to, heartbeat] : heartbeats) {
        EXPECT_TRUE(heartbeat.heartbeat);
        EXPECT_TRUE(heartbeat.entries.empty());
    }
}

// §5.2: "If a follower receives no communication over a period of time called
// the election timeout, then it assumes there is no viable leader and begins an
// election to choose a new leader. To begin an election, a follower increments
// its current term and transitions to candidate state. It then votes for itself
// and issues RequestVote RPCs in parallel to each of the other servers."
TEST(RaftPaper, FollowerStartsAnElectionAfterTheElectionTimeout) {
    Subject subject(NodeId(0), 3, no_pre_vote());
    subject.advance(subject.raft.options().election_timeout_min - 1);
    EXPECT_EQ(subject.raft.role(), Role::follower);
    subject.advance(subject.raft.options().election_timeout_max);
    EXPECT_EQ(subject.raft.role(), Role::candidate);
    EXPECT_EQ(subject.raft.term(), Term(1));
    EXPECT_EQ(subject.raft.voted_for(), NodeId(0));
    auto requests = subject.ctx.take<VoteRequest>();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0].first, NodeId(1));
    EXPECT_EQ(requests[1].first, NodeId(2));
    EXPECT_FALSE(requests[0].second.pre_vote);
}

// §5.2: "A candidate wins an election if it receives votes from a majority of
// the servers in the full cluster for the same term."
TEST(RaftPaper, CandidateWinsWithAMajorityOnly) {
    Subject subject(NodeId(0), 5, no_pre_vote());
    subject.advance(subject.raft.options().election_timeout_max + 1);
    ASSERT_EQ(subject.raft.role(), Role::candidate);
    subject.receive(NodeId(1), vote_reply(1, true));
    subject.receive(NodeId(2), vote_reply(1, false));
    subject.receive(NodeId(1), vote_reply(1, true));  // a duplicate vote counts once
    EXPECT_EQ(subject.raft.role(), Role::candidate);
    subject.receive(NodeId(3), vote_reply(1, true));
    EXPECT_EQ(subject.raft.role(), Role::leader);
}

// §5.2: "Each server will vote for at most one candidate in a given term, on a
// first-come-first-served basis."
TEST(RaftPaper, VotesForAtMostOneCandidatePerTerm) {
    Subject subject(NodeId(0), 3, no_pre_vote());
    subject.receive(NodeId(1), vote_request(1, 0, 0));
    subject.receive(NodeId(2), vote_request(1, 0, 0));
    subject.receive(NodeId(1), vote_request(1, 0, 0));  // the same candidate again: yes again
    auto replies = subject.ctx.take<VoteReply>();
    ASSERT_EQ(replies.size(), 3u);
    EXPECT_TRUE(replies[0].second.granted);
    EXPECT_FALSE(replies[1].second.granted);
    EXPECT_TRUE(replies[2].second.granted);
    EXPECT_EQ(subject.raft.voted_for(), NodeId(1));
}

// §5.2: "While waiting for votes, a candidate may receive an AppendEntries RPC
// from another server claiming to be leader. If the leader's term ... is at least
// as large as the candidate's current term, then the candidate recognizes the
// leader as legitimate and returns to follower state."
TEST(RaftPaper, CandidateFallsBackToAnEqualTermLeader) {
    Subject subject(NodeId(0), 3, no_pre_vote());
    subject.advance(subject.raft.options().election_timeout_max + 1);
    ASSERT_EQ(subject.raft.role(), Role::candidate);
    subject.receive(NodeId(2), append_request(subject.raft.term().value, 0, 0, {}, 0));
    EXPECT_EQ(subject.raft.role(), Role::follower);
    EXPECT_EQ(subject.raft.leader(), NodeId(2));
}

// §5.2: "Raft uses randomized election timeouts to ensure that split votes are
// rare ... election timeouts are chosen randomly from a fixed interval."
TEST(RaftPaper, ElectionTimeoutsAreRandomizedWithinTheInterval) {
    const RaftOptions options = no_pre_vote();
    std::set<Nanos> timeouts;
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
        Subject subject(NodeId(0), 3, options, seed);
        Nanos elapsed = 0;
        while (subject.raft.role() == Role::follower) {
            subject.advance(milliseconds(1));
            elapsed += milliseconds(1);
        }
        EXPECT_GE(elapsed, options.election_timeout_min);
        EXPECT_LE(elapsed, options.election_timeout_max + milliseconds(1));
        timeouts.insert(elapsed);
    }
    EXPECT_GT(timeouts.size(), 20u);
}

// §5.3: "The leader appends the command to its log as a new entry, then issues
// AppendEntries RPCs in parallel to each of the other servers to replicate the
// entry."
TEST(RaftPaper, LeaderAppendsThenReplicatesInParallel) {
    Subject subject(NodeId(0), 3, no_pre_vote());
    elect(subject);
    const Term term = subject.raft.term();
    // The followers answer the new leader's first append (its no-op).
    subject.receive(NodeId(1), append_ok(term.value, 1));
    subject.receive(NodeId(2), append_ok(term.value, 1));
    subject.ctx.sent.clear();
    const auto index = subject.propose("cmd");
    ASSERT_TRUE(index.has_value());
    EXPECT_EQ(subject.raft.log().at(*index).data, "cmd");
    auto appends = subject.ctx.take<AppendRequest>();
    ASSERT_EQ(appends.size(), 2u);
    for (const auto& [to, append] : appends) {
        ASSERT_FALSE(append.entries.empty());
        EXPECT_EQ(append.entries.back().data, "cmd");
    }
}

// §5.3: "A log entry is committed once the leader that created the entry has
// replicated it on a majority of the servers ... This also commits all preceding
// entries in the leader's log."
TEST(RaftPaper, LeaderCommitsOnAMajorityWithPrecedingEntries) {
    Subject subject(NodeId(0), 5, no_pre_vote());
    elect(subject);
    const Term term = subject.raft.term();
    subject.propose("a");
    const auto last = subject.propose("b");
    subject.receive(NodeId(1), append_ok(term.value, last->value));
    EXPECT_LT(subject.raft.commit_index(), *last);  // 2 of 5
    subject.receive(NodeId(2), append_ok(term.value, last->value));
    EXPECT_EQ(subject.raft.commit_index(), *last);  // 3 of 5, and everything before
    ASSERT_EQ(subject.host.applied.size(), last->value);
    EXPECT_EQ(subject.host.applied.back().data, "b");
}

// §5.3: "Once a follower learns that a log entry is committed, it applies the
// entry to its local state machine (in log order)."
TEST(RaftPaper, FollowerAppliesWhatItLearnsIsCommitted) {
    Subject subject(NodeId(1), 3, no_pre_vote());
    subject.receive(NodeId(0), append_request(1, 0, 0, {entry(1, 1, "a"), entry(1, 2, "b")}, 0));
    EXPECT_TRUE(subject.host.applied.empty());
    subject.receive(NodeId(0), append_request(1, 2, 1, {}, 1));
    ASSERT_EQ(subject.host.applied.size(), 1u);
    EXPECT_EQ(subject.host.applied[0].data, "a");
}

// §5.3: "If the follower does not find an entry in its log with the same index
// and term, then it refuses the new entries."
TEST(RaftPaper, FollowerRefusesEntriesThatDoNotFollowItsLog) {
    Subject subject(NodeId(1), 3, no_pre_vote());
    subject.receive(NodeId(0), append_request(2, 0, 0, {entry(1, 1), entry(2, 2)}, 0));
    subject.ctx.sent.clear();
    subject.receive(NodeId(0), append_request(2, 2, 1, {entry(2, 3)}, 0));  // wrong prev term
    subject.receive(NodeId(0), append_request(2, 5, 2, {entry(2, 6)}, 0));  // beyond our log
    auto replies = subject.ctx.take<AppendReply>();
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_FALSE(replies[0].second.success);
    EXPECT_EQ(replies[0].second.conflict_term, Term(2));
    EXPECT_EQ(replies[0].second.conflict_index, LogIndex(2));
    EXPECT_FALSE(replies[1].second.success);
    EXPECT_EQ(replies[1].second.conflict_index, LogIndex(3));
    EXPECT_EQ(subject.raft.log().last_index(), LogIndex(2));
}

// Figure 2, AppendEntries receiver step 3: "If an existing entry conflicts with a
// new one (same index but different terms), delete the existing entry and all
// that follow it." And only then: matching entries are never deleted.
TEST(RaftPaper, FollowerDeletesOnlyConflictingEntries) {
    Subject subject(NodeId(1), 3, no_pre_vote());
    subject.receive(NodeId(0), append_request(1, 0, 0, {entry(1, 1), entry(1, 2), entry(1, 3)}, 0));
    // A stale, reordered request covering only index 1 must not erase 2 and 3.
    subject.receive(NodeId(0), append_request(1, 0, 0, {entry(1, 1)}, 0));
    EXPECT_EQ(subject.raft.log().last_index(), LogIndex(3));
    // A new leader's conflicting entry at 2 replaces 2 and everything after it.
    subject.receive(NodeId(2), append_request(2, 1, 1, {entry(2, 2, "new")}, 0));
    EXPECT_EQ(subject.raft.log().last_index(), LogIndex(2));
    EXPECT_EQ(subject.raft.log().at(LogIndex(2)).data, "new");
}

// §5.4.1: "The voter denies its vote if its own log is more up-to-date than that
// of the candidate ... If the logs have last entries with different terms, then
// the log with the later term is more up-to-date. If the logs end with the same
// term, then whichever log is longer is more up-to-date."
TEST(RaftPaper, VoterDeniesCandidatesWithLessUpToDateLogs) {
    struct Case {
        std::uint64_t last_index, last_term;
        bool granted;
    } cases[] = {{1, 1, false}, {2, 1, false}, {3, 1, false}, {1, 2, false},
                 {2, 2, true},  {3, 2, true},  {1, 3, true},  {2, 3, true}};
    for (const Case& c : cases) {
        Subject subject(NodeId(0), 3, no_pre_vote());
        subject.receive(NodeId(1), append_request(2, 0, 0, {entry(1, 1), entry(2, 2)}, 0));
        subject.ctx.sent.clear();
        subject.receive(NodeId(2), vote_request(3, c.last_index, c.last_term));
        auto replies = subject.ctx.take<VoteReply>();
        ASSERT_EQ(replies.size(), 1u);
        EXPECT_EQ(replies[0].second.granted, c.granted)
            << "candidate log ends at index " << c.last_index << " term " << c.last_term;
    }
}

// §5.4.2: "Raft never commits log entries from previous terms by counting
// replicas. Only log entries from the leader's current term are committed by
// counting replicas."
TEST(RaftPaper, LeaderOnlyCommitsEntriesOfItsOwnTermByCounting) {
    Subject subject(NodeId(0), 3, no_pre_vote());
    subject.receive(NodeId(1), append_request(1, 0, 0, {entry(1, 1), entry(1, 2)}, 0));
    elect(subject);
    const Term term = subject.raft.term();
    ASSERT_GT(term, Term(1));
    // The follower acknowledges the old entries only: nothing may commit.
    subject.receive(NodeId(1), append_ok(term.value, 2));
    EXPECT_EQ(subject.raft.commit_index(), LogIndex(0));
    // Once it holds the leader's no-op of the current term, everything commits.
    subject.receive(NodeId(1), append_ok(term.value, 3));
    EXPECT_EQ(subject.raft.commit_index(), LogIndex(3));
    EXPECT_EQ(subject.raft.log().at(LogIndex(3)).type, EntryType::noop);
}

// Figure 2, "Rules for Servers", all servers: "If commitIndex > lastApplied:
// increment lastApplied, apply log[lastApplied] to state machine." Persistent
// state: "Updated on stable storage before responding to RPCs" — a vote survives
// a crash.
TEST(RaftPaper, TermAndVoteSurviveARestart) {
    RecordingHost host;
    FakeContext ctx(NodeId(0), 3);
    {
        Raft raft(no_pre_vote());
        raft.start(ctx);
        host.act(raft, ctx);
        raft.step(ctx, Envelope{NodeId(1), NodeId(0), vote_request(4, 0, 0)});
        host.act(raft, ctx);
        ASSERT_EQ(raft.voted_for(), NodeId(1));
    }
    ctx.disk().crash();
    Raft restarted(no_pre_vote());
    restarted.recover(ctx);
    host.act(restarted, ctx);
    EXPECT_EQ(restarted.term(), Term(4));
    EXPECT_EQ(restarted.voted_for(), NodeId(1));
    ctx.sent.clear();
    restarted.step(ctx, Envelope{NodeId(2), NodeId(0), vote_request(4, 0, 0)});
    host.act(restarted, ctx);
    auto replies = ctx.take<VoteReply>();
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_FALSE(replies[0].second.granted);
}

// Thesis §9.6: "In the Pre-Vote algorithm, a candidate only increments its term
// if it first learns from a majority of the cluster that they would be willing to
// grant the candidate their votes."
TEST(RaftPaper, PreVoteDoesNotRaiseTheTermWithoutAMajority) {
    Subject subject(NodeId(0), 3);
    subject.advance(subject.raft.options().election_timeout_max + 1);
    EXPECT_EQ(subject.raft.role(), Role::pre_candidate);
    EXPECT_EQ(subject.raft.term(), Term(0));
    auto requests = subject.ctx.take<VoteRequest>();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_TRUE(requests[0].second.pre_vote);
    EXPECT_EQ(requests[0].second.term, Term(1));
    subject.receive(NodeId(1), vote_reply(1, true, true));
    EXPECT_EQ(subject.raft.role(), Role::candidate);
    EXPECT_EQ(subject.raft.term(), Term(1));
}

// Thesis §9.6: a server rejects a pre-vote "if it has received a heartbeat ...
// from a leader within the election timeout."
TEST(RaftPaper, PreVoteIsRefusedWhileALeaderIsHeardFrom) {
    RaftOptions options;
    options.check_quorum = false;  // with CheckQuorum the request is not even answered
    Subject subject(NodeId(0), 3, options);
    subject.receive(NodeId(1), append_request(1, 0, 0, {}, 0));
    subject.ctx.sent.clear();
    subject.receive(NodeId(2), vote_request(2, 5, 1, /*pre_vote=*/true));
    auto replies = subject.ctx.take<VoteReply>();
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_FALSE(replies[0].second.granted);
    EXPECT_EQ(subject.raft.term(), Term(1));  // a pre-vote changes nobody's term
}

// etcd's CheckQuorum, after thesis §4.2.3: "if a server receives a RequestVote
// request within the minimum election timeout of hearing from a current leader,
// it does not update its term or grant its vote."
TEST(RaftPaper, CheckQuorumFollowerIgnoresVotesWhileItHearsALeader) {
    RaftOptions options;
    options.pre_vote = false;
    Subject subject(NodeId(0), 3, options);
    subject.receive(NodeId(1), append_request(1, 0, 0, {}, 0));
    subject.ctx.sent.clear();
    subject.receive(NodeId(2), vote_request(5, 9, 3));
    EXPECT_TRUE(subject.ctx.take<VoteReply>().empty());
    EXPECT_EQ(subject.raft.term(), Term(1));
    // After the minimum election timeout without the leader, the vote is granted.
    subject.advance(options.election_timeout_min);
    subject.receive(NodeId(2), vote_request(5, 9, 3));
    EXPECT_EQ(subject.raft.term(), Term(5));
    EXPECT_EQ(subject.raft.voted_for(), NodeId(2));
}

// Thesis §6.2: "a leader steps down if an election timeout elapses without a
// successful round of heartbeats to a majority of its cluster."
TEST(RaftPaper, CheckQuorumLeaderStepsDownWithoutAMajority) {
    RaftOptions options;
    options.pre_vote = false;
    Subject subject(NodeId(0), 3, options);
    elect(subject);
    subject.advance(options.election_timeout_min * 2 + 1);  // nobody answers
    EXPECT_EQ(subject.raft.role(), Role::follower);
}

// Thesis §6.4: ReadIndex: "the leader ... needs to ensure it hasn't been
// superseded ... it sends a new round of heartbeats and waits for their
// acknowledgments from a majority of the cluster."
TEST(RaftPaper, ReadIndexWaitsForAMajorityToConfirmLeadership) {
    Subject subject(NodeId(0), 3, no_pre_vote());
    elect(subject);
    const Term term = subject.raft.term();
    subject.receive(NodeId(1), append_ok(term.value, 1));  // commits the no-op
    ASSERT_EQ(subject.raft.commit_index(), LogIndex(1));
    subject.ctx.sent.clear();
    ASSERT_TRUE(subject.read_index(42));
    EXPECT_TRUE(subject.host.reads_ready.empty());
    auto heartbeats = subject.ctx.take<AppendRequest>();
    ASSERT_FALSE(heartbeats.empty());
    auto ack = std::make_shared<AppendReply>();
    ack->term = term;
    ack->heartbeat = true;
    ack->success = true;
    ack->read_round = heartbeats[0].second.read_round;
    ack->last_log_index = LogIndex(1);
    subject.receive(NodeId(2), ack);
    ASSERT_EQ(subject.host.reads_ready.size(), 1u);
    EXPECT_EQ(subject.host.reads_ready[0], 42u);
}

// etcd#7331: a new leader must not serve ReadIndex before it has committed an
// entry of its own term: its commit index may lag the previous leader's.
TEST(RaftPaper, ReadIndexWaitsForACommitInTheLeadersTerm) {
    Subject subject(NodeId(0), 3, no_pre_vote());
    elect(subject);
    const Term term = subject.raft.term();
    ASSERT_TRUE(subject.read_index(7));
    subject.ctx.sent.clear();
    auto ack = std::make_shared<AppendReply>();
    ack->term = term;
    ack->heartbeat = true;
    ack->success = true;
    ack->read_round = 1'000;  // acknowledges every round so far
    subject.receive(NodeId(1), ack);
    EXPECT_TRUE(subject.host.reads_ready.empty()) << "served before committing in its term";
    subject.receive(NodeId(1), append_ok(term.value, 1));
    subject.receive(NodeId(1), ack);
    EXPECT_EQ(subject.host.reads_ready.size(), 1u);
}

}  // namespace
}  // namespace faultline::protocols::raft
