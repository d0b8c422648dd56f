#include "protocols/kv/kv_server.h"

#include <fmt/format.h>

#include "base/assert.h"

namespace faultline::protocols::kv {

KvServer::KvServer(raft::RaftOptions options)
    : bugs_(options.bugs),
      store_(KvStoreOptions{.deduplicate = !options.bugs.has(raft::Bug::no_dedup),
                            .sessions_in_snapshot = !options.bugs.has(raft::Bug::sessions_not_in_snapshot)}),
      raft_(options) {}

void KvServer::start(Context& ctx) {
    raft_.start(ctx);
    act(ctx);
}

void KvServer::recover(Context& ctx) {
    raft_.recover(ctx);
    act(ctx);
}

void KvServer::on_message(Context& ctx, const Envelope& envelope) {
    if (raft::Raft::is_raft_message(*envelope.message)) {
        raft_.step(ctx, envelope);
        act(ctx);
    } else if (const auto* request = message_as<KvRequest>(*envelope.message)) {
        handle_request(ctx, envelope.from, *request);
    }
}

void KvServer::on_timer(Context& ctx, TimerId timer, std::uint64_t tag) {
    if (!raft::is_raft_timer(tag)) return;
    raft_.on_timer(ctx, timer, tag);
    act(ctx);
}

void KvServer::act(Context& ctx) {
    raft::Ready& ready = ready_;
    raft_.take_ready(ready);
    for (std::uint64_t read_id : ready.reads_failed) fail_read(ctx, read_id);
    if (bugs_.has(raft::Bug::stepdown_fails_writes) && raft_.role() != raft::Role::leader) {
        // The bug: proposals of a leader that stepped down are answered "not
        // done", but a later leader may still commit and apply them.
        for (const auto& [index, write] : pending_writes_) {
            if (!write.acknowledged) reply(ctx, write.client, write.msg_id, write.op, KvResult{error_unavailable, 0});
        }
        pending_writes_.clear();
    }
    if (ready.snapshot) restore(ready.snapshot->data);
    // The snapshot-before-apply bug takes the state machine as it was before
    // this Ready's entries, yet hands it to Raft as of the last of them.
    std::string early_snapshot;
    if (bugs_.has(raft::Bug::snapshot_before_apply) && ready.snapshot_wanted_at) early_snapshot = store_.snapshot();
    for (const raft::LogEntry& entry : ready.committed) apply(ctx, entry);
    for (std::uint64_t read_id : ready.reads_ready) serve_read(ctx, read_id);
    if (ready.snapshot_wanted_at &&
        !raft_.compact(ctx, *ready.snapshot_wanted_at,
                       bugs_.has(raft::Bug::snapshot_before_apply) ? std::move(early_snapshot) : store_.snapshot())) {
        return;  // the disk failed and the node halted: it sends nothing more
    }
    for (auto& [to, message] : ready.messages) ctx.send(to, std::move(message));
}

void KvServer::handle_request(Context& ctx, NodeId client, const KvRequest& request) {
    if (bugs_.has(raft::Bug::read_from_follower) && request.command.op == KvOp::read && !raft_.halted() &&
        raft_.role() != raft::Role::leader) {
        // The bug: a follower answers from its own state machine, which may lag.
        reply(ctx, client, request.msg_id, KvOp::read, store_.read(request.command.key));
        return;
    }
    if (raft_.halted() || raft_.role() != raft::Role::leader) {
        reply_not_leader(ctx, client, request);
        return;
    }
    const KvCommand& command = request.command;
    if (command.op == KvOp::read) {
        if (bugs_.has(raft::Bug::stale_read)) {
            // The bug: trust our own belief that we are leader.
            reply(ctx, client, request.msg_id, KvOp::read, store_.read(command.key));
            return;
        }
        const std::uint64_t read_id = next_read_id_++;
        pending_reads_[read_id] = PendingRead{client, request.msg_id, command.key};
        const bool registered = raft_.read_index(ctx, read_id);
        act(ctx);  // may already serve it (a lease, or a one-node cluster)
        if (!registered) {
            pending_reads_.erase(read_id);
            reply_not_leader(ctx, client, request);
        }
        return;
    }
    const Term term = raft_.term();
    const auto index = raft_.propose(ctx, command.encode());
    // Registered before acting: a one-node cluster hands the entry out in
    // this very Ready, and applying it answers the client.
    if (index) pending_writes_[*index] = PendingWrite{client, request.msg_id, term, command.op, false};
    act(ctx);
    if (!index) {
        reply_not_leader(ctx, client, request);
        return;
    }
    // Still pending unless applying it already answered (a one-node cluster).
    auto pending = pending_writes_.find(*index);
    if (bugs_.has(raft::Bug::early_ack) && command.op == KvOp::write && pending != pending_writes_.end()) {
        // The bug: acknowledge before a majority has the entry.
        reply(ctx, client, request.msg_id, KvOp::write, KvResult{});
        pending->second.acknowledged = true;
    }
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
            ctx.log(
                fmt::format("entry {} is not a kv command ({}): skipped", entry.index.value, command.error().message));
        }
    }
    auto pending = pending_writes_.find(entry.index);
    if (pending == pending_writes_.end()) return;
    const PendingWrite write = pending->second;
    pending_writes_.erase(pending);
    if (write.acknowledged) return;
    // Applied, its client not yet answered: a retry must not apply it twice.
    ctx.fault_point("kv.applied");
    // Another leader's entry took the index: ours may still have been applied
    // elsewhere (a duplicate). The ack-by-index-only bug answers as if it were ours.
    if (entry.term != write.term && !bugs_.has(raft::Bug::ack_by_index_only)) {
        reply(ctx, write.client, write.msg_id, write.op, KvResult{error_indefinite, 0});
        return;
    }
    reply(ctx, write.client, write.msg_id, write.op, result);
}

void KvServer::restore(std::string_view data) {
    auto status = store_.restore(data);
    // A snapshot's bytes passed a checksum (on disk) or came from the leader's
    // memory (in a message): a malformed one is a bug, not a disk fault.
    FL_ASSERT_MSG(status.has_value(), status.has_value() ? "" : status.error().message);
    // Proposals at or below the snapshot were decided by entries we never apply
    // here; their clients time out (an indefinite outcome).
}

void KvServer::serve_read(Context& ctx, std::uint64_t read_id) {
    auto found = pending_reads_.find(read_id);
    FL_ASSERT(found != pending_reads_.end());
    const PendingRead read = found->second;
    pending_reads_.erase(found);
    reply(ctx, read.client, read.msg_id, KvOp::read, store_.read(read.key));
}

void KvServer::fail_read(Context& ctx, std::uint64_t read_id) {
    auto found = pending_reads_.find(read_id);
    FL_ASSERT(found != pending_reads_.end());
    const PendingRead read = found->second;
    pending_reads_.erase(found);
    // A read has no effect: failing it is definite.
    reply(ctx, read.client, read.msg_id, KvOp::read, KvResult{error_unavailable, 0});
}

}  // namespace faultline::protocols::kv
