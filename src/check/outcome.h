// Outcome: what every check returns, and the one verdict vocabulary.
//
// A check is a function in check/ that reads what a run recorded (the history,
// a timeline) and returns an Outcome: a verdict, one line (or a few) for the
// terminal, details as JSON for results.json and the report, and, when it
// failed, when the failure was complete (the shrinker cuts the run there).
// Linearizability, the invariants, delivery, availability, liveness, latency
// and the failure detectors' quality of service all answer in this form.
#pragma once

#include <optional>
#include <string>

#include "base/json.h"
#include "base/time.h"

namespace faultline::check {

// valid: the property held. invalid: it did not, with a counterexample.
// unknown: the check could not decide (a budget ran out, nothing to judge).
enum class Verdict { valid, invalid, unknown };
const char* verdict_name(Verdict verdict);
// The verdict of several checks together: invalid beats unknown beats valid.
Verdict combine(Verdict a, Verdict b);

struct Outcome {
    std::string name;  // "linearizability", "availability", "election-safety"
    Verdict verdict = Verdict::valid;
    std::string summary;  // for the terminal
    Json details;         // for results.json and the report
    // When the failure was complete (the last operation involved returned, or
    // the invariant broke). What happens after cannot matter: the shrinker cuts there.
    std::optional<Nanos> failed_at;
};

}  // namespace faultline::check
