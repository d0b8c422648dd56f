#include "node/wire_codec.h"

#include <fmt/format.h>

#include <map>
#include <stdexcept>
#include <unordered_map>

namespace faultline {

namespace {

struct Registry {
    std::vector<WireCodec> codecs;
    std::unordered_map<std::type_index, std::size_t> by_message_type;
    std::map<std::string, std::size_t, std::less<>> by_name;
};

Registry& registry() {
    static Registry instance;
    return instance;
}

}  // namespace

WireCodecRegistration::WireCodecRegistration(WireCodec codec) {
    Registry& r = registry();
    const std::size_t index = r.codecs.size();
    FL_ASSERT_MSG(!r.by_message_type.contains(codec.message_type), "a message type registered two wire codecs");
    r.by_message_type.emplace(codec.message_type, index);
    for (const std::string& name : codec.types) {
        FL_ASSERT_MSG(!r.by_name.contains(name), "two wire codecs decode type " + name);
        r.by_name.emplace(name, index);
    }
    r.codecs.push_back(std::move(codec));
}

std::optional<Json> encode_wire(const Message& message) {
    const Registry& r = registry();
    const auto found = r.by_message_type.find(typeid(message));
    if (found == r.by_message_type.end()) return std::nullopt;
    return r.codecs[found->second].encode(message);
}

Result<MessagePtr> decode_wire(std::string_view type, const Json& json) {
    const Registry& r = registry();
    const auto found = r.by_name.find(type);
    if (found == r.by_name.end()) {
        return make_error(ErrorCode::unsupported, fmt::format("no wire codec for messages of type '{}'", type));
    }
    try {
        MessagePtr message = r.codecs[found->second].decode(json);
        if (message == nullptr) {
            return make_error(ErrorCode::parse_error, fmt::format("a malformed '{}' message: {}", type, json.dump()));
        }
        return message;
    } catch (const std::exception& e) {
        return make_error(ErrorCode::parse_error, fmt::format("a malformed '{}' message: {}", type, e.what()));
    }
}

bool has_wire_codec(std::string_view type) {
    return registry().by_name.find(type) != registry().by_name.end();
}

std::string hex_encode(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        out += digits[byte >> 4];
        out += digits[byte & 15];
    }
    return out;
}

std::string hex_decode(std::string_view hex) {
    auto value = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        throw std::invalid_argument("not a hex digit");
    };
    if (hex.size() % 2 != 0) throw std::invalid_argument("hex of odd length");
    std::string out(hex.size() / 2, '\0');
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = static_cast<char>(value(hex[2 * i]) << 4 | value(hex[2 * i + 1]));
    }
    return out;
}

}  // namespace faultline
