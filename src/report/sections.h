// The parts of a run's page, each a piece of HTML: the summary, the
// explanation of each failed check (a linearizability counterexample on its
// key's timeline, an invariant's broken step, a transaction cycle), and the
// failure detectors' trade-off points.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "report/charts.h"
#include "report/run_data.h"

namespace faultline::report {

// System, seed, repro command, verdicts, operations, latency quantiles,
// availability, messages and bytes per operation, and the faults injected.
std::string summary_section(const RunData& run);

// One section per failed check, explaining it; empty for a valid run.
std::string anomaly_sections(const RunData& run);

// The counterexample of a linearizability check in words: which operation
// cannot be placed, and what completed before it began.
std::string explain_counterexample(const Json& counterexample);

// The Porcupine-style timeline of a counterexample: its key's operations,
// one row per process, numbered in the order of the longest linearization,
// the one that cannot be placed in red.
std::string counterexample_timeline(const Json& counterexample, int width = 900);

// A transaction anomaly's cycle, drawn: transactions on a ring, edges by kind.
// `names` are the transactions' names in cycle order (default: their ids).
std::string cycle_chart(const Json& cycle, const std::vector<std::string>& names = {}, int size = 240);

// Each failure detector of the run as a point: false suspicions per hour
// against the mean time to detect a crash (none if the run has no detectors).
std::vector<ScatterPoint> detector_points(const RunData& run, const std::string& label);
// A clock-sync run's exchanges over time: each estimate's error (blue) and
// its bound, half the round trip (red), in milliseconds; empty for other runs.
std::vector<ScatterPoint> sync_error_points(const RunData& run);

}  // namespace faultline::report
