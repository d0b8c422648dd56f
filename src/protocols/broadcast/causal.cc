// causal: reliable-eager dissemination with vector-clock hold-back
// (Kleppmann's causal broadcast). `delivered_[i]` counts the messages of the
// node at position i delivered here. A message carries its origin's vector at
// broadcast, with the origin's own entry set to the message's seq; it is
// delivered once deps <= delivered_ entry by entry, that is, once everything
// its origin had delivered (and broadcast) before is delivered here.
// Concurrent messages still go in any order, so two nodes may deliver them in
// different orders (scenarios/broadcast/concurrent-causal.toml fails total order).
#include <list>
#include <vector>

#include "base/assert.h"
#include "protocols/broadcast/level_node.h"

namespace faultline::protocols::broadcast {

namespace {

class CausalNode final : public LevelNode {
  public:
    using LevelNode::LevelNode;

  protected:
    void on_start(Context& ctx) override { delivered_.assign(ctx.cluster().size(), 0); }
    void broadcast(Context& ctx, Payload payload) override {
        payload.deps = delivered_;
        const std::size_t self = position(ctx, ctx.self());
        FL_ASSERT_EQ(payload.deps[self], payload.seq);  // own messages are delivered at once
        first_receipt(payload);
        relay_all(ctx, payload);
        hold(ctx, payload);
    }
    void on_payload(Context& ctx, NodeId, const Payload& payload) override {
        if (!first_receipt(payload)) return;
        FL_ASSERT_EQ(payload.deps.size(), delivered_.size());
        relay_all(ctx, payload);
        hold(ctx, payload);
    }

  private:
    bool deliverable(const Payload& payload) const {
        for (std::size_t i = 0; i < delivered_.size(); ++i) {
            if (payload.deps[i] > delivered_[i]) return false;
        }
        return true;
    }
    // Delivers every held message whose dependencies are met, until none is.
    void hold(Context& ctx, const Payload& payload) {
        held_.push_back(payload);
        for (bool progress = true; progress;) {
            progress = false;
            for (auto it = held_.begin(); it != held_.end();) {
                if (!deliverable(*it)) {
                    ++it;
                    continue;
                }
                deliver(*it);
                ++delivered_[position(ctx, it->origin)];
                it = held_.erase(it);
                progress = true;
            }
        }
    }

    std::vector<std::uint64_t> delivered_;  // by origin position
    std::list<Payload> held_;
};

}  // namespace

std::unique_ptr<LevelNode> make_causal(const LevelOptions& options, DeliverySink* sink) {
    return std::make_unique<CausalNode>(options, sink);
}

}  // namespace faultline::protocols::broadcast
