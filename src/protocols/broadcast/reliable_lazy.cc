// reliable-lazy: a receiver delivers a message and keeps it, but relays it
// only if it comes to suspect the message's origin (no message from it for
// `suspect_after`; every node sends a heartbeat each `heartbeat_interval`).
// While origins stay up a broadcast costs n - 1 messages, not n^2; when one
// crashes mid-send, the nodes that got its messages pass them on. A false
// suspicion costs only extra relays, never correctness.
#include <map>
#include <set>
#include <string>

#include "base/assert.h"
#include "protocols/broadcast/level_node.h"

namespace faultline::protocols::broadcast {

namespace {

class ReliableLazyNode final : public LevelNode {
  public:
    using LevelNode::LevelNode;

  protected:
    void on_start(Context& ctx) override {
        for (NodeId peer : ctx.cluster()) last_heard_[peer] = ctx.now();
        ctx.set_timer(options().heartbeat_interval, kLevelTimerTag);
    }
    void broadcast(Context& ctx, Payload payload) override {
        first_receipt(payload);
        deliver(payload);
        send_all(ctx, payload);
    }
    void on_payload(Context& ctx, NodeId from, const Payload& payload) override {
        last_heard_[from] = ctx.now();
        if (!first_receipt(payload)) return;
        deliver(payload);
        if (suspected_.contains(payload.origin)) {
            send_all(ctx, payload, from, payload.origin);
        } else {
            kept_[payload.origin].push_back(payload);
        }
    }
    void on_other(Context& ctx, const Envelope& envelope) override {
        if (message_as<Alive>(*envelope.message) != nullptr) last_heard_[envelope.from] = ctx.now();
    }
    void on_level_timer(Context& ctx, TimerId, std::uint64_t tag) override {
        FL_ASSERT_EQ(tag, kLevelTimerTag);
        auto alive = std::make_shared<Alive>();
        for (NodeId peer : ctx.cluster()) {
            if (peer != ctx.self()) ctx.send(peer, alive);
        }
        for (auto& [peer, heard] : last_heard_) {
            if (peer == ctx.self() || suspected_.contains(peer)) continue;
            if (ctx.now() - heard < options().suspect_after) continue;
            // Suspected: pass on everything it sent, as it may not have reached everyone.
            suspected_.insert(peer);
            ctx.log("suspect " + std::string(ctx.name_of(peer)) + ": relaying its messages");
            for (const Payload& payload : kept_[peer]) send_all(ctx, payload, payload.origin);
            kept_.erase(peer);
        }
        ctx.set_timer(options().heartbeat_interval, kLevelTimerTag);
    }

  private:
    std::map<NodeId, Nanos> last_heard_;
    std::set<NodeId> suspected_;
    std::map<NodeId, std::vector<Payload>> kept_;  // by origin, until it is suspected
};

}  // namespace

std::unique_ptr<LevelNode> make_reliable_lazy(const LevelOptions& options, DeliverySink* sink) {
    return std::make_unique<ReliableLazyNode>(options, sink);
}

}  // namespace faultline::protocols::broadcast
