#include "workload/set_workload.h"

namespace faultline::workload {

OpRequest SetGenerator::next(Prng& random) {
    if (random.below(100) < 30) return OpRequest{"read", Json(), Json()};
    return OpRequest{"add", Json(), Json(next_value_++)};
}

}  // namespace faultline::workload
