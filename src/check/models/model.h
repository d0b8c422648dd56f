// What every model of the linearizability checker provides, and the vocabulary
// shared by models and the search.
//
// A model is a small value type describing one sequential object: a register, a
// queue, a mutex. It provides
//   State                      a value type with operator== (and M::hash(State));
//   Op                         the compact form of one operation (its input and,
//                              for completed operations, its output);
//   initial()                  the state before the history starts;
//   read_only(op)              true if op changes no state, whatever the state
//                              (reads): the search linearizes such ops eagerly;
//   step(state, op, next)      true if `op` is legal in `state`, writing the
//                              successor state to `next`; pure and deterministic;
//   encode(view)               turns one paired history operation into an Op, or
//                              drops it (it constrains nothing), or rejects it with
//                              a message naming what is wrong;
//   describe_op / describe_state / explain(state, op)
//                              words for counterexamples ("can't read 3 from
//                              register 0").
// Optionally, impossible(ops) finds operations no linearization can explain
// without any search (a read of a value nobody wrote), and useless(ops) marks
// optional operations that can never help (a crashed write of a value nobody
// reads): whether they happened changes no completed operation's legality
// except for the worse, so the search leaves them out. Each unknown-outcome op
// the search must consider multiplies its work.
//
// Optionally, a model whose states only grow, except under "reset" ops, says so
// (kv-append: appends extend the string, put resets it; set: adds only grow it),
// which lets the search drop a configuration as soon as a pending read can no
// longer be satisfied:
//   group_count()              how many independent parts of the state there are
//                              (one; MapModel: one per key);
//   group(op)                  the part op reads or changes;
//   resets(op)                 true if op may move its part out of the order
//                              of growth (a put);
//   may_reach(state, read)     false only if no sequence of non-reset ops from
//                              `state` can make the read-only op `read` legal;
//   reset_may_reach(reset, read)  false only if no sequence of non-reset ops
//                              after `reset` (from any state) makes `read` legal;
// and, optionally, a canonical "unobservable" value for a part of the state that
// no pending read can observe any more (kv-append: a string that is a prefix of
// no pending get's value). All such values behave alike until a reset, so the
// search merges them:
//   unobservable(state, group)     `state` with that part made unobservable;
//   is_unobservable(state, group).
//
// Semantics every model shares (checkers.md §4): an operation that completed
// `ok` must take effect exactly once, between its invocation and its completion.
// One whose outcome is unknown (`info`, or no completion at all) may take effect
// at any instant after its invocation, or never: it is optional, never required.
// A `fail` definitely did not happen and is dropped, except where a format says
// otherwise (Semantics below). An unknown read constrains nothing and is dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/result.h"
#include "check/models/value_table.h"

namespace faultline::check::models {

// How a history's file format encodes outcomes that formats disagree on.
struct Semantics {
    // Knossos: a read that completes with nil observed nothing (value unknown),
    // because invocations carry nil and only the completion fills the value in.
    // Otherwise nil is a value read like any other (the key was absent).
    bool nil_read_is_unknown = false;
    // Jepsen etcd logs: `:fail :cas` is a compare-and-set that took effect and
    // returned false (the register did not hold the expected value), not one that
    // definitely did not happen.
    bool failed_cas_returned_false = false;
    // Order events by their `time` field (stably: equal times keep the history's
    // order) rather than by their position in the history. Jepsen's EDN files
    // are in real-time order but their :time fields come from different threads'
    // clocks and can run backwards, so Knossos ignores them; faultline's own
    // histories carry exact simulated times.
    bool order_by_time = false;
    // Maelstrom's lin-kv error codes (faultline's own histories): a read or cas
    // that fails with 20 (key does not exist) observed the key absent, a read
    // of nil; a cas that fails with 22 (precondition failed) took effect and
    // found another value, a cas that returned false. Other failures are
    // definite non-events.
    bool maelstrom_error_codes = false;
};

// How faultline's own histories (a run's, and history.jsonl) are read: by their
// exact simulated times, with Maelstrom's error codes. A run and `faultline
// check` on its history.jsonl use this one definition, so they agree.
inline Semantics faultline_history_semantics() {
    Semantics semantics;
    semantics.order_by_time = true;
    semantics.maelstrom_error_codes = true;
    return semantics;
}

// Maelstrom's error codes that carry an observation (see Semantics).
inline constexpr int maelstrom_key_does_not_exist = 20;
inline constexpr int maelstrom_precondition_failed = 22;

enum class Completion : std::uint8_t { ok, fail, unknown };

// One client operation as a model sees it while encoding: the invocation paired
// with its completion.
struct OpView {
    std::string_view f;
    const Json& key;  // null for single-object histories
    const Json& invoke_value;
    const Json& complete_value;  // null when there is no completion
    Completion completion;
    const Json& error;
    const Semantics& semantics;

    // The value the operation carries. For a completed op it is the completion's
    // (reads are invoked with nil and complete with what they read); otherwise
    // the invocation's.
    const Json& value() const { return completion == Completion::ok ? complete_value : invoke_value; }
};

template <class Op>
struct Encoded {
    Op op;
    bool required;  // completed: must be linearized; unknown outcome: optional
};

// An encoded op, nothing (the op constrains nothing and is left out), or an
// error message about the input.
template <class Op>
using EncodeResult = Result<std::optional<Encoded<Op>>>;

template <class Op>
EncodeResult<Op> drop() {
    return std::optional<Encoded<Op>>();
}

template <class Op>
EncodeResult<Op> keep(Op op, bool required) {
    return std::optional<Encoded<Op>>(Encoded<Op>{std::move(op), required});
}

inline constexpr std::uint32_t kNoGroup = 0xffffffffu;

inline Error encode_error(std::string message) {
    return make_error(ErrorCode::parse_error, std::move(message));
}

// The names of the models `faultline check --model` accepts.
enum class ModelKind : std::uint8_t {
    register_rw,     // register: read, write
    cas_register,    // cas-register: read, write, cas (Knossos semantics)
    kv,              // kv: a cas-register per key (faultline's lin-kv workload)
    multi_register,  // multi-register: Knossos :txn of [:read k v] / [:write k v]
    kv_append,       // kv-append: Porcupine's get/put/append on string values
    mutex,           // mutex: acquire, release
    set,             // set: add, read (the whole set)
    fifo_queue,      // fifo-queue: enqueue, dequeue
    counter,         // counter: add, read
};

Result<ModelKind> parse_model_kind(std::string_view name);
const char* model_kind_name(ModelKind kind);
// One line per model: name and operations, for --help.
std::string describe_model_kinds();

}  // namespace faultline::check::models
