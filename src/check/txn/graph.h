// The dependency graph of transactions, its strongly connected components, and
// the search for the shortest cycle of each anomaly class.
//
// Nodes are transactions (their index in TxnHistory::txns). An edge T1 -> T2
// says T1 must come before T2 in any serial order the history could have had:
//   ww  T2 overwrote (or appended after) a version T1 wrote
//   wr  T2 read a version T1 wrote
//   rw  T1 read a version that T2 then overwrote (an anti-dependency)
//   process   T1 and T2 ran on the same process, T1 first
//   realtime  T1 completed before T2 was invoked
// The same pair may be joined by edges of several kinds.
//
// A history is serializable (under the chosen models) iff the relevant part of
// this graph is acyclic. Cycles live inside strongly connected components
// (found by an iterative Tarjan: histories have millions of transactions and
// recursion would overflow the stack). Within a component, the shortest cycle
// of an anomaly class is found by breadth-first search over (node, automaton
// state): the automaton tracks what the class needs (G-single: exactly one rw
// edge; G-nonadjacent: at least two, never adjacent, ...).
//
// Searches count their work (edges followed) against a budget; the budget, not
// a clock, decides when a search stops, so a verdict never depends on the
// machine.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "check/txn/consistency_models.h"

namespace faultline::check::txn {

enum EdgeKind : std::uint8_t { ww = 0, wr = 1, rw = 2, process = 3, realtime = 4 };
inline constexpr int kEdgeKinds = 5;
using EdgeMask = std::uint8_t;
constexpr EdgeMask mask_of(EdgeKind kind) {
    return static_cast<EdgeMask>(1u << kind);
}
inline constexpr EdgeMask kDataEdges = mask_of(ww) | mask_of(wr) | mask_of(rw);
const char* edge_kind_name(EdgeKind kind);

struct Edge {
    std::uint32_t to = 0;
    EdgeKind kind = ww;
};

// Edges in compressed rows. Add every edge, then freeze(); no edge joins a
// node to itself.
class DependencyGraph {
  public:
    explicit DependencyGraph(std::uint32_t nodes) : nodes_(nodes) {}

    void add(std::uint32_t from, std::uint32_t to, EdgeKind kind);
    void freeze();

    std::uint32_t nodes() const { return nodes_; }
    std::size_t edges() const { return targets_.size(); }
    std::span<const Edge> out(std::uint32_t node) const {
        return {targets_.data() + begin_[node], begin_[node + 1] - begin_[node]};
    }

  private:
    struct Pending {
        std::uint32_t from, to;
        EdgeKind kind;
    };
    std::uint32_t nodes_;
    std::vector<Pending> pending_;
    std::vector<std::uint64_t> begin_;
    std::vector<Edge> targets_;
    bool frozen_ = false;
};

// The strongly connected components of more than one node, following only
// edges whose kind is in `mask`, among the nodes `within` (all nodes when
// empty). Each component's nodes are in ascending order; components are in
// ascending order of their smallest node. Iterative: no recursion.
std::vector<std::vector<std::uint32_t>> strongly_connected_components(const DependencyGraph& graph, EdgeMask mask,
                                                                      std::span<const std::uint32_t> within = {});

// The cycle classes, and what each needs.
struct CycleClass {
    Anomaly anomaly;
    EdgeMask allowed;       // the kinds a cycle of this class may use
    bool needs_wr;          // G1c: at least one wr (else it would be G0)
    int rw_min, rw_max;     // how many rw edges (rw_max 2 means "two or more")
    bool nonadjacent_rw;    // G-nonadjacent: no two rw edges in a row (around the cycle)
    bool adjacent_rw;       // G2-item: some two rw edges in a row
    EdgeMask needs_one_of;  // -process / -realtime: at least one edge of these kinds
};
// All fifteen, strongest claims first (G0 before G1c before G-single ...).
const std::vector<CycleClass>& cycle_classes();

struct CycleStep {
    std::uint32_t from = 0;
    std::uint32_t to = 0;
    EdgeKind kind = ww;
};

struct CycleSearch {
    std::vector<CycleStep> cycle;  // empty: none found
    std::uint64_t steps = 0;       // edges followed
    bool exhausted = false;        // the budget ran out before the search was complete
};

// The shortest cycle of `cls` among `component`'s nodes (which must be one
// strongly connected component of the graph restricted to cls.allowed), or
// the shortest found before `budget` edges were followed.
CycleSearch shortest_cycle(const DependencyGraph& graph, std::span<const std::uint32_t> component,
                           const CycleClass& cls, std::uint64_t budget);

}  // namespace faultline::check::txn
