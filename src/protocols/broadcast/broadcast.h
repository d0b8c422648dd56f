// Broadcast (Maelstrom's broadcast workload): a client hands any node a value;
// every node must come to know every value; `read` returns what a node knows.
//
// Two ways to spread a value, chosen by `topology`:
//   flood  a node that learns a new value sends it to every other node: each
//          value costs about n^2 messages
//   tree   nodes form a spanning tree (node i's parent is (i-1)/2); a node
//          forwards a new value to its tree neighbours except the one it came
//          from: n - 1 messages per value
// The network in fallacy/free-transport loses nothing, so by default neither
// retransmits: the scenario measures cost, not resilience. With a
// `resend_interval`, a node also sends each neighbour, at that interval, the
// values it has no acknowledgement for (Resend, answered by ResendOk with the
// same values), so values cut off by a partition arrive once it heals.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "node/node.h"

namespace faultline::protocols::broadcast {

enum class Topology : std::uint8_t { flood, tree };

struct BroadcastRequest final : Message {
    std::uint64_t msg_id = 0;
    bool read = false;
    std::int64_t value = 0;

    std::string_view type() const override { return read ? "read" : "broadcast"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 32; }
    std::uint64_t digest() const override;
};

struct BroadcastReply final : Message {
    std::uint64_t in_reply_to = 0;
    bool read = false;
    // The node crashed before and keeps quiet (the broadcast levels, levels.h):
    // the client should ask another.
    bool refused = false;
    std::vector<std::int64_t> values;  // read: every value the node knows

    std::string_view type() const override { return refused ? "error" : read ? "read_ok" : "broadcast_ok"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 24 + 8 * static_cast<std::uint32_t>(values.size()); }
    std::uint64_t digest() const override;
};

struct Gossip final : Message {
    std::int64_t value = 0;

    std::string_view type() const override { return "gossip"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16; }
    std::uint64_t digest() const override { return static_cast<std::uint64_t>(value); }
};

// Values a neighbour may lack, and its acknowledgement of them.
struct Resend final : Message {
    std::vector<std::int64_t> values;

    std::string_view type() const override { return "resend"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16 + 8 * static_cast<std::uint32_t>(values.size()); }
    std::uint64_t digest() const override;
};

struct ResendOk final : Message {
    std::vector<std::int64_t> values;

    std::string_view type() const override { return "resend_ok"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16 + 8 * static_cast<std::uint32_t>(values.size()); }
    std::uint64_t digest() const override;
};

class BroadcastNode final : public Node {
  public:
    // resend_interval 0: never resend.
    explicit BroadcastNode(Topology topology, Nanos resend_interval = 0)
        : topology_(topology), resend_interval_(resend_interval) {}

    void start(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    // Every value the node knows, ascending.
    const std::vector<std::int64_t>& values() const { return values_; }

  private:
    void spread(Context& ctx, std::int64_t value, std::optional<NodeId> came_from);
    // Adds a value; true if it was new.
    bool learn(std::int64_t value);
    std::vector<NodeId> neighbours(Context& ctx) const;

    void acknowledged(NodeId peer, const std::vector<std::int64_t>& values);
    void acknowledged(NodeId peer, std::int64_t value);

    Topology topology_;
    Nanos resend_interval_;
    // Ascending, without repeats: a read copies it in one go. (A std::set,
    // walked node by node for each read of thousands of values, was most of
    // the time of a 100-node run.) Values mostly come in increasing order,
    // as clients number them, so adding one mostly appends.
    std::vector<std::int64_t> values_;
    // With resending: each neighbour's values it is known to hold.
    std::map<NodeId, std::set<std::int64_t>> known_by_;
};

}  // namespace faultline::protocols::broadcast
