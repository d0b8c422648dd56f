// The Maelstrom wire protocol: one JSON object per line on a node's stdin and
// stdout (../docs/harness.md has the whole contract).
//
//   {"src": "n1", "dest": "c3", "body": {"type": "echo_ok", "in_reply_to": 1, ...}}
//
// A line a node prints is checked the way Maelstrom checks it: an object with
// `src` and `dest` strings and a `body` object whose `type` is a string; an
// integer `id` may be present and is ignored. What is wrong is said in one
// sentence that quotes the line, so the harness can name the node and carry on.
// Lines the harness writes carry the network's own `id`, increasing across the
// whole run, as Maelstrom's do.
//
// MaelstromMessage carries a body through the network model and the nemesis
// unchanged: the runtime treats it like any other message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/result.h"
#include "node/message.h"

namespace faultline::harness {

// A message as it travels on the wire.
struct WireMessage {
    std::string src;
    std::string dest;
    Json body;
};

// Lines longer than this are refused (a node that prints a megabyte of JSON
// per message is almost certainly looping).
constexpr std::size_t kWireLineMax = 1 << 20;

// Parses one line a node printed. The error says what is wrong, quoting the
// line (shortened), for example "not well-formed JSON: 'hello'".
Result<WireMessage> parse_wire_line(std::string_view line);

// The line delivered to a node: the message with the network's `id`, and a
// trailing newline.
std::string wire_line(const WireMessage& message, std::uint64_t network_id);

// The line shortened for an error message, with its length when cut.
std::string quote_line(std::string_view line);

// The error codes of the protocol (Maelstrom's table). A definite error means
// the operation certainly did not take effect; codes of 1000 and above, and
// unknown ones, are indefinite.
struct ErrorCodeInfo {
    int code = 0;
    const char* name = "";
    bool definite = false;
};
ErrorCodeInfo error_code_info(std::int64_t code);

namespace error_code {
constexpr int timeout = 0;
constexpr int node_not_found = 1;
constexpr int not_supported = 10;
constexpr int temporarily_unavailable = 11;
constexpr int malformed_request = 12;
constexpr int crash = 13;
constexpr int abort = 14;
constexpr int key_does_not_exist = 20;
constexpr int key_already_exists = 21;
constexpr int precondition_failed = 22;
constexpr int txn_conflict = 30;
}  // namespace error_code

// A body as a Message the runtime can route. `type()` is the body's type.
class MaelstromMessage final : public Message {
  public:
    explicit MaelstromMessage(Json body);

    const Json& body() const { return body_; }
    std::string_view type() const override { return type_; }
    nlohmann::json to_json() const override { return body_; }
    std::uint32_t size_bytes() const override { return size_; }
    std::uint64_t digest() const override { return digest_; }

    // The body's msg_id / in_reply_to, if they are unsigned integers.
    std::optional<std::uint64_t> msg_id() const;
    std::optional<std::uint64_t> in_reply_to() const;

  private:
    Json body_;
    std::string type_;
    std::uint32_t size_ = 0;
    std::uint64_t digest_ = 0;
};

// The body of a reply to `request`: `type`, in_reply_to set from the request's
// msg_id (when it has one), and no msg_id of its own, as the services send.
Json reply_body(const MaelstromMessage& request, std::string type);
Json error_body(const MaelstromMessage& request, int code, std::string text);

}  // namespace faultline::harness
