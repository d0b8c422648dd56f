// Vector clocks (Fidge, Mattern 1988): one counter per node; a node ticks its
// own entry on every event and, on a receive, first takes the entry-by-entry
// maximum with the vector the message carries. Then a happens before b
// exactly when V(a) < V(b) (no entry greater, one smaller), and incomparable
// vectors are exactly concurrent events.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "base/assert.h"

namespace faultline::protocols::clocks {

class VectorClock {
  public:
    VectorClock(std::size_t nodes, std::size_t self) : entries_(nodes, 0), self_(self) { FL_ASSERT_LT(self, nodes); }

    // A local event or a send: the event's vector (what a message carries).
    const std::vector<std::uint64_t>& tick() {
        ++entries_[self_];
        return entries_;
    }
    const std::vector<std::uint64_t>& receive(const std::vector<std::uint64_t>& sent) {
        FL_ASSERT_EQ(sent.size(), entries_.size());
        for (std::size_t i = 0; i < entries_.size(); ++i) entries_[i] = std::max(entries_[i], sent[i]);
        return tick();
    }
    // The broken rule (--bug no-max-on-receive): the message's vector ignored.
    const std::vector<std::uint64_t>& receive_without_max() { return tick(); }

    const std::vector<std::uint64_t>& now() const { return entries_; }

    // a < b: no entry greater, one smaller.
    static bool less(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
        FL_ASSERT_EQ(a.size(), b.size());
        bool smaller = false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (a[i] > b[i]) return false;
            smaller = smaller || a[i] < b[i];
        }
        return smaller;
    }

  private:
    std::vector<std::uint64_t> entries_;
    std::size_t self_;
};

}  // namespace faultline::protocols::clocks
