// Lamport clocks (Lamport 1978): a counter that ticks on every event and, on a
// receive, first jumps past the time the message carries. Then a happens
// before b implies L(a) < L(b) (the clock condition); the converse does not
// hold, and (L, node) orders all events totally, consistently with causality.
#pragma once

#include <algorithm>
#include <cstdint>

namespace faultline::protocols::clocks {

class LamportClock {
  public:
    // A local event or a send: the event's time (the time a message carries).
    std::uint64_t tick() { return ++time_; }
    // A receive of a message stamped `sent`.
    std::uint64_t receive(std::uint64_t sent) {
        time_ = std::max(time_, sent) + 1;
        return time_;
    }
    // The broken rule (--bug no-max-on-receive): the message's time ignored.
    std::uint64_t receive_without_max() { return ++time_; }

    std::uint64_t now() const { return time_; }

  private:
    std::uint64_t time_ = 0;
};

}  // namespace faultline::protocols::clocks
