// KvServer as a host of Raft's Ready: a one-node cluster commits a write in the
// very input that proposes it, and the client still gets exactly one answer,
// from that input.
#include "protocols/kv/kv_server.h"

#include <gtest/gtest.h>

#include "protocols/raft/fake_context.h"

namespace faultline::protocols::kv {
namespace {

using raft::testing::FakeContext;

constexpr NodeId client(9);

struct OneNode {
    explicit OneNode(raft::RaftOptions options = {}) : ctx(NodeId(0), 1), server(options) {
        server.start(ctx);
        ctx.advance(options.election_timeout_max + 1, server);
        EXPECT_EQ(server.raft().role(), raft::Role::leader);
        ctx.sent.clear();
    }
    // Sends a request and returns the replies sent while handling it.
    std::vector<KvReply> request(std::uint64_t msg_id, KvCommand command) {
        auto message = std::make_shared<KvRequest>();
        message->msg_id = msg_id;
        message->command = command;
        server.on_message(ctx, Envelope{client, ctx.self(), message});
        std::vector<KvReply> replies;
        for (const auto& [to, reply] : ctx.take<KvReply>()) {
            EXPECT_EQ(to, client);
            replies.push_back(reply);
        }
        return replies;
    }

    FakeContext ctx;
    KvServer server;
};

TEST(KvServer, AOneNodeClusterAnswersEachRequestOnceInItsOwnInput) {
    OneNode node;
    auto written = node.request(1, KvCommand{KvOp::write, 3, 30, 0, 1, 1});
    ASSERT_EQ(written.size(), 1u);
    EXPECT_EQ(written[0].in_reply_to, 1u);
    EXPECT_EQ(written[0].code, 0);
    auto swapped = node.request(2, KvCommand{KvOp::cas, 3, 31, 30, 1, 2});
    ASSERT_EQ(swapped.size(), 1u);
    EXPECT_EQ(swapped[0].code, 0);
    auto read = node.request(3, KvCommand{KvOp::read, 3, 0, 0, 1, 3});
    ASSERT_EQ(read.size(), 1u);
    EXPECT_EQ(read[0].code, 0);
    EXPECT_EQ(read[0].value, 31);
    EXPECT_TRUE(node.server.raft().take_ready().empty()) << "the server left a Ready untaken";
}

// The early-ack bug acknowledges a write before it is applied; on one node it
// is applied first, and the client must not hear twice.
TEST(KvServer, EarlyAckOnOneNodeStillAnswersOnce) {
    raft::RaftOptions options;
    options.bugs.set(raft::Bug::early_ack);
    OneNode node(options);
    EXPECT_EQ(node.request(1, KvCommand{KvOp::write, 3, 30, 0, 1, 1}).size(), 1u);
}

}  // namespace
}  // namespace faultline::protocols::kv
