// Wire codecs (node/wire_codec.h): each message that servers exchange, encoded
// and decoded again, is the message that was sent: its trace JSON and its wire
// JSON are the same, and so is its digest (which covers what to_json leaves out,
// such as an entry's bytes).
#include "node/wire_codec.h"

#include <gtest/gtest.h>

#include "base/json.h"
#include "protocols/broadcast/broadcast.h"
#include "protocols/echo/echo.h"
#include "protocols/raft/messages.h"

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
