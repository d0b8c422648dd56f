// The counter workload: `add` small positive deltas and `read` the total.
#pragma once

#include "base/prng.h"
#include "workload/client.h"

namespace faultline::workload {

class CounterCodec final : public ClientCodec {
public:
    // `idempotency_keys`: adds carry the client's session (client id and
    // operation sequence), which a deduplicating server applies once.
    explicit CounterCodec(bool idempotency_keys) : idempotency_keys_(idempotency_keys) {}
    MessagePtr encode(const OpRequest& op, const RequestIds& ids) const override;
    std::optional<DecodedReply> decode(const Message& message) const override;
    bool timeout_is_failure(const std::string& f) const override { return f == "read"; }

private:
    bool idempotency_keys_;
};

// 80% adds of 1..5, 20% reads.
OpRequest next_counter_request(Prng& random);

}  // namespace faultline::workload
