// PartitionChecker's counterexamples: from a search that failed, the first op
// no linearization can include, the longest linearizable prefix, the ops left
// pending and the orders of them that were tried (Knossos' analysis; see
// counterexample.h). For a map of independent objects, the key that fails on
// its own, found by checking the keys one at a time.
#include <algorithm>
#include <set>
#include <tuple>

#include "base/assert.h"
#include "check/linearizability/partition_checker.h"

namespace faultline::check::lin {

namespace {

constexpr std::size_t kLinearizationTail = 64;

}  // namespace

// `whole`: `search` covered the partition from its initial state, not a
// segment from the states the earlier segments can end in.
template <class M>
void PartitionChecker<M>::explain(const Search& search, std::size_t required_before, bool whole) {
    if constexpr (Space::kGrouped) {
        (void)required_before;
        // A segment's search fails from every frontier state, each time
        // blamed on keys that fail from *that* state; the blame of the
        // last is no proof that those keys fail whatever happened before.
        // By locality some key fails alone: look at them all.
        explain_by_key(whole ? search.failure_groups() : ~std::uint64_t{0});
    } else {
        build_counterexample(search, required_before);
    }
}

// For a map of independent objects searched whole (--no-split): the search
// says which keys' ops alone cannot be linearized (backjumping blames), and
// by locality at least one of them fails on its own; the counterexample is
// that key's, found by checking the keys one at a time, in key order. The
// whole-history search's own progress is no guide here: it skipped, on
// purpose, the choices on keys that did not matter.
template <class M>
void PartitionChecker<M>::explain_by_key(std::uint64_t groups) {
    if constexpr (Space::kGrouped) {
        using Inner = typename M::Inner;
        const std::uint32_t count = static_cast<std::uint32_t>(model_.group_count());
        std::vector<std::uint32_t> keys;
        for (std::uint32_t g = 0; g < count; ++g) {
            if (g >= 64 || (groups >> g) & 1) keys.push_back(g);
        }
        std::sort(keys.begin(), keys.end(),
                  [&](std::uint32_t a, std::uint32_t b) { return key_less(model_.key(a), model_.key(b)); });
        for (std::uint32_t g : keys) {
            Partition<Inner> sub;
            sub.key = model_.key(g);
            for (std::uint32_t i = 0; i < part_.ops.size(); ++i) {
                if (part_.ops[i].key != g) continue;
                SearchOp times = part_.times[i];
                times.op = static_cast<std::uint32_t>(sub.ops.size());
                sub.ops.push_back(part_.ops[i].op);
                sub.paired.push_back(part_.paired[i]);
                sub.times.push_back(times);
            }
            std::optional<Counterexample> cx;
            const std::uint64_t spent = std::min(explain_configs_, kExplainConfigs);
            PartitionChecker<Inner> checker(model_.inner(), sub, context_,
                                            Budget{kExplainConfigs - spent, limits_.max_bytes, limits_.cancel});
            const PartitionResult result = checker.check(&cx);
            explain_configs_ += result.configs;
            result_.peak_bytes = std::max(result_.peak_bytes, result.peak_bytes);
            if (checker.stop() == Stop::other) stop_ = Stop::other;
            if (result.verdict == Verdict::invalid && cx) {
                *cx_ = std::move(cx);
                return;
            }
            FL_ASSERT_MSG(result.verdict != Verdict::valid || groups != (std::uint64_t{1} << g),
                          "a key blamed alone for the failure is linearizable alone");
        }
        // Out of budget while explaining: the verdict stands (the search proved
        // it), the explanation is partial.
        Counterexample cx;
        cx.key = keys.empty() ? Json() : model_.key(keys.front());
        cx.required_ops = required_;
        cx.reason =
            "the operations on this key cannot be linearized (not explained further: "
            "out of budget)";
        cx.truncated = true;
        *cx_ = std::move(cx);
    } else {
        (void)groups;
        FL_UNREACHABLE();
    }
}

template <class M>
std::int64_t PartitionChecker<M>::op_index(std::uint32_t i) const {
    const PairedOp& paired = (*context_.paired)[part_.paired[i]];
    const std::uint32_t at = paired.complete != PairedOp::kNoEvent ? paired.complete : paired.invoke;
    return (*context_.history)[at].index;
}

template <class M>
std::size_t PartitionChecker<M>::add_op(Counterexample& cx, std::uint32_t i) {
    auto [it, inserted] = op_slots_.try_emplace(i, cx.ops.size());
    if (!inserted) return it->second;
    const PairedOp& paired = (*context_.paired)[part_.paired[i]];
    const History& history = *context_.history;
    const Operation& invoke = history[paired.invoke];
    CounterexampleOp op;
    op.invoke_index = invoke.index;
    op.process = invoke.process;
    op.f = invoke.f;
    op.invoke_time = invoke.time;
    op.description = model_.describe_op(part_.ops[i]);
    if (paired.complete != PairedOp::kNoEvent) {
        const Operation& complete = history[paired.complete];
        op.index = complete.index;
        op.type = complete.type;
        op.value = complete.type == OpType::ok ? complete.value : invoke.value;
        op.complete_time = complete.time;
    } else {
        op.index = invoke.index;
        op.type = OpType::info;
        op.completed = false;
        op.value = invoke.value;
        op.complete_time = invoke.time;
    }
    cx.ops.push_back(std::move(op));
    return it->second;
}

// The last kLinearizationTail steps of a longest linearization, and the
// state they start from.
template <class M>
void PartitionChecker<M>::record_linearization_tail(Counterexample& cx, std::uint64_t start_state,
                                                    const std::vector<lin::PathStep>& path) {
    const std::size_t from = path.size() > kLinearizationTail ? path.size() - kLinearizationTail : 0;
    cx.linearization_omitted = from;
    cx.start_state = describe(from == 0 ? start_state : path[from - 1].state);
    for (std::size_t k = from; k < path.size(); ++k) {
        CounterexampleStep step;
        step.op = add_op(cx, path[k].op);
        step.state = describe(path[k].state);
        cx.linearization.push_back(std::move(step));
    }
}

template <class M>
void PartitionChecker<M>::build_counterexample(const Search& search, std::size_t required_before) {
    op_slots_.clear();
    Counterexample cx;
    cx.key = part_.key;
    cx.required_ops = required_;
    cx.linearized_prefix = required_before + search.best_prefix();
    FL_ASSERT_LT(search.best_prefix(), search.required_count());
    const std::uint32_t failing = search.required_index(search.best_prefix());
    cx.op = add_op(cx, failing);
    const std::optional<std::uint32_t> previous = last_completed_before(failing);
    if (previous) cx.previous_ok = add_op(cx, *previous);
    record_pending_and_prefix_states(cx, search);
    record_final_paths(cx, search, failing);
    // One longest linearization, its tail.
    const auto& best = search.best_path();
    record_linearization_tail(cx, search.best_start_state(), best);
    const std::uint32_t window_op = window_target(search, failing);
    if (!find_window(cx, search.best_start_state(), best, window_op) && window_op != failing) {
        find_window(cx, search.best_start_state(), best, failing);
    }
    *cx_ = std::move(cx);
}

// The last completed op before `failing` (in completion order): the end of
// the longest prefix.
template <class M>
std::optional<std::uint32_t> PartitionChecker<M>::last_completed_before(std::uint32_t failing) const {
    std::optional<std::uint32_t> previous;
    for (std::uint32_t i = 0; i < part_.times.size(); ++i) {
        const SearchOp& op = part_.times[i];
        if (!op.required() || op.ret >= part_.times[failing].ret) continue;
        if (!previous || op.ret > part_.times[*previous].ret) previous = i;
    }
    return previous;
}

// The ops the longest prefixes left pending, and the states those prefixes
// end in.
template <class M>
void PartitionChecker<M>::record_pending_and_prefix_states(Counterexample& cx, const Search& search) {
    std::set<std::uint32_t> window;
    std::set<std::uint64_t> states;
    for (const lin::BestConfig& config : search.best_configs()) {
        window.insert(config.pending.begin(), config.pending.end());
        states.insert(config.state);
    }
    std::vector<std::uint32_t> window_ops(window.begin(), window.end());
    std::sort(window_ops.begin(), window_ops.end(),
              [&](std::uint32_t a, std::uint32_t b) { return part_.times[a].call < part_.times[b].call; });
    for (std::uint32_t i : window_ops) cx.pending.push_back(add_op(cx, i));
    for (std::uint64_t state : states) cx.prefix_states.push_back(describe(state));
    cx.truncated = search.best_configs_truncated();
}

// Final paths from every distinct (state, last state-changing op).
template <class M>
void PartitionChecker<M>::record_final_paths(Counterexample& cx, const Search& search, std::uint32_t failing) {
    std::set<std::tuple<std::uint64_t, std::uint32_t, std::uint32_t>> starts;
    std::size_t nodes = 0;
    for (const lin::BestConfig& config : search.best_configs()) {
        if (!starts.insert({config.state, config.last_change, config.doomed}).second) continue;
        if (cx.final_paths.size() >= kMaxFinalPaths) {
            cx.truncated = true;
            break;
        }
        std::vector<std::uint32_t> pool = config.pending;
        if (pool.size() > kMaxWindowForPaths) {
            pool.resize(kMaxWindowForPaths);
            cx.truncated = true;
        }
        pool.push_back(failing);
        std::vector<CounterexampleStep> path;
        CounterexampleStep start;
        if (config.last_change != kNever) start.op = add_op(cx, config.last_change);
        start.state = describe(config.state);
        path.push_back(start);
        if (config.doomed != kNever) {
            // The search stopped here because a pending read can never be
            // satisfied (monotone lookahead); that is this path's failure.
            CounterexampleStep step;
            step.op = add_op(cx, config.doomed);
            step.error = model_.explain(space_.state(config.state), part_.ops[config.doomed]) +
                         ", and no op that could reset it may happen before it completes";
            path.push_back(std::move(step));
            cx.final_paths.push_back(std::move(path));
            continue;
        }
        std::vector<char> used(pool.size(), 0);
        Visited visited;
        explore_paths(cx, pool, failing, config.state, used, path, visited, nodes);
    }
}

// The op the window is about: the failing one, unless every longest
// prefix stopped at a read the lookahead proved doomed; then the first
// such read to complete is what actually cannot be ordered.
template <class M>
std::uint32_t PartitionChecker<M>::window_target(const Search& search, std::uint32_t failing) const {
    std::uint32_t window_op = failing;
    bool all_doomed = !search.best_configs().empty();
    std::uint32_t doomed = kNever;
    for (const lin::BestConfig& config : search.best_configs()) {
        if (config.doomed == kNever) {
            all_doomed = false;
        } else if (doomed == kNever || part_.times[config.doomed].ret < part_.times[doomed].ret) {
            doomed = config.doomed;
        }
    }
    if (all_doomed) window_op = doomed;
    return window_op;
}

template <class M>
void PartitionChecker<M>::explore_paths(Counterexample& cx, const std::vector<std::uint32_t>& pool,
                                        std::uint32_t failing, std::uint64_t state, std::vector<char>& used,
                                        std::vector<CounterexampleStep>& path, Visited& visited, std::size_t& nodes) {
    for (std::size_t k = 0; k < pool.size(); ++k) {
        if (used[k]) continue;
        if (cx.final_paths.size() >= kMaxFinalPaths || ++nodes > kMaxPathNodes) {
            cx.truncated = true;
            return;
        }
        const std::uint32_t i = pool[k];
        std::uint64_t next = 0;
        if (!space_.step(state, i, next)) {
            CounterexampleStep step;
            step.op = add_op(cx, i);
            step.error = model_.explain(space_.state(state), part_.ops[i]);
            path.push_back(std::move(step));
            cx.final_paths.push_back(path);
            path.pop_back();
            continue;
        }
        // The search proved the failing op cannot follow any order of the
        // window from these states; a legal step here would be a search bug,
        // except for monotone models, whose lookahead stops the search at
        // configurations that are doomed for another reason (reported as such).
        if (i == failing) {
            FL_ASSERT_MSG(Space::kMonotone, "counterexample: the failing op is legal after the prefix");
            continue;
        }
        used[k] = 1;
        if (visited.insert({next, used}).second) {
            CounterexampleStep step;
            step.op = add_op(cx, i);
            step.state = describe(next);
            path.push_back(std::move(step));
            explore_paths(cx, pool, failing, next, used, path, visited, nodes);
            path.pop_back();
        }
        used[k] = 0;
    }
}

#define FAULTLINE_INSTANTIATE(M)                                                                              \
    template void PartitionChecker<M>::explain(const Search&, std::size_t, bool);                             \
    template void PartitionChecker<M>::explain_by_key(std::uint64_t);                                         \
    template std::int64_t PartitionChecker<M>::op_index(std::uint32_t) const;                                 \
    template std::size_t PartitionChecker<M>::add_op(Counterexample&, std::uint32_t);                         \
    template void PartitionChecker<M>::record_linearization_tail(Counterexample&, std::uint64_t,              \
                                                                 const std::vector<PathStep>&);               \
    template void PartitionChecker<M>::build_counterexample(const Search&, std::size_t);                      \
    template std::optional<std::uint32_t> PartitionChecker<M>::last_completed_before(std::uint32_t) const;    \
    template void PartitionChecker<M>::record_pending_and_prefix_states(Counterexample&, const Search&);      \
    template void PartitionChecker<M>::record_final_paths(Counterexample&, const Search&, std::uint32_t);     \
    template std::uint32_t PartitionChecker<M>::window_target(const Search&, std::uint32_t) const;            \
    template void PartitionChecker<M>::explore_paths(                                                         \
        Counterexample&, const std::vector<std::uint32_t>&, std::uint32_t, std::uint64_t, std::vector<char>&, \
        std::vector<CounterexampleStep>&, std::set<std::pair<std::uint64_t, std::vector<char>>>&, std::size_t&);
FAULTLINE_LIN_FOR_EACH_MODEL(FAULTLINE_INSTANTIATE)
#undef FAULTLINE_INSTANTIATE

}  // namespace faultline::check::lin
