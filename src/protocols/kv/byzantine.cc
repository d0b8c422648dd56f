#include "protocols/kv/byzantine.h"

#include <algorithm>

#include "base/assert.h"

namespace faultline::protocols::kv {

using raft::AppendRequest;
using raft::VoteReply;
using raft::VoteRequest;

const char* raft_byzantine_name(RaftByzantine behaviour) {
    switch (behaviour) {
        case RaftByzantine::forged_append:
            return "forged-append";
        case RaftByzantine::double_vote:
            return "double-vote";
        case RaftByzantine::log_lie:
            return "log-lie";
    }
    return "?";
}

void ByzantineKvServer::start(Context& ctx) {
    InterceptedContext<ByzantineKvServer> intercept(*this, ctx);
    inner_.start(intercept);
}

void ByzantineKvServer::recover(Context& ctx) {
    InterceptedContext<ByzantineKvServer> intercept(*this, ctx);
    inner_.recover(intercept);
}

void ByzantineKvServer::on_message(Context& ctx, const Envelope& envelope) {
    InterceptedContext<ByzantineKvServer> intercept(*this, ctx);
    inner_.on_message(intercept, envelope);
    if (behaviour_ != RaftByzantine::forged_append) return;
    if (const auto* append = message_as<AppendRequest>(*envelope.message);
        append != nullptr && !append->heartbeat && !append->entries.empty()) {
        forge_after(ctx, envelope.from, *append);
    }
}

void ByzantineKvServer::on_timer(Context& ctx, TimerId timer, std::uint64_t tag) {
    InterceptedContext<ByzantineKvServer> intercept(*this, ctx);
    inner_.on_timer(intercept, timer, tag);
}

void ByzantineKvServer::outgoing(Context& ctx, NodeId to, MessagePtr message) {
    if (behaviour_ == RaftByzantine::double_vote) {
        if (const auto* reply = message_as<VoteReply>(*message); reply != nullptr && !reply->granted) {
            auto lie = std::make_shared<VoteReply>(*reply);
            lie->granted = true;
            ctx.send(to, std::move(lie));
            return;
        }
    }
    if (behaviour_ == RaftByzantine::log_lie) {
        if (const auto* request = message_as<VoteRequest>(*message)) {
            auto lie = std::make_shared<VoteRequest>(*request);
            lie->last_log_term = request->term;
            lie->last_log_index = LogIndex(std::uint64_t{1} << 40);
            ctx.send(to, std::move(lie));
            return;
        }
    }
    ctx.send(to, std::move(message));
}

void ByzantineKvServer::forge_after(Context& ctx, NodeId leader, const AppendRequest& request) {
    // One entry past the leader's last, in the leader's term: a write of a
    // value no client wrote, under a session no client has.
    const raft::LogEntry& last = request.entries.back();
    if (last.term != request.term) return;
    KvCommand command;
    command.op = KvOp::write;
    command.key = static_cast<std::int64_t>(ctx.random().below(8));
    command.value = -1 - static_cast<std::int64_t>(ctx.random().below(1000));
    command.client = std::uint64_t{1} << 40;
    command.sequence = ++forged_sequence_;
    auto forged = std::make_shared<AppendRequest>();
    forged->term = request.term;
    forged->prev_index = last.index;
    forged->prev_term = last.term;
    forged->entries.push_back(
        raft::LogEntry{request.term, last.index.next(), raft::EntryType::command, command.encode()});
    forged->leader_commit = request.leader_commit;
    forged->leader_last_index = last.index.next();
    for (NodeId peer : ctx.cluster()) {
        // Not to the leader, which would see a second leader in its term.
        if (peer != ctx.self() && peer != leader) ctx.send(peer, forged);
    }
}

}  // namespace faultline::protocols::kv
