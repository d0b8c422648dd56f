// The broadcast system's levels (--level best-effort ... total): nodes of one
// level of protocols/broadcast/levels.h, a recorder of every broadcast and
// delivery, and the delivery checks (check/delivery_checker.h) of what the
// level promises, or of a stronger `claim`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "protocols/broadcast/levels.h"
#include "runner/system.h"

namespace faultline::systems {

struct BroadcastLevelOptions {
    protocols::broadcast::LevelOptions level;
    std::string claim;  // a guarantee's name; empty: the level's own
    double msgs_per_op_max = 0;
};

// The guarantees a claim may name, weakest first: best-effort, reliable,
// uniform, fifo, causal, total.
std::vector<std::string> guarantee_names();
// The names of every check a level run may return.
std::vector<std::string> broadcast_level_checks();

// The clients' side of the broadcast requests (protocols/broadcast/broadcast.h):
// adds become broadcasts, reads return a node's values, and a refusal (a node
// that crashed before) sends the client to another node. Gossip's clients too.
std::shared_ptr<const workload::ClientCodec> broadcast_client_codec();

Result<std::unique_ptr<runner::System>> make_broadcast_levels(const BroadcastLevelOptions& options);

}  // namespace faultline::systems
