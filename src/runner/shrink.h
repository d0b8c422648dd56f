// Shrinking: cutting a failing run down to the little that still fails.
//
// Given a failing run (its config, with the schedule it actually ran), the
// shrinker looks for a smaller run that fails the same way: the same check (or
// checks) invalid. It works on the run as data, re-running each candidate
// deterministically:
//   1. the faults: delta debugging (ddmin) over the schedule, then each fault's
//      duration halved while it still fails;
//   2. the client operations: no recovery window (unless availability is what
//      fails), the time limit cut to the shortest that still fails, the faults
//      moved earlier with the run shortened to match, fewer clients, a lower rate.
// Each subsystem keeps its own random stream, so removing a fault does not
// reshuffle the clients' operations: what remains is the same run, minus.
// A budget of candidate runs bounds the search; the result is the smallest
// failing run found so far. Runs, not wall time: each run is deterministic, so
// the same failing run always shrinks to the same result, on any machine
// under any load.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runner/run.h"

namespace faultline::runner {

struct ShrinkOptions {
    int runs_max = 3000;
    // Progress lines for the terminal ("faults 18 -> 9").
    std::function<void(const std::string&)> progress;
};

struct ShrinkResult {
    RunConfig config;                  // the smallest failing config found
    RunResult result;                  // its run
    std::vector<std::string> failing;  // the checks it fails, as the original did
    std::size_t faults_before = 0;
    std::size_t faults_after = 0;
    std::int64_t operations_before = 0;
    std::int64_t operations_after = 0;
    int runs = 0;
    double wall_seconds = 0;  // reported only
    bool budget_exhausted = false;
};

// The checks a failing run fails; the shrinker keeps exactly these failing.
std::vector<std::string> failing_checks(const RunResult& result);

// `original` must be a failing run of `config`. Errors: the original did not fail.
Result<ShrinkResult> shrink(const RunConfig& config, const RunResult& original, const ShrinkOptions& options);

}  // namespace faultline::runner
