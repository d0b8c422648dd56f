// total: a fixed sequencer, the cluster's first node. An origin sends its
// message to the sequencer, which numbers messages 1, 2, 3... taking each
// origin's messages in their seq order, and sends every numbered message to
// every node; nodes (the origin too) deliver in number order, holding back
// gaps. All nodes deliver one sequence, which also respects each origin's
// order and causality (a message broadcast after a delivery is numbered
// after it). The sequencer is a single point of failure: when it crashes,
// nothing more is delivered anywhere (scenarios/broadcast/sequencer-crash-total.toml).
#include <map>
#include <unordered_set>

#include "base/assert.h"
#include "protocols/broadcast/level_node.h"

namespace faultline::protocols::broadcast {

namespace {

class TotalOrderNode final : public LevelNode {
  public:
    using LevelNode::LevelNode;

    // The sequencer leads for good (a node restarted after a crash, never started, keeps quiet).
    std::optional<Term> leads() const override {
        return started_ && self_ == sequencer_ ? std::optional<Term>(Term(0)) : std::nullopt;
    }

  protected:
    void on_start(Context& ctx) override {
        self_ = ctx.self();
        sequencer_ = ctx.cluster().front();
        started_ = true;
    }
    void broadcast(Context& ctx, Payload payload) override {
        FL_ASSERT_EQ(payload.order, 0u);
        if (ctx.self() == sequencer_) {
            number(ctx, payload);
        } else {
            send(ctx, sequencer_, payload);
        }
    }
    void on_payload(Context& ctx, NodeId, const Payload& payload) override {
        if (payload.order == 0) {
            FL_ASSERT_EQ(ctx.self(), sequencer_);
            number(ctx, payload);
            return;
        }
        if (payload.order < next_to_deliver_ || !numbered_.emplace(payload.order, payload).second) return;
        deliver_in_order();
    }

  private:
    // At the sequencer: numbers an origin's messages in their seq order.
    void number(Context& ctx, const Payload& payload) {
        if (!first_receipt(payload)) return;
        auto& queue = unnumbered_[payload.origin];
        queue.emplace(payload.seq, payload);
        std::uint64_t& next = next_seq_[payload.origin];
        for (auto it = queue.find(next); it != queue.end(); it = queue.find(next)) {
            Payload numbered = it->second;
            numbered.order = next_order_++;
            send_all(ctx, numbered);
            numbered_.emplace(numbered.order, numbered);
            queue.erase(it);
            ++next;
        }
        deliver_in_order();
    }
    void deliver_in_order() {
        for (auto it = numbered_.find(next_to_deliver_); it != numbered_.end(); it = numbered_.find(next_to_deliver_)) {
            deliver(it->second);
            numbered_.erase(it);
            ++next_to_deliver_;
        }
    }

    bool started_ = false;
    NodeId self_;
    NodeId sequencer_;
    // At the sequencer.
    std::uint64_t next_order_ = 1;
    std::map<NodeId, std::map<std::uint64_t, Payload>> unnumbered_;  // by origin, then seq
    std::map<NodeId, std::uint64_t> next_seq_;                       // by origin
    // Everywhere: numbered messages not yet delivered, by number.
    std::map<std::uint64_t, Payload> numbered_;
    std::uint64_t next_to_deliver_ = 1;
};

}  // namespace

std::unique_ptr<LevelNode> make_total(const LevelOptions& options, DeliverySink* sink) {
    return std::make_unique<TotalOrderNode>(options, sink);
}

}  // namespace faultline::protocols::broadcast
