// Charts as SVG, drawn here rather than in the browser: latency and
// throughput over time, histograms and scatter plots. Each is bounded in
// size whatever the run's length: points that would land on the same pixel
// are drawn once, and rates are counted in a fixed number of buckets.
#pragma once

#include <string>
#include <vector>

#include "report/diagram.h"
#include "report/run_data.h"

namespace faultline::report {

// Each operation's latency (invocation to completion, log scale) at the time
// it was invoked, coloured by outcome, with the fault periods shaded.
std::string latency_chart(const RunData& run, int width = 900, int height = 260);

// Completions per second over time by outcome, with the fault periods shaded.
std::string throughput_chart(const RunData& run, int width = 900, int height = 220);

// The faults of a run's nemesis over time: a row per node, and one for the
// faults that hit the whole network, each fault a bar coloured by its kind and
// titled with what it did. Faults of one row that overlap in time are drawn in
// lanes of their own within the row (which grows), so that no bar hides
// another. Drawn for real runs, which have no diagram to carry their faults.
std::string nemesis_timeline_chart(const RunData& run, int width = 900);

struct HistogramSeries {
    std::string name;
    std::string colour;
    std::vector<double> counts;  // one per bin
};

// Bars per bin, the series side by side; `edges` has one more entry than bins.
std::string histogram_chart(const std::string& title, const std::string& x_label, const std::vector<double>& edges,
                            const std::vector<HistogramSeries>& series, int width = 640, int height = 240);

struct ScatterPoint {
    double x = 0;
    double y = 0;
    std::string label;
    std::string colour;
    std::string series;  // points of one series are joined by a line, in order of x
};

// Points with labels on linear axes (the failure detectors' trade-off).
std::string scatter_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                          const std::vector<ScatterPoint>& points, int width = 640, int height = 320);

}  // namespace faultline::report
