// The linearizability checker: is there a sequential order of a history's
// operations, consistent with their real-time order, that the model accepts?
//
// Entry point for the runner and `faultline check`:
//
//   LinearizabilityOptions options;            // model, initial value, budgets
//   options.model = models::ModelKind::kv;
//   auto result = check_linearizability(history, options);
//   if (!result) ...                           // malformed history: result.error().message
//   result->verdict                            // linearizable / not_linearizable / unknown
//   result->counterexample->to_json()          // when not linearizable
//   linearizability_result_to_json(*result)    // everything, for results.json
//
// How (checkers.md §6): the history is paired into operations and encoded by the
// model; operations of unknown outcome become optional. Keyed histories are split
// by key (P-compositionality: a history of independent objects is linearizable
// iff each object's sub-history is). Each partition gets cheap pre-checks (a read
// of a value never written); optional operations that could never help are left
// out; long partitions are cut at quiescent points (no operation spans the cut)
// into segments searched one after another, carrying the set of reachable states
// across each cut. Each search is a WGL/Lowe search (search.h). A budget of work
// (configurations explored) and memory bounds the whole check; exhausting it
// gives `unknown`, never a guess. The budgets count the checker's own work and
// data structures, never time: the result (verdict, counterexample and every
// statistic but `elapsed`) depends only on the history and the options, not on
// the machine, its load, or the number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "base/time.h"
#include "check/history.h"
#include "check/linearizability/counterexample.h"
#include "check/linearizability/paired_history.h"
#include "check/models/model.h"
#include "check/outcome.h"

namespace faultline::check {

// The verdict in the checker's own words: "linearizable", "not linearizable",
// "unknown" (valid, invalid, unknown in every other check's).
const char* linearizability_verdict_text(Verdict verdict);

struct LinearizabilityOptions {
    models::ModelKind model = models::ModelKind::cas_register;
    // The initial value of each object (null: the model's default: nil for
    // registers, "" for kv-append, 0 for counters, 0 for every register of a
    // multi-register, where an object such as {"x": 1} overrides the registers
    // it names).
    Json initial;
    models::Semantics semantics;
    // P-compositionality: check each key separately. Off means one search over a
    // map of every key's state (slower; for comparison and for doubters).
    bool split_by_key = true;
    // Cut long partitions (at least quiescence_min_ops ops) at quiescent points
    // and search the pieces in turn, carrying the reachable states across each
    // cut: memory then grows with the longest piece, not with the history.
    // There is no cut after an op of unknown outcome that could matter (it
    // spans every later point), and a piece whose exploration or set of end
    // states grows too large makes the partition be searched whole. Shorter
    // partitions are searched whole, which is cheaper: a piece is explored
    // exhaustively, a whole search stops at the first linearization.
    bool split_at_quiescence = true;
    std::size_t quiescence_min_ops = 2048;
    // Look for impossible reads before searching.
    bool prechecks = true;
    // Build a counterexample for the first failing partition.
    bool counterexample = true;
    // Stop checking further partitions once one is not linearizable. The
    // reported counterexample is still the first failing partition in key order.
    bool stop_at_first_invalid = false;
    // The work budget: the configurations the searches that decide the
    // verdict may explore, over all partitions. It is spent in key order, as
    // if the partitions were checked one after another: each gets what the
    // ones before it left, whatever `threads` is. Out of it, a partition is
    // unknown ("configuration budget reached"). Explaining a failure has
    // budgets of its own (partition_checker.h, window.cc). The search explores
    // about 0.6-1.3 M configurations per CPU second on a 2-core AMD EPYC
    // (BENCHMARKS.md): the default is about a minute of hard search there. (A
    // single hard search usually reaches the default memory budget first,
    // near 13 M.)
    std::uint64_t configs_max = kConfigsMaxDefault;
    static constexpr std::uint64_t kConfigsMaxDefault = 50'000'000;
    // The memory budget of each search, as the checker counts its own data
    // structures (cache, states, stacks: capacities, so deterministic for a
    // given build). Out of it, a partition is unknown ("memory limit
    // reached"). It does not depend on `threads`: with N threads the
    // partitions are first checked with 1/N of it each, and one that runs
    // out is checked again alone with all of it, after the others.
    std::size_t memory_limit_bytes = std::size_t{1} << 30;
    // Worker threads for partitions (1: check them in order on this thread).
    // Changes how long a check takes, never its result.
    int threads = 1;
    // Where error messages point (file:line); default: history op indexes.
    lin::Locator locate;
};

struct PartitionResult {
    Json key;  // null for a single-object history
    Verdict verdict = Verdict::valid;
    std::string unknown_reason;    // "configuration budget reached", ...
    std::size_t operations = 0;    // encoded ops (completed and optional)
    std::size_t optional_ops = 0;  // ops of unknown outcome
    std::size_t segments = 1;
    // Configurations the searches deciding the verdict explored: what
    // configs_max counts (at most one more than it was given). Explaining a
    // failure is not counted.
    std::uint64_t configs = 0;
    std::size_t peak_bytes = 0;  // largest single search, explanations included
    bool decided_by_precheck = false;
};

struct LinearizabilityResult {
    // Of a keyed history: not linearizable if any key is (an anomaly found is
    // definite whatever the other keys say), else unknown if any key is, else
    // linearizable.
    Verdict verdict = Verdict::valid;
    std::string unknown_reason;
    std::size_t operations = 0;               // client operations in the history
    std::size_t checked_ops = 0;              // operations the model constrains (after drops)
    std::vector<PartitionResult> partitions;  // in key order
    std::optional<Counterexample> counterexample;
    std::uint64_t configs = 0;   // the partitions' sum
    std::size_t peak_bytes = 0;  // largest single search's memory
    Nanos elapsed = 0;           // wall time: reported, never a budget
};

Result<LinearizabilityResult> check_linearizability(const History& history, const LinearizabilityOptions& options);

Json linearizability_result_to_json(const LinearizabilityResult& result);

}  // namespace faultline::check
