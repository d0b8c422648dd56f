// uniform: majority-ack uniform reliable broadcast (Cachin, Guerraoui and
// Rodrigues, Algorithm 3.5). Every node relays a message to every other on
// first receipt, so each relay tells its receiver "I hold it"; a node
// delivers once more than half of the cluster is known to hold the message.
// Whatever a node delivers, even one that crashes just after, is held by a
// majority, and with a majority correct some correct holder relays it to
// everyone: uniform agreement. The price: nothing is delivered without a
// majority, and delivery order is whatever order majorities form in.
#include <map>
#include <set>

#include "base/assert.h"
#include "protocols/broadcast/level_node.h"

namespace faultline::protocols::broadcast {

namespace {

class UniformNode final : public LevelNode {
  public:
    using LevelNode::LevelNode;

  protected:
    void broadcast(Context& ctx, Payload payload) override {
        first_receipt(payload);
        Pending& pending = pending_[payload.key()];
        pending.payload = payload;
        pending.holders.insert(ctx.self());
        relay_all(ctx, payload);
        try_deliver(ctx, payload.key());
    }
    void on_payload(Context& ctx, NodeId from, const Payload& payload) override {
        if (delivered_.contains(payload.key())) return;
        Pending& pending = pending_[payload.key()];
        pending.holders.insert(from);
        if (first_receipt(payload)) {
            pending.payload = payload;
            pending.holders.insert(ctx.self());
            relay_all(ctx, payload);  // to the origin and the sender too: they count holders
        }
        try_deliver(ctx, payload.key());
    }

    // The holder's relay to here was lost; its acknowledgement counts the same.
    void on_held(Context& ctx, NodeId peer, std::uint64_t key) override {
        const auto found = pending_.find(key);
        if (found == pending_.end()) return;  // delivered already
        found->second.holders.insert(peer);
        try_deliver(ctx, key);
    }

  private:
    struct Pending {
        Payload payload;
        std::set<NodeId> holders;
    };

    void try_deliver(Context& ctx, std::uint64_t key) {
        auto found = pending_.find(key);
        FL_ASSERT(found != pending_.end());
        if (2 * found->second.holders.size() <= ctx.cluster().size()) return;
        deliver(found->second.payload);
        delivered_.insert(key);
        pending_.erase(found);
    }

    std::map<std::uint64_t, Pending> pending_;  // by key, until delivered
    std::set<std::uint64_t> delivered_;
};

}  // namespace

std::unique_ptr<LevelNode> make_uniform(const LevelOptions& options, DeliverySink* sink) {
    return std::make_unique<UniformNode>(options, sink);
}

}  // namespace faultline::protocols::broadcast
