// The failure detectors' quality of service, measured against the ground truth
// (Chen, Toueg and Aguilera, "On the quality of service of failure detectors"):
// a suspicion raised while the watched node is up (running or paused) is a
// mistake; its duration is T_M; mistakes per hour of up time is lambda_M; P_A
// is the share of up time the detector trusted the node; T_D is the time from
// a crash to the suspicion that lasts.
//   accuracy   every detector's mistakes per hour <= false_suspicions_per_hour_max
//   detection  every detector's T_D <= detection_time_max for every crash
//              (a crash shorter than that bound and never suspected is no failure)
// Their summaries also give each detector's message cost, for comparisons.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/time.h"
#include "check/outcome.h"

namespace faultline::check {

// One change of a detector's mind, stamped with true time.
struct SuspicionChange {
    Nanos at = 0;
    bool suspected = false;
};

// When the watched node was down: [from, to).
struct Interval {
    Nanos from = 0;
    Nanos to = 0;
};

struct DetectorRecord {
    std::string name;                       // "phi"
    std::vector<SuspicionChange> timeline;  // in time order
    std::uint64_t messages = 0;             // what watching cost
};

struct DetectorBounds {
    double false_suspicions_per_hour_max = 10;
    Nanos detection_time_max = seconds(10);
};

// The "accuracy" and "detection" outcomes of every detector over [0, end).
std::vector<Outcome> check_detectors(const std::vector<DetectorRecord>& detectors, const std::vector<Interval>& downs,
                                     Nanos end, const DetectorBounds& bounds);

// What one node believes of one peer at the end of a run, and the truth.
struct PeerView {
    std::string node;
    std::string peer;
    bool suspected = false;
    bool down = false;
};

// "detector-final-view": every live node suspects exactly the peers that are
// down. `suspicions_raised` along the way is reported (the accuracy cost of
// the timeout), not judged.
Outcome check_final_view(const std::vector<PeerView>& views, std::int64_t suspicions_raised);

}  // namespace faultline::check
