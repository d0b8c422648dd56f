// SWIM's bookkeeping: the order of claims, the bounded piggyback queue, and
// memberlist's and Lifeguard's timeouts with their published numbers.
#include "protocols/swim/membership.h"

#include <gtest/gtest.h>

namespace faultline::protocols::swim {
namespace {

TEST(SwimClaims, IncarnationsOrderAliveSuspectAndDead) {
    // alive needs a strictly higher incarnation to override anything.
    EXPECT_FALSE(overrides(MemberState::alive, 3, MemberState::suspect, 3));
    EXPECT_TRUE(overrides(MemberState::alive, 4, MemberState::suspect, 3));
    EXPECT_TRUE(overrides(MemberState::alive, 4, MemberState::dead, 3));
    // suspect overrides alive at the same incarnation, but not a suspect or the dead.
    EXPECT_TRUE(overrides(MemberState::suspect, 3, MemberState::alive, 3));
    EXPECT_FALSE(overrides(MemberState::suspect, 2, MemberState::alive, 3));
    EXPECT_FALSE(overrides(MemberState::suspect, 3, MemberState::suspect, 3));
    EXPECT_FALSE(overrides(MemberState::suspect, 9, MemberState::dead, 3));
    // dead overrides whatever is not dead, at the same incarnation or newer.
    EXPECT_TRUE(overrides(MemberState::dead, 3, MemberState::suspect, 3));
    EXPECT_TRUE(overrides(MemberState::dead, 3, MemberState::alive, 3));
    EXPECT_FALSE(overrides(MemberState::dead, 2, MemberState::alive, 3));
    EXPECT_FALSE(overrides(MemberState::dead, 5, MemberState::dead, 3));
}

TEST(SwimPiggyback, EachUpdateGoesOutAtMostTheLimitAndANewerOneReplacesIt) {
    BroadcastQueue queue;
    queue.push(Update{NodeId(1), MemberState::suspect, 0, NodeId(2)});
    queue.push(Update{NodeId(3), MemberState::alive, 1, NodeId(3)});
    queue.push(Update{NodeId(1), MemberState::dead, 0, NodeId(2)});  // replaces the suspicion
    EXPECT_EQ(queue.size(), 2u);
    int sent_about_1 = 0;
    for (int message = 0; message < 10; ++message) {
        const auto updates = queue.take(1, 3);
        ASSERT_LE(updates.size(), 1u);
        for (const Update& update : updates) {
            if (update.member == NodeId(1)) {
                EXPECT_EQ(update.state, MemberState::dead);
                ++sent_about_1;
            }
        }
    }
    EXPECT_EQ(sent_about_1, 3);
    EXPECT_EQ(queue.size(), 0u);
}

TEST(SwimPiggyback, TheBuddyGoesFirstAndFreshNewsBeforeOld) {
    BroadcastQueue queue;
    for (std::uint32_t m = 1; m <= 4; ++m) queue.push(Update{NodeId(m), MemberState::alive, 1, NodeId(m)});
    (void)queue.take(2, 10);  // 4 and 3 sent once
    auto updates = queue.take(3, 10, NodeId(3));
    ASSERT_EQ(updates.size(), 3u);
    EXPECT_EQ(updates[0].member, NodeId(3));
    EXPECT_EQ(updates[1].member, NodeId(2));
    EXPECT_EQ(updates[2].member, NodeId(1));
}

TEST(SwimTimeouts, MemberlistsNumbers) {
    EXPECT_EQ(retransmit_limit(4, 8), 4);     // ceil(log10 9) = 1
    EXPECT_EQ(retransmit_limit(4, 100), 12);  // ceil(log10 101) = 3
    // LAN defaults: SuspicionMult 4, ProbeInterval 1s.
    EXPECT_EQ(suspicion_timeout_min(4, 3, seconds(1)), seconds(4));  // max(1, log10 3) = 1
    EXPECT_EQ(suspicion_timeout_min(4, 100, seconds(1)), seconds(8));
    const Nanos min = seconds(4), max = seconds(24);
    EXPECT_EQ(suspicion_timeout(min, max, 0, 2), max);
    EXPECT_EQ(suspicion_timeout(min, max, 2, 2), min);
    const Nanos one = suspicion_timeout(min, max, 1, 2);  // 24 - 20 log 2 / log 3
    EXPECT_GT(one, seconds(11));
    EXPECT_LT(one, seconds(12));
    EXPECT_EQ(suspicion_timeout(min, max, 5, 0), min);  // nothing to wait for
}

TEST(SwimLocalHealth, SaturatesAndScales) {
    Awareness awareness(8);
    awareness.apply(-3);
    EXPECT_EQ(awareness.score(), 0);
    awareness.apply(20);
    EXPECT_EQ(awareness.score(), 7);
    EXPECT_EQ(awareness.scale(milliseconds(500)), seconds(4));
    awareness.apply(-1);
    EXPECT_EQ(awareness.scale(seconds(1)), seconds(7));
}

}  // namespace
}  // namespace faultline::protocols::swim
