#include "workload/counter_workload.h"

namespace faultline::workload {

OpRequest next_counter_request(Prng& random) {
    if (random.below(100) < 20) return OpRequest{"read", Json(), Json()};
    return OpRequest{"add", Json(), Json(static_cast<std::int64_t>(random.between(1, 5)))};
}

}  // namespace faultline::workload
