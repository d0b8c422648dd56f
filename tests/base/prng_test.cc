#include "base/prng.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

TEST(Prng, SameSeedSameSequence) {
    Prng a(42), b(42);
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next(), b.next());
}

TEST(Prng, NamedStreamsAreIndependent) {
    Prng network = Prng::stream(7, "network");
    Prng workload = Prng::stream(7, "workload");
    int equal = 0;
    for (int i = 0; i < 1000; ++i) equal += network.next() == workload.next() ? 1 : 0;
    EXPECT_EQ(equal, 0);
}

TEST(Prng, ChanceZeroNeverAndOneAlways) {
    Prng random(1);
    for (int i = 0; i < 100000; ++i) {
        ASSERT_FALSE(random.chance(0.0));
        ASSERT_TRUE(random.chance(1.0));
    }
}

TEST(Prng, BetweenStaysInBounds) {
    Prng random(3);
    for (int i = 0; i < 100000; ++i) {
        auto v = random.between(-5, 5);
        ASSERT_GE(v, -5);
        ASSERT_LE(v, 5);
    }
}

}  // namespace
}  // namespace faultline
