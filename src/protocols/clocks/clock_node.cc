#include "protocols/clocks/clock_node.h"

#include <algorithm>

#include "base/json.h"

namespace faultline::protocols::clocks {

nlohmann::json Stamped::to_json() const {
    return Json{{"type", type()}, {"id", id}, {"stamp", stamp}};
}

void ClockNode::start(Context& ctx) {
    FL_ASSERT(sink_ != nullptr);
    const auto cluster = ctx.cluster();
    self_ = static_cast<std::size_t>(std::find(cluster.begin(), cluster.end(), ctx.self()) - cluster.begin());
    FL_ASSERT_LT(self_, cluster.size());
    lamport_ = LamportClock();
    vector_.emplace(cluster.size(), self_);
    arm(ctx);
}

void ClockNode::arm(Context& ctx) {
    // Uniform in (0, 2 x interval]: the mean is the interval, and nodes drift apart.
    const auto span = static_cast<std::uint64_t>(2 * options_.event_interval);
    ctx.set_timer(static_cast<Nanos>(1 + ctx.random().below(span)), 0);
}

std::vector<std::uint64_t> ClockNode::tick() {
    if (options_.kind == ClockKind::lamport) return {lamport_.tick(), self_};
    return vector_->tick();
}

std::vector<std::uint64_t> ClockNode::receive(const std::vector<std::uint64_t>& sent) {
    if (options_.kind == ClockKind::lamport) {
        FL_ASSERT_EQ(sent.size(), 2u);
        return {options_.max_on_receive ? lamport_.receive(sent[0]) : lamport_.receive_without_max(), self_};
    }
    return options_.max_on_receive ? vector_->receive(sent) : vector_->receive_without_max();
}

void ClockNode::on_timer(Context& ctx, TimerId, std::uint64_t) {
    const auto cluster = ctx.cluster();
    if (cluster.size() < 2 || ctx.random().below(2) == 0) {
        sink_->event(ctx.self(), 0, 0, tick());
    } else {
        auto message = std::make_shared<Stamped>();
        message->id = ctx.random().next() | 1;
        message->stamp = tick();
        std::size_t to = ctx.random().below(cluster.size() - 1);
        if (to >= self_) ++to;  // anyone but itself
        sink_->event(ctx.self(), message->id, 0, message->stamp);
        ctx.send(cluster[to], std::move(message));
    }
    arm(ctx);
}

void ClockNode::on_message(Context& ctx, const Envelope& envelope) {
    const auto* message = message_as<Stamped>(*envelope.message);
    if (message == nullptr) return;
    sink_->event(ctx.self(), 0, message->id, receive(message->stamp));
}

}  // namespace faultline::protocols::clocks
