#include "workload/set_workload.h"

#include "protocols/broadcast/broadcast.h"

namespace faultline::workload {

using protocols::broadcast::BroadcastReply;
using protocols::broadcast::BroadcastRequest;

MessagePtr BroadcastCodec::encode(const OpRequest& op, const RequestIds& ids) const {
    auto request = std::make_shared<BroadcastRequest>();
    request->msg_id = ids.msg_id;
    request->read = op.f == "read";
    if (!request->read) request->value = op.value.get<std::int64_t>();
    return request;
}

std::optional<DecodedReply> BroadcastCodec::decode(const Message& message) const {
    const auto* reply = message_as<BroadcastReply>(message);
    if (reply == nullptr) return std::nullopt;
    Completion completion{.kind = Completion::Kind::ok};
    if (reply->read) completion.value = reply->values;
    return DecodedReply{reply->in_reply_to, completion};
}

OpRequest SetGenerator::next(Prng& random) {
    if (random.below(100) < 30) return OpRequest{"read", Json(), Json()};
    return OpRequest{"add", Json(), Json(next_value_++)};
}

}  // namespace faultline::workload
