// The gossip checks on hand-built histories that must pass and that must fail.
#include "check/gossip_checks.h"

#include <gtest/gtest.h>

#include <cmath>

namespace faultline::check {
namespace {

constexpr Nanos kRound = milliseconds(100);

// `nodes` nodes, rounds of 100 ms, rumours timed until 10 s.
GossipHistory cluster(int nodes) {
    GossipHistory h;
    for (int i = 0; i < nodes; ++i) h.add_node("n" + std::to_string(i));
    h.round_interval = kRound;
    h.timed_until = seconds(10);
    return h;
}

// Rumour `id`, given to n0 at 1 s, learnt by node i after rounds[i] rounds
// (-1: never), and known at the end by the nodes that learnt it.
void spread(GossipHistory& h, std::int64_t id, const std::vector<int>& rounds) {
    GossipRumour& rumour = h.add_rumour(id, 0, seconds(1));
    for (int n = 0; n < h.nodes(); ++n) {
        if (rounds[n] < 0) continue;
        rumour.learnt_at[n] = seconds(1) + rounds[n] * kRound - milliseconds(3);
        h.known_at_end[n].insert(id);
    }
}

TEST(GossipChecks, ExpectedRoundsAreLog2PlusLn) {
    EXPECT_NEAR(gossip_expected_rounds(100), std::log2(100.0) + std::log(100.0), 1e-9);
    EXPECT_NEAR(gossip_expected_rounds(8), 3 + std::log(8.0), 1e-9);
}

TEST(GossipChecks, EveryRumourEverywhereFastEnoughPasses) {
    GossipHistory h = cluster(8);  // bound at factor 1: 3 + ln 8 = 5.08 rounds
    spread(h, 1, {0, 1, 2, 2, 3, 3, 4, 5});
    spread(h, 2, {0, 2, 2, 3, 3, 4, 4, 4});
    spread(h, 3, {0, 1, 1, 2, 2, 3, 6, 6});
    EXPECT_EQ(check_dissemination(h).verdict, Verdict::valid) << check_dissemination(h).summary;
    const Outcome rounds = check_gossip_rounds(h, 1.0);
    EXPECT_EQ(rounds.verdict, Verdict::valid) << rounds.summary;
    EXPECT_EQ(rounds.details.at("median_rounds").get<double>(), 5);
    EXPECT_EQ(rounds.details.at("max_rounds").get<double>(), 6);
    EXPECT_EQ(rounds.details.at("coverage").get<double>(), 1.0);
}

TEST(GossipChecks, SlowSpreadingFailsTheRoundsBound) {
    GossipHistory h = cluster(8);
    spread(h, 1, {0, 1, 2, 2, 3, 3, 4, 5});
    spread(h, 2, {0, 2, 4, 5, 6, 6, 7, 8});
    spread(h, 3, {0, 3, 4, 5, 6, 6, 7, 9});
    EXPECT_EQ(check_dissemination(h).verdict, Verdict::valid);
    const Outcome rounds = check_gossip_rounds(h, 1.0);
    EXPECT_EQ(rounds.verdict, Verdict::invalid) << rounds.summary;
    EXPECT_EQ(rounds.details.at("median_rounds").get<double>(), 8);
    // The same history within a looser bound.
    EXPECT_EQ(check_gossip_rounds(h, 2.0).verdict, Verdict::valid);
}

TEST(GossipChecks, ARumourThatNeverReachesANodeFailsBoth) {
    GossipHistory h = cluster(4);
    spread(h, 1, {0, 1, 2, -1});
    spread(h, 2, {0, 1, -1, 2});
    spread(h, 3, {0, 1, 1, 1});
    const Outcome dissemination = check_dissemination(h);
    EXPECT_EQ(dissemination.verdict, Verdict::invalid);
    EXPECT_EQ(dissemination.details.at("missing").get<int>(), 2);
    EXPECT_NE(dissemination.summary.find("rumour 1 (given to n0) never reached n3"), std::string::npos)
        << dissemination.summary;
    const Outcome rounds = check_gossip_rounds(h, 100.0);  // never covered: no bound is loose enough
    EXPECT_EQ(rounds.verdict, Verdict::invalid) << rounds.summary;
    EXPECT_EQ(rounds.details.at("median_rounds"), "never");
    EXPECT_EQ(rounds.details.at("never_covered").get<int>(), 2);
    EXPECT_NEAR(rounds.details.at("coverage").get<double>(), 10.0 / 12, 1e-9);
}

// A crashed node is not timed, and what it alone knew is not owed; but a node
// up at the end (restarted) must know every rumour a steady node knew.
TEST(GossipChecks, CrashedNodesAreOwedRumoursOnlyIfUpAtTheEnd) {
    GossipHistory h = cluster(4);
    h.steady[3] = false;  // crashed, restarted
    spread(h, 1, {0, 1, 1, -1});
    h.known_at_end[3] = {1};  // caught up after the heal
    EXPECT_EQ(check_dissemination(h).verdict, Verdict::valid);
    EXPECT_EQ(check_gossip_rounds(h, 1.0).verdict, Verdict::valid);
    h.known_at_end[3].clear();
    EXPECT_EQ(check_dissemination(h).verdict, Verdict::invalid);
    h.up_at_end[3] = false;  // down at the end: owed nothing
    EXPECT_EQ(check_dissemination(h).verdict, Verdict::valid);

    // A rumour only a crashed node ever knew died with it.
    GossipHistory lost = cluster(3);
    lost.steady[1] = false;
    lost.add_rumour(7, 1, seconds(1));
    EXPECT_EQ(check_dissemination(lost).verdict, Verdict::valid);
    EXPECT_EQ(check_dissemination(lost).details.at("rumours").get<int>(), 0);
    EXPECT_EQ(check_gossip_rounds(lost, 1.0).verdict, Verdict::unknown);  // nothing to time
}

TEST(GossipChecks, RumoursGivenAfterTheTimedWindowAreNotTimed) {
    GossipHistory h = cluster(4);
    h.timed_until = seconds(1);  // rumour 1 is given at 1 s: too late to time
    spread(h, 1, {0, 50, 50, 50});
    EXPECT_EQ(check_gossip_rounds(h, 1.0).verdict, Verdict::unknown);
}

}  // namespace
}  // namespace faultline::check
