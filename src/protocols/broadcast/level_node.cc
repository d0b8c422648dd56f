#include "protocols/broadcast/level_node.h"

#include <algorithm>

#include "base/assert.h"
#include "base/hash.h"
#include "base/json.h"
#include "protocols/broadcast/broadcast.h"

namespace faultline::protocols::broadcast {

namespace {

constexpr struct {
    Level level;
    const char* name;
} kLevelNames[] = {
    {Level::best_effort, "best-effort"},
    {Level::reliable_eager, "reliable-eager"},
    {Level::reliable_lazy, "reliable-lazy"},
    {Level::uniform, "uniform"},
    {Level::fifo, "fifo"},
    {Level::causal, "causal"},
    {Level::total, "total"},
    {Level::total_raft, "total-raft"},
};

// Timer tag of the links' resending.
constexpr std::uint64_t kResendTag = 0;

Json payload_json(const Payload& p) {
    Json json{{"origin", p.origin.value}, {"seq", p.seq}, {"message", p.value}};
    if (p.order != 0) json["order"] = p.order;
    if (!p.deps.empty()) json["deps"] = p.deps;
    return json;
}

}  // namespace

const char* level_name(Level level) {
    for (const auto& entry : kLevelNames) {
        if (entry.level == level) return entry.name;
    }
    FL_UNREACHABLE();
}

std::optional<Level> parse_level(std::string_view name) {
    for (const auto& entry : kLevelNames) {
        if (name == entry.name) return entry.level;
    }
    return std::nullopt;
}

std::vector<std::string> level_names() {
    std::vector<std::string> names;
    for (const auto& entry : kLevelNames) names.emplace_back(entry.name);
    return names;
}

std::unique_ptr<Node> make_level_node(const LevelOptions& options, DeliverySink* sink) {
    FL_ASSERT(sink != nullptr);
    switch (options.level) {
        case Level::best_effort:
            return make_best_effort(options, sink);
        case Level::reliable_eager:
            return make_reliable_eager(options, sink);
        case Level::reliable_lazy:
            return make_reliable_lazy(options, sink);
        case Level::uniform:
            return make_uniform(options, sink);
        case Level::fifo:
            return make_fifo(options, sink);
        case Level::causal:
            return make_causal(options, sink);
        case Level::total:
            return make_total(options, sink);
        case Level::total_raft:
            return make_total_raft(options, sink);
    }
    FL_UNREACHABLE();
}

std::optional<Term> leadership(const Node& node) {
    FL_ASSERT(dynamic_cast<const LevelNode*>(&node) != nullptr);
    return static_cast<const LevelNode&>(node).leads();
}

nlohmann::json Relay::to_json() const {
    Json json = payload_json(payload);
    json["type"] = type();
    json["link_id"] = link_id;
    if (resent) json["resent"] = true;
    return json;
}

std::uint64_t Relay::digest() const {
    const std::uint64_t words[] = {link_id + (resent ? 1ULL << 63 : 0), payload.key(),
                                   static_cast<std::uint64_t>(payload.value), payload.order};
    return hash_bytes(words, sizeof words);
}

nlohmann::json RelayAck::to_json() const {
    if (link_id == 0) return Json{{"type", type()}, {"key", key}};
    return Json{{"type", type()}, {"link_id", link_id}};
}

nlohmann::json Alive::to_json() const {
    return Json{{"type", type()}};
}

LevelNode::LevelNode(const LevelOptions& options, DeliverySink* sink) : options_(options), sink_(sink) {
    FL_ASSERT(sink_ != nullptr);
}

void LevelNode::start(Context& ctx) {
    self_ = ctx.self();
    if (options_.resend_interval > 0) ctx.set_timer(options_.resend_interval, kResendTag);
    on_start(ctx);
}

void LevelNode::recover(Context& ctx) {
    self_ = ctx.self();
    crashed_before_ = true;
    ctx.log("crashed before: keeping quiet (crash-stop)");
}

void LevelNode::on_message(Context& ctx, const Envelope& envelope) {
    if (message_as<BroadcastRequest>(*envelope.message) != nullptr) {
        answer_client(ctx, envelope);
        return;
    }
    if (crashed_before_) return;
    if (const auto* ack = message_as<RelayAck>(*envelope.message)) {
        if (ack->link_id != 0) {
            unacked_.erase(ack->link_id);
        } else {
            held_by(envelope.from, ack->key);
            on_held(ctx, envelope.from, ack->key);
        }
        return;
    }
    if (const auto* relay = message_as<Relay>(*envelope.message)) {
        if (relay->link_id != 0) {
            auto ack = std::make_shared<RelayAck>();
            ack->link_id = relay->link_id;
            ctx.send(envelope.from, std::move(ack));
            on_payload(ctx, envelope.from, relay->payload);
            return;
        }
        // relay_all's: the level relays it to everyone on first receipt (the
        // sender's acknowledgement), and the sender holds it, so it needs
        // none from here. A resent copy means that relay went missing.
        on_payload(ctx, envelope.from, relay->payload);
        held_by(envelope.from, relay->payload.key());
        if (relay->resent) {
            auto ack = std::make_shared<RelayAck>();
            ack->key = relay->payload.key();
            ctx.send(envelope.from, std::move(ack));
        }
        return;
    }
    on_other(ctx, envelope);
}

void LevelNode::answer_client(Context& ctx, const Envelope& envelope) {
    const auto& request = *message_as<BroadcastRequest>(*envelope.message);
    auto reply = std::make_shared<BroadcastReply>();
    reply->in_reply_to = request.msg_id;
    reply->read = request.read;
    if (crashed_before_) {
        reply->refused = true;
    } else if (request.read) {
        reply->values = delivered_;
    } else if (requested_.insert(request.value).second) {
        // (A duplicated request is the same broadcast: it is answered, not repeated.)
        Payload payload;
        payload.origin = ctx.self();
        payload.seq = next_seq_++;
        payload.value = request.value;
        sink_->broadcast(ctx.self(), request.value);
        broadcast(ctx, std::move(payload));
    }
    ctx.send(envelope.from, std::move(reply));
}

void LevelNode::on_timer(Context& ctx, TimerId timer, std::uint64_t tag) {
    FL_ASSERT(!crashed_before_);  // a quiet node sets no timers
    if (tag != kResendTag) {
        on_level_timer(ctx, timer, tag);
        return;
    }
    resend(ctx);
    ctx.set_timer(options_.resend_interval, kResendTag);
}

void LevelNode::resend(Context& ctx) {
    for (const auto& [link_id, unacked] : unacked_) ctx.send(unacked.to, unacked.relay);
    for (const auto& [key, outgoing] : outgoing_) {
        auto copy = std::make_shared<Relay>(*outgoing.relay);
        copy->resent = true;
        for (std::size_t id = 0; id < outgoing.waiting.size(); ++id) {
            if (outgoing.waiting[id]) ctx.send(NodeId(static_cast<std::uint32_t>(id)), copy);
        }
    }
}

void LevelNode::relay_all(Context& ctx, const Payload& payload) {
    auto relay = std::make_shared<Relay>();
    relay->payload = payload;
    Outgoing outgoing;
    for (NodeId peer : ctx.cluster()) {
        if (peer == ctx.self()) continue;
        ctx.send(peer, relay);
        if (outgoing.waiting.size() <= peer.value) outgoing.waiting.resize(peer.value + 1);
        outgoing.waiting[peer.value] = true;
        ++outgoing.count;
    }
    if (options_.resend_interval == 0 || outgoing.count == 0) return;
    outgoing.relay = std::move(relay);
    const bool fresh = outgoing_.emplace(payload.key(), std::move(outgoing)).second;
    FL_ASSERT_MSG(fresh, "a message relayed to all twice");
}

void LevelNode::held_by(NodeId peer, std::uint64_t key) {
    const auto found = outgoing_.find(key);
    if (found == outgoing_.end()) return;
    Outgoing& outgoing = found->second;
    if (peer.value >= outgoing.waiting.size() || !outgoing.waiting[peer.value]) return;
    outgoing.waiting[peer.value] = false;
    FL_ASSERT_GT(outgoing.count, 0u);
    if (--outgoing.count == 0) outgoing_.erase(found);
}

void LevelNode::send(Context& ctx, NodeId to, const Payload& payload) {
    FL_ASSERT_NE(to, ctx.self());
    auto relay = std::make_shared<Relay>();
    relay->link_id = next_link_id_++;
    relay->payload = payload;
    if (options_.resend_interval > 0) unacked_.emplace(relay->link_id, Unacked{to, relay});
    ctx.send(to, std::move(relay));
}

void LevelNode::send_all(Context& ctx, const Payload& payload, std::optional<NodeId> except,
                         std::optional<NodeId> also_except) {
    for (NodeId peer : ctx.cluster()) {
        if (peer != ctx.self() && peer != except && peer != also_except) send(ctx, peer, payload);
    }
}

void LevelNode::deliver(const Payload& payload) {
    // Every level delivers a message at most once: no duplication by construction.
    const bool fresh = delivered_keys_.insert(payload);
    FL_ASSERT_MSG(fresh, "a message delivered twice");
    delivered_.push_back(payload.value);
    sink_->deliver(self_, payload.origin, payload.value);
}

std::size_t LevelNode::position(Context& ctx, NodeId node) const {
    const auto cluster = ctx.cluster();
    const auto found = std::find(cluster.begin(), cluster.end(), node);
    FL_ASSERT(found != cluster.end());
    return static_cast<std::size_t>(found - cluster.begin());
}

}  // namespace faultline::protocols::broadcast
