// The set workload over broadcast (Maelstrom's broadcast): `add` a unique
// integer through any node, `read` a node's set. Final reads ask every node.
#pragma once

#include <cstdint>

#include "base/prng.h"
#include "workload/client.h"

namespace faultline::workload {

class BroadcastCodec final : public ClientCodec {
public:
    MessagePtr encode(const OpRequest& op, const RequestIds& ids) const override;
    std::optional<DecodedReply> decode(const Message& message) const override;
    bool timeout_is_failure(const std::string& f) const override { return f == "read"; }
};

class SetGenerator {
public:
    // 70% adds of fresh values, 30% reads.
    OpRequest next(Prng& random);

private:
    std::int64_t next_value_ = 0;
};

}  // namespace faultline::workload
