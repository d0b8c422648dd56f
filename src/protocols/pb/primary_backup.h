// Primary-backup without a quorum: the design split brain is made of.
//
// n0 starts as primary, the others as backups. The primary applies writes to
// its own KvStore, answers at once, and forwards them to the backups; it sends
// heartbeats. A backup that misses heartbeats for `failover_timeout` promotes
// itself (epoch + 1) and starts serving, without asking anyone: a partition
// that only cuts primary from backup leaves two primaries, each taking writes
// the other never sees. A primary that hears a higher epoch steps down (keeping
// whatever it diverged to). Clients speak the Raft KV's protocol (lin-kv).
//
// It is a foil: split-brain/no-quorum runs it, split-brain/raft runs the same
// partition on Raft.
#pragma once

#include <cstdint>

#include "node/node.h"
#include "protocols/kv/kv_store.h"
#include "protocols/kv/messages.h"

namespace faultline::protocols::pb {

struct PrimaryBackupOptions {
    Nanos heartbeat_interval = milliseconds(50);
    Nanos failover_timeout = milliseconds(300);
};

struct Replicate final : Message {
    std::uint64_t epoch = 0;
    bool heartbeat = false;
    kv::KvCommand command;

    std::string_view type() const override { return heartbeat ? "pb_heartbeat" : "pb_replicate"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 64; }
    std::uint64_t digest() const override;
};

class PrimaryBackupNode final : public Node {
  public:
    explicit PrimaryBackupNode(PrimaryBackupOptions options) : options_(options) {}

    void start(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    bool primary() const { return primary_; }
    std::uint64_t epoch() const { return epoch_; }

  private:
    enum TimerTag : std::uint64_t { heartbeat_tag = 1, failover_tag = 2 };

    void handle_client(Context& ctx, NodeId client, const kv::KvRequest& request);
    void reply(Context& ctx, NodeId client, std::uint64_t msg_id, kv::KvOp op, kv::KvResult result);
    void broadcast(Context& ctx, std::shared_ptr<Replicate> message);

    PrimaryBackupOptions options_;
    kv::KvStore store_;
    bool primary_ = false;
    std::uint64_t epoch_ = 0;
    Nanos last_heard_ = 0;
    std::optional<NodeId> known_primary_;
};

}  // namespace faultline::protocols::pb
