// The two generals (two_generals.h), every loss pattern explored: for every
// chain of 1 to 6 messengers some pattern leaves one general attacking
// alone, and it replays; extra copies of each messenger do not help; every
// decision rule either disagrees somewhere or never attacks at all.
#include "protocols/generals/two_generals.h"

#include <gtest/gtest.h>

#include <set>

namespace faultline::protocols::generals {
namespace {

using exhaustive::Bounds;
using exhaustive::Fate;

TwoGeneralsSetup setup_of(int messengers, int copies = 1) {
    return TwoGeneralsSetup{.messengers = messengers, .copies = copies, .rule = rule_all(messengers)};
}

TEST(TwoGenerals, EveryChainOfOneToSixMessengersHasAPatternThatLeavesOneGeneralAlone) {
    for (int k = 1; k <= 6; ++k) {
        const TwoGeneralsSetup setup = setup_of(k);
        const TwoGeneralsResult result = explore_two_generals(setup, Bounds{});
        const exhaustive::ExplorationStats& stats = result.agreement.stats;
        // By hand: the chain's k + 1 states (after 0..k messengers arrived),
        // and a loss at each of its k steps; the final states are the k
        // losses and the chain's end.
        EXPECT_EQ(stats.states, static_cast<std::uint64_t>(2 * k + 1)) << k;
        EXPECT_EQ(stats.transitions, static_cast<std::uint64_t>(2 * k)) << k;
        EXPECT_EQ(stats.final_states, static_cast<std::uint64_t>(k + 1)) << k;
        EXPECT_TRUE(stats.complete()) << k;
        // Only losing the last messenger splits them: its sender has heard
        // everything it waits for, its receiver has not.
        EXPECT_EQ(stats.violations, 1u) << k;
        EXPECT_EQ(result.one_attacks, 1u) << k;
        EXPECT_EQ(result.both_attack, 1u) << k;
        EXPECT_TRUE(result.attack_without_loss) << k;
        ASSERT_TRUE(result.agreement.counterexample.has_value()) << k;
        const auto& steps = result.agreement.counterexample->steps;
        ASSERT_EQ(steps.size(), static_cast<std::size_t>(k)) << k;
        for (int i = 0; i + 1 < k; ++i) EXPECT_EQ(steps[i].fate, Fate::delivered) << k;
        EXPECT_EQ(steps.back().fate, Fate::lost) << k;

        // The printed pattern replays to the disagreement.
        auto replayed = exhaustive::replay(two_generals_system(setup), steps);
        ASSERT_TRUE(replayed.has_value()) << replayed.error().message;
        ASSERT_TRUE(replayed->final());
        EXPECT_NE(replayed->node_as<General>(0).attacks(), replayed->node_as<General>(1).attacks()) << k;
    }
}

TEST(TwoGenerals, TheCounterexampleReadsAsATimeline) {
    const TwoGeneralsSetup setup = setup_of(3);
    const TwoGeneralsResult result = explore_two_generals(setup, Bounds{});
    ASSERT_TRUE(result.agreement.counterexample.has_value());
    EXPECT_EQ(exhaustive::format_timeline(result.agreement.counterexample->steps, two_generals_vocabulary()),
              "   1. A -> B           messenger 1: \"attack at dawn\"\n"
              "   2. B -> A           messenger 2: \"messenger 1 reached me\"\n"
              "   3. A -> B           messenger 3: \"messenger 2 reached me\"  LOST\n");
    EXPECT_EQ(result.agreement.counterexample->violation,
              "A attacks alone: A attacks (heard 1 of 1), B does not attack (heard 1 of 2)");
}

TEST(TwoGenerals, MoreCopiesOfEachMessengerDoNotHelp) {
    // Two copies of each of two messengers, in every order and loss. By
    // hand (docs/generals.md): 20 states, 6 of them final, 2 where B attacks
    // alone (both copies of messenger 2 lost, one or both copies of 1 arriving).
    const TwoGeneralsResult two = explore_two_generals(setup_of(2, 2), Bounds{});
    EXPECT_EQ(two.agreement.stats.states, 20u);
    EXPECT_EQ(two.agreement.stats.final_states, 6u);
    EXPECT_EQ(two.agreement.stats.violations, 2u);
    for (int k = 1; k <= 4; ++k) {
        for (int copies = 2; copies <= 3; ++copies) {
            const TwoGeneralsResult result = explore_two_generals(setup_of(k, copies), Bounds{});
            EXPECT_TRUE(result.agreement.stats.complete()) << k << " x" << copies;
            EXPECT_TRUE(result.agreement.counterexample.has_value()) << k << " x" << copies;
            EXPECT_TRUE(result.attack_without_loss) << k << " x" << copies;
        }
    }
}

TEST(TwoGenerals, NeverAttackingIsSafeAndUseless) {
    for (int k = 1; k <= 6; ++k) {
        const TwoGeneralsResult result =
            explore_two_generals(TwoGeneralsSetup{.messengers = k, .rule = rule_never()}, Bounds{});
        EXPECT_FALSE(result.agreement.counterexample.has_value()) << k;
        EXPECT_TRUE(result.agreement.stats.complete()) << k;
        // No pattern leads to an attack, not even the one with no loss.
        EXPECT_EQ(result.both_attack, 0u) << k;
        EXPECT_EQ(result.one_attacks, 0u) << k;
        EXPECT_FALSE(result.attack_without_loss) << k;
    }
}

// The impossibility over every rule of the family: each general attacks once
// some number of its messengers arrived (B at least one: it attacks only on
// A's word), or never. No rule is both safe (no pattern splits them) and
// useful (both attack when nothing is lost); the safe ones never attack.
TEST(TwoGenerals, EveryRuleThatAgreesUnderEveryPatternNeverAttacks) {
    for (int k = 1; k <= 6; ++k) {
        std::vector<std::optional<int>> a_rules{std::nullopt};
        for (int needs = 0; needs <= messengers_to(Side::a, k); ++needs) a_rules.push_back(needs);
        std::vector<std::optional<int>> b_rules{std::nullopt};
        for (int needs = 1; needs <= messengers_to(Side::b, k); ++needs) b_rules.push_back(needs);
        for (const auto& a_needs : a_rules) {
            for (const auto& b_needs : b_rules) {
                const TwoGeneralsSetup setup{.messengers = k, .rule = DecisionRule{a_needs, b_needs}};
                const TwoGeneralsResult result = explore_two_generals(setup, Bounds{});
                ASSERT_TRUE(result.agreement.stats.complete());
                const bool safe = result.one_attacks == 0;
                EXPECT_FALSE(safe && result.attack_without_loss) << describe_setup(setup);
                if (safe) {
                    EXPECT_EQ(result.both_attack, 0u) << describe_setup(setup);
                }
            }
        }
    }
}

// Their deliveries commute (a general's step depends only on which
// messenger arrives), so one order reaches the same final states.
TEST(TwoGenerals, OneOrderOfDeliveryReachesTheSameFinalStates) {
    for (int copies = 1; copies <= 3; ++copies) {
        exhaustive::TinySystem system = two_generals_system(setup_of(3, copies));
        auto finals = [&](bool commute) {
            system.deliveries_commute = commute;
            std::set<std::string> out;
            exhaustive::explore(
                system,
                [&](const exhaustive::State& state) -> std::optional<std::string> {
                    out.insert(state.encode());
                    return std::nullopt;
                },
                Bounds{});
            return out;
        };
        EXPECT_EQ(finals(false), finals(true)) << copies;
    }
}

TEST(TwoGenerals, ABoundThatCutsTheSearchLeavesAgreementUndecided) {
    const TwoGeneralsResult result = explore_two_generals(setup_of(6), Bounds{.max_depth = 3});
    EXPECT_FALSE(result.agreement.stats.complete());
    EXPECT_FALSE(result.agreement.counterexample.has_value());  // the split is 6 steps deep
    EXPECT_FALSE(result.without_loss_complete);
}

}  // namespace
}  // namespace faultline::protocols::generals
