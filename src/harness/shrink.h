// Shrinking a failing harness run: the fewest faults, the shortest time, the
// fewest nodes and the lowest rate with which the user's program still fails.
//
// A process run is not replayable bit for bit (the programs' timing is the
// operating system's), so each candidate runs up to `attempts` times with the
// run's seed, and counts as failing if any attempt fails one of the checks the
// original failed. Steps, each kept only if the candidate still fails: no
// faults at all, else each fault left out in turn; the time limit halved
// (down to one second); one node fewer (down to one); the rate halved (down to
// one operation per second). The budget counts runs, never seconds.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "harness/harness.h"
#include "nemesis/schedule.h"

namespace faultline::harness {

struct HarnessShrinkOptions {
    int runs_max = 60;
    int attempts = 3;
    std::string scratch;  // a folder for the candidates' runs and schedules
    std::function<void(const std::string&)> progress;
};

struct HarnessShrinkResult {
    HarnessConfig config;  // the smallest failing config (its schedule_file in `scratch`)
    nemesis::Schedule schedule;
    std::vector<std::string> failing;  // the checks it still fails
    std::size_t faults_before = 0;
    int runs = 0;
    bool budget_exhausted = false;
};

// The checks a run failed (invalid).
std::vector<std::string> failing_checks(const HarnessResult& result);

Result<HarnessShrinkResult> shrink_harness(const HarnessConfig& config, const std::vector<std::string>& failing,
                                           const HarnessShrinkOptions& options);

}  // namespace faultline::harness
