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

Result<std::unique_ptr<runner::System>> make_broadcast_levels(const BroadcastLevelOptions& options);

}  // namespace faultline::systems
