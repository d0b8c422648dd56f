// The common layer of the broadcast levels (levels.h): the wire messages, the
// links (resend until acknowledged), the clients' requests, crash-stop, and
// delivery. A level implements two steps: what `broadcast` does with a new
// message at its origin, and what `on_payload` does with one that arrives.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_set>
#include <vector>

#include "protocols/broadcast/levels.h"

namespace faultline::protocols::broadcast {

// What a broadcast carries, whichever the level.
struct Payload {
    NodeId origin;
    std::uint64_t seq = 0;    // how many messages the origin broadcast before this one
    std::int64_t value = 0;   // the client's value: the message's identity
    std::uint64_t order = 0;  // total: the sequencer's number, from 1 (0: not yet numbered)
    // causal: how many messages of each node (by cluster position) the origin
    // had delivered when it broadcast this one.
    std::vector<std::uint64_t> deps;

    // (origin, seq): unique in a run, since processes never come back.
    std::uint64_t key() const { return (std::uint64_t{origin.value} << 40) | seq; }
};

// A set of messages by (origin, seq): a bit per seq, as each origin numbers
// its messages 0, 1, 2... (cheaper than hashing every key at 100 nodes).
class MessageSet {
  public:
    // True if the message was not in the set.
    bool insert(const Payload& payload) {
        if (payload.origin.value >= by_origin_.size()) by_origin_.resize(payload.origin.value + 1);
        auto& bits = by_origin_[payload.origin.value];
        if (payload.seq >= bits.size()) bits.resize(std::max<std::size_t>(2 * bits.size(), payload.seq + 1));
        if (bits[payload.seq]) return false;
        bits[payload.seq] = true;
        return true;
    }
    bool contains(const Payload& payload) const {
        if (payload.origin.value >= by_origin_.size()) return false;
        const auto& bits = by_origin_[payload.origin.value];
        return payload.seq < bits.size() && bits[payload.seq];
    }

  private:
    std::vector<std::vector<bool>> by_origin_;  // by origin id, then seq
};

// A payload on a link. Sent by send(), it has a link id and the receiver
// answers with a RelayAck of it; sent by relay_all(), it has none (0) and
// needs no answer, as the receiver's own relay of the message acknowledges
// it, unless it is `resent`: then the sender has not had that relay, and the
// receiver answers with a RelayAck of the message's key.
struct Relay final : Message {
    std::uint64_t link_id = 0;
    bool resent = false;
    Payload payload;

    std::string_view type() const override { return "relay"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 48 + 8 * static_cast<std::uint32_t>(payload.deps.size()); }
    std::uint64_t digest() const override;
};

struct RelayAck final : Message {
    std::uint64_t link_id = 0;
    std::uint64_t key = 0;  // link id 0: the message (Payload::key) the sender holds

    std::string_view type() const override { return "relay_ok"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16; }
    std::uint64_t digest() const override { return link_id ^ (key * 0x9e3779b97f4a7c15ULL); }
};

// reliable-lazy's heartbeat: "I am alive".
struct Alive final : Message {
    std::string_view type() const override { return "alive"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 8; }
};

class LevelNode : public Node {
  public:
    LevelNode(const LevelOptions& options, DeliverySink* sink);

    void start(Context& ctx) override;
    // Crash-stop: a restarted node keeps quiet (see levels.h).
    void recover(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    // The values this node delivered, in delivery order.
    const std::vector<std::int64_t>& delivered() const { return delivered_; }
    // See leadership() in levels.h; nobody leads in most levels.
    virtual std::optional<Term> leads() const { return std::nullopt; }

  protected:
    // A new message at its origin (origin, seq and value are set).
    virtual void broadcast(Context& ctx, Payload payload) = 0;
    virtual void on_payload(Context& ctx, NodeId from, const Payload& payload) = 0;
    // A level's own messages and timers (tags from kLevelTimerTag on).
    virtual void on_other(Context& ctx, const Envelope& envelope) { (void)ctx, (void)envelope; }
    // A peer acknowledged a relay_all() message by key, rather than by relaying
    // it here (it had relayed it before, and that relay was lost): it holds it.
    virtual void on_held(Context& ctx, NodeId peer, std::uint64_t key) { (void)ctx, (void)peer, (void)key; }
    virtual void on_level_timer(Context& ctx, TimerId timer, std::uint64_t tag) { (void)ctx, (void)timer, (void)tag; }
    virtual void on_start(Context& ctx) { (void)ctx; }
    static constexpr std::uint64_t kLevelTimerTag = 1;

    // Sends over a link: resent until acknowledged (with a resend interval).
    void send(Context& ctx, NodeId to, const Payload& payload);
    // To every other node but `except` (and `also_except`).
    void send_all(Context& ctx, const Payload& payload, std::optional<NodeId> except = std::nullopt,
                  std::optional<NodeId> also_except = std::nullopt);
    // To every other node, one message for all, resent to each until a Relay
    // of the same message arrives from it: a node that relays a message to
    // everyone on its first receipt needs no acknowledgement, as its relay
    // says it holds the message. (A resent copy is answered with a RelayAck:
    // its sender missed that relay.) Only for levels whose every node
    // relay_all()s every message it receives (the eager levels): between
    // correct nodes that halves the messages, and the payload is copied once,
    // not n times.
    void relay_all(Context& ctx, const Payload& payload);
    // True the first time this message (by key) is seen here.
    bool first_receipt(const Payload& payload) { return seen_.insert(payload); }
    bool seen(const Payload& payload) const { return seen_.contains(payload); }
    void deliver(const Payload& payload);
    // The node's position in the cluster's order (the index of vectors).
    std::size_t position(Context& ctx, NodeId node) const;
    const LevelOptions& options() const { return options_; }

  private:
    void answer_client(Context& ctx, const Envelope& envelope);
    void resend(Context& ctx);
    // A Relay of the message `key` came from `peer`: it holds the message.
    void held_by(NodeId peer, std::uint64_t key);

    LevelOptions options_;
    DeliverySink* sink_;
    bool crashed_before_ = false;
    std::uint64_t next_seq_ = 0;
    std::uint64_t next_link_id_ = 1;
    struct Unacked {
        NodeId to;
        MessagePtr relay;
    };
    std::map<std::uint64_t, Unacked> unacked_;  // by link id
    // relay_all()'s messages not yet known held by every peer.
    struct Outgoing {
        std::shared_ptr<const Relay> relay;
        std::vector<bool> waiting;  // by node id: no relay of it from that peer yet
        std::size_t count = 0;      // how many are waiting
    };
    std::map<std::uint64_t, Outgoing> outgoing_;  // by message key
    std::unordered_set<std::int64_t> requested_;  // values clients asked this node to broadcast
    MessageSet seen_;
    MessageSet delivered_keys_;
    std::vector<std::int64_t> delivered_;
    NodeId self_;
};

// One level each (best_effort.cc, reliable_eager.cc, ...).
std::unique_ptr<LevelNode> make_best_effort(const LevelOptions& options, DeliverySink* sink);
std::unique_ptr<LevelNode> make_reliable_eager(const LevelOptions& options, DeliverySink* sink);
std::unique_ptr<LevelNode> make_reliable_lazy(const LevelOptions& options, DeliverySink* sink);
std::unique_ptr<LevelNode> make_uniform(const LevelOptions& options, DeliverySink* sink);
std::unique_ptr<LevelNode> make_fifo(const LevelOptions& options, DeliverySink* sink);
std::unique_ptr<LevelNode> make_causal(const LevelOptions& options, DeliverySink* sink);
std::unique_ptr<LevelNode> make_total(const LevelOptions& options, DeliverySink* sink);
std::unique_ptr<LevelNode> make_total_raft(const LevelOptions& options, DeliverySink* sink);

}  // namespace faultline::protocols::broadcast
