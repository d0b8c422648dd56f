// The txn-kv core, driven by hand: each isolation level lets through exactly
// the interleavings it should (lost update, write skew, dirty reads), the log
// survives a restart, duplicates run once, and the client hears an outcome
// only once a majority holds it.
#include "protocols/txn/txn_kv.h"

#include <gtest/gtest.h>

#include "protocols/raft/fake_context.h"

namespace faultline::protocols::txn {
namespace {

using raft::testing::FakeContext;
using Values = std::vector<std::int64_t>;

Mop append(std::int64_t key, std::int64_t value) {
    return Mop{.kind = Mop::Kind::append, .key = key, .value = value, .result = std::nullopt};
}
Mop r(std::int64_t key, std::optional<Values> result = std::nullopt) {
    return Mop{.kind = Mop::Kind::read, .key = key, .value = 0, .result = std::move(result)};
}

const NodeId kClient{100};

struct Subject {
    FakeContext ctx;
    TxnKvNode node;

    explicit Subject(TxnKvOptions options, int cluster_size = 1, NodeId self = NodeId{0})
        : ctx(self, cluster_size), node(options) {
        node.start(ctx);
    }
    // Transaction `client`'s request number `sequence`; its msg_id is the client.
    void request(std::uint64_t client, std::uint64_t sequence, std::vector<Mop> mops) {
        auto message = std::make_shared<TxnRequest>();
        message->msg_id = client;
        message->client = client;
        message->sequence = sequence;
        message->mops = std::move(mops);
        node.on_message(ctx, Envelope{kClient, ctx.self(), std::move(message)});
    }
    void advance(Nanos duration) { ctx.advance(duration, node); }
    // The replies sent so far, by msg_id (forgets every sent message).
    std::map<std::uint64_t, TxnReply> replies() {
        std::map<std::uint64_t, TxnReply> out;
        for (auto& [to, reply] : ctx.take<TxnReply>()) out.emplace(reply.in_reply_to, reply);
        return out;
    }
};

TxnKvOptions at(Isolation isolation) {
    return TxnKvOptions{.isolation = isolation};
}

// Two transactions read key 0, then both append to it.
TEST(TxnKv, LostUpdateOnlyUnderReadCommittedAndBelow) {
    for (Isolation isolation : {Isolation::read_committed, Isolation::snapshot_isolation, Isolation::serializable}) {
        Subject s(at(isolation));
        // The second reads before the first commits (at 2 steps), and appends after.
        const Nanos step = TxnKvOptions{}.op_interval;
        s.request(1, 1, {r(0), append(0, 1)});
        s.advance(step * 3 / 2);
        s.request(2, 1, {r(0), append(0, 2)});
        s.advance(seconds(1));
        auto replies = s.replies();
        ASSERT_EQ(replies.size(), 2u);
        EXPECT_EQ(replies[1].code, kTxnOk);
        EXPECT_EQ(replies[1].mops, (std::vector<Mop>{r(0, std::nullopt), append(0, 1)}));
        if (isolation == Isolation::read_committed) {
            EXPECT_EQ(replies[2].code, kTxnOk) << "both read nil and both appended: a lost update";
            EXPECT_EQ(s.node.committed(0), (Values{1, 2}));
        } else {
            EXPECT_EQ(replies[2].code, kTxnConflict) << "the first committer wins";
            EXPECT_EQ(s.node.committed(0), (Values{1}));
        }
        EXPECT_EQ(s.node.log().size(), 2u) << "aborts are logged too";
    }
}

// Each reads keys 0 and 1 and appends to a different one: write skew.
TEST(TxnKv, WriteSkewUnderSnapshotIsolationAndTheBrokenSerializable) {
    struct Case {
        TxnKvOptions options;
        bool skew;
    };
    for (const Case& c : {Case{at(Isolation::snapshot_isolation), true}, Case{at(Isolation::serializable), false},
                          Case{TxnKvOptions{.isolation = Isolation::serializable, .validate_reads = false}, true}}) {
        Subject s(c.options);
        s.request(1, 1, {r(0), r(1), append(0, 1)});
        s.request(2, 1, {r(0), r(1), append(1, 2)});
        s.advance(seconds(1));
        auto replies = s.replies();
        ASSERT_EQ(replies.size(), 2u);
        EXPECT_EQ(replies[1].code, kTxnOk);
        EXPECT_EQ(replies[2].code, c.skew ? kTxnOk : kTxnConflict);
    }
}

TEST(TxnKv, ReadsSeeTheSnapshotTheLatestCommitOrUncommittedAppends) {
    struct Case {
        Isolation isolation;
        std::optional<Values> first, second;  // what the reader sees before and after the writer commits
    };
    for (const Case& c : {Case{Isolation::read_uncommitted, Values{1}, Values{1, 2}},
                          Case{Isolation::read_committed, std::nullopt, Values{1, 2}},
                          Case{Isolation::snapshot_isolation, std::nullopt, std::nullopt}}) {
        Subject s(at(c.isolation));
        const Nanos step = TxnKvOptions{}.op_interval;
        s.request(1, 1, {append(0, 1), append(0, 2)});  // commits at 2 steps
        s.advance(step / 2);
        s.request(2, 1, {r(0), r(0), r(0), r(0)});  // reads at 0.5, 1.5, 2.5, 3.5 steps
        s.advance(seconds(1));
        auto replies = s.replies();
        ASSERT_EQ(replies.size(), 2u);
        ASSERT_EQ(replies[2].code, kTxnOk);
        EXPECT_EQ(replies[2].mops[0].result, c.first) << static_cast<int>(c.isolation);
        EXPECT_EQ(replies[2].mops[3].result, c.second) << static_cast<int>(c.isolation);
    }
}

TEST(TxnKv, ReadUncommittedWritersTakeAWriteLockAndAbortOnConflict) {
    Subject s(at(Isolation::read_uncommitted));
    s.request(1, 1, {append(0, 1), r(0)});
    s.request(2, 1, {append(0, 2)});
    s.advance(seconds(1));
    auto replies = s.replies();
    EXPECT_EQ(replies[1].code, kTxnOk);
    EXPECT_EQ(replies[1].mops[1].result, (Values{1}));
    EXPECT_EQ(replies[2].code, kTxnConflict);
    EXPECT_EQ(s.node.committed(0), (Values{1}));
}

TEST(TxnKv, ADuplicateRequestRunsOnce) {
    Subject s(at(Isolation::read_committed));
    s.request(1, 1, {append(0, 1)});
    s.request(1, 1, {append(0, 1)});
    s.advance(seconds(1));
    s.request(1, 1, {append(0, 1)});
    s.advance(seconds(1));
    EXPECT_EQ(s.replies().size(), 1u);
    EXPECT_EQ(s.node.committed(0), (Values{1}));
}

TEST(TxnKv, TheLogSurvivesARestartAndRemembersWhatRan) {
    Subject s(at(Isolation::serializable));
    s.request(1, 1, {append(0, 1), append(1, 2)});
    s.request(2, 1, {r(0), append(0, 3)});  // aborts: key 0 changed since its start
    s.advance(seconds(1));
    TxnKvNode restarted(at(Isolation::serializable));
    restarted.recover(s.ctx);
    EXPECT_EQ(restarted.log(), s.node.log());
    EXPECT_EQ(restarted.committed(0), (Values{1}));
    EXPECT_EQ(restarted.committed(1), (Values{2}));
    s.ctx.sent.clear();
    auto late = std::make_shared<TxnRequest>();  // a late duplicate of the aborted request
    late->msg_id = 9;
    late->client = 2;
    late->sequence = 1;
    late->mops = {append(0, 3)};
    restarted.on_message(s.ctx, Envelope{kClient, s.ctx.self(), late});
    EXPECT_EQ(restarted.running(), 0u);
    EXPECT_TRUE(s.ctx.sent.empty());
}

TEST(TxnKv, RecordsRoundTripAndATornTailIsDropped) {
    const std::vector<LogRecord> records = {{1, 1, true, {{0, 1}, {3, 4}}}, {2, 7, false, {}}};
    std::string bytes;
    for (const LogRecord& record : records) bytes += encode_record(record);
    EXPECT_EQ(decode_records(bytes), records);
    EXPECT_EQ(decode_records(bytes.substr(0, bytes.size() - 1)), (std::vector<LogRecord>{records[0]}));
    EXPECT_EQ(decode_records(bytes.substr(0, encode_record(records[0]).size() - 3)), std::vector<LogRecord>{});
}

TEST(TxnKv, TheClientHearsOnceAMajorityHoldsTheRecord) {
    Subject leader(at(Isolation::serializable), 3);
    leader.request(1, 1, {append(0, 1)});
    leader.advance(seconds(1) / 100);
    auto shipped = leader.ctx.take<Replicate>();
    ASSERT_EQ(shipped.size(), 2u);
    EXPECT_EQ(leader.replies().size(), 0u) << "only the leader holds it";

    Subject follower(at(Isolation::serializable), 3, NodeId{1});
    auto replicate = std::make_shared<Replicate>(shipped[0].second);
    follower.node.on_message(follower.ctx, Envelope{NodeId{0}, NodeId{1}, replicate});
    follower.node.on_message(follower.ctx, Envelope{NodeId{0}, NodeId{1}, replicate});  // a duplicate
    EXPECT_EQ(follower.node.committed(0), (Values{1}));
    auto acks = follower.ctx.take<ReplicateAck>();
    ASSERT_EQ(acks.size(), 2u);
    EXPECT_EQ(acks[0].second.index, 1u);

    leader.node.on_message(leader.ctx, Envelope{NodeId{1}, NodeId{0}, std::make_shared<ReplicateAck>(acks[0].second)});
    auto replies = leader.replies();
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[1].code, kTxnOk);

    // A record past a gap waits for the leader to resend what is missing.
    auto gap = std::make_shared<Replicate>();
    gap->first_index = 3;
    gap->records = {LogRecord{5, 1, true, {{0, 9}}}};
    follower.node.on_message(follower.ctx, Envelope{NodeId{0}, NodeId{1}, gap});
    EXPECT_EQ(follower.node.log().size(), 1u);
}

}  // namespace
}  // namespace faultline::protocols::txn
