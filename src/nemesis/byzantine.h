// The Byzantine nemesis: which servers of a run turn Byzantine, and how.
//
// A Byzantine server is not a fault the schedule turns on and off: it is a
// wrapper node around the system's correct core (protocols/pbft/byzantine.h,
// protocols/raft/byzantine.h) that lies from the start to the end of the run.
// This file makes the choice, so that every system draws it the same way: from
// the seed's own "byzantine" stream (no other subsystem's draws move it), the
// servers are `count` distinct ones, and each gets one of the system's
// behaviours, or the one the run names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace faultline::nemesis {

struct ByzantineServer {
    int node = 0;               // the server's index
    std::size_t behaviour = 0;  // an index into the system's list of behaviours
};

// Requires 0 <= count <= nodes and behaviours >= 1 (and fixed < behaviours).
// The result is sorted by node.
std::vector<ByzantineServer> pick_byzantine(std::uint64_t seed, int nodes, int count, std::size_t behaviours,
                                            std::optional<std::size_t> fixed);

}  // namespace faultline::nemesis
