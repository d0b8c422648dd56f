// Hybrid logical clocks keep their invariants under skew and clock steps:
// causality (H1), l >= pt (H2), l - pt bounded by the skew (H3), c small (H4),
// and never backwards (H5). Random message exchanges between four nodes, one
// 100 ms ahead and one stepped back 50 ms halfway.
#include "protocols/clocks/hlc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

#include "base/prng.h"

namespace faultline::protocols::clocks {
namespace {

TEST(Hlc, InvariantsHoldUnderSkewAndAStepBack) {
    constexpr int nodes = 4;
    constexpr Nanos skew = milliseconds(100);
    std::array<Nanos, nodes> offset{0, skew, 0, 0};
    std::array<HybridLogicalClock, nodes> clocks;
    std::array<HlcTimestamp, nodes> last{};
    struct InFlight {
        int to;
        Nanos arrives;
        HlcTimestamp sent;
    };
    std::vector<InFlight> in_flight;
    Prng random(7);
    Nanos true_time = seconds(1);
    for (int step = 0; step < 20000; ++step) {
        true_time += random.between(0, milliseconds(2));
        if (step == 10000) offset[3] -= milliseconds(50);  // a clock stepped back
        const int node = static_cast<int>(random.below(nodes));
        const Nanos physical = true_time + offset[static_cast<std::size_t>(node)];
        HlcTimestamp now;
        auto arrived = std::find_if(in_flight.begin(), in_flight.end(),
                                    [&](const InFlight& m) { return m.to == node && m.arrives <= true_time; });
        if (arrived != in_flight.end()) {
            const HlcTimestamp sent = arrived->sent;
            in_flight.erase(arrived);
            now = clocks[static_cast<std::size_t>(node)].receive(physical, sent);
            EXPECT_LT(sent, now) << "H1: a receive follows its send";
        } else {
            now = clocks[static_cast<std::size_t>(node)].tick(physical);
            const int to = static_cast<int>(random.below(nodes));
            in_flight.push_back(InFlight{to, true_time + random.between(0, milliseconds(20)), now});
        }
        EXPECT_LT(last[static_cast<std::size_t>(node)], now) << "H1/H5: never backwards, even after the step";
        EXPECT_GE(now.l, physical) << "H2";
        // H3: l is some node's physical time, at most the largest offset ahead
        // of true time, plus what the stepped-back clock lost.
        EXPECT_LE(now.l - physical, skew + milliseconds(50)) << "H3";
        EXPECT_LE(now.c, 1000u) << "H4: the counter stays small";
        last[static_cast<std::size_t>(node)] = now;
    }
}

TEST(Hlc, AReceiveFromAClockAheadMovesLogicalTimeAhead) {
    HybridLogicalClock clock;
    const HlcTimestamp remote{seconds(10), 3};
    const HlcTimestamp got = clock.receive(seconds(9), remote);
    EXPECT_EQ(got.l, seconds(10));
    EXPECT_EQ(got.c, 4u);
    // Local events keep counting on that l until physical time passes it.
    EXPECT_EQ(clock.tick(seconds(9) + 1), (HlcTimestamp{seconds(10), 5}));
    EXPECT_EQ(clock.tick(seconds(11)), (HlcTimestamp{seconds(11), 0}));
}

}  // namespace
}  // namespace faultline::protocols::clocks
