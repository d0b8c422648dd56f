// best-effort: the origin delivers its message and sends it to every other
// node; a receiver delivers what it receives, once. Nobody relays, so a
// message whose origin crashes while sending reaches only some nodes: no
// agreement (scenarios/broadcast/sender-crash-best-effort.toml).
#include "protocols/broadcast/level_node.h"

namespace faultline::protocols::broadcast {

namespace {

class BestEffortNode final : public LevelNode {
  public:
    using LevelNode::LevelNode;

  protected:
    void broadcast(Context& ctx, Payload payload) override {
        first_receipt(payload);
        deliver(payload);
        send_all(ctx, payload);
    }
    void on_payload(Context&, NodeId, const Payload& payload) override {
        if (first_receipt(payload)) deliver(payload);
    }
};

}  // namespace

std::unique_ptr<LevelNode> make_best_effort(const LevelOptions& options, DeliverySink* sink) {
    return std::make_unique<BestEffortNode>(options, sink);
}

}  // namespace faultline::protocols::broadcast
