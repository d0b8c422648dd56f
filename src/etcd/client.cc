#include "etcd/client.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "etcd/http.h"

namespace faultline::etcd {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

OpResult unavailable(Outcome outcome, std::string message) {
    return OpResult{.outcome = outcome, .value = std::nullopt, .error = 11, .message = std::move(message)};
}

// A request that may have changed state (put, txn): without a reply its
// effect is unknown, unless it never left.
struct Sent {
    bool replied = false;
    nlohmann::json body;
    OpResult failure;
};

Sent post(std::uint16_t port, const char* path, const nlohmann::json& request, std::chrono::milliseconds timeout,
          bool changes_state) {
    const HttpResult result = http_post(port, path, request.dump(), timeout);
    if (!result.ok) {
        const bool unknown = changes_state && result.error.failure == HttpFailure::no_reply;
        return Sent{.failure = unavailable(unknown ? Outcome::info : Outcome::fail, result.error.message)};
    }
    nlohmann::json body = nlohmann::json::parse(result.reply.body, nullptr, false);
    if (result.reply.status != 200 || body.is_discarded() || !body.is_object() || body.contains("error")) {
        // etcd answered with an error ("etcdserver: request timed out", "leader
        // changed"): a write it timed out on may still commit.
        const std::string message =
            body.is_object() && body.contains("error") ? body["error"].dump() : result.reply.body.substr(0, 200);
        return Sent{.failure = unavailable(changes_state ? Outcome::info : Outcome::fail, message)};
    }
    return Sent{.replied = true, .body = std::move(body)};
}

std::string number(std::int64_t value) {
    return std::to_string(value);
}

}  // namespace

std::string base64_encode(const std::string& bytes) {
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                           (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (i + 1 == bytes.size()) {
        const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == bytes.size()) {
        const unsigned v =
            (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(const std::string& text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    std::size_t padding = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '=') {
            if (i + 2 < text.size()) return std::nullopt;
            ++padding;
            continue;
        }
        if (padding > 0) return std::nullopt;
        const char* at = std::char_traits<char>::find(kAlphabet, 64, c);
        if (at == nullptr) return std::nullopt;
        buffer = (buffer << 6) | static_cast<unsigned>(at - kAlphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    return out;
}

OpResult Client::read(const std::string& key, bool serializable) const {
    nlohmann::json request{{"key", base64_encode(key)}};
    if (serializable) request["serializable"] = true;
    Sent sent = post(port_, "/v3/kv/range", request, timeout_, false);
    if (!sent.replied) return sent.failure;
    const nlohmann::json& kvs = sent.body.contains("kvs") ? sent.body["kvs"] : nlohmann::json::array();
    if (!kvs.is_array() || kvs.empty()) {
        return OpResult{.outcome = Outcome::fail, .value = std::nullopt, .error = 20, .message = "key missing"};
    }
    const std::optional<std::string> text = base64_decode(kvs[0].value("value", std::string()));
    std::int64_t value = 0;
    if (!text || std::from_chars(text->data(), text->data() + text->size(), value).ec != std::errc()) {
        return unavailable(Outcome::fail, "a value that is not a number: " + kvs[0].dump());
    }
    return OpResult{.outcome = Outcome::ok, .value = value};
}

OpResult Client::write(const std::string& key, std::int64_t value) const {
    const nlohmann::json request{{"key", base64_encode(key)}, {"value", base64_encode(number(value))}};
    Sent sent = post(port_, "/v3/kv/put", request, timeout_, true);
    if (!sent.replied) return sent.failure;
    return OpResult{.outcome = Outcome::ok};
}

OpResult Client::cas(const std::string& key, std::int64_t from, std::int64_t to) const {
    const nlohmann::json request{
        {"compare",
         {{{"target", "VALUE"},
           {"key", base64_encode(key)},
           {"value", base64_encode(number(from))},
           {"result", "EQUAL"}}}},
        {"success", {{{"requestPut", {{"key", base64_encode(key)}, {"value", base64_encode(number(to))}}}}}}};
    Sent sent = post(port_, "/v3/kv/txn", request, timeout_, true);
    if (!sent.replied) return sent.failure;
    // proto3's JSON leaves out a false bool: no "succeeded" means the compare failed.
    if (sent.body.value("succeeded", false)) return OpResult{.outcome = Outcome::ok};
    return OpResult{.outcome = Outcome::fail, .value = std::nullopt, .error = 22, .message = "compare failed"};
}

}  // namespace faultline::etcd
