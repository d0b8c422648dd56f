#include "protocols/broadcast/broadcast.h"

#include <algorithm>

#include "base/hash.h"
#include "base/json.h"

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
    if (read) json["messages"] = values;
    return json;
}

std::uint64_t BroadcastReply::digest() const {
    return hash_bytes(values.data(), values.size() * sizeof(std::int64_t), in_reply_to);
}

nlohmann::json Gossip::to_json() const {
    return Json{{"type", "gossip"}, {"message", value}};
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

void BroadcastNode::on_message(Context& ctx, const Envelope& envelope) {
    if (const auto* gossip = message_as<Gossip>(*envelope.message)) {
        if (values_.insert(gossip->value).second) spread(ctx, gossip->value, envelope.from);
        return;
    }
    const auto* request = message_as<BroadcastRequest>(*envelope.message);
    if (request == nullptr) return;
    auto reply = std::make_shared<BroadcastReply>();
    reply->in_reply_to = request->msg_id;
    reply->read = request->read;
    if (request->read) {
        reply->values.assign(values_.begin(), values_.end());
    } else if (values_.insert(request->value).second) {
        spread(ctx, request->value, std::nullopt);
    }
    ctx.send(envelope.from, std::move(reply));
}

}  // namespace faultline::protocols::broadcast
