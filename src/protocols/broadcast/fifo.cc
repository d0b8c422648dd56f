// fifo: reliable-eager dissemination, and a hold-back buffer per origin: a
// message numbered seq from an origin is delivered only after the origin's
// messages 0..seq-1 (Kleppmann's FIFO broadcast). Reordering links cannot
// invert one origin's messages, but nothing orders messages of different
// origins: a reply can overtake the message it answers
// (scenarios/broadcast/reordering-fifo.toml fails causal order).
#include <map>
#include <vector>

#include "protocols/broadcast/level_node.h"

namespace faultline::protocols::broadcast {

namespace {

class FifoNode final : public LevelNode {
  public:
    using LevelNode::LevelNode;

  protected:
    void on_start(Context& ctx) override { next_.assign(ctx.cluster().size(), 0); }
    void broadcast(Context& ctx, Payload payload) override {
        first_receipt(payload);
        relay_all(ctx, payload);
        hold(ctx, payload);
    }
    void on_payload(Context& ctx, NodeId, const Payload& payload) override {
        if (!first_receipt(payload)) return;
        relay_all(ctx, payload);
        hold(ctx, payload);
    }

  private:
    void hold(Context& ctx, const Payload& payload) {
        const std::size_t origin = position(ctx, payload.origin);
        held_[origin].emplace(payload.seq, payload);
        auto& queue = held_[origin];
        for (auto next = queue.find(next_[origin]); next != queue.end(); next = queue.find(next_[origin])) {
            deliver(next->second);
            ++next_[origin];
            queue.erase(next);
        }
    }

    std::vector<std::uint64_t> next_;                               // by origin position: the next seq to deliver
    std::map<std::size_t, std::map<std::uint64_t, Payload>> held_;  // by origin position, then seq
};

}  // namespace

std::unique_ptr<LevelNode> make_fifo(const LevelOptions& options, DeliverySink* sink) {
    return std::make_unique<FifoNode>(options, sink);
}

}  // namespace faultline::protocols::broadcast
