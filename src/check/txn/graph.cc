#include "check/txn/graph.h"

#include <algorithm>
#include <array>
#include <limits>

#include "base/assert.h"

namespace faultline::check::txn {

namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

// Maps the nodes of a subset to 0..n-1 and back. The global-to-local table is
// kept between calls and cleaned after each, so that searching ten thousand
// small components does not clear a million-entry table ten thousand times.
class LocalIds {
  public:
    LocalIds(std::uint32_t graph_nodes, std::span<const std::uint32_t> within) : within_(within) {
        std::vector<std::uint32_t>& table = table_for(graph_nodes);
        for (std::uint32_t i = 0; i < within.size(); ++i) table[within[i]] = i;
        table_ = &table;
    }
    ~LocalIds() {
        for (std::uint32_t node : within_) (*table_)[node] = kNone;
    }
    LocalIds(const LocalIds&) = delete;
    LocalIds& operator=(const LocalIds&) = delete;

    std::uint32_t local(std::uint32_t node) const { return (*table_)[node]; }

  private:
    static std::vector<std::uint32_t>& table_for(std::uint32_t nodes) {
        thread_local std::vector<std::uint32_t> table;
        if (table.size() < nodes) table.assign(nodes, kNone);
        return table;
    }
    std::span<const std::uint32_t> within_;
    std::vector<std::uint32_t>* table_ = nullptr;
};

}  // namespace

const char* edge_kind_name(EdgeKind kind) {
    switch (kind) {
        case ww:
            return "ww";
        case wr:
            return "wr";
        case rw:
            return "rw";
        case process:
            return "process";
        case realtime:
            return "realtime";
    }
    FL_UNREACHABLE();
}

void DependencyGraph::add(std::uint32_t from, std::uint32_t to, EdgeKind kind) {
    FL_ASSERT(!frozen_);
    FL_ASSERT_NE(from, to);
    FL_ASSERT_LT(from, nodes_);
    FL_ASSERT_LT(to, nodes_);
    pending_.push_back({from, to, kind});
}

void DependencyGraph::freeze() {
    FL_ASSERT(!frozen_);
    frozen_ = true;
    // A counting sort by source: linear, where sorting millions of edges is not.
    begin_.assign(nodes_ + 1, 0);
    for (const Pending& edge : pending_) ++begin_[edge.from + 1];
    for (std::uint32_t node = 0; node < nodes_; ++node) begin_[node + 1] += begin_[node];
    std::vector<std::uint64_t> fill(begin_.begin(), begin_.end() - 1);
    targets_.resize(pending_.size());
    for (const Pending& edge : pending_) targets_[fill[edge.from]++] = Edge{edge.to, edge.kind};
    std::vector<Pending>().swap(pending_);
}

std::vector<std::vector<std::uint32_t>> strongly_connected_components(const DependencyGraph& graph, EdgeMask mask,
                                                                      std::span<const std::uint32_t> within) {
    std::vector<std::uint32_t> all;
    if (within.empty()) {
        all.resize(graph.nodes());
        for (std::uint32_t node = 0; node < graph.nodes(); ++node) all[node] = node;
        within = all;
    }
    const LocalIds ids(graph.nodes(), within);
    const std::uint32_t n = static_cast<std::uint32_t>(within.size());
    std::vector<std::uint32_t> order(n, kNone), low(n, 0);
    std::vector<bool> on_stack(n, false);
    std::vector<std::uint32_t> stack;
    struct Frame {
        std::uint32_t node;  // local
        std::uint32_t next;  // the next edge to look at
    };
    std::vector<Frame> frames;
    std::vector<std::vector<std::uint32_t>> components;
    std::uint32_t counter = 0;
    for (std::uint32_t root = 0; root < n; ++root) {
        if (order[root] != kNone) continue;
        order[root] = low[root] = counter++;
        stack.push_back(root);
        on_stack[root] = true;
        frames.push_back({root, 0});
        while (!frames.empty()) {
            Frame& frame = frames.back();
            const std::uint32_t v = frame.node;
            const std::span<const Edge> edges = graph.out(within[v]);
            bool descended = false;
            while (frame.next < edges.size()) {
                const Edge& edge = edges[frame.next++];
                if ((mask & mask_of(edge.kind)) == 0) continue;
                const std::uint32_t w = ids.local(edge.to);
                if (w == kNone) continue;
                if (order[w] == kNone) {
                    order[w] = low[w] = counter++;
                    stack.push_back(w);
                    on_stack[w] = true;
                    frames.push_back({w, 0});  // invalidates `frame`
                    descended = true;
                    break;
                }
                if (on_stack[w]) low[v] = std::min(low[v], order[w]);
            }
            if (descended) continue;
            if (low[v] == order[v]) {
                std::vector<std::uint32_t> component;
                std::uint32_t w;
                do {
                    w = stack.back();
                    stack.pop_back();
                    on_stack[w] = false;
                    component.push_back(within[w]);
                } while (w != v);
                if (component.size() > 1) {
                    std::sort(component.begin(), component.end());
                    components.push_back(std::move(component));
                }
            }
            frames.pop_back();
            if (!frames.empty()) {
                const std::uint32_t parent = frames.back().node;
                low[parent] = std::min(low[parent], low[v]);
            }
        }
    }
    FL_ASSERT(stack.empty());
    std::sort(components.begin(), components.end(), [](const auto& a, const auto& b) { return a.front() < b.front(); });
    return components;
}

const std::vector<CycleClass>& cycle_classes() {
    static const std::vector<CycleClass> classes = [] {
        constexpr EdgeMask base_ww = mask_of(ww);
        constexpr EdgeMask base_wwr = mask_of(ww) | mask_of(wr);
        constexpr EdgeMask proc = mask_of(process);
        constexpr EdgeMask real = mask_of(process) | mask_of(realtime);
        struct Shape {
            EdgeMask allowed;
            bool needs_wr;
            int rw_min, rw_max;
            bool nonadjacent, adjacent;
        };
        const Shape shapes[5] = {
            {base_ww, false, 0, 0, false, false},     // G0
            {base_wwr, true, 0, 0, false, false},     // G1c
            {kDataEdges, false, 1, 1, false, false},  // G-single
            {kDataEdges, false, 2, 2, true, false},   // G-nonadjacent
            {kDataEdges, false, 2, 2, false, true},   // G2-item
        };
        std::vector<CycleClass> out;
        for (int variant = 0; variant < 3; ++variant) {
            const EdgeMask extra = variant == 0 ? 0 : variant == 1 ? proc : real;
            for (int shape = 0; shape < 5; ++shape) {
                const Shape& s = shapes[shape];
                out.push_back(CycleClass{static_cast<Anomaly>(variant * 5 + shape),
                                         static_cast<EdgeMask>(s.allowed | extra), s.needs_wr, s.rw_min, s.rw_max,
                                         s.nonadjacent, s.adjacent, extra});
            }
        }
        return out;
    }();
    return classes;
}

namespace {

// The automaton state of a partial cycle, packed in 7 bits.
struct State {
    static constexpr std::uint8_t kRwCount = 0x3, kWr = 0x4, kExtra = 0x8, kFirstRw = 0x10, kLastRw = 0x20,
                                  kAdjacent = 0x40;
};

// The bits of the state that matter to this class; the others stay 0, so that
// they do not multiply the states the search visits.
std::uint8_t relevant_bits(const CycleClass& cls) {
    std::uint8_t bits = 0;
    if (cls.rw_max > 0) bits |= State::kRwCount;
    if (cls.needs_wr) bits |= State::kWr;
    if (cls.needs_one_of != 0) bits |= State::kExtra;
    if (cls.nonadjacent_rw || cls.adjacent_rw) bits |= State::kFirstRw | State::kLastRw;
    if (cls.adjacent_rw) bits |= State::kAdjacent;
    return bits;
}

// The state after following an edge of `kind`, or nullopt if the class forbids it.
std::optional<std::uint8_t> follow(const CycleClass& cls, std::uint8_t relevant, std::uint8_t state, EdgeKind kind,
                                   bool first) {
    if ((cls.allowed & mask_of(kind)) == 0) return std::nullopt;
    std::uint8_t next = state;
    if (kind == rw) {
        const int count = state & State::kRwCount;
        if (cls.rw_max < 2 && count + 1 > cls.rw_max) return std::nullopt;
        const bool last_rw = (state & State::kLastRw) != 0;
        if (cls.nonadjacent_rw && last_rw) return std::nullopt;
        if (last_rw) next |= State::kAdjacent;
        next = static_cast<std::uint8_t>((next & ~State::kRwCount) | std::min(2, count + 1));
        next |= State::kLastRw;
        if (first) next |= State::kFirstRw;
    } else {
        next &= static_cast<std::uint8_t>(~State::kLastRw);
        if (kind == wr) next |= State::kWr;
        if ((cls.needs_one_of & mask_of(kind)) != 0) next |= State::kExtra;
    }
    return static_cast<std::uint8_t>(next & relevant);
}

bool accepts(const CycleClass& cls, std::uint8_t state) {
    const int count = state & State::kRwCount;
    if (count < cls.rw_min) return false;
    if (cls.needs_wr && (state & State::kWr) == 0) return false;
    if (cls.needs_one_of != 0 && (state & State::kExtra) == 0) return false;
    const bool wraps_rw = (state & State::kFirstRw) != 0 && (state & State::kLastRw) != 0;
    if (cls.nonadjacent_rw && wraps_rw) return false;
    if (cls.adjacent_rw && !wraps_rw && (state & State::kAdjacent) == 0) return false;
    return true;
}

// Every cycle of the class can be rotated to begin with an edge of these kinds,
// so only their sources need be tried as starting points.
EdgeMask first_kinds(const CycleClass& cls) {
    if (cls.rw_min > 0) return mask_of(rw);
    if (cls.needs_wr) return mask_of(wr);
    if (cls.needs_one_of != 0) return cls.needs_one_of;
    return cls.allowed;
}

// The fewest edges a cycle of the class can have: once one that short is
// found, nothing shorter will be.
std::size_t shortest_possible(const CycleClass& cls) {
    return cls.nonadjacent_rw ? 4 : 2;
}

}  // namespace

CycleSearch shortest_cycle(const DependencyGraph& graph, std::span<const std::uint32_t> component,
                           const CycleClass& cls, std::uint64_t budget) {
    CycleSearch result;
    const LocalIds ids(graph.nodes(), component);
    const std::uint8_t relevant = relevant_bits(cls);
    const EdgeMask starts = first_kinds(cls);
    struct Entry {
        std::uint32_t node;  // local
        std::uint32_t parent;
        std::uint32_t depth;
        std::uint8_t state;
        EdgeKind kind;  // of the edge that led here
    };
    std::vector<Entry> queue;
    std::vector<std::array<std::uint64_t, 2>> seen(component.size(), {0, 0});
    std::vector<std::uint32_t> touched;
    auto mark = [&](std::uint32_t node, std::uint8_t state) {
        std::uint64_t& word = seen[node][state >> 6];
        const std::uint64_t bit = std::uint64_t{1} << (state & 63);
        if (word & bit) return false;
        if (seen[node][0] == 0 && seen[node][1] == 0) touched.push_back(node);
        word |= bit;
        return true;
    };
    std::size_t best = std::numeric_limits<std::size_t>::max();
    for (std::uint32_t start = 0; start < component.size() && best > shortest_possible(cls); ++start) {
        const std::span<const Edge> start_edges = graph.out(component[start]);
        if (std::none_of(start_edges.begin(), start_edges.end(),
                         [&](const Edge& e) { return (starts & mask_of(e.kind)) != 0 && ids.local(e.to) != kNone; })) {
            continue;
        }
        queue.clear();
        for (std::uint32_t node : touched) seen[node] = {0, 0};
        touched.clear();
        queue.push_back({start, kNone, 0, 0, ww});
        for (std::size_t head = 0; head < queue.size(); ++head) {
            const Entry at = queue[head];
            // A cycle closed from here has at + 1 edges; only shorter ones are news.
            if (static_cast<std::size_t>(at.depth) + 1 >= best) break;
            for (const Edge& edge : graph.out(component[at.node])) {
                if (++result.steps > budget) {
                    result.exhausted = true;
                    return result;
                }
                if (at.depth == 0 && (starts & mask_of(edge.kind)) == 0) continue;
                const std::uint32_t to = ids.local(edge.to);
                if (to == kNone) continue;
                const auto next = follow(cls, relevant, at.state, edge.kind, at.depth == 0);
                if (!next) continue;
                if (to == start) {
                    if (!accepts(cls, *next)) continue;
                    // Walk back; a walk that passes a node twice is two cycles,
                    // not one, and is not reported.
                    std::vector<CycleStep> cycle{{component[at.node], component[start], edge.kind}};
                    std::vector<std::uint32_t> nodes{at.node};
                    for (std::uint32_t i = head; queue[i].parent != kNone; i = queue[i].parent) {
                        const Entry& e = queue[i];
                        cycle.push_back({component[queue[e.parent].node], component[e.node], e.kind});
                        nodes.push_back(queue[e.parent].node);
                    }
                    std::sort(nodes.begin(), nodes.end());
                    if (std::adjacent_find(nodes.begin(), nodes.end()) != nodes.end()) continue;
                    std::reverse(cycle.begin(), cycle.end());
                    best = cycle.size();
                    result.cycle = std::move(cycle);
                    break;
                }
                if (static_cast<std::size_t>(at.depth) + 2 >= best) continue;
                if (!mark(to, *next)) continue;
                queue.push_back({to, static_cast<std::uint32_t>(head), at.depth + 1, *next, edge.kind});
            }
            if (result.cycle.size() == best && best != std::numeric_limits<std::size_t>::max() &&
                result.cycle.front().from == component[start]) {
                break;  // this start's shortest cycle is found
            }
        }
    }
    return result;
}

}  // namespace faultline::check::txn
