// The linearizability check as an Outcome: the verdict, the counterexample in
// words, and, when it failed, when the operations it involves had all returned.
#pragma once

#include "check/linearizability/checker.h"
#include "check/outcome.h"

namespace faultline::check {

Outcome outcome_of(const LinearizabilityResult& result);

// Checks `history` and returns the outcome (unknown, with the reason, if the
// history cannot be checked).
Outcome linearizability_check(const History& history, const LinearizabilityOptions& options);

}  // namespace faultline::check
