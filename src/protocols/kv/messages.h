// The Raft KV's client protocol, shaped like Maelstrom's lin-kv: a request with
// a msg_id, a reply with in_reply_to and either a value or an error code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "node/message.h"
#include "protocols/kv/kv_store.h"

namespace faultline::protocols::kv {

struct KvRequest final : Message {
    std::uint64_t msg_id = 0;
    KvCommand command;  // op, key, value / from, and the client's session

    std::string_view type() const override { return kv_op_name(command.op); }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 64 + command.padding; }
    std::uint64_t digest() const override;
};

struct KvReply final : Message {
    std::uint64_t in_reply_to = 0;
    KvOp op = KvOp::read;
    int code = 0;  // 0: ok
    std::int64_t value = 0;
    // A server that is not the leader names the one it knows of, if any.
    std::optional<NodeId> leader_hint;

    std::string_view type() const override;
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 48; }
    std::uint64_t digest() const override;
};

}  // namespace faultline::protocols::kv
