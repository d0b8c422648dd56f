// The clock checks on hand-written histories: a correct vector clock is exact,
// a Lamport clock meets the condition but orders a concurrent pair, and a
// clock that ignores the message's stamp breaks the condition.
#include "check/clock_checker.h"

#include <gtest/gtest.h>

namespace faultline::check {
namespace {

// n0: a (local), s (send to n1). n1: b (local, concurrent with a and s), r (receive s).
struct Stamps {
    std::vector<std::uint64_t> a, s, b, r;
};

ClockHistory two(const Stamps& stamps) {
    ClockHistory h;
    h.names = {"n0", "n1"};
    h.add(0, stamps.a, 1);
    const std::size_t send = h.add(0, stamps.s, 2);
    h.add(1, stamps.b, 3);
    h.add_receive(1, send, stamps.r, 4);
    return h;
}

TEST(ClockChecker, VectorClocksAreExact) {
    const ClockHistory h = two({{1, 0}, {2, 0}, {0, 1}, {2, 2}});
    EXPECT_EQ(check_clock_condition(h, StampOrder::vector).verdict, Verdict::valid);
    const Outcome exact = check_clock_exactness(h, StampOrder::vector);
    EXPECT_EQ(exact.verdict, Verdict::valid) << exact.summary;
}

TEST(ClockChecker, LamportClocksMeetTheConditionButAreNotExact) {
    // L: a=1, s=2, b=1, r=max(1,2)+1=3. a and b are concurrent with equal L;
    // b (1) < s (2) though b and s are concurrent.
    const ClockHistory h = two({{1}, {2}, {1}, {3}});
    EXPECT_EQ(check_clock_condition(h, StampOrder::scalar).verdict, Verdict::valid);
    const Outcome exact = check_clock_exactness(h, StampOrder::scalar);
    EXPECT_EQ(exact.verdict, Verdict::invalid);
    EXPECT_NE(exact.summary.find("are concurrent, but one stamp is smaller"), std::string::npos) << exact.summary;
}

TEST(ClockChecker, IgnoringTheMessagesStampBreaksTheCondition) {
    // r = b + 1 = 2, not above s = 2.
    const ClockHistory h = two({{1}, {2}, {1}, {2}});
    const Outcome condition = check_clock_condition(h, StampOrder::scalar);
    EXPECT_EQ(condition.verdict, Verdict::invalid);
    EXPECT_NE(condition.summary.find("n0's event 2 (stamp 2) happens before n1's event 2, a receive (stamp 2)"),
              std::string::npos)
        << condition.summary;
    EXPECT_EQ(condition.failed_at, Nanos{4});
}

TEST(ClockChecker, AVectorThatMissesCausalityFailsExactnessBothWays) {
    // The receive did not merge: r = [0, 2], incomparable with s = [2, 0].
    const ClockHistory h = two({{1, 0}, {2, 0}, {0, 1}, {0, 2}});
    EXPECT_EQ(check_clock_condition(h, StampOrder::vector).verdict, Verdict::invalid);
    const Outcome exact = check_clock_exactness(h, StampOrder::vector);
    EXPECT_NE(exact.summary.find("happens before"), std::string::npos) << exact.summary;
}

TEST(ClockChecker, HappensBeforeIsTransitiveAcrossProcesses) {
    // n0 sends to n1, n1 sends to n2: n0's send happens before n2's receive.
    // A stamp that orders each edge but not the two ends would be no partial
    // order at all; here n2's receive wrongly equals n0's send in entry 0 only.
    ClockHistory h;
    h.names = {"n0", "n1", "n2"};
    const std::size_t s0 = h.add(0, {1, 0, 0});
    const std::size_t r1 = h.add_receive(1, s0, {1, 1, 0});
    (void)r1;
    const std::size_t s1 = h.add(1, {1, 2, 0});
    h.add_receive(2, s1, {1, 2, 1});
    EXPECT_EQ(check_clock_exactness(h, StampOrder::vector).verdict, Verdict::valid);
    // Without entry 0 carried along, n0's send and n2's receive look concurrent.
    ClockHistory lost;
    lost.names = h.names;
    const std::size_t t0 = lost.add(0, {1, 0, 0});
    lost.add_receive(1, t0, {1, 1, 0});
    const std::size_t t1 = lost.add(1, {1, 2, 0});
    lost.add_receive(2, t1, {0, 2, 1});
    EXPECT_EQ(check_clock_exactness(lost, StampOrder::vector).verdict, Verdict::invalid);
}

}  // namespace
}  // namespace faultline::check
