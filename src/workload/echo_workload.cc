#include "workload/echo_workload.h"

#include <fmt/format.h>

namespace faultline::workload {

OpRequest next_echo_request(Prng& random) {
    return OpRequest{"echo", Json(), Json(fmt::format("Please echo {}", random.below(128)))};
}

}  // namespace faultline::workload
