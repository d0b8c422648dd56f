// The broadcast hierarchy (spec/protocols.md §4.1): one sans-IO core per level,
// all built on one common layer (level_node.h).
//
//   best-effort     the origin sends to every node; nobody relays
//   reliable-eager  every node relays a message to every other on first receipt
//   reliable-lazy   a node relays an origin's messages only once it suspects the
//                   origin (no message from it for `suspect_after`)
//   uniform         every node relays on first receipt; a node delivers once a
//                   majority of the cluster is known to hold the message
//   fifo            reliable-eager, delivering each origin's messages in its order
//   causal          reliable-eager, delivering a message once everything its
//                   origin had delivered before broadcasting it is delivered here
//   total           a fixed sequencer (the cluster's first node) numbers every
//                   message; nodes deliver in that numbering
//   total-raft      messages are commands of a Raft log (protocols/raft);
//                   every node delivers them as it applies them, in log order
//
// A client hands a node a value (unique in a run) to broadcast; the value is
// the message's identity. Every broadcast and every delivery is reported to a
// DeliverySink, the history the delivery checks judge (check/delivery_checker.h).
//
// Processes fail by crashing and stay crashed (the model the properties are
// stated in): a node restarted after a crash keeps quiet and refuses clients,
// who then try another node. (total-raft's Raft member goes on, as consensus
// is crash-recovery: total_raft.cc.) Links lose, duplicate and reorder; with a
// `resend_interval`, a sender resends each message until the receiver
// acknowledges it (a perfect link between correct nodes).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/node.h"

namespace faultline::protocols::broadcast {

enum class Level : std::uint8_t {
    best_effort,
    reliable_eager,
    reliable_lazy,
    uniform,
    fifo,
    causal,
    total,
    total_raft
};

const char* level_name(Level level);
std::optional<Level> parse_level(std::string_view name);
std::vector<std::string> level_names();

// Where a core reports what it does, for the checks. The runtime's side of the
// core: it never feeds anything back.
class DeliverySink {
  public:
    virtual ~DeliverySink() = default;
    virtual void broadcast(NodeId node, std::int64_t value) = 0;
    virtual void deliver(NodeId node, NodeId origin, std::int64_t value) = 0;
};

struct LevelOptions {
    Level level = Level::reliable_eager;
    // Resend unacknowledged messages this often; 0: never (fair-loss links).
    Nanos resend_interval = milliseconds(100);
    // reliable-lazy: heartbeats, and the silence after which the origin is suspected.
    Nanos heartbeat_interval = milliseconds(100);
    Nanos suspect_after = milliseconds(500);
};

// A node of the level. `sink` must outlive it.
std::unique_ptr<Node> make_level_node(const LevelOptions& options, DeliverySink* sink);

// If `node` (made by make_level_node) leads now, the term of its leadership:
// the sequencer of `total` always (term 0), the Raft leader of `total-raft`.
// For faults aimed at the leader.
std::optional<Term> leadership(const Node& node);

}  // namespace faultline::protocols::broadcast
