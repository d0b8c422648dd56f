// One node watched by monitors, each running one failure detector: the setup
// of the timeout scenarios, where detection time and mistakes are measured.
//
//   heartbeat  push: the watched node sends a heartbeat every `interval`; the
//              monitor suspects it once none has arrived for `timeout`
//   ping       pull: the monitor sends a ping every `interval` and the watched
//              node answers; suspect once no answer has arrived for `timeout`
//              (twice the messages of a heartbeat, but the monitor sets the pace)
//   phi        push, judged by phi accrual (phi_accrual.h) instead of a timeout
//
// A monitor re-evaluates every `check_interval` and on every arrival, and
// records each change of its opinion; hearing from the node clears a suspicion.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "node/node.h"
#include "protocols/detect/phi_accrual.h"

namespace faultline::protocols::detect {

enum class DetectorKind : std::uint8_t { heartbeat, ping, phi };
const char* detector_kind_name(DetectorKind kind);

struct MonitorOptions {
    DetectorKind kind = DetectorKind::phi;
    NodeId watched;
    Nanos interval = seconds(1);
    Nanos timeout = seconds(5);  // heartbeat and ping
    Nanos check_interval = milliseconds(50);
    PhiAccrualOptions phi;
};

struct Ping final : Message {
    std::uint64_t sequence = 0;
    bool reply = false;  // false: ping, true: its answer
    std::string_view type() const override { return reply ? "pong" : "ping"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 24; }
    std::uint64_t digest() const override { return sequence * 2 + (reply ? 1 : 0); }
};

struct DetectorHeartbeat final : Message {
    std::uint64_t sequence = 0;
    // The sender's boot time on its own clock: a restart begins a new history
    // of arrivals (the downtime is not an inter-arrival time to learn from).
    Nanos incarnation = 0;
    std::string_view type() const override { return "heartbeat"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 24; }
    std::uint64_t digest() const override { return sequence ^ (static_cast<std::uint64_t>(incarnation) << 20); }
};

// The watched node: heartbeats to its push monitors, answers to pings.
class WatchedNode final : public Node {
  public:
    struct PushTarget {
        NodeId monitor;
        Nanos interval = seconds(1);
    };
    // `sent`, if given, counts the messages sent to each monitor, indexed by its
    // NodeId (a measuring instrument of the simulator's, kept across crashes;
    // not node state).
    explicit WatchedNode(std::vector<PushTarget> targets, std::vector<std::uint64_t>* sent = nullptr);
    void start(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

  private:
    std::vector<PushTarget> targets_;
    std::vector<std::uint64_t>* sent_;
    std::uint64_t sequence_ = 0;
    Nanos booted_ = 0;
};

class MonitorNode final : public Node {
  public:
    struct Change {
        Nanos local_time = 0;
        bool suspected = false;
    };
    explicit MonitorNode(MonitorOptions options);
    void start(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    bool suspects() const { return suspected_; }
    const std::vector<Change>& changes() const { return changes_; }
    const MonitorOptions& options() const { return options_; }
    std::uint64_t pings_sent() const { return pings_sent_; }

  private:
    enum TimerTag : std::uint64_t { ping_tag = 1, check_tag = 2 };
    void evaluate(Context& ctx);

    MonitorOptions options_;
    PhiAccrual phi_;
    Nanos incarnation_ = -1;  // of the watched node, as its heartbeats say
    Nanos last_heard_ = 0;    // local time; boot counts as heard
    bool suspected_ = false;
    std::uint64_t pings_sent_ = 0;
    std::vector<Change> changes_;
};

}  // namespace faultline::protocols::detect
