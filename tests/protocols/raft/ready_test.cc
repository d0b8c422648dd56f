// The Ready contract (raft.h): an input's outcome for the host comes out of
// take_ready() after that input, every committed entry exactly once and in log
// order, every registered read once as ready or failed, a wanted snapshot that
// the host hands back with compact(), and messages only once they are durable.
#include <gtest/gtest.h>

#include "protocols/raft/fake_context.h"

namespace faultline::protocols::raft::testing {
namespace {

RaftOptions no_pre_vote() {
    RaftOptions options;
    options.pre_vote = false;
    return options;
}

// A one-node cluster elects itself when its election timeout passes.
void elect_alone(Subject& subject) {
    subject.advance(subject.raft.options().election_timeout_max + 1);
    ASSERT_EQ(subject.raft.role(), Role::leader);
}

std::vector<std::uint64_t> indexes(const std::vector<LogEntry>& entries) {
    std::vector<std::uint64_t> out;
    for (const LogEntry& entry : entries) out.push_back(entry.index.value);
    return out;
}

std::vector<std::uint64_t> one_to(std::uint64_t last) {
    std::vector<std::uint64_t> out;
    for (std::uint64_t i = 1; i <= last; ++i) out.push_back(i);
    return out;
}

// The bug the Ready design removes: on a one-node cluster a proposal commits
// inside propose(). Its entry comes out of that very input, after propose has
// returned its index, so the host can register the request first.
TEST(Ready, AOneNodeProposalIsCommittedInTheReadyOfItsOwnInput) {
    Subject subject(NodeId(0), 1);
    elect_alone(subject);
    ASSERT_EQ(indexes(subject.host.applied), one_to(1)) << "the leader's no-op";

    const auto index = subject.raft.propose(subject.ctx, "a");
    ASSERT_TRUE(index.has_value());
    Ready ready = subject.raft.take_ready();
    ASSERT_EQ(ready.committed.size(), 1u);
    EXPECT_EQ(ready.committed[0].get().index, *index);
    EXPECT_EQ(ready.committed[0].get().term, subject.raft.term());
    EXPECT_EQ(ready.committed[0].get().data, "a");
    EXPECT_TRUE(ready.messages.empty());
    EXPECT_EQ(subject.raft.last_applied(), *index);
    EXPECT_TRUE(subject.raft.take_ready().empty()) << "an entry was handed out twice";
}

TEST(Ready, EntriesComeOutOnceInLogOrderWhateverTheAcks) {
    Subject subject(NodeId(0), 5, no_pre_vote());
    elect(subject);
    const Term term = subject.raft.term();
    for (int n = 0; n < 6; ++n) ASSERT_TRUE(subject.propose("x").has_value());
    // Acks arrive late, duplicated and out of order; each commits a prefix.
    const std::uint64_t acks[][2] = {{1, 3}, {2, 2}, {1, 3}, {2, 5}, {3, 4}, {3, 7}, {4, 7}, {2, 7}};
    std::size_t handed_out = 0;
    for (const auto& [peer, match] : acks) {
        subject.raft.step(subject.ctx, Envelope{NodeId(static_cast<std::uint32_t>(peer)), subject.ctx.self(),
                                                append_ok(term.value, match)});
        Ready ready = subject.raft.take_ready();
        for (const LogEntry& entry : ready.committed) {
            EXPECT_EQ(entry.index.value, ++handed_out) << "out of order, repeated or skipped";
        }
        EXPECT_EQ(subject.raft.last_applied().value, handed_out);
        EXPECT_EQ(subject.raft.commit_index().value, handed_out);
    }
    EXPECT_EQ(handed_out, 7u);  // the no-op and six commands
}

TEST(Ready, ReadsComeOutOnceAsReady) {
    Subject subject(NodeId(0), 3, no_pre_vote());
    elect(subject);
    const Term term = subject.raft.term();
    subject.receive(NodeId(1), append_ok(term.value, 1));  // commits the no-op
    ASSERT_TRUE(subject.raft.read_index(subject.ctx, 42));
    Ready asked = subject.raft.take_ready();
    EXPECT_TRUE(asked.reads_ready.empty()) << "served before a majority confirmed leadership";
    ASSERT_FALSE(asked.messages.empty()) << "no heartbeat round for the read";
    const auto* heartbeat = message_as<AppendRequest>(*asked.messages[0].second);
    ASSERT_NE(heartbeat, nullptr);

    auto ack = std::make_shared<AppendReply>();
    ack->term = term;
    ack->heartbeat = true;
    ack->success = true;
    ack->read_round = heartbeat->read_round;
    ack->last_log_index = LogIndex(1);
    subject.raft.step(subject.ctx, Envelope{NodeId(2), subject.ctx.self(), ack});
    Ready confirmed = subject.raft.take_ready();
    EXPECT_EQ(confirmed.reads_ready, std::vector<std::uint64_t>{42});
    EXPECT_TRUE(confirmed.reads_failed.empty());
    subject.raft.step(subject.ctx, Envelope{NodeId(1), subject.ctx.self(), ack});  // a second ack
    EXPECT_TRUE(subject.raft.take_ready().reads_ready.empty()) << "a read was served twice";
}

TEST(Ready, ReadsOfALeaderThatStepsDownComeOutAsFailed) {
    Subject subject(NodeId(0), 3, no_pre_vote());
    elect(subject);
    ASSERT_TRUE(subject.read_index(7));
    ASSERT_TRUE(subject.read_index(8));
    // A leader of a later term shows up: this one steps down.
    subject.raft.step(subject.ctx, Envelope{NodeId(1), subject.ctx.self(),
                                            append_request(subject.raft.term().value + 1, 0, 0, {}, 0)});
    ASSERT_EQ(subject.raft.role(), Role::follower);
    Ready ready = subject.raft.take_ready();
    EXPECT_EQ(ready.reads_failed, (std::vector<std::uint64_t>{7, 8}));
    EXPECT_TRUE(ready.reads_ready.empty());
    EXPECT_TRUE(subject.raft.take_ready().reads_failed.empty()) << "a read failed twice";
}

// A one-node cluster reads at once: registered and served in one input.
TEST(Ready, AOneNodeReadIsReadyInTheReadyOfItsOwnInput) {
    Subject subject(NodeId(0), 1);
    elect_alone(subject);
    ASSERT_TRUE(subject.raft.read_index(subject.ctx, 5));
    EXPECT_EQ(subject.raft.take_ready().reads_ready, std::vector<std::uint64_t>{5});
}

TEST(Ready, MessagesAreHandedOutOnlyOnceDurable) {
    Subject subject(NodeId(0), 3, no_pre_vote());
    elect(subject);
    const Term term = subject.raft.term();
    // The followers answer the no-op, so each takes new entries at once.
    subject.receive(NodeId(1), append_ok(term.value, 1));
    subject.receive(NodeId(2), append_ok(term.value, 1));
    subject.ctx.sent.clear();
    ASSERT_TRUE(subject.raft.propose(subject.ctx, "x").has_value());
    Ready ready = subject.raft.take_ready();
    EXPECT_EQ(ready.messages.size(), 2u) << "one append per follower";
    EXPECT_FALSE(subject.ctx.disk().has_unsynced_writes()) << "handed out before the sync";
    EXPECT_TRUE(subject.ctx.sent.empty()) << "Raft sent something itself";
}

// Raft asks for the state machine once the log is long enough; the host hands
// it back with compact(). After a crash that snapshot is what recover()'s
// Ready restores, and entries continue right after it.
TEST(Ready, ASnapshotIsAskedForCompactedAndRestoredAfterACrash) {
    RaftOptions options;
    options.snapshot_interval_entries = 4;
    Subject subject(NodeId(0), 1, options);
    elect_alone(subject);
    std::optional<LogIndex> wanted;
    for (int n = 0; n < 5 && !wanted; ++n) {
        ASSERT_TRUE(subject.raft.propose(subject.ctx, "x").has_value());
        Ready ready = subject.raft.take_ready();
        wanted = ready.snapshot_wanted_at;
        if (wanted) {
            EXPECT_EQ(*wanted, ready.committed.back().get().index) << "not the last entry applied";
        }
    }
    ASSERT_EQ(wanted, LogIndex(4));
    ASSERT_TRUE(subject.raft.compact(subject.ctx, *wanted, "state through 4"));
    EXPECT_EQ(subject.raft.log().snapshot_index(), LogIndex(4));
    ASSERT_TRUE(subject.propose("y").has_value());  // index 5, past the snapshot

    subject.ctx.disk().crash();
    subject.ctx.timers.clear();  // the old Raft's, gone with its process
    Raft restarted(options);
    restarted.recover(subject.ctx);
    Ready recovered = restarted.take_ready();
    ASSERT_TRUE(recovered.snapshot.has_value());
    EXPECT_EQ(recovered.snapshot->index, LogIndex(4));
    EXPECT_EQ(recovered.snapshot->data, "state through 4");
    EXPECT_TRUE(recovered.committed.empty());
    // Elected again, it hands out what follows the snapshot: 5 and its new no-op.
    struct Host {
        Raft& raft;
        std::vector<LogEntry> committed;
        void on_timer(Context& ctx, TimerId id, std::uint64_t tag) {
            raft.on_timer(ctx, id, tag);
            Ready ready = raft.take_ready();
            committed.insert(committed.end(), ready.committed.begin(), ready.committed.end());
        }
    } host{restarted, {}};
    subject.ctx.advance(options.election_timeout_max + 1, host);
    ASSERT_EQ(restarted.role(), Role::leader);
    EXPECT_EQ(indexes(host.committed), (std::vector<std::uint64_t>{5, 6}));
}

TEST(ReadyDeathTest, AnInputBeforeTheLastReadyWasTakenIsAHostBug) {
    Subject subject(NodeId(0), 1);
    elect_alone(subject);
    EXPECT_DEATH(
        {
            (void)subject.raft.propose(subject.ctx, "a");
            (void)subject.raft.propose(subject.ctx, "b");
        },
        "an input before the host took the last Ready");
}

}  // namespace
}  // namespace faultline::protocols::raft::testing
