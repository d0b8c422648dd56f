#include "workload/counter_workload.h"

#include "protocols/counter/counter.h"

namespace faultline::workload {

using protocols::counter::CounterReply;
using protocols::counter::CounterRequest;

MessagePtr CounterCodec::encode(const OpRequest& op, const RequestIds& ids) const {
    auto request = std::make_shared<CounterRequest>();
    request->msg_id = ids.msg_id;
    request->read = op.f == "read";
    if (!request->read) request->delta = op.value.get<std::int64_t>();
    if (idempotency_keys_) {
        request->client = ids.client;
        request->sequence = ids.sequence;
    }
    return request;
}

std::optional<DecodedReply> CounterCodec::decode(const Message& message) const {
    const auto* reply = message_as<CounterReply>(message);
    if (reply == nullptr) return std::nullopt;
    Completion completion{.kind = Completion::Kind::ok};
    if (reply->read) completion.value = reply->value;
    return DecodedReply{reply->in_reply_to, completion};
}

OpRequest next_counter_request(Prng& random) {
    if (random.below(100) < 20) return OpRequest{"read", Json(), Json()};
    return OpRequest{"add", Json(), Json(static_cast<std::int64_t>(random.between(1, 5)))};
}

}  // namespace faultline::workload
