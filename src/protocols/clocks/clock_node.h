// A node that stamps its events with a logical clock (Lamport or vector), for
// the clock checks (check/clock_checker.h, the logical-clocks system).
//
// Every `event_interval` on average the node does a local event or sends a
// message to a random other node; each receive is an event too. Every event
// and its stamp go to a ClockSink, with the id of the message it sent or
// received, so the checks can rebuild happens-before without trusting the
// clock. A Lamport stamp is (L, the node's position): compared
// lexicographically, a total order consistent with causality.
//
// The clock lives in memory: a node restarted after a crash starts from zero,
// and its later events can be stamped below its own earlier ones.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "node/node.h"
#include "protocols/clocks/lamport.h"
#include "protocols/clocks/vector_clock.h"

namespace faultline::protocols::clocks {

enum class ClockKind : std::uint8_t { lamport, vector };

class ClockSink {
  public:
    virtual ~ClockSink() = default;
    // An event at `node`: the send of message `sent`, the receive of message
    // `received`, or (both 0) a local event.
    virtual void event(NodeId node, std::uint64_t sent, std::uint64_t received,
                       const std::vector<std::uint64_t>& stamp) = 0;
};

struct ClockNodeOptions {
    ClockKind kind = ClockKind::vector;
    Nanos event_interval = milliseconds(50);
    // Off: a receive ignores the message's stamp (--bug no-max-on-receive).
    bool max_on_receive = true;
};

struct Stamped final : Message {
    std::uint64_t id = 0;  // unique in a run (drawn at random, never 0)
    std::vector<std::uint64_t> stamp;

    std::string_view type() const override { return "stamped"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16 + 8 * static_cast<std::uint32_t>(stamp.size()); }
    std::uint64_t digest() const override { return id; }
};

class ClockNode final : public Node {
  public:
    // `sink` must outlive the node.
    ClockNode(const ClockNodeOptions& options, ClockSink* sink) : options_(options), sink_(sink) {}

    void start(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

  private:
    std::vector<std::uint64_t> tick();
    std::vector<std::uint64_t> receive(const std::vector<std::uint64_t>& sent);
    void arm(Context& ctx);

    ClockNodeOptions options_;
    ClockSink* sink_;
    std::size_t self_ = 0;
    LamportClock lamport_;
    std::optional<VectorClock> vector_;
};

}  // namespace faultline::protocols::clocks
