// `faultline fd`: the failure detectors' trade-off, measured.
//
// One detector parameter is swept (a timeout, phi's threshold, SWIM's probe
// interval); each setting runs on the same seeds, and each seed draws the same
// faults for every setting: pauses of the watched node (uniform in [200ms,
// pause_max], `pauses_per_hour` of them on average) and crashes of it
// (`crash_duration` each), at exponential intervals, over a network of the
// chosen latency and loss. Per setting it reports
//   detection time     mean, over the crashes detected, from the crash to the
//                      suspicion that held (SWIM: to each member's declaring
//                      it dead; the mean over members)
//   false suspicions   per hour of the watched node's up time (SWIM: deaths
//                      of the live node declared, one per incarnation)
//   messages           per second: the monitor's link (heartbeat, ping,
//                      phi), or per member (SWIM, which watches all N-1 peers
//                      for that price)
// and the knee: normalise both axes of the curve (false suspicions, detection
// time) to [0, 1] over their range, and take the setting farthest from the
// chord between the curve's two ends (the "Kneedle" idea, Satopaa et al.
// 2011). Before it, detection gets much faster for few extra mistakes; after
// it, the reverse. With fewer than three distinct points there is no knee.
//
// `compare` runs heartbeat, ping, phi and SWIM each at its defaults on the
// same faults instead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "base/time.h"
#include "runner/run_config.h"

namespace faultline::runner {

struct FdOptions {
    std::string detector = "phi";  // heartbeat, ping, phi, swim
    std::string param = "threshold";
    std::string values = "1..16";  // "A..B" (20 settings, or "A..B/K" for K), or "a,b,c"
    std::uint64_t first_seed = 1;
    std::uint64_t last_seed = 20;
    int jobs = 1;
    int nodes = 8;  // swim only
    std::string latency = "lognormal:20ms,0.8";
    double loss = 0.01;
    std::string nemesis = "pause,kill";  // which of the two faults strike
    Nanos time_limit = seconds(3600);
    double pauses_per_hour = 12;
    Nanos pause_max = seconds(8);
    double crashes_per_hour = 4;
    Nanos crash_duration = seconds(60);
    bool compare = false;
};

struct FdPoint {
    std::string setting;  // as given: "8", "500ms"
    double detection_s = 0;
    double false_per_hour = 0;
    double msgs_per_second = 0;
    std::uint64_t detected = 0;  // crashes detected over all seeds
    std::uint64_t missed = 0;    // crashes never detected while they lasted
    std::uint64_t runs = 0;
};

struct FdCurve {
    std::string detector;
    std::string param;  // "" when comparing defaults
    std::vector<FdPoint> points;
    int knee = -1;  // index into points, -1: none
};

struct FdResult {
    FdOptions options;
    std::vector<FdCurve> curves;
    std::uint64_t runs = 0;
    double wall_seconds = 0;
    Json to_json() const;
};

// The parameters each detector offers to sweep.
std::vector<std::string> fd_params(const std::string& detector);
// The settings `values` names for a parameter (each checked against the
// detector's declared range when the runs are configured).
Result<std::vector<std::string>> fd_settings(const std::string& values);
// The knee of a curve of (x, y) points in sweep order; -1 when there is none.
int fd_knee(const std::vector<std::pair<double, double>>& points);
// The fault schedule of one seed (node 0 is the watched node).
Json fd_schedule(const FdOptions& options, std::uint64_t seed);
// The config of one setting; an error names what is wrong with it.
Result<RunConfig> fd_config(const FdOptions& options, const std::string& detector, const std::string& setting);

Result<FdResult> run_fd(const FdOptions& options);

}  // namespace faultline::runner
