#include "harness/wire.h"

#include <fmt/format.h>

#include "base/assert.h"
#include "base/hash.h"

namespace faultline::harness {

std::string quote_line(std::string_view line) {
    constexpr std::size_t kShown = 120;
    if (line.size() <= kShown) return fmt::format("'{}'", line);
    return fmt::format("'{}...' ({} bytes)", line.substr(0, kShown), line.size());
}

Result<WireMessage> parse_wire_line(std::string_view line) {
    if (line.size() > kWireLineMax) {
        return make_error(ErrorCode::parse_error,
                          fmt::format("a message of {} bytes, over the limit of {} bytes", line.size(), kWireLineMax));
    }
    Json parsed = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
        return make_error(ErrorCode::parse_error, "not well-formed JSON: " + quote_line(line));
    }
    auto wrong = [&](std::string_view what) {
        return make_error(ErrorCode::parse_error, fmt::format("{}: {}", what, quote_line(line)));
    };
    if (!parsed.is_object()) return wrong("not a JSON object");
    auto src = parsed.find("src");
    auto dest = parsed.find("dest");
    auto body = parsed.find("body");
    if (src == parsed.end() || !src->is_string()) return wrong("no \"src\" string");
    if (dest == parsed.end() || !dest->is_string()) return wrong("no \"dest\" string");
    if (body == parsed.end() || !body->is_object()) return wrong("no \"body\" object");
    auto type = body->find("type");
    if (type == body->end() || !type->is_string()) return wrong("a body without a \"type\" string");
    if (auto id = parsed.find("id"); id != parsed.end() && !id->is_number_integer()) {
        return wrong("an \"id\" that is not an integer");
    }
    return WireMessage{src->get<std::string>(), dest->get<std::string>(), std::move(*body)};
}

std::string wire_line(const WireMessage& message, std::uint64_t network_id) {
    Json line = Json::object();
    line["id"] = network_id;
    line["src"] = message.src;
    line["dest"] = message.dest;
    line["body"] = message.body;
    std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace);
    text.push_back('\n');
    return text;
}

ErrorCodeInfo error_code_info(std::int64_t code) {
    static constexpr ErrorCodeInfo kKnown[] = {
        {error_code::timeout, "timeout", false},
        {error_code::node_not_found, "node-not-found", true},
        {error_code::not_supported, "not-supported", true},
        {error_code::temporarily_unavailable, "temporarily-unavailable", true},
        {error_code::malformed_request, "malformed-request", true},
        {error_code::crash, "crash", false},
        {error_code::abort, "abort", true},
        {error_code::key_does_not_exist, "key-does-not-exist", true},
        {error_code::key_already_exists, "key-already-exists", true},
        {error_code::precondition_failed, "precondition-failed", true},
        {error_code::txn_conflict, "txn-conflict", true},
    };
    for (const ErrorCodeInfo& info : kKnown) {
        if (info.code == code) return info;
    }
    return ErrorCodeInfo{static_cast<int>(code), "unknown", false};
}

MaelstromMessage::MaelstromMessage(Json body) : body_(std::move(body)) {
    FL_ASSERT(body_.is_object());
    if (auto type = body_.find("type"); type != body_.end() && type->is_string()) type_ = type->get<std::string>();
    const std::string text = body_.dump(-1, ' ', false, Json::error_handler_t::replace);
    size_ = static_cast<std::uint32_t>(std::min<std::size_t>(text.size(), UINT32_MAX));
    digest_ = hash_string(text);
}

namespace {
std::optional<std::uint64_t> unsigned_field(const Json& body, const char* key) {
    auto found = body.find(key);
    if (found == body.end() || !found->is_number_integer()) return std::nullopt;
    if (found->is_number_unsigned()) return found->get<std::uint64_t>();
    const std::int64_t value = found->get<std::int64_t>();
    if (value < 0) return std::nullopt;
    return static_cast<std::uint64_t>(value);
}
}  // namespace

std::optional<std::uint64_t> MaelstromMessage::msg_id() const {
    return unsigned_field(body_, "msg_id");
}
std::optional<std::uint64_t> MaelstromMessage::in_reply_to() const {
    return unsigned_field(body_, "in_reply_to");
}

Json reply_body(const MaelstromMessage& request, std::string type) {
    Json body = Json::object();
    body["type"] = std::move(type);
    if (auto id = request.body().find("msg_id"); id != request.body().end()) body["in_reply_to"] = *id;
    return body;
}

Json error_body(const MaelstromMessage& request, int code, std::string text) {
    Json body = reply_body(request, "error");
    body["code"] = code;
    body["text"] = std::move(text);
    return body;
}

}  // namespace faultline::harness
