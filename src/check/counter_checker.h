// The counter checker (Maelstrom's g-counter and pn-counter, for adds of
// positive deltas): every read must lie between what was certainly added before
// it and what may have been added by its end.
//
// For a read invoked at t0 and completed at t1:
//   lower bound = the sum of adds that completed ok before t0;
//   upper bound = the sum of adds invoked before t1 that did not definitely
//                 fail (ok ones, and info ones, which may have happened).
// A read above the upper bound saw an add applied twice (or one nobody made);
// below the lower bound, it lost an acknowledged add.
//
// The bounds are summed in 128 bits, so adds whose total leaves int64 are
// judged exactly instead of wrapping (a read of a wrapped total is outside the
// bounds, as the counter did overflow). An add whose delta is not an int64
// integer, or a read of something other than one, cannot be judged: `valid` is
// then false and `cannot_check` says why (a verdict of unknown, not invalid).
#pragma once

#include <string>
#include <vector>

#include "check/history.h"
#include "check/outcome.h"

namespace faultline::check {

struct CounterCheckResult {
    bool valid = true;
    std::int64_t reads_checked = 0;
    std::int64_t adds_ok = 0;
    std::int64_t adds_unknown = 0;
    std::vector<std::string> errors;  // one line per bad read, capped
    std::string cannot_check;         // why the history could not be judged ("" if it was)
};

CounterCheckResult check_counter(const History& history);

// The "counter" check's outcome (unknown when the history cannot be checked).
Outcome outcome_of(const CounterCheckResult& result);

}  // namespace faultline::check
