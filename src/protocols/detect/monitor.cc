#include "protocols/detect/monitor.h"

#include <fmt/format.h>

#include "base/assert.h"
#include "base/json.h"

namespace faultline::protocols::detect {

const char* detector_kind_name(DetectorKind kind) {
    switch (kind) {
        case DetectorKind::heartbeat:
            return "heartbeat";
        case DetectorKind::ping:
            return "ping";
        case DetectorKind::phi:
            return "phi";
    }
    return "?";
}

nlohmann::json Ping::to_json() const {
    return Json{{"type", reply ? "pong" : "ping"}, {"seq", sequence}};
}
nlohmann::json DetectorHeartbeat::to_json() const {
    return Json{{"type", "heartbeat"}, {"seq", sequence}, {"incarnation", incarnation}};
}

namespace {
// The watched node's timer tag for target i is i; pings need no timer there.
constexpr std::uint64_t first_target_tag = 0;
}  // namespace

WatchedNode::WatchedNode(std::vector<PushTarget> targets, std::vector<std::uint64_t>* sent)
    : targets_(std::move(targets)), sent_(sent) {
    for (const PushTarget& target : targets_) FL_ASSERT_GT(target.interval, 0);
}

void WatchedNode::start(Context& ctx) {
    booted_ = ctx.now();
    for (std::size_t i = 0; i < targets_.size(); ++i) ctx.set_timer(0, first_target_tag + i);
}

void WatchedNode::on_message(Context& ctx, const Envelope& envelope) {
    const auto* ping = message_as<Ping>(*envelope.message);
    if (ping == nullptr || ping->reply) return;
    auto pong = std::make_shared<Ping>();
    pong->sequence = ping->sequence;
    pong->reply = true;
    ctx.send(envelope.from, std::move(pong));
    if (sent_ != nullptr && envelope.from.value < sent_->size()) ++(*sent_)[envelope.from.value];
}

void WatchedNode::on_timer(Context& ctx, TimerId, std::uint64_t tag) {
    const std::size_t i = tag - first_target_tag;
    FL_ASSERT_LT(i, targets_.size());
    auto heartbeat = std::make_shared<DetectorHeartbeat>();
    heartbeat->sequence = ++sequence_;
    heartbeat->incarnation = booted_;
    ctx.send(targets_[i].monitor, std::move(heartbeat));
    if (sent_ != nullptr && targets_[i].monitor.value < sent_->size()) ++(*sent_)[targets_[i].monitor.value];
    ctx.set_timer(targets_[i].interval, tag);
}

MonitorNode::MonitorNode(MonitorOptions options) : options_(options), phi_(options.phi) {
    FL_ASSERT_GT(options_.interval, 0);
    FL_ASSERT_GT(options_.check_interval, 0);
    FL_ASSERT(options_.kind == DetectorKind::phi || options_.timeout >= options_.interval);
}

void MonitorNode::start(Context& ctx) {
    last_heard_ = ctx.now();
    if (options_.kind == DetectorKind::ping) ctx.set_timer(0, ping_tag);
    ctx.set_timer(options_.check_interval, check_tag);
}

void MonitorNode::on_message(Context& ctx, const Envelope& envelope) {
    if (envelope.from != options_.watched) return;
    const auto* ping = message_as<Ping>(*envelope.message);
    const auto* heartbeat = message_as<DetectorHeartbeat>(*envelope.message);
    const bool heard = options_.kind == DetectorKind::ping ? ping != nullptr && ping->reply : heartbeat != nullptr;
    if (!heard) return;
    if (heartbeat != nullptr) {
        if (heartbeat->incarnation < incarnation_) return;  // from before a restart, delivered late
        if (heartbeat->incarnation > incarnation_) {
            incarnation_ = heartbeat->incarnation;
            phi_ = PhiAccrual(options_.phi);  // a new life: learn its rhythm afresh
        }
    }
    last_heard_ = ctx.now();
    if (options_.kind == DetectorKind::phi) phi_.heartbeat(ctx.now());
    evaluate(ctx);
}

void MonitorNode::on_timer(Context& ctx, TimerId, std::uint64_t tag) {
    if (tag == ping_tag) {
        auto ping = std::make_shared<Ping>();
        ping->sequence = ++pings_sent_;
        ctx.send(options_.watched, std::move(ping));
        ctx.set_timer(options_.interval, ping_tag);
        return;
    }
    FL_ASSERT_EQ(tag, static_cast<std::uint64_t>(check_tag));
    evaluate(ctx);
    ctx.set_timer(options_.check_interval, check_tag);
}

void MonitorNode::evaluate(Context& ctx) {
    const Nanos now = ctx.now();
    const bool suspect = options_.kind == DetectorKind::phi ? phi_.suspects(now) : now - last_heard_ > options_.timeout;
    if (suspect == suspected_) return;
    suspected_ = suspect;
    changes_.push_back(Change{now, suspect});
    ctx.log(fmt::format("{} {}", suspect ? "suspect" : "trust", ctx.name_of(options_.watched)));
}

}  // namespace faultline::protocols::detect
