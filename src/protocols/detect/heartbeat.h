// Heartbeat failure detector: the simplest timeout-based detector.
//
// Every node sends a heartbeat to every other cluster node each `interval`, and
// checks each `check_interval` whether it has heard from each peer within
// `timeout` of its own clock. A peer it has not heard from becomes suspected;
// hearing from it again clears the suspicion. It is complete (a crashed node is
// eventually suspected forever) but not accurate: a delay, a loss burst or a GC
// pause longer than the timeout makes it suspect a live node. That trade-off is
// what the timeout scenarios measure.
#pragma once

#include <cstdint>
#include <vector>

#include "node/node.h"

namespace faultline::protocols::detect {

struct HeartbeatOptions {
    Nanos interval = milliseconds(100);
    Nanos timeout = milliseconds(500);
    Nanos check_interval = milliseconds(50);
};

struct Heartbeat final : Message {
    std::uint64_t sequence = 0;

    explicit Heartbeat(std::uint64_t seq) : sequence(seq) {}
    std::string_view type() const override { return "heartbeat"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 24; }
    std::uint64_t digest() const override { return sequence; }
};

// One change in a node's opinion of a peer, at the node's local time.
struct SuspicionChange {
    Nanos local_time = 0;
    NodeId peer;
    bool suspected = false;
};

class HeartbeatNode final : public Node {
  public:
    explicit HeartbeatNode(HeartbeatOptions options);

    void start(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    bool suspects(NodeId peer) const;
    const std::vector<SuspicionChange>& changes() const { return changes_; }

  private:
    enum TimerTag : std::uint64_t { send_tag = 1, check_tag = 2 };

    HeartbeatOptions options_;
    std::uint64_t sequence_ = 0;
    std::vector<Nanos> last_heard_;  // indexed by NodeId; local time
    std::vector<std::uint8_t> suspected_;
    std::vector<SuspicionChange> changes_;
};

}  // namespace faultline::protocols::detect
