#include "systems/lin_kv.h"

#include <fmt/format.h>

#include "check/linearizability/outcome.h"
#include "protocols/kv/messages.h"

namespace faultline::systems {

using runner::CheckOutcome;
using runner::Verdict;

std::vector<workload::OpRequest> lin_kv_final_reads(const workload::LinKvGenerator& generator) {
    std::vector<workload::OpRequest> reads;
    for (std::int64_t key : generator.keys_used()) reads.push_back(workload::OpRequest{"read", Json(key), Json()});
    return reads;
}

bool lin_kv_served(const check::Operation& completion) {
    if (completion.type == check::OpType::ok) return true;
    return completion.type == check::OpType::fail && completion.error.is_number_integer() &&
           (completion.error.get<int>() == protocols::kv::error_key_missing ||
            completion.error.get<int>() == protocols::kv::error_precondition);
}

CheckOutcome check_lin_kv(const check::History& history) {
    check::LinearizabilityOptions options;
    options.model = check::models::ModelKind::kv;
    options.semantics = check::models::faultline_history_semantics();
    // Half the checker's default work budget (about 30 s of hard search): one
    // seed of a sweep should not take a minute. Work, not time, so that a
    // seed's verdict never depends on the machine's load.
    options.configs_max = check::LinearizabilityOptions::kConfigsMaxDefault / 2;
    return check::linearizability_check(history, options);
}

}  // namespace faultline::systems
