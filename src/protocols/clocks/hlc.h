// Hybrid logical clocks (Kulkarni, Demirbas et al., OPODIS 2014).
//
// A timestamp is (l, c): l is the largest physical time the node has seen,
// its own or in a message; c counts events that share that l. Timestamps
// respect causality (e -> f implies ts(e) < ts(f)) like Lamport clocks, stay
// within the clock skew of physical time (l - pt <= epsilon), and never go
// backwards, even when the physical clock is stepped back.
//
// Sans-IO: the caller passes its physical time (ctx.now()) on every event.
#pragma once

#include <compare>
#include <cstdint>

#include "base/time.h"

namespace faultline::protocols::clocks {

struct HlcTimestamp {
    Nanos l = 0;
    std::uint32_t c = 0;
    auto operator<=>(const HlcTimestamp&) const = default;
};

class HybridLogicalClock {
  public:
    // A local event or a send: a timestamp greater than every one before.
    HlcTimestamp tick(Nanos physical);
    // A receive of `remote`: a timestamp greater than it and than every one before.
    HlcTimestamp receive(Nanos physical, HlcTimestamp remote);
    HlcTimestamp last() const { return last_; }

  private:
    HlcTimestamp last_;
};

}  // namespace faultline::protocols::clocks
