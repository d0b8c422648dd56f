// reliable-eager: a node that receives a message for the first time delivers
// it and relays it to every other node (the origin and whoever sent it too:
// for them the relay is the acknowledgement, see relay_all), so one correct
// receiver is enough for every correct node to get it: agreement, at the
// cost of n(n - 1) messages per broadcast. The origin
// delivers its own message at once, before anyone else has it, so an origin
// that crashes right after may be the only node that ever delivered it: no
// uniform agreement (scenarios/broadcast/deliver-then-crash-reliable.toml).
#include "protocols/broadcast/level_node.h"

namespace faultline::protocols::broadcast {

namespace {

class ReliableEagerNode final : public LevelNode {
  public:
    using LevelNode::LevelNode;

  protected:
    void broadcast(Context& ctx, Payload payload) override {
        first_receipt(payload);
        deliver(payload);
        relay_all(ctx, payload);
    }
    void on_payload(Context& ctx, NodeId, const Payload& payload) override {
        if (!first_receipt(payload)) return;
        deliver(payload);
        relay_all(ctx, payload);
    }
};

}  // namespace

std::unique_ptr<LevelNode> make_reliable_eager(const LevelOptions& options, DeliverySink* sink) {
    return std::make_unique<ReliableEagerNode>(options, sink);
}

}  // namespace faultline::protocols::broadcast
