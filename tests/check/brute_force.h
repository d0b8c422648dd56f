// A reference linearizability checker for tiny histories, for tests only: it
// tries every order of the operations that real time allows, and shares
// nothing with src/check but the History type and the model's name.
//
//   auto valid = brute_force_linearizable(history, {.model = ModelKind::kv_append});
//   if (!valid) ...   // malformed, or too many operations for brute force
//   *valid            // true: some order works
//
// Its own pairing (a process runs one op at a time; the next completion from
// the same process ends it; no completion means unknown), its own reading of
// every model's operations and its own sequential specification of each model,
// written from the semantics documented in models/model.h and the model
// headers rather than from their code:
//   ok    must take effect exactly once, between invocation and completion;
//   info  (or no completion) may take effect at any instant after invocation,
//         or never; an unknown read constrains nothing;
//   fail  did not happen (Jepsen etcd logs: a cas that returned false).
// A depth-first search over "which op goes next": any unplaced op invoked
// before every unplaced completed op's completion, that the model accepts.
// Success when every completed op is placed. The only shortcut: a (placed
// set, state) pair that failed once fails again, which changes no verdict.
// Keyed models keep one map of every key's state (no splitting by key).
//
// At most kMaxBruteForceOps operations, and few of them concurrent: the work
// grows with the orders of the concurrent ones (a sequential stretch costs one
// step per op), so a 100-op history whose ten concurrent ops sit between long
// sequential runs is cheap, ten ops all concurrent with each other are not.
#pragma once

#include <cstddef>

#include "base/json.h"
#include "base/result.h"
#include "check/history.h"
#include "check/models/model.h"

namespace faultline::check::testing {

struct BruteForceOptions {
    models::ModelKind model = models::ModelKind::cas_register;
    Json initial;  // null: the model's default, as in LinearizabilityOptions
    models::Semantics semantics;
};

inline constexpr std::size_t kMaxBruteForceOps = 256;

Result<bool> brute_force_linearizable(const History& history, const BruteForceOptions& options);

}  // namespace faultline::check::testing
