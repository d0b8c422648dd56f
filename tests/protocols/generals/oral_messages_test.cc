// OM(m) (oral_messages.h): a lieutenant's recursive majority driven by hand,
// then the explorer over every placement and choice of the traitors: n = 4
// with one traitor reaches interactive consistency, n = 3 does not and the
// breaking run replays, OM(0) falls to a traitor commander, and one order of
// delivery stands for all.
#include "protocols/generals/oral_messages.h"

#include <gtest/gtest.h>

#include <set>

namespace faultline::protocols::generals {
namespace {

using exhaustive::Bounds;
using exhaustive::Fate;
using exhaustive::Message;

TEST(OmGeneral, DecidesByMajorityOfWhatItHeardAndWhatWasRelayed) {
    // Lieutenant 1 of OM(1) with four generals.
    OmGeneral lieutenant(1, 4, 1, std::nullopt);
    std::vector<Message> sent;
    exhaustive::Outbox out(1, 4, sent);
    lieutenant.receive(Message{0, 1, "0A"}, out);
    // It relays the commander's order to lieutenants 2 and 3.
    EXPECT_EQ(sent, (std::vector<Message>{Message{1, 2, "01A"}, Message{1, 3, "01A"}}));
    sent.clear();
    lieutenant.receive(Message{2, 1, "02R"}, out);
    EXPECT_TRUE(sent.empty());  // OM(0) underneath: nothing more to relay
    // attack, retreat, and nothing from 3 (RETREAT): retreat.
    EXPECT_EQ(lieutenant.decision(), Order::retreat);
    lieutenant.receive(Message{3, 1, "03A"}, out);
    EXPECT_EQ(lieutenant.decision(), Order::attack);
    EXPECT_EQ(lieutenant.explain_decision(),
              "majority(attack from the commander, retreat from L2, attack from L3) = attack");
}

TEST(OmGeneral, ATieIsARetreat) {
    OmGeneral lieutenant(1, 3, 1, std::nullopt);
    std::vector<Message> sent;
    exhaustive::Outbox out(1, 3, sent);
    lieutenant.receive(Message{0, 1, "0A"}, out);
    lieutenant.receive(Message{2, 1, "02R"}, out);
    EXPECT_EQ(lieutenant.decision(), Order::retreat);
}

TEST(OralMessages, FourGeneralsWithOneTraitorReachInteractiveConsistency) {
    const OralMessagesResult result = explore_oral_messages(OralMessagesSetup{.nodes = 4}, Bounds{});
    EXPECT_FALSE(result.counterexample.has_value());
    EXPECT_TRUE(result.total.complete());
    // The commander as the traitor (once), each lieutenant with each order.
    ASSERT_EQ(result.placements.size(), 7u);
    EXPECT_TRUE(result.placements[0].placement.traitors[0]);
    // Every order of delivery: the figure docs/generals.md and BENCHMARKS.md quote.
    EXPECT_EQ(result.total.states, 2229u);
    EXPECT_EQ(result.total.final_states, 32u);
    EXPECT_EQ(result.total.violations, 0u);
}

TEST(OralMessages, OneOrderOfDeliveryGivesTheStateCountsByHand) {
    // One order: the commander's 3 messages first, then the relays by sender.
    // A traitor commander forks on each of its 3 messages (1 + 2 + 4 + 8
    // states), then 6 relays follow in one line (8 x 6): 63 states, 8 final.
    // A traitor lieutenant forks on each of its 2 relays: L1's come first
    // (4 + 2 + 4 + 4 x 4 = 26), L2's in the middle (1 + 5 + 2 + 4 + 4 + 4 =
    // 20), L3's last (8 + 2 + 4 = 14); 4 final each, for each of the 2 orders.
    const OralMessagesResult result = explore_oral_messages(OralMessagesSetup{.nodes = 4, .one_order = true}, Bounds{});
    EXPECT_FALSE(result.counterexample.has_value());
    ASSERT_EQ(result.placements.size(), 7u);
    const std::vector<std::uint64_t> states{63, 26, 26, 20, 20, 14, 14};
    for (std::size_t i = 0; i < states.size(); ++i) EXPECT_EQ(result.placements[i].stats.states, states[i]) << i;
    EXPECT_EQ(result.total.states, 183u);
    EXPECT_EQ(result.total.final_states, 32u);
}

TEST(OralMessages, ThreeGeneralsWithOneTraitorDoNotAndTheBreakingRunReplays) {
    const OralMessagesSetup setup{.nodes = 3};
    const OralMessagesResult result = explore_oral_messages(setup, Bounds{});
    ASSERT_TRUE(result.counterexample.has_value());
    EXPECT_TRUE(result.total.complete());
    // A traitor commander cannot split two lieutenants that compare notes
    // (each sees the same two values); a traitor lieutenant can.
    EXPECT_EQ(result.placements[0].stats.violations, 0u);
    ASSERT_TRUE(result.failing.has_value());
    EXPECT_EQ(describe_placement(*result.failing), "traitor L1; the commander orders attack");
    EXPECT_EQ(result.counterexample->violation.substr(0, result.counterexample->violation.find('\n')),
              "IC2: the commander is loyal and orders attack, but L2 decides retreat");
    // The breaking strategy: L1 tells L2 the commander said retreat.
    const auto& steps = result.counterexample->steps;
    const exhaustive::Step forged{Message{1, 2, "01A"}, Fate::forged, "01R"};
    EXPECT_NE(std::find(steps.begin(), steps.end(), forged), steps.end());
    EXPECT_EQ(steps.size(), 4u);  // every message of OM(1) with three generals

    auto replayed = exhaustive::replay(oral_messages_system(setup, *result.failing), steps);
    ASSERT_TRUE(replayed.has_value()) << replayed.error().message;
    ASSERT_TRUE(replayed->final());
    EXPECT_EQ(interactive_consistency(*result.failing, *replayed), result.counterexample->violation);
}

TEST(OralMessages, OmZeroFallsToATraitorCommander) {
    const OralMessagesResult result = explore_oral_messages(OralMessagesSetup{.nodes = 4, .rounds = 0}, Bounds{});
    ASSERT_TRUE(result.failing.has_value());
    EXPECT_TRUE(result.failing->traitors[0]);
    EXPECT_EQ(result.counterexample->violation.substr(0, 4), "IC1:");
    // With a loyal commander, lieutenants that only follow it are consistent.
    for (std::size_t i = 1; i < result.placements.size(); ++i) EXPECT_EQ(result.placements[i].stats.violations, 0u);
}

TEST(OralMessages, TwoTraitorsAmongFourBreakOmOne) {
    const OralMessagesResult result =
        explore_oral_messages(OralMessagesSetup{.nodes = 4, .traitors = 2, .one_order = true}, Bounds{});
    EXPECT_TRUE(result.counterexample.has_value());
}

TEST(OralMessages, OmOneWithFiveGeneralsHolds) {
    const OralMessagesResult result = explore_oral_messages(OralMessagesSetup{.nodes = 5, .one_order = true}, Bounds{});
    EXPECT_FALSE(result.counterexample.has_value());
    EXPECT_TRUE(result.total.complete());
}

TEST(OralMessages, OneOrderOfDeliveryReachesTheSameFinalStates) {
    for (int traitor = 0; traitor < 4; ++traitor) {
        std::vector<bool> traitors(4, false);
        traitors[static_cast<std::size_t>(traitor)] = true;
        const Placement placement{traitors, Order::attack};
        auto finals = [&](bool one_order) {
            std::set<std::string> out;
            exhaustive::explore(
                oral_messages_system(OralMessagesSetup{.nodes = 4, .one_order = one_order}, placement),
                [&](const exhaustive::State& state) -> std::optional<std::string> {
                    out.insert(state.encode());
                    return std::nullopt;
                },
                Bounds{});
            return out;
        };
        EXPECT_EQ(finals(false), finals(true)) << traitor;
    }
}

TEST(OralMessages, SaysWhatEachMessageCarries) {
    const exhaustive::Vocabulary words = oral_messages_vocabulary();
    EXPECT_EQ(words.name(0), "commander");
    EXPECT_EQ(words.name(2), "L2");
    EXPECT_EQ(words.says(Message{0, 1, "0A"}, "0A"), "\"attack\"");
    EXPECT_EQ(words.says(Message{2, 1, "02R"}, "02R"), "\"the commander said retreat\"");
    EXPECT_EQ(words.says(Message{3, 1, "023A"}, "023A"), "\"L2 said the commander said attack\"");
}

}  // namespace
}  // namespace faultline::protocols::generals
