#include "protocols/kv/messages.h"

#include "base/hash.h"
#include "base/json.h"

namespace faultline::protocols::kv {

nlohmann::json KvRequest::to_json() const {
    Json json{{"type", type()}, {"msg_id", msg_id}, {"key", command.key}};
    if (command.op == KvOp::write) json["value"] = command.value;
    if (command.op == KvOp::cas) {
        json["from"] = command.from;
        json["to"] = command.value;
    }
    json["session"] = {command.client, command.sequence};
    return json;
}

std::uint64_t KvRequest::digest() const {
    return hash_string(command.encode(), msg_id);
}

std::string_view KvReply::type() const {
    if (code != 0) return "error";
    switch (op) {
        case KvOp::read:
            return "read_ok";
        case KvOp::write:
            return "write_ok";
        case KvOp::cas:
            return "cas_ok";
    }
    return "?";
}

nlohmann::json KvReply::to_json() const {
    Json json{{"type", type()}, {"in_reply_to", in_reply_to}};
    if (code != 0) json["code"] = code;
    if (code == 0 && op == KvOp::read) json["value"] = value;
    if (leader_hint) json["leader"] = leader_hint->value;
    return json;
}

std::uint64_t KvReply::digest() const {
    const std::uint64_t words[] = {in_reply_to, static_cast<std::uint64_t>(code), static_cast<std::uint64_t>(value),
                                   leader_hint ? leader_hint->value + 1ULL : 0ULL};
    return hash_bytes(words, sizeof words);
}

}  // namespace faultline::protocols::kv
