// Partition shapes as sets of cut links. `order` is the shuffled order of the
// server indexes the shape reads (stored in the fault, so a schedule replays
// the same cut); the result lists every directed link (from, to) to block.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "nemesis/schedule.h"

namespace faultline::nemesis {

using Link = std::pair<int, int>;

// For isolate-leader, `leader` is the node to isolate (nullopt: nobody leads,
// nothing is cut).
std::vector<Link> cut_links(PartitionShape shape, const std::vector<int>& order, int nodes,
                            std::optional<int> leader = std::nullopt);

// The groups a shape forms, for reports ("n0 n1 | n2 n3 n4"); one-way and
// majorities-ring, which are not groups, are described in words.
std::string describe_cut(PartitionShape shape, const std::vector<int>& order, int nodes,
                         std::optional<int> leader = std::nullopt);

}  // namespace faultline::nemesis
