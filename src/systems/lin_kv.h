// What the lin-kv systems share: the codec of their client protocol, the
// workload's final reads, which answers count as served, and the
// linearizability check of its history (the kv model, a cas-register per key).
#pragma once

#include <vector>

#include "check/history.h"
#include "runner/system.h"
#include "workload/kv_workload.h"
#include "workload/shape.h"

namespace faultline::systems {

// Clients speak protocols/kv (Maelstrom's lin-kv): read, write and cas.
class KvCodec final : public workload::ClientCodec {
  public:
    // Writes and cas carry `value_bytes` of payload (large values).
    explicit KvCodec(std::uint32_t value_bytes = 0) : value_bytes_(value_bytes) {}
    MessagePtr encode(const workload::OpRequest& op, const workload::RequestIds& ids) const override;
    std::optional<workload::DecodedReply> decode(const Message& message) const override;
    // A read that timed out changed nothing.
    bool timeout_is_failure(const std::string& f) const override { return f == "read"; }

  private:
    std::uint32_t value_bytes_;
};

// The lin-kv workload's options under a run's workload shape (runner/search.h).
workload::LinKvOptions lin_kv_options_for(const workload::WorkloadShape& shape);

// A final read of every key a lin-kv workload touched.
std::vector<workload::OpRequest> lin_kv_final_reads(const workload::LinKvGenerator& generator);
// Whether a lin-kv system served a completion: "key does not exist" and
// "precondition failed" are answers, not outages.
bool lin_kv_served(const check::Operation& completion);
// Linearizability of a lin-kv history.
runner::CheckOutcome check_lin_kv(const check::History& history);

}  // namespace faultline::systems
