#include "protocols/detect/heartbeat.h"

#include <fmt/format.h>

#include "base/assert.h"
#include "base/json.h"

namespace faultline::protocols::detect {

nlohmann::json Heartbeat::to_json() const {
    return Json{{"type", "heartbeat"}, {"seq", sequence}};
}

HeartbeatNode::HeartbeatNode(HeartbeatOptions options) : options_(options) {
    FL_ASSERT_GT(options_.interval, 0);
    FL_ASSERT_GT(options_.check_interval, 0);
    FL_ASSERT_GE(options_.timeout, options_.interval);
}

void HeartbeatNode::start(Context& ctx) {
    NodeId highest = ctx.self();
    for (NodeId peer : ctx.cluster()) highest = std::max(highest, peer);
    // Until a first heartbeat arrives, a peer counts as heard at boot.
    last_heard_.assign(highest.value + 1, ctx.now());
    suspected_.assign(highest.value + 1, 0);
    ctx.set_timer(0, send_tag);
    ctx.set_timer(options_.check_interval, check_tag);
}

void HeartbeatNode::on_message(Context& ctx, const Envelope& envelope) {
    if (message_as<Heartbeat>(*envelope.message) == nullptr) return;
    const NodeId peer = envelope.from;
    if (peer.value >= last_heard_.size()) return;
    last_heard_[peer.value] = ctx.now();
    if (suspected_[peer.value] != 0) {
        suspected_[peer.value] = 0;
        changes_.push_back({ctx.now(), peer, false});
        ctx.log(fmt::format("trust {}", ctx.name_of(peer)));
    }
}

void HeartbeatNode::on_timer(Context& ctx, TimerId, std::uint64_t tag) {
    if (tag == send_tag) {
        auto heartbeat = std::make_shared<Heartbeat>(++sequence_);
        for (NodeId peer : ctx.cluster()) {
            if (peer != ctx.self()) ctx.send(peer, heartbeat);
        }
        ctx.set_timer(options_.interval, send_tag);
        return;
    }
    FL_ASSERT_EQ(tag, static_cast<std::uint64_t>(check_tag));
    const Nanos now = ctx.now();
    for (NodeId peer : ctx.cluster()) {
        if (peer == ctx.self() || suspected_[peer.value] != 0) continue;
        if (now - last_heard_[peer.value] > options_.timeout) {
            suspected_[peer.value] = 1;
            changes_.push_back({now, peer, true});
            ctx.log(fmt::format("suspect {}", ctx.name_of(peer)));
        }
    }
    ctx.set_timer(options_.check_interval, check_tag);
}

bool HeartbeatNode::suspects(NodeId peer) const {
    return peer.value < suspected_.size() && suspected_[peer.value] != 0;
}

}  // namespace faultline::protocols::detect
