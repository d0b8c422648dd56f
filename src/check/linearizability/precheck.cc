// PartitionChecker's pre-checks: an op the model proves impossible without any
// search (a read of a value never written) decides the partition at once; a
// search up to that op's completion then explains it.
#include <algorithm>
#include <span>

#include "base/assert.h"
#include "check/linearizability/partition_checker.h"

namespace faultline::check::lin {

template <class M>
bool PartitionChecker<M>::precheck() {
    if constexpr (requires(const M& m, std::span<const models::TimedOp<typename M::Op>> ops) { m.impossible(ops); }) {
        std::vector<models::Impossible> found = model_.impossible(timed_ops());
        if (found.empty()) return false;
        // The impossible op that completed first: every op completed before it
        // decides the counterexample, so search only up to there.
        const auto first = std::min_element(found.begin(), found.end(), [&](const auto& a, const auto& b) {
            return part_.times[a.op].ret < part_.times[b.op].ret;
        });
        result_.verdict = Verdict::invalid;
        result_.decided_by_precheck = true;
        if (cx_ != nullptr && context_.options->counterexample) {
            explain_impossible(first->op, first->reason);
        }
        return true;
    }
    return false;
}

// Searches the history up to the impossible op's completion (later ops become
// optional: they can only matter as effects before it), which must fail and
// yields the exact first failing op and its context.
template <class M>
void PartitionChecker<M>::explain_impossible(std::uint32_t bad, const std::string& reason) {
    if constexpr (Space::kGrouped) {
        // The impossible op's key alone explains it (see explain_by_key).
        (void)reason;
        explain_by_key(std::uint64_t{1} << part_.ops[bad].key);
        return;
    }
    // The verdict is settled; the explanation gets a budget of its own, and
    // says so if it runs out.
    lin::Limits limits = limits_;
    limits.max_configs = kExplainConfigs;
    const std::uint32_t until = part_.times[bad].ret;
    // First: are the ops completed before it linearizable without it? Then it
    // is the first op that cannot be linearized, and one linearization of
    // everything before it (usually found at once) is the context.
    std::vector<SearchOp> before;
    for (const SearchOp& op : active_) {
        if (op.call > until || op.op == bad) continue;
        SearchOp copy = op;
        if (copy.ret != kNever && copy.ret > until) copy.ret = kNever;
        before.push_back(copy);
    }
    std::uint64_t spent = 0;
    {
        Search search(before, space_, limits);
        const Outcome outcome = search.run(space_.initial(), {}, false);
        note_explain(search, outcome);
        spent = search.stats().configs;
        if (outcome == Outcome::success) {
            build_impossible_counterexample(search, bad, reason);
            return;
        }
    }
    // Something completed earlier fails too: search with it for the first one.
    std::vector<SearchOp> ops = before;
    SearchOp with_bad = part_.times[bad];
    ops.push_back(with_bad);
    limits.max_configs = kExplainConfigs - std::min(spent, kExplainConfigs);
    Search search(ops, space_, limits);
    const Outcome outcome = search.run(space_.initial(), {}, false);
    note_explain(search, outcome);
    if (outcome == Outcome::failure) {
        build_counterexample(search, 0);
        Counterexample& cx = **cx_;
        if (cx.op && cx.ops[*cx.op].index == op_index(bad)) cx.reason = reason;
        return;
    }
    FL_ASSERT_MSG(outcome != Outcome::success, "a pre-check found an impossible op but the search linearized it");
    // Out of budget: report what the pre-check proved.
    Counterexample cx;
    cx.key = part_.key;
    cx.required_ops = required_;
    cx.op = add_op(cx, bad);
    cx.reason = reason;
    cx.truncated = true;
    *cx_ = std::move(cx);
}

// The counterexample when everything completed before the impossible op
// `bad` linearizes: `search` succeeded on those ops, and its linearization
// ends in the state(s) `bad` cannot be explained from.
template <class M>
void PartitionChecker<M>::build_impossible_counterexample(const Search& search, std::uint32_t bad,
                                                          const std::string& reason) {
    op_slots_.clear();
    Counterexample cx;
    cx.key = part_.key;
    cx.required_ops = required_;
    cx.op = add_op(cx, bad);
    cx.reason = reason;
    const std::uint32_t until = part_.times[bad].ret;
    std::optional<std::uint32_t> previous;
    for (std::uint32_t i = 0; i < part_.times.size(); ++i) {
        const SearchOp& op = part_.times[i];
        if (!op.required() || op.ret >= until) continue;
        ++cx.linearized_prefix;
        if (!previous || op.ret > part_.times[*previous].ret) previous = i;
    }
    if (previous) cx.previous_ok = add_op(cx, *previous);
    const auto& path = search.best_path();
    std::vector<char> linearized(part_.ops.size(), 0);
    std::uint32_t last_change = kNever;
    std::uint64_t state = search.best_start_state();
    for (const lin::PathStep& step : path) {
        linearized[step.op] = 1;
        if (step.state != state) last_change = step.op;
        state = step.state;
    }
    std::vector<std::uint32_t> window;
    for (const SearchOp& op : active_) {
        if (op.call < until && op.op != bad && !linearized[op.op]) window.push_back(op.op);
    }
    std::sort(window.begin(), window.end(),
              [&](std::uint32_t a, std::uint32_t b) { return part_.times[a].call < part_.times[b].call; });
    for (std::uint32_t i : window) cx.pending.push_back(add_op(cx, i));
    cx.prefix_states.push_back(describe(state));
    std::vector<std::uint32_t> pool = window;
    if (pool.size() > kMaxWindowForPaths) {
        pool.resize(kMaxWindowForPaths);
        cx.truncated = true;
    }
    pool.push_back(bad);
    std::vector<CounterexampleStep> steps;
    CounterexampleStep start;
    if (last_change != kNever) start.op = add_op(cx, last_change);
    start.state = describe(state);
    steps.push_back(start);
    std::vector<char> used(pool.size(), 0);
    Visited visited;
    std::size_t nodes = 0;
    explore_paths(cx, pool, bad, state, used, steps, visited, nodes);
    record_linearization_tail(cx, search.best_start_state(), path);
    find_window(cx, search.best_start_state(), path, bad);
    *cx_ = std::move(cx);
}

#define FAULTLINE_INSTANTIATE(M)                                                                     \
    template bool PartitionChecker<M>::precheck();                                                   \
    template void PartitionChecker<M>::explain_impossible(std::uint32_t, const std::string&);        \
    template void PartitionChecker<M>::build_impossible_counterexample(const Search&, std::uint32_t, \
                                                                       const std::string&);
FAULTLINE_LIN_FOR_EACH_MODEL(FAULTLINE_INSTANTIATE)
#undef FAULTLINE_INSTANTIATE

}  // namespace faultline::check::lin
