// The CRDTs' merges are joins: commutative, associative and idempotent, on
// random reachable states (replicas that update and merge at random, from
// fixed seeds), and a merge never loses an update. Beside them, what each
// type promises: add-wins, last-writer-wins.
#include <gtest/gtest.h>

#include <functional>

#include "base/prng.h"
#include "protocols/crdt/types.h"

namespace faultline::protocols::crdt {
namespace {

constexpr std::size_t kReplicas = 3;

// Random states of one type: kReplicas replicas update and merge at random;
// a snapshot of a random replica after each step is a reachable state.
template <class T>
std::vector<T> reachable(std::uint64_t seed, const std::function<void(T&, std::uint32_t, Prng&)>& update,
                         const T& empty) {
    Prng random(seed);
    std::vector<T> replicas(kReplicas, empty);
    std::vector<T> states{empty};
    for (int step = 0; step < 40; ++step) {
        const auto at = static_cast<std::uint32_t>(random.below(kReplicas));
        if (random.chance(0.6)) {
            update(replicas[at], at, random);
        } else {
            replicas[at].merge(replicas[random.below(kReplicas)]);
        }
        states.push_back(replicas[random.below(kReplicas)]);
    }
    return states;
}

template <class T>
T merged(T a, const T& b) {
    a.merge(b);
    return a;
}

template <class T>
void expect_join(const std::vector<T>& states, std::uint64_t seed) {
    Prng random(seed);
    for (int trial = 0; trial < 200; ++trial) {
        const T& a = states[random.below(states.size())];
        const T& b = states[random.below(states.size())];
        const T& c = states[random.below(states.size())];
        EXPECT_EQ(merged(a, b), merged(b, a)) << "commutative, seed " << seed << " trial " << trial;
        EXPECT_EQ(merged(merged(a, b), c), merged(a, merged(b, c))) << "associative, seed " << seed;
        EXPECT_EQ(merged(a, a), a) << "idempotent, seed " << seed;
        // An upper bound: merging in either state again changes nothing.
        EXPECT_EQ(merged(merged(a, b), a), merged(a, b)) << "inflation, seed " << seed;
    }
}

std::uint64_t dot_seq = 0;  // dots unique across a test's replicas

TEST(CrdtTypes, GCounterMergeIsAJoin) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        const auto states = reachable<GCounter>(
            seed, [](GCounter& g, std::uint32_t at, Prng& r) { g.add(at, r.below(10)); }, GCounter(kReplicas));
        expect_join(states, seed);
    }
}

TEST(CrdtTypes, PnCounterMergeIsAJoin) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        const auto states = reachable<PNCounter>(
            seed, [](PNCounter& p, std::uint32_t at, Prng& r) { p.add(at, r.between(-9, 9)); }, PNCounter(kReplicas));
        expect_join(states, seed);
    }
}

TEST(CrdtTypes, OrSetMergeIsAJoin) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        const auto states = reachable<OrSet>(
            seed,
            [](OrSet& s, std::uint32_t at, Prng& r) {
                const std::int64_t element = r.between(0, 3);
                if (r.chance(0.6)) {
                    s.add(element, Dot{at, dot_seq++});
                } else {
                    s.remove(element);
                }
            },
            OrSet());
        expect_join(states, seed);
    }
}

TEST(CrdtTypes, LwwRegisterMergeIsAJoin) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        const auto states = reachable<LwwRegister>(
            seed, [](LwwRegister& l, std::uint32_t at, Prng& r) { l.write(at, r.between(0, 1000)); }, LwwRegister());
        expect_join(states, seed);
    }
}

TEST(CrdtTypes, CountersSumEveryReplicasUpdatesOnce) {
    PNCounter a(2), b(2);
    a.add(0, 5);
    b.add(1, -8);
    b.add(1, 2);
    a.merge(b);
    a.merge(b);  // again: nothing counts twice
    EXPECT_EQ(a.value(), -1);
    GCounter g(2);
    g.add(0, 4);
    GCounter h = g;
    h.add(1, 3);
    g.merge(h);
    EXPECT_EQ(g.value(), 7u);
}

// A remove takes away the adds it saw, not one it did not: add wins.
TEST(CrdtTypes, OrSetAddWinsOverAConcurrentRemove) {
    OrSet a, b;
    a.add(7, Dot{0, 0});
    b.merge(a);
    b.remove(7);          // b saw a's add
    a.add(7, Dot{0, 1});  // meanwhile, a adds 7 again
    OrSet ab = merged(a, b), ba = merged(b, a);
    EXPECT_EQ(ab, ba);
    EXPECT_TRUE(ab.contains(7));
    // Once the remove has seen both adds, 7 is gone everywhere.
    b.merge(a);
    b.remove(7);
    a.merge(b);
    EXPECT_FALSE(a.contains(7));
    EXPECT_EQ(a.value(), std::vector<std::int64_t>{});
}

// Op-based: the remove carries the dots its origin saw, and applied in
// either order with a concurrent add, replicas agree.
TEST(CrdtTypes, OrSetRemoveOperationsCommuteWithConcurrentAdds) {
    OrSet origin;
    origin.add(7, Dot{0, 0});
    OrSet copy = origin;
    const std::vector<Dot> seen = origin.remove(7);
    ASSERT_EQ(seen, (std::vector<Dot>{Dot{0, 0}}));
    OrSet x = copy, y = copy;
    x.add(7, Dot{1, 0});
    x.remove_dots(seen);
    y.remove_dots(seen);
    y.add(7, Dot{1, 0});
    EXPECT_EQ(x, y);
    EXPECT_TRUE(x.contains(7));
    // The naive remove deletes whatever it finds: the order decides.
    OrSet p = copy, q = copy;
    p.add(7, Dot{1, 0});
    p.erase_element(7);
    q.erase_element(7);
    q.add(7, Dot{1, 0});
    EXPECT_NE(p.contains(7), q.contains(7));
}

TEST(CrdtTypes, LwwRegisterKeepsTheGreatestStamp) {
    LwwRegister a, b;
    EXPECT_TRUE(a.empty());
    a.write(0, 10);  // (1, 0)
    b.write(1, 20);  // (1, 1): same counter, greater replica
    EXPECT_EQ(merged(a, b).value(), 20);
    EXPECT_EQ(merged(b, a).value(), 20);
    a.merge(b);
    a.write(0, 30);  // (2, 0): after seeing (1, 1), a later write wins
    b.merge(a);
    EXPECT_EQ(b.value(), 30);
    EXPECT_EQ(b.counter(), 2u);
}

}  // namespace
}  // namespace faultline::protocols::crdt
