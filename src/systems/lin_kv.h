// What raft-kv and primary-backup share: the lin-kv workload's final reads,
// which answers count as served, and the linearizability check of its history
// (the kv model, a cas-register per key).
#pragma once

#include <vector>

#include "check/history.h"
#include "runner/system.h"
#include "workload/kv_workload.h"

namespace faultline::systems {

// A final read of every key a lin-kv workload touched.
std::vector<workload::OpRequest> lin_kv_final_reads(const workload::LinKvGenerator& generator);
// Whether a lin-kv system served a completion: "key does not exist" and
// "precondition failed" are answers, not outages.
bool lin_kv_served(const check::Operation& completion);
// Linearizability of a lin-kv history.
runner::CheckOutcome check_lin_kv(const check::History& history);

}  // namespace faultline::systems
