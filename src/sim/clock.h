// A node's physical clock in the simulator.
//
// local(t) = anchor_local + (t - anchor_true) * (1 + drift), piecewise linear in
// true time t. Changing the drift re-anchors at the current time so the clock
// stays continuous; a step jumps it (forward or backward) at once. A node sees
// only local(); true time is the simulator's secret.
//
// Drift is held in parts per billion as an integer so readings are exact and
// identical on every machine.
#pragma once

#include <cstdint>

#include "base/assert.h"
#include "base/time.h"
#include "base/types.h"

namespace faultline::sim {

class NodeClock {
  public:
    Nanos local(Nanos true_time) const {
        const Nanos elapsed = true_time - anchor_true_;
        const auto skew = static_cast<Nanos>(static_cast<Int128>(elapsed) * drift_ppb_ / 1'000'000'000);
        return anchor_local_ + elapsed + skew;
    }

    // The true duration after which this clock has advanced by at least
    // `local_duration`. Rounded up: rounding down let a fast clock's 1 ns timer
    // take 0 true ns, and a node re-arming "until my deadline" spun forever at
    // one instant.
    Nanos true_duration(Nanos local_duration) const {
        FL_ASSERT_GE(local_duration, 0);
        const Int128 rate = 1'000'000'000 + drift_ppb_;
        const auto duration =
            static_cast<Nanos>((static_cast<Int128>(local_duration) * 1'000'000'000 + rate - 1) / rate);
        FL_ASSERT(local_duration == 0 || duration > 0);
        return duration;
    }

    void set_drift_ppm(Nanos true_now, double ppm) {
        // Beyond +-50% a "clock" is broken hardware, not drift; time must still move forward.
        FL_ASSERT(ppm > -5e5 && ppm < 5e5);
        reanchor(true_now);
        drift_ppb_ = static_cast<std::int64_t>(ppm * 1000.0);
    }
    // Sets the offset local - true at this instant.
    void set_offset(Nanos true_now, Nanos offset) {
        reanchor(true_now);
        anchor_local_ = true_now + offset;
    }
    void step(Nanos true_now, Nanos delta) {
        reanchor(true_now);
        anchor_local_ += delta;
    }

    double drift_ppm() const { return static_cast<double>(drift_ppb_) / 1000.0; }
    Nanos offset(Nanos true_now) const { return local(true_now) - true_now; }

  private:
    void reanchor(Nanos true_now) {
        anchor_local_ = local(true_now);
        anchor_true_ = true_now;
    }

    Nanos anchor_true_ = 0;
    Nanos anchor_local_ = 0;
    std::int64_t drift_ppb_ = 0;
};

}  // namespace faultline::sim
