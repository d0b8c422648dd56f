// Counterexample: why a partition of a history is not linearizable, in words
// and as data for the HTML report.
//
// Its parts, following Knossos' analysis (checkers.md §2, §4.7):
//   - key: the partition (the key, for keyed histories) that failed;
//   - the longest linearizable prefix: how many of the partition's completed
//     operations, in order of completion, some linearization covers, the last
//     of them (`previous_ok`), and one such linearization (its tail, with the
//     state after each step);
//   - `op`: the first completed operation, in order of completion, that no
//     linearization of everything completed before it can include;
//   - `pending` and `final_paths`, as Knossos reports them: the ops concurrent
//     with `op` that the longest linearizations left pending, and from each
//     state those can end in (`prefix_states`) the orders of pending ops that
//     were tried, each ending in an illegal step (deduplicated by the state
//     they reach). For monotone models (kv-append) a path may instead end at a
//     pending read the search proved can never be satisfied from there.
//   - the window: the smallest set of concurrent operations that cannot be
//     ordered. Starting from `window_start_state` (the state of the longest
//     linearization just before its first op that does not precede the failing
//     op in real time), the sub-history made of exactly the window's ops (ops
//     completing after `window_op` count as of unknown outcome: they need not
//     have taken effect) is not linearizable, and, when `window_minimal`,
//     removing any one member makes it linearizable (checked by search).
//     `window_op` is the member that fails: `op`, or, when the search stopped
//     at a read it proved doomed, that read. `window_paths` lists every order
//     of the window from its start state that respects real time, each ending
//     in the step that cannot be taken (deduplicated by the state it reaches).
//   - `reason`: set when a pre-check found `op` impossible without search
//     ("read 7, a value no operation wrote").
// Ops are referenced by position in `ops`, whose entries carry the history
// indexes of their invocation and completion, process, f, value and times.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/time.h"
#include "check/history.h"

namespace faultline::check {

struct CounterexampleOp {
    std::int64_t index = 0;         // history index of the completion (of the invoke if none)
    std::int64_t invoke_index = 0;  // history index of the invocation
    std::int64_t process = 0;
    std::string f;
    Json value;
    OpType type = OpType::ok;  // how it completed (info also for "never completed")
    bool completed = true;     // false if the history ends before its completion
    Nanos invoke_time = 0;
    Nanos complete_time = 0;
    std::string description;  // in the model's words: "cas 1->2"
};

struct CounterexampleStep {
    std::optional<std::size_t> op;  // position in Counterexample::ops; none: the start
    std::string state;              // the state after the step (empty if illegal)
    std::string error;              // why the step is illegal (empty if legal)
};

struct Counterexample {
    Json key;                      // null for a single-object history
    std::size_t required_ops = 0;  // completed ops in the partition
    std::size_t linearized_prefix = 0;
    std::vector<CounterexampleOp> ops;
    std::optional<std::size_t> op;           // the op that cannot be linearized
    std::optional<std::size_t> previous_ok;  // the last op of the longest prefix
    std::string reason;                      // pre-check's reason, if any
    std::vector<std::size_t> pending;        // concurrent ops left pending
    std::vector<std::string> prefix_states;  // states the longest prefixes end in
    std::vector<std::vector<CounterexampleStep>> final_paths;
    std::vector<std::size_t> window;  // the smallest set that cannot be ordered
    std::optional<std::size_t> window_op;
    std::string window_start_state;
    std::optional<std::size_t> window_start_after;  // the op the start state follows
    bool window_minimal = false;
    std::vector<std::vector<CounterexampleStep>> window_paths;
    std::string start_state;                        // state the linearization below starts from
    std::vector<CounterexampleStep> linearization;  // tail of one longest linearization
    std::size_t linearization_omitted = 0;          // its steps left out before the tail
    bool truncated = false;                         // some paths/configurations were left out

    Json to_json() const;
    // Several lines, indented by `indent`, for the terminal.
    std::string to_text(const std::string& indent = "  ") const;
};

}  // namespace faultline::check
