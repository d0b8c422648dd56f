// PartitionChecker's window: the smallest set of concurrent ops that cannot be
// ordered, shrunk by search from the ops that overlap the failing one, and
// every order of it that respects real time, each ending in its illegal step.
#include <algorithm>
#include <set>

#include "check/linearizability/partition_checker.h"

namespace faultline::check::lin {

namespace {

// Explaining a verdict already reached is bounded by work of its own, not by
// what the verdict's searches left: a counterexample then depends only on its
// partition, never on how much other keys used (nor on the clock). Shrinking
// the window to a minimal set: the configurations its searches may explore in
// all; past it, the set found so far is reported, not claimed minimal. About
// half a second of search (BENCHMARKS.md).
constexpr std::uint64_t kWindowConfigs = 500'000;

}  // namespace

// Is the sub-history of exactly `ops` linearizable from `state`? Ops that
// complete after `horizon` count as of unknown outcome.
// Its searches share kWindowConfigs (window_configs_ counts what they used).
template <class M>
typename PartitionChecker<M>::Orderable PartitionChecker<M>::orderable(std::uint64_t state,
                                                                       const std::vector<std::uint32_t>& ops,
                                                                       std::uint32_t horizon) {
    std::vector<SearchOp> times;
    times.reserve(ops.size());
    for (std::uint32_t i : ops) {
        SearchOp op = part_.times[i];
        if (op.ret != kNever && op.ret > horizon) op.ret = kNever;
        times.push_back(op);
    }
    lin::Limits limits = limits_;
    limits.max_configs = kWindowConfigs - std::min(window_configs_, kWindowConfigs);
    Search search(times, space_, limits);
    const Outcome outcome = search.run(state, {}, false);
    window_configs_ += search.stats().configs;
    note_explain(search, outcome);
    if (outcome == Outcome::success) return Orderable::yes;
    if (outcome == Outcome::failure) return Orderable::no;
    return Orderable::unknown;
}

// Shrinks the ops concurrent with `target` that `path` (a linearization
// from `start`) has not linearized yet, plus `target`, to a set that cannot
// be ordered and, if the budget allows, from which removing any one op makes
// it orderable; fills the window fields. False if the ops cannot be shown
// unorderable (then the window is left empty).
template <class M>
bool PartitionChecker<M>::find_window(Counterexample& cx, std::uint64_t start, const std::vector<lin::PathStep>& path,
                                      std::uint32_t target) {
    const SearchOp& bad = part_.times[target];
    const std::uint32_t horizon = bad.ret;
    // Start just after the last op of the linearization that completed before
    // the target was invoked: every op after that point overlaps it.
    std::size_t k = 0;
    for (std::size_t p = 0; p < path.size(); ++p) {
        const SearchOp& op = part_.times[path[p].op];
        if (op.required() && op.ret < bad.call) k = p + 1;
    }
    const std::uint64_t state = k == 0 ? start : path[k - 1].state;
    std::vector<char> done(part_.ops.size(), 0);
    for (std::size_t p = 0; p < k; ++p) done[path[p].op] = 1;
    std::vector<std::uint32_t> set = overlapping_ops(done, bad);
    window_configs_ = 0;
    if (orderable(state, set, horizon) != Orderable::no) return false;
    const bool minimal = shrink_window(set, state, horizon);
    cx.window.clear();
    for (std::uint32_t i : set) cx.window.push_back(add_op(cx, i));
    cx.window_op = add_op(cx, window_failing_op(set, target, horizon));
    cx.window_start_state = describe(state);
    if (k > 0) cx.window_start_after = add_op(cx, path[k - 1].op);
    cx.window_minimal = minimal;
    // Every order of the window from its start.
    std::vector<CounterexampleStep> steps;
    CounterexampleStep first;
    if (k > 0) first.op = add_op(cx, path[k - 1].op);
    first.state = cx.window_start_state;
    steps.push_back(first);
    std::vector<char> used(set.size(), 0);
    Visited visited;
    std::size_t nodes = 0;
    window_orders(cx, set, horizon, state, used, steps, visited, nodes);
    return true;
}

// The ops the window starts from, by invocation: those not `done` by the
// linearization up to the window's start and invoked before `bad` completes.
// Ops of earlier segments (required ones completed before the target's
// invocation) are behind the start too.
template <class M>
std::vector<std::uint32_t> PartitionChecker<M>::overlapping_ops(const std::vector<char>& done,
                                                                const SearchOp& bad) const {
    const std::uint32_t horizon = bad.ret;
    std::vector<std::uint32_t> set;
    for (const SearchOp& op : active_) {
        if (done[op.op] || op.call >= horizon) continue;
        if (op.required() && op.ret < bad.call) continue;
        set.push_back(op.op);
    }
    std::sort(set.begin(), set.end(),
              [&](std::uint32_t a, std::uint32_t b) { return part_.times[a].call < part_.times[b].call; });
    return set;
}

// Removes ops from `set`, which cannot be ordered from `state`, while it
// stays so: in chunks of halving size, then single ops until a whole pass
// removes nothing. Removal is not monotone (dropping a write can make a read
// impossible again), so only a clean last pass proves minimality: returns
// whether there was one within the window's budget.
template <class M>
bool PartitionChecker<M>::shrink_window(std::vector<std::uint32_t>& set, std::uint64_t state, std::uint32_t horizon) {
    bool minimal = false;
    auto try_without = [&](std::size_t from, std::size_t to) -> Orderable {
        std::vector<std::uint32_t> rest(set.begin(), set.begin() + static_cast<long>(from));
        rest.insert(rest.end(), set.begin() + static_cast<long>(to), set.end());
        const Orderable result =
            window_configs_ >= kWindowConfigs ? Orderable::unknown : orderable(state, rest, horizon);
        if (result == Orderable::no) set = std::move(rest);
        return result;
    };
    for (std::size_t chunk = set.size() / 2; chunk > 1; chunk /= 2) {
        for (std::size_t i = 0; i < set.size();) {
            if (try_without(i, std::min(i + chunk, set.size())) != Orderable::no) i += chunk;
        }
    }
    for (bool changed = true; changed;) {
        changed = false;
        bool unknown = false;
        for (std::size_t i = 0; i < set.size();) {
            const Orderable result = try_without(i, i + 1);
            if (result == Orderable::no) {
                changed = true;
            } else {
                unknown = unknown || result == Orderable::unknown;
                ++i;
            }
        }
        minimal = !changed && !unknown;
        if (unknown) break;
    }
    return minimal;
}

// The op the window fails on: `target` if the window holds it. Without the
// target the set would be some other op's failure: name the one that
// completes last, whose completion the set cannot reach.
template <class M>
std::uint32_t PartitionChecker<M>::window_failing_op(const std::vector<std::uint32_t>& set, std::uint32_t target,
                                                     std::uint32_t horizon) const {
    const bool has_target = std::find(set.begin(), set.end(), target) != set.end();
    std::uint32_t named = target;
    if (!has_target) {
        named = set.front();
        for (std::uint32_t i : set) {
            if (part_.times[i].required() && part_.times[i].ret <= horizon &&
                (!part_.times[named].required() || part_.times[i].ret > part_.times[named].ret))
                named = i;
        }
    }
    return named;
}

// Depth-first over the orders of `set` that respect real time (an op may go
// next if it was invoked before every unplaced required op completed); a
// dead end, where no op may legally go next, ends a path with the illegal
// step of the op that must complete first.
template <class M>
void PartitionChecker<M>::window_orders(Counterexample& cx, const std::vector<std::uint32_t>& set,
                                        std::uint32_t horizon, std::uint64_t state, std::vector<char>& used,
                                        std::vector<CounterexampleStep>& path, Visited& visited, std::size_t& nodes) {
    auto required = [&](std::uint32_t i) { return part_.times[i].required() && part_.times[i].ret <= horizon; };
    std::optional<std::size_t> due;  // the unplaced required op completing first
    for (std::size_t k = 0; k < set.size(); ++k) {
        if (used[k] || !required(set[k])) continue;
        if (!due || part_.times[set[k]].ret < part_.times[set[*due]].ret) due = k;
    }
    if (!due) {
        // Every required op placed: an order that works, which the search
        // ruled out; only a truncated exploration could get here.
        return;
    }
    bool moved = false;
    for (std::size_t k = 0; k < set.size(); ++k) {
        if (used[k] || part_.times[set[k]].call >= part_.times[set[*due]].ret) continue;
        if (cx.window_paths.size() >= kMaxFinalPaths || ++nodes > kMaxPathNodes) {
            cx.truncated = true;
            return;
        }
        std::uint64_t next = 0;
        if (!space_.step(state, set[k], next)) continue;
        moved = true;
        used[k] = 1;
        if (visited.insert({next, used}).second) {
            CounterexampleStep step;
            step.op = add_op(cx, set[k]);
            step.state = describe(next);
            path.push_back(std::move(step));
            window_orders(cx, set, horizon, next, used, path, visited, nodes);
            path.pop_back();
        }
        used[k] = 0;
    }
    if (moved) return;
    CounterexampleStep step;
    step.op = add_op(cx, set[*due]);
    step.error = model_.explain(space_.state(state), part_.ops[set[*due]]);
    path.push_back(std::move(step));
    cx.window_paths.push_back(path);
    path.pop_back();
}

#define FAULTLINE_INSTANTIATE(M)                                                                                    \
    template PartitionChecker<M>::Orderable PartitionChecker<M>::orderable(                                         \
        std::uint64_t, const std::vector<std::uint32_t>&, std::uint32_t);                                           \
    template bool PartitionChecker<M>::find_window(Counterexample&, std::uint64_t, const std::vector<PathStep>&,    \
                                                   std::uint32_t);                                                  \
    template std::vector<std::uint32_t> PartitionChecker<M>::overlapping_ops(const std::vector<char>&,              \
                                                                             const SearchOp&) const;                \
    template bool PartitionChecker<M>::shrink_window(std::vector<std::uint32_t>&, std::uint64_t, std::uint32_t);    \
    template std::uint32_t PartitionChecker<M>::window_failing_op(const std::vector<std::uint32_t>&, std::uint32_t, \
                                                                  std::uint32_t) const;                             \
    template void PartitionChecker<M>::window_orders(                                                               \
        Counterexample&, const std::vector<std::uint32_t>&, std::uint32_t, std::uint64_t, std::vector<char>&,       \
        std::vector<CounterexampleStep>&, std::set<std::pair<std::uint64_t, std::vector<char>>>&, std::size_t&);
FAULTLINE_LIN_FOR_EACH_MODEL(FAULTLINE_INSTANTIATE)
#undef FAULTLINE_INSTANTIATE

}  // namespace faultline::check::lin
