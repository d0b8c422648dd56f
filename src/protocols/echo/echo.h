// Echo: the smallest request/response service.
//
// A client sends {echo, msg_id, payload}; the server answers {echo_ok,
// in_reply_to, payload}. It has no state and nothing to get wrong, which makes it
// the baseline for the simulator itself: every failure a client sees (a timeout,
// a lost request, a lost response) comes from the network or a crash, and the
// "four fates of a request" show up in its history.
#pragma once

#include <cstdint>
#include <string>

#include "node/node.h"

namespace faultline::protocols::echo {

struct EchoRequest final : Message {
    std::uint64_t msg_id = 0;
    std::string payload;

    EchoRequest(std::uint64_t id, std::string text) : msg_id(id), payload(std::move(text)) {}
    std::string_view type() const override { return "echo"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 32 + static_cast<std::uint32_t>(payload.size()); }
    std::uint64_t digest() const override;
};

struct EchoReply final : Message {
    std::uint64_t in_reply_to = 0;
    std::string payload;

    EchoReply(std::uint64_t id, std::string text) : in_reply_to(id), payload(std::move(text)) {}
    std::string_view type() const override { return "echo_ok"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 32 + static_cast<std::uint32_t>(payload.size()); }
    std::uint64_t digest() const override;
};

class EchoServer final : public Node {
  public:
    void start(Context&) override {}
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context&, TimerId, std::uint64_t) override {}
};

}  // namespace faultline::protocols::echo
