// The monotonic clock of real mode, in nanoseconds: what a real node reads as
// its own clock and what a real test stamps its history with. Never the
// simulator's: nothing here is replayable.
#pragma once

#include <chrono>

#include "base/time.h"

namespace faultline::realtime {

inline Nanos monotonic_now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace faultline::realtime
