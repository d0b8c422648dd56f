// KvServer: a node of the Raft KV, the reference system of faultline.
//
// Writes and compare-and-sets go through the Raft log and are answered once
// applied. Reads are linearizable through ReadIndex: the leader confirms it is
// still leader with a heartbeat round, then answers from its state machine once
// it has applied up to the commit index it saw when the read arrived.
//
// A server that is not the leader does not forward: it answers error 11
// (temporarily unavailable, which is definite: nothing was done) with the leader
// it knows of, and the client retries there. Forwarding would save a round trip
// but would make a lost forward indistinguishable from a lost write.
//
// A proposal the leader made is answered when its index is applied: with the
// result if the entry there is ours, and with an indefinite error (13) if
// another entry took the index (leadership changed; a duplicate of the request
// may still have been applied elsewhere, so "did not happen" would be a lie).
//
// After every Raft input the server takes Raft's Ready and acts on it in the
// order raft.h gives (act()); nothing of the server runs inside Raft. A
// proposal is registered before the Ready of its own input is acted on, so a
// one-node cluster, which commits it in that very input, finds it waiting when
// the entry is applied.
#pragma once

#include <cstdint>
#include <map>
#include <string_view>

#include "node/node.h"
#include "protocols/kv/kv_store.h"
#include "protocols/kv/messages.h"
#include "protocols/raft/raft.h"

namespace faultline::protocols::kv {

class KvServer final : public Node {
  public:
    explicit KvServer(raft::RaftOptions options);

    void start(Context& ctx) override;
    void recover(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    // The god's view.
    const raft::Raft& raft() const { return raft_; }
    raft::Raft& raft() { return raft_; }
    const KvStore& store() const { return store_; }

  private:
    struct PendingWrite {
        NodeId client;
        std::uint64_t msg_id = 0;
        Term term;
        KvOp op = KvOp::write;
        bool acknowledged = false;  // early-ack bug: already answered
    };
    struct PendingRead {
        NodeId client;
        std::uint64_t msg_id = 0;
        std::int64_t key = 0;
    };

    void handle_request(Context& ctx, NodeId client, const KvRequest& request);
    void reply(Context& ctx, NodeId client, std::uint64_t msg_id, KvOp op, KvResult result);
    void reply_not_leader(Context& ctx, NodeId client, const KvRequest& request);

    // Acting on the Ready of the Raft input just made, step by step.
    void act(Context& ctx);
    void apply(Context& ctx, const raft::LogEntry& entry);
    void restore(std::string_view data);
    void serve_read(Context& ctx, std::uint64_t read_id);
    void fail_read(Context& ctx, std::uint64_t read_id);

    raft::Bugs bugs_;
    KvStore store_;
    raft::Raft raft_;
    raft::Ready ready_;  // reused for every input: its buffers stay allocated
    std::map<LogIndex, PendingWrite> pending_writes_;
    std::map<std::uint64_t, PendingRead> pending_reads_;
    std::uint64_t next_read_id_ = 1;
};

}  // namespace faultline::protocols::kv
