// A last-write-wins replicated register store (one register per key), to show
// what clock skew does to timestamps.
//
// Every replica serves clients (the lin-kv read and write of protocols/kv).
// A write is stamped by the replica that takes it, applied there, and sent to
// every other replica; the client hears "ok" once all have acknowledged it.
// Each replica keeps, per key, the value with the greatest (timestamp, origin).
// A read answers from the local copy.
//
// How writes are stamped decides what "last" means:
//   physical  the replica's own clock. A replica whose clock runs behind stamps
//             a write that comes later in real time with a smaller timestamp,
//             and the earlier write wins everywhere: the later one is lost.
//   hlc       a hybrid logical clock (protocols/clocks/hlc.h), advanced by every
//             replicated write it receives. Since a write is acknowledged only
//             after every replica has it, any write that starts after it
//             completed is stamped higher, whatever the clocks say.
//
// No crash recovery and no anti-entropy: the clocks scenarios need neither. An
// unacknowledged replication is resent every `resend_interval`.
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "node/node.h"
#include "protocols/clocks/hlc.h"

namespace faultline::protocols::lww {

enum class Timestamps : std::uint8_t { physical, hlc };

struct LwwOptions {
    Timestamps timestamps = Timestamps::hlc;
    Nanos resend_interval = milliseconds(50);
};

// A write's identity and order: timestamp, then the replica that stamped it,
// then that replica's count of writes (two physical stamps can be equal).
struct Stamp {
    clocks::HlcTimestamp time;
    std::uint32_t origin = 0;
    std::uint64_t write_id = 0;
    auto operator<=>(const Stamp&) const = default;
};

struct Replicate final : Message {
    std::uint64_t write_id = 0;  // the origin's id, for the ack
    std::int64_t key = 0;
    std::int64_t value = 0;
    Stamp stamp;
    std::string_view type() const override { return "replicate"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 48; }
    std::uint64_t digest() const override;
};

struct ReplicateAck final : Message {
    std::uint64_t write_id = 0;
    clocks::HlcTimestamp time;  // the acknowledging replica's clock, for HLC
    std::string_view type() const override { return "replicate_ok"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 24; }
    std::uint64_t digest() const override;
};

class LwwReplica final : public Node {
  public:
    explicit LwwReplica(LwwOptions options) : options_(options) {}
    void start(Context&) override {}
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

  private:
    struct Version {
        std::int64_t value = 0;
        Stamp stamp;
    };
    struct PendingWrite {
        NodeId client;
        std::uint64_t msg_id = 0;
        std::int64_t key = 0;
        std::int64_t value = 0;
        Stamp stamp;
        std::set<NodeId> waiting;  // replicas that have not acknowledged
    };

    void take_write(Context& ctx, NodeId client, std::uint64_t msg_id, std::int64_t key, std::int64_t value);
    void apply(std::int64_t key, std::int64_t value, const Stamp& stamp);
    void replicate(Context& ctx, std::uint64_t write_id, const PendingWrite& write, NodeId to);
    void acknowledge_write(Context& ctx, NodeId client, std::uint64_t msg_id);
    clocks::HlcTimestamp stamp_now(Context& ctx);

    LwwOptions options_;
    clocks::HybridLogicalClock hlc_;
    std::map<std::int64_t, Version> store_;
    std::map<std::uint64_t, PendingWrite> pending_;
    std::uint64_t next_write_id_ = 1;
    TimerId resend_timer_ = 0;
};

}  // namespace faultline::protocols::lww
