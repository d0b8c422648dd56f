#include "protocols/broadcast/broadcast.h"

#include <algorithm>
#include <iterator>

#include "base/hash.h"
#include "base/json.h"
#include "node/wire_codec.h"

namespace faultline::protocols::broadcast {

nlohmann::json BroadcastRequest::to_json() const {
    Json json{{"type", type()}, {"msg_id", msg_id}};
    if (!read) json["message"] = value;
    return json;
}

std::uint64_t BroadcastRequest::digest() const {
    const std::uint64_t words[] = {msg_id, read ? 1u : 0u, static_cast<std::uint64_t>(value)};
    return hash_bytes(words, sizeof words);
}

nlohmann::json BroadcastReply::to_json() const {
    Json json{{"type", type()}, {"in_reply_to", in_reply_to}};
    if (refused) json["code"] = "crashed";
    if (read && !refused) json["messages"] = values;
    return json;
}

std::uint64_t BroadcastReply::digest() const {
    return hash_bytes(values.data(), values.size() * sizeof(std::int64_t), in_reply_to + (refused ? 1 : 0));
}

nlohmann::json Gossip::to_json() const {
    return Json{{"type", "gossip"}, {"message", value}};
}

nlohmann::json Resend::to_json() const {
    return Json{{"type", "resend"}, {"messages", values}};
}

std::uint64_t Resend::digest() const {
    return hash_bytes(values.data(), values.size() * sizeof(std::int64_t), 1);
}

nlohmann::json ResendOk::to_json() const {
    return Json{{"type", "resend_ok"}, {"messages", values}};
}

std::uint64_t ResendOk::digest() const {
    return hash_bytes(values.data(), values.size() * sizeof(std::int64_t), 2);
}

std::vector<NodeId> BroadcastNode::neighbours(Context& ctx) const {
    const auto cluster = ctx.cluster();
    std::vector<NodeId> out;
    if (topology_ == Topology::flood) {
        for (NodeId peer : cluster) {
            if (peer != ctx.self()) out.push_back(peer);
        }
        return out;
    }
    // A binary tree over the cluster's order: parent (i-1)/2, children 2i+1, 2i+2.
    const auto position =
        static_cast<std::size_t>(std::find(cluster.begin(), cluster.end(), ctx.self()) - cluster.begin());
    if (position > 0) out.push_back(cluster[(position - 1) / 2]);
    for (std::size_t child : {2 * position + 1, 2 * position + 2}) {
        if (child < cluster.size()) out.push_back(cluster[child]);
    }
    return out;
}

void BroadcastNode::spread(Context& ctx, std::int64_t value, std::optional<NodeId> came_from) {
    auto gossip = std::make_shared<Gossip>();
    gossip->value = value;
    for (NodeId peer : neighbours(ctx)) {
        if (peer != came_from) ctx.send(peer, gossip);
    }
}

void BroadcastNode::start(Context& ctx) {
    if (resend_interval_ > 0) ctx.set_timer(resend_interval_, 0);
}

void BroadcastNode::on_timer(Context& ctx, TimerId, std::uint64_t) {
    FL_ASSERT(resend_interval_ > 0);
    for (NodeId peer : neighbours(ctx)) {
        const std::set<std::int64_t>& known = known_by_[peer];
        auto resend = std::make_shared<Resend>();
        std::set_difference(values_.begin(), values_.end(), known.begin(), known.end(),
                            std::back_inserter(resend->values));
        if (!resend->values.empty()) ctx.send(peer, std::move(resend));
    }
    ctx.set_timer(resend_interval_, 0);
}

bool BroadcastNode::learn(std::int64_t value) {
    if (values_.empty() || values_.back() < value) {
        values_.push_back(value);
        return true;
    }
    const auto at = std::lower_bound(values_.begin(), values_.end(), value);
    if (at != values_.end() && *at == value) return false;
    values_.insert(at, value);
    return true;
}

void BroadcastNode::acknowledged(NodeId peer, std::int64_t value) {
    if (resend_interval_ > 0) known_by_[peer].insert(value);
}

void BroadcastNode::acknowledged(NodeId peer, const std::vector<std::int64_t>& values) {
    for (std::int64_t value : values) acknowledged(peer, value);
}

void BroadcastNode::on_message(Context& ctx, const Envelope& envelope) {
    if (const auto* gossip = message_as<Gossip>(*envelope.message)) {
        acknowledged(envelope.from, gossip->value);
        if (learn(gossip->value)) spread(ctx, gossip->value, envelope.from);
        return;
    }
    if (const auto* resend = message_as<Resend>(*envelope.message)) {
        acknowledged(envelope.from, resend->values);
        for (std::int64_t value : resend->values) {
            if (learn(value)) spread(ctx, value, envelope.from);
        }
        auto ok = std::make_shared<ResendOk>();
        ok->values = resend->values;
        ctx.send(envelope.from, std::move(ok));
        return;
    }
    if (const auto* ok = message_as<ResendOk>(*envelope.message)) {
        acknowledged(envelope.from, ok->values);
        return;
    }
    const auto* request = message_as<BroadcastRequest>(*envelope.message);
    if (request == nullptr) return;
    auto reply = std::make_shared<BroadcastReply>();
    reply->in_reply_to = request->msg_id;
    reply->read = request->read;
    if (request->read) {
        reply->values = values_;
    } else if (learn(request->value)) {
        spread(ctx, request->value, std::nullopt);
    }
    ctx.send(envelope.from, std::move(reply));
}

// Wire codecs (node/wire_codec.h) of the messages between servers.
namespace {

Json encode_gossip(const Gossip& m) {
    return Json{{"message", m.value}};
}
std::shared_ptr<Gossip> decode_gossip(const Json& json) {
    auto m = std::make_shared<Gossip>();
    m->value = json.at("message").get<std::int64_t>();
    return m;
}

template <class M>
Json encode_values(const M& m) {
    return Json{{"messages", m.values}};
}
template <class M>
std::shared_ptr<M> decode_values(const Json& json) {
    auto m = std::make_shared<M>();
    m->values = json.at("messages").get<std::vector<std::int64_t>>();
    return m;
}

const WireCodecRegistration wire_codecs[] = {
    WireCodecRegistration{wire_codec<Gossip>({"gossip"}, encode_gossip, decode_gossip)},
    WireCodecRegistration{wire_codec<Resend>({"resend"}, encode_values<Resend>, decode_values<Resend>)},
    WireCodecRegistration{wire_codec<ResendOk>({"resend_ok"}, encode_values<ResendOk>, decode_values<ResendOk>)},
};

}  // namespace

}  // namespace faultline::protocols::broadcast
