// Checks of physical clocks against true time (the simulator's god's view):
// clock synchronisation, and TrueTime's commit wait.
//
//   offset-bound         every sync exchange's offset estimate is within d/2
//                        of the true offset, d its measured round trip (plus
//                        what the clocks drift during the exchange). Cristian's
//                        and NTP's estimates keep it whatever the latencies;
//                        one that ignores the trip back does not
//   clock-accuracy       each exchange leaves the client within
//                        sync_error_max of the reference once its decision is
//                        applied (a panic applies nothing). Asymmetric
//                        latency makes a symmetric estimate miss by up to d/2
//   external-consistency if commit T1 answered before T2 started (true time),
//                        T1's timestamp is below T2's (Spanner's guarantee)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/time.h"
#include "check/outcome.h"

namespace faultline::check {

// One sync exchange, as the simulator saw it.
struct SyncRecord {
    Nanos at = 0;  // true time of the reply's arrival
    std::string client;
    Nanos delay = 0;        // the measured round trip d
    Nanos estimate = 0;     // the client's offset estimate
    Nanos true_offset = 0;  // reference clock minus the client's corrected clock, at that instant
    Nanos applied = 0;      // what the client's decision applies (0 for a panic)
    std::string decision;   // slew, step, panic
};

struct SyncBounds {
    Nanos sync_error_max = milliseconds(10);
    // The slack of the d/2 bound: what the clocks drift, and a slew feeds in,
    // while an exchange is in flight.
    double drift_ppm_max = 200;
    double slew_ppm_max = 500;
};

// "offset-bound" and "clock-accuracy", with a series of (t, error, d/2) for plots.
std::vector<Outcome> check_sync(const std::vector<SyncRecord>& records, const SyncBounds& bounds);

// One commit: when (true time) its transaction started and was answered, and
// its timestamp.
struct CommitRecord {
    Nanos started = 0;
    Nanos answered = 0;
    Nanos timestamp = 0;
    std::string shard;
};

// "external-consistency" over commits in the order they started.
Outcome check_external_consistency(const std::vector<CommitRecord>& commits);

}  // namespace faultline::check
