#include "protocols/paxos/kv_server.h"

#include <fmt/format.h>

#include "base/assert.h"

namespace faultline::protocols::paxos {

using kv::KvOp;
using kv::KvReply;
using kv::KvRequest;
using kv::KvResult;

void PaxosKvServer::start(Context& ctx) {
    paxos_.start(ctx);
}

void PaxosKvServer::recover(Context& ctx) {
    // The store is rebuilt from the chosen values the node learns again.
    paxos_.recover(ctx);
}

void PaxosKvServer::on_message(Context& ctx, const Envelope& envelope) {
    if (MultiPaxos::is_paxos_message(*envelope.message)) {
        paxos_.step(ctx, envelope);
        apply_chosen(ctx);
    } else if (const auto* request = message_as<KvRequest>(*envelope.message)) {
        handle_request(ctx, envelope.from, *request);
    }
}

void PaxosKvServer::on_timer(Context& ctx, TimerId timer, std::uint64_t tag) {
    paxos_.on_timer(ctx, timer, tag);
    apply_chosen(ctx);
}

void PaxosKvServer::handle_request(Context& ctx, NodeId client, const KvRequest& request) {
    Value value = request.command.encode();
    const std::uint64_t digest = value_digest(value);
    const std::optional<Slot> slot = paxos_.propose(ctx, std::move(value));
    if (!slot) {
        auto message = std::make_shared<KvReply>();
        message->in_reply_to = request.msg_id;
        message->op = request.command.op;
        message->code = kv::error_unavailable;
        if (paxos_.leader() && *paxos_.leader() != ctx.self()) message->leader_hint = paxos_.leader();
        ctx.send(client, std::move(message));
        return;
    }
    pending_[*slot] = Pending{client, request.msg_id, request.command.op, digest};
    apply_chosen(ctx);  // a one-node cluster chooses it at once
}

void PaxosKvServer::apply_chosen(Context& ctx) {
    paxos_.take_chosen(chosen_);
    for (const SlotValue& chosen : chosen_) {
        KvResult result;
        if (!chosen.value.empty()) {  // else a no-op that filled a gap
            auto command = kv::KvCommand::decode(chosen.value);
            FL_ASSERT_MSG(command.has_value(), command.has_value() ? "" : command.error().message);
            result = command->op == KvOp::read ? store_.read(command->key) : store_.apply(*command);
        }
        auto pending = pending_.find(chosen.slot);
        if (pending == pending_.end()) continue;
        const Pending mine = pending->second;
        pending_.erase(pending);
        if (value_digest(chosen.value) == mine.digest) {
            reply(ctx, mine.client, mine.msg_id, mine.op, result);
        } else if (mine.op == KvOp::read) {
            reply(ctx, mine.client, mine.msg_id, mine.op, KvResult{kv::error_unavailable, 0});
        } else {
            reply(ctx, mine.client, mine.msg_id, mine.op, KvResult{kv::error_indefinite, 0});
        }
    }
}

void PaxosKvServer::reply(Context& ctx, NodeId client, std::uint64_t msg_id, KvOp op, KvResult result) {
    auto message = std::make_shared<KvReply>();
    message->in_reply_to = msg_id;
    message->op = op;
    message->code = result.code;
    message->value = result.value;
    ctx.send(client, std::move(message));
}

}  // namespace faultline::protocols::paxos
