// The checker against the brute force (brute_force.h) on one small history:
// every checker mode (lin_modes.h) must give the brute force's verdict. Used by
// the property test and its long slow run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/json.h"
#include "base/prng.h"
#include "check/history.h"
#include "check/models/model.h"
#include "object_histories.h"

namespace faultline::check::testing {

struct OracleCase {
    models::ModelKind model = models::ModelKind::cas_register;
    Json initial;
    models::Semantics semantics;
    History history;
};

// Why the checker and the brute force disagree on `c` (the mode, both
// verdicts, the history as history.jsonl), or nullopt if they agree. `valid`,
// if given, receives the brute force's verdict.
std::optional<std::string> disagreement(const OracleCase& c, bool* valid = nullptr);

// `c` with operations removed one at a time while the disagreement stays:
// what is left is a small history every op of which matters.
OracleCase shrink_disagreement(OracleCase c);

// A random small case (at most `max_ops` operations) of `model`, drawn from
// `prng`: a simulated object's history, sometimes with a bug or a corrupted
// value, sometimes with ops of unknown outcome (never if !with_info), with
// random semantics flags and now and then a non-default initial value.
OracleCase random_small_case(models::ModelKind model, Prng& prng, std::size_t max_ops, bool with_info);

// A random case long enough for the modes that cut at quiescent points from
// the first op (lin_modes.h) to cut it, yet cheap for the brute force: 20 to
// 34 sequential ops, a concurrent core of 2 to 8 (at most two of unknown
// outcome), then 30 to 60 sequential ops, so the first cut (segments hold at
// least 32 ops) falls near the core, where a state carried across it matters
// most.
OracleCase random_segmented_case(models::ModelKind model, Prng& prng, bool with_info);

// Every model the checker supports.
inline constexpr models::ModelKind kAllModels[] = {
    models::ModelKind::register_rw, models::ModelKind::cas_register,
    models::ModelKind::kv,          models::ModelKind::multi_register,
    models::ModelKind::kv_append,   models::ModelKind::mutex,
    models::ModelKind::set,         models::ModelKind::fifo_queue,
    models::ModelKind::counter,
};

}  // namespace faultline::check::testing
