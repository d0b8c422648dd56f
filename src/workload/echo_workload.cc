#include "workload/echo_workload.h"

#include <fmt/format.h>

#include "protocols/echo/echo.h"

namespace faultline::workload {

using protocols::echo::EchoReply;
using protocols::echo::EchoRequest;

MessagePtr EchoCodec::encode(const OpRequest& op, const RequestIds& ids) const {
    return std::make_shared<EchoRequest>(ids.msg_id, op.value.get<std::string>());
}

std::optional<DecodedReply> EchoCodec::decode(const Message& message) const {
    const auto* reply = message_as<EchoReply>(message);
    if (reply == nullptr) return std::nullopt;
    return DecodedReply{reply->in_reply_to,
                        Completion{.kind = Completion::Kind::ok, .value = Json(reply->payload)}};
}

OpRequest next_echo_request(Prng& random) {
    return OpRequest{"echo", Json(), Json(fmt::format("Please echo {}", random.below(128)))};
}

}  // namespace faultline::workload
