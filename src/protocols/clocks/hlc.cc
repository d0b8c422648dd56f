#include "protocols/clocks/hlc.h"

#include <algorithm>

#include "base/assert.h"

namespace faultline::protocols::clocks {

HlcTimestamp HybridLogicalClock::tick(Nanos physical) {
    const HlcTimestamp before = last_;
    last_.l = std::max(before.l, physical);
    last_.c = last_.l == before.l ? before.c + 1 : 0;
    FL_ASSERT(before < last_);
    return last_;
}

HlcTimestamp HybridLogicalClock::receive(Nanos physical, HlcTimestamp remote) {
    const HlcTimestamp before = last_;
    last_.l = std::max({before.l, remote.l, physical});
    if (last_.l == before.l && last_.l == remote.l) {
        last_.c = std::max(before.c, remote.c) + 1;
    } else if (last_.l == before.l) {
        last_.c = before.c + 1;
    } else if (last_.l == remote.l) {
        last_.c = remote.c + 1;
    } else {
        last_.c = 0;
    }
    FL_ASSERT(before < last_);
    FL_ASSERT(remote < last_);
    return last_;
}

}  // namespace faultline::protocols::clocks
