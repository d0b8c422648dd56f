// Wire codecs (node/wire_codec.h): each message that servers exchange, encoded
// and decoded again, is the message that was sent: its trace JSON and its wire
// JSON are the same, and so is its digest (which covers what to_json leaves out,
// such as an entry's bytes).
#include "node/wire_codec.h"

#include <gtest/gtest.h>

#include "base/json.h"
#include "protocols/broadcast/broadcast.h"
#include "protocols/echo/echo.h"
#include "protocols/lww/lww_replica.h"
#include "protocols/pb/primary_backup.h"
#include "protocols/raft/messages.h"
#include "protocols/txn/txn_kv.h"

namespace faultline {
namespace {

namespace raft = protocols::raft;
namespace broadcast = protocols::broadcast;

void expect_round_trip(const Message& message) {
    const std::optional<Json> wire = encode_wire(message);
    ASSERT_TRUE(wire) << "no wire codec for " << message.type();
    // Through text, as it travels.
    auto decoded = decode_wire(message.type(), Json::parse(wire->dump()));
    ASSERT_TRUE(decoded) << decoded.error().message;
    const Message& back = **decoded;
    EXPECT_EQ(typeid(back), typeid(message));
    EXPECT_EQ(back.type(), message.type());
    EXPECT_EQ(back.to_json(), message.to_json());
    EXPECT_EQ(encode_wire(back), wire);
    EXPECT_EQ(back.digest(), message.digest()) << message.type();
}

TEST(WireCodec, RaftMessagesRoundTrip) {
    raft::VoteRequest vote;
    vote.term = Term(7);
    vote.last_log_index = LogIndex(12);
    vote.last_log_term = Term(6);
    vote.leadership_transfer = true;
    expect_round_trip(vote);
    vote.pre_vote = true;
    expect_round_trip(vote);

    raft::VoteReply vote_reply;
    vote_reply.term = Term(7);
    vote_reply.granted = true;
    vote_reply.pre_vote = true;
    expect_round_trip(vote_reply);

    raft::AppendRequest append;
    append.term = Term(3);
    append.prev_index = LogIndex(4);
    append.prev_term = Term(2);
    append.entries.push_back(raft::LogEntry{Term(3), LogIndex(5), raft::EntryType::noop, ""});
    append.entries.push_back(
        raft::LogEntry{Term(3), LogIndex(6), raft::EntryType::command, std::string("\0\xff\x01z", 4)});
    append.leader_commit = LogIndex(4);
    append.leader_last_index = LogIndex(6);
    append.read_round = 9;
    append.mac = std::string("\x80\x00mac", 5);
    expect_round_trip(append);
    raft::AppendRequest heartbeat;
    heartbeat.heartbeat = true;
    heartbeat.term = Term(3);
    expect_round_trip(heartbeat);

    raft::AppendReply append_reply;
    append_reply.term = Term(3);
    append_reply.success = false;
    append_reply.rejected_index = LogIndex(4);
    append_reply.conflict_term = Term(1);
    append_reply.conflict_index = LogIndex(2);
    append_reply.last_log_index = LogIndex(3);
    append_reply.read_round = 2;
    append_reply.log_damaged = true;
    append_reply.hard_state_lost = true;
    expect_round_trip(append_reply);
    append_reply.success = true;
    append_reply.heartbeat = true;
    append_reply.match_index = LogIndex(6);
    expect_round_trip(append_reply);

    raft::SnapshotRequest snapshot;
    snapshot.term = Term(4);
    snapshot.last_index = LogIndex(100);
    snapshot.last_term = Term(3);
    snapshot.data = std::string("snap\0shot", 9);
    expect_round_trip(snapshot);

    raft::SnapshotReply snapshot_reply;
    snapshot_reply.term = Term(4);
    snapshot_reply.last_index = LogIndex(100);
    snapshot_reply.hard_state_lost = true;
    expect_round_trip(snapshot_reply);

    raft::TimeoutNow timeout_now;
    timeout_now.term = Term(5);
    expect_round_trip(timeout_now);
}

TEST(WireCodec, BroadcastAndEchoMessagesRoundTrip) {
    broadcast::Gossip gossip;
    gossip.value = -42;
    expect_round_trip(gossip);
    broadcast::Resend resend;
    resend.values = {1, 2, 3};
    expect_round_trip(resend);
    broadcast::ResendOk resend_ok;
    resend_ok.values = {4};
    expect_round_trip(resend_ok);
    expect_round_trip(protocols::echo::EchoRequest(3, "Please echo 35"));
    expect_round_trip(protocols::echo::EchoReply(3, "Please echo 35"));
}

TEST(WireCodec, LwwPrimaryBackupAndTxnKvMessagesRoundTrip) {
    protocols::lww::Replicate lww;
    lww.write_id = 9;
    lww.key = 3;
    lww.value = -4;
    lww.stamp = protocols::lww::Stamp{protocols::clocks::HlcTimestamp{123456789, 2}, 1, 9};
    expect_round_trip(lww);
    protocols::lww::ReplicateAck lww_ack;
    lww_ack.write_id = 9;
    lww_ack.time = protocols::clocks::HlcTimestamp{123456999, 0};
    expect_round_trip(lww_ack);

    protocols::pb::Replicate pb;
    pb.epoch = 3;
    pb.command = protocols::kv::KvCommand{
        .op = protocols::kv::KvOp::cas, .key = 2, .value = 5, .from = 4, .client = 7, .sequence = 11, .padding = 16};
    expect_round_trip(pb);
    pb.heartbeat = true;
    pb.command = {};
    expect_round_trip(pb);

    protocols::txn::Replicate txn;
    txn.first_index = 5;
    txn.records.push_back(
        protocols::txn::LogRecord{.client = 1, .sequence = 2, .committed = true, .appends = {{1, 10}, {2, 20}}});
    txn.records.push_back(protocols::txn::LogRecord{.client = 3, .sequence = 4, .committed = false});
    expect_round_trip(txn);
    protocols::txn::ReplicateAck txn_ack;
    txn_ack.index = 6;
    expect_round_trip(txn_ack);
}

TEST(WireCodec, MalformedBodiesAndUnknownTypesAreErrors) {
    EXPECT_FALSE(decode_wire("no_such_message", Json::object()));
    EXPECT_FALSE(has_wire_codec("no_such_message"));
    EXPECT_TRUE(has_wire_codec("append_entries"));
    EXPECT_FALSE(decode_wire("gossip", Json{{"message", "not a number"}}));
    EXPECT_FALSE(decode_wire("request_vote", Json{{"term", 1}}));
    Json append = *encode_wire(raft::AppendRequest{});
    append["mac"] = "zz";  // not hex
    EXPECT_FALSE(decode_wire("append_entries", append));
    append["mac"] = "";
    append["entries"] = Json::array({Json::array({1, 1, 9, ""})});  // no such entry type
    EXPECT_FALSE(decode_wire("append_entries", append));
}

}  // namespace
}  // namespace faultline
