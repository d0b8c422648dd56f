// The space-time diagram of a run, as a page embeds it: an element that
// assets/diagram.js turns into the drawing, and the run's lanes, messages,
// operations, faults and roles as compact data beside it.
//
// Arrows and operations are columns of varints in base64 (times as deltas in
// nanoseconds, sorted by send or invocation time): about 13 bytes a message,
// so a run of a million messages embeds in about 14 MB, and the script draws
// only the window in view.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/time.h"
#include "report/run_data.h"

namespace faultline::report {

// A fault of the run's schedule as drawn: over [from, to), on some lanes (none: the whole network).
struct FaultBand {
    Nanos from = 0;
    Nanos to = 0;
    std::string label;
    std::vector<int> lanes;
};

std::vector<FaultBand> fault_bands(const RunData& run);

// The window a diagram opens on: around the first anomaly, or the start.
std::pair<Nanos, Nanos> focus_window(const RunData& run);

// The history indexes of the operations a failed check names (its counterexample).
std::vector<std::int64_t> anomaly_op_indexes(const Json& results);

struct DiagramOptions {
    std::string id = "diagram";                    // unique within the page
    std::string sync;                              // diagrams with the same non-empty sync move together
    std::optional<std::pair<Nanos, Nanos>> focus;  // default: focus_window(run)
};

// The diagram's element and its data, for a page that includes kDiagramScript.
std::string diagram_html(const RunData& run, const DiagramOptions& options = {});

// Its data alone (the JSON the script reads).
Json diagram_data(const RunData& run, const std::pair<Nanos, Nanos>& focus);

}  // namespace faultline::report
