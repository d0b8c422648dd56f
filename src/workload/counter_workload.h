// The counter workload: `add` small positive deltas and `read` the total.
#pragma once

#include "base/prng.h"
#include "workload/client.h"

namespace faultline::workload {

// 80% adds of 1..5, 20% reads.
OpRequest next_counter_request(Prng& random);

}  // namespace faultline::workload
