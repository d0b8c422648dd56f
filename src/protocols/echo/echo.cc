#include "protocols/echo/echo.h"

#include <memory>

#include "base/hash.h"
#include "base/json.h"
#include "node/wire_codec.h"

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

// Wire codecs (node/wire_codec.h). Echo servers send each other nothing; these
// let any process runtime carry the client protocol as typed messages too.
namespace {

Json encode_echo_request(const EchoRequest& m) {
    return Json{{"msg_id", m.msg_id}, {"echo", m.payload}};
}
std::shared_ptr<EchoRequest> decode_echo_request(const Json& json) {
    return std::make_shared<EchoRequest>(json.at("msg_id").get<std::uint64_t>(), json.at("echo").get<std::string>());
}

Json encode_echo_reply(const EchoReply& m) {
    return Json{{"in_reply_to", m.in_reply_to}, {"echo", m.payload}};
}
std::shared_ptr<EchoReply> decode_echo_reply(const Json& json) {
    return std::make_shared<EchoReply>(json.at("in_reply_to").get<std::uint64_t>(), json.at("echo").get<std::string>());
}

const WireCodecRegistration wire_codecs[] = {
    WireCodecRegistration{wire_codec<EchoRequest>({"echo"}, encode_echo_request, decode_echo_request)},
    WireCodecRegistration{wire_codec<EchoReply>({"echo_ok"}, encode_echo_reply, decode_echo_reply)},
};

}  // namespace

}  // namespace faultline::protocols::echo
