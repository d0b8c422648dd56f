#include "protocols/kv/kv_server.h"

#include <fmt/format.h>

#include "base/assert.h"

namespace faultline::protocols::kv {

KvServer::KvServer(raft::RaftOptions options)
    : bugs_(options.bugs), store_(/*deduplicate=*/!options.bugs.no_dedup), raft_(options, *this) {}

void KvServer::start(Context& ctx) { raft_.start(ctx); }

void KvServer::recover(Context& ctx) { raft_.recover(ctx); }

void KvServer::on_message(Context& ctx, const Envelope& envelope) {
    if (raft::Raft::is_raft_message(*envelope.message)) {
        raft_.step(ctx, envelope);
    } else if (const auto* request = message_as<KvRequest>(*envelope.message)) {
        handle_request(ctx, envelope.from, *request);
    }
}

void KvServer::on_timer(Context& ctx, TimerId timer, std::uint64_t tag) {
    if (raft::is_raft_timer(tag)) raft_.on_timer(ctx, timer, tag);
}

void KvServer::handle_request(Context& ctx, NodeId client, const KvRequest& request) {
    if (raft_.halted() || raft_.role() != raft::Role::leader) {
        reply_not_leader(ctx, client, request);
        return;
    }
    const KvCommand& command = request.command;
    if (command.op == KvOp::read) {
        if (bugs_.stale_read) {
            // The bug: trust our own belief that we are leader.
            reply(ctx, client, request.msg_id, KvOp::read, store_.read(command.key));
            return;
        }
        const std::uint64_t read_id = next_read_id_++;
        pending_reads_[read_id] = PendingRead{client, request.msg_id, command.key};
        if (!raft_.read_index(ctx, read_id)) {
            pending_reads_.erase(read_id);
            reply_not_leader(ctx, client, request);
        }
        return;
    }
    const Term term = raft_.term();
    proposing_ = true;
    const auto index = raft_.propose(ctx, command.encode());
    proposing_ = false;
    auto applied = std::move(applied_while_proposing_);
    applied_while_proposing_.clear();
    if (!index) {
        reply_not_leader(ctx, client, request);
        return;
    }
    if (auto found = applied.find(*index); found != applied.end()) {
        const auto& [entry_term, result] = found->second;
        reply(ctx, client, request.msg_id, command.op, entry_term == term ? result : KvResult{error_indefinite, 0});
        return;
    }
    PendingWrite pending{client, request.msg_id, term, command.op, false};
    if (bugs_.early_ack && command.op == KvOp::write) {
        // The bug: acknowledge before a majority has the entry.
        reply(ctx, client, request.msg_id, KvOp::write, KvResult{});
        pending.acknowledged = true;
    }
    pending_writes_[*index] = pending;
}

void KvServer::reply(Context& ctx, NodeId client, std::uint64_t msg_id, KvOp op, KvResult result) {
    auto message = std::make_shared<KvReply>();
    message->in_reply_to = msg_id;
    message->op = op;
    message->code = result.code;
    message->value = result.value;
    ctx.send(client, std::move(message));
}

void KvServer::reply_not_leader(Context& ctx, NodeId client, const KvRequest& request) {
    auto message = std::make_shared<KvReply>();
    message->in_reply_to = request.msg_id;
    message->op = request.command.op;
    message->code = error_unavailable;
    if (raft_.leader() && *raft_.leader() != ctx.self()) message->leader_hint = raft_.leader();
    ctx.send(client, std::move(message));
}

void KvServer::apply(Context& ctx, const raft::LogEntry& entry) {
    KvResult result;
    if (entry.type == raft::EntryType::command) {
        auto command = KvCommand::decode(entry.data);
        if (command) {
            result = store_.apply(*command);
        } else {
            // Only a tampering network produces this: Raft replicates bytes, not meaning.
            ctx.log(fmt::format("entry {} is not a kv command ({}): skipped", entry.index.value,
                                command.error().message));
        }
    }
    auto pending = pending_writes_.find(entry.index);
    if (pending == pending_writes_.end()) {
        if (proposing_) applied_while_proposing_[entry.index] = {entry.term, result};
        return;
    }
    const PendingWrite write = pending->second;
    pending_writes_.erase(pending);
    if (write.acknowledged) return;
    if (entry.term != write.term) {
        reply(ctx, write.client, write.msg_id, write.op, KvResult{error_indefinite, 0});
        return;
    }
    reply(ctx, write.client, write.msg_id, write.op, result);
}

std::string KvServer::take_snapshot() { return store_.snapshot(); }

void KvServer::restore_snapshot(Context& ctx, std::string_view data) {
    auto status = store_.restore(data);
    // A snapshot's bytes passed a checksum (on disk) or came from the leader's
    // memory (in a message): a malformed one is a bug, not a disk fault.
    FL_ASSERT_MSG(status.has_value(), status.has_value() ? "" : status.error().message);
    // Proposals at or below the snapshot were decided by entries we never apply
    // here; their clients time out (an indefinite outcome).
    (void)ctx;
}

void KvServer::read_ready(Context& ctx, std::uint64_t read_id) {
    auto found = pending_reads_.find(read_id);
    FL_ASSERT(found != pending_reads_.end());
    const PendingRead read = found->second;
    pending_reads_.erase(found);
    reply(ctx, read.client, read.msg_id, KvOp::read, store_.read(read.key));
}

void KvServer::read_failed(Context& ctx, std::uint64_t read_id) {
    auto found = pending_reads_.find(read_id);
    FL_ASSERT(found != pending_reads_.end());
    const PendingRead read = found->second;
    pending_reads_.erase(found);
    // A read has no effect: failing it is definite.
    reply(ctx, read.client, read.msg_id, KvOp::read, KvResult{error_unavailable, 0});
}

}  // namespace faultline::protocols::kv
