#include "protocols/echo/echo.h"

#include <memory>

#include "base/hash.h"
#include "base/json.h"

namespace faultline::protocols::echo {

nlohmann::json EchoRequest::to_json() const {
    return Json{{"type", "echo"}, {"msg_id", msg_id}, {"echo", payload}};
}

std::uint64_t EchoRequest::digest() const {
    return hash_string(payload, msg_id);
}

nlohmann::json EchoReply::to_json() const {
    return Json{{"type", "echo_ok"}, {"in_reply_to", in_reply_to}, {"echo", payload}};
}

std::uint64_t EchoReply::digest() const {
    return hash_string(payload, ~in_reply_to);
}

void EchoServer::on_message(Context& ctx, const Envelope& envelope) {
    const auto* request = message_as<EchoRequest>(*envelope.message);
    if (request == nullptr) return;  // not for us: an echo server ignores other traffic
    ctx.send(envelope.from, std::make_shared<EchoReply>(request->msg_id, request->payload));
}

}  // namespace faultline::protocols::echo
