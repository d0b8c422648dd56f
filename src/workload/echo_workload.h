// The echo workload: clients send "Please echo N" and expect it back verbatim.
#pragma once

#include "base/prng.h"
#include "workload/client.h"

namespace faultline::workload {

// The next echo request: a random payload, as Maelstrom's generator does.
OpRequest next_echo_request(Prng& random);

}  // namespace faultline::workload
