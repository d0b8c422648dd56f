// The exhaustive explorer on toy systems whose state counts are known by hand:
// interleavings, losses, traitors' forgeries, each bound, the shortest
// counterexample and its replay, and the one-order reduction.
#include "exhaustive/explorer.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace faultline::exhaustive {
namespace {

// A toy node: sends `at_start` when it starts; records what it receives, in
// order of arrival (`ordered`) or as a sorted set; and answers a number n
// below `bounce_below` with n + 1 to its sender (a ping-pong chain).
class Toy final : public Machine {
  public:
    explicit Toy(std::vector<std::pair<int, std::string>> at_start = {}, bool ordered = false, int bounce_below = 0)
        : at_start_(std::move(at_start)), ordered_(ordered), bounce_below_(bounce_below) {}

    std::unique_ptr<Machine> clone() const override { return std::make_unique<Toy>(*this); }
    void start(Outbox& out) override {
        for (const auto& [to, body] : at_start_) out.send(to, body);
    }
    void receive(const Message& message, Outbox& out) override {
        log_.push_back(message.body);
        if (!ordered_) std::sort(log_.begin(), log_.end());
        const int n = message.body[0] - '0';
        if (n < bounce_below_) out.send(message.from, std::string(1, static_cast<char>('0' + n + 1)));
    }
    void encode(std::string& out) const override {
        for (const std::string& body : log_) out += body + ";";
    }
    const std::vector<std::string>& log() const { return log_; }

  private:
    std::vector<std::pair<int, std::string>> at_start_;
    bool ordered_;
    int bounce_below_;
    std::vector<std::string> log_;
};

// Nodes 0 and 1 each send one message to node 2, which records them.
TinySystem two_senders(bool ordered) {
    TinySystem system;
    system.nodes.push_back(std::make_shared<Toy>(std::vector<std::pair<int, std::string>>{{2, "a"}}));
    system.nodes.push_back(std::make_shared<Toy>(std::vector<std::pair<int, std::string>>{{2, "b"}}));
    system.nodes.push_back(std::make_shared<Toy>(std::vector<std::pair<int, std::string>>{}, ordered));
    return system;
}

// Node 0 sends "1" to node 1; each answers n with n + 1 while n < `length`.
TinySystem ping_pong(int length) {
    TinySystem system;
    system.nodes.push_back(std::make_shared<Toy>(std::vector<std::pair<int, std::string>>{{1, "1"}}, false, length));
    system.nodes.push_back(std::make_shared<Toy>(std::vector<std::pair<int, std::string>>{}, false, length));
    return system;
}

std::optional<std::string> always_holds(const State&) {
    return std::nullopt;
}

TEST(Explorer, EveryInterleavingOfTwoMessagesToASetIsFourStates) {
    // Both in flight; a arrived; b arrived; both arrived (one state, whatever the order).
    const Exploration result = explore(two_senders(false), always_holds, Bounds{});
    EXPECT_EQ(result.stats.states, 4u);
    EXPECT_EQ(result.stats.transitions, 4u);  // two from the start, one from each middle state
    EXPECT_EQ(result.stats.final_states, 1u);
    EXPECT_EQ(result.stats.depth, 2);
    EXPECT_TRUE(result.stats.complete());
    EXPECT_FALSE(result.counterexample.has_value());
}

TEST(Explorer, ARecipientThatKeepsTheOrderTellsTheInterleavingsApart) {
    // The start, [a], [b], [a, b], [b, a].
    const Exploration result = explore(two_senders(true), always_holds, Bounds{});
    EXPECT_EQ(result.stats.states, 5u);
    EXPECT_EQ(result.stats.final_states, 2u);
}

TEST(Explorer, OneOrderStandsForAllWhenDeliveriesCommute) {
    TinySystem system = two_senders(false);
    system.deliveries_commute = true;
    const Exploration result = explore(system, always_holds, Bounds{});
    EXPECT_EQ(result.stats.states, 3u);  // the start, a arrived, both arrived
    EXPECT_EQ(result.stats.transitions, 2u);
    EXPECT_EQ(result.stats.final_states, 1u);
}

TEST(Explorer, ALossyLinkLosesEachMessageWithinTheLossBound) {
    TinySystem system = two_senders(false);
    system.lossy = true;
    // Each message: in flight, arrived or lost, 3 x 3 = 9 combinations, but
    // the loss count is part of the state: (a lost, b arrived) and (a
    // arrived, b lost) differ in what node 2 holds, so all 9 are distinct.
    Exploration result = explore(system, always_holds, Bounds{});
    EXPECT_EQ(result.stats.states, 9u);
    EXPECT_EQ(result.stats.final_states, 4u);
    // At most one loss on a path: both lost is out of reach.
    result = explore(system, always_holds, Bounds{.max_lost = 1});
    EXPECT_EQ(result.stats.states, 8u);
    EXPECT_EQ(result.stats.final_states, 3u);
    EXPECT_TRUE(result.stats.complete());  // the loss bound limits the faults, it cuts no path
}

TEST(Explorer, ATraitorSendsEachForgeryInPlaceOfItsMessage) {
    TinySystem system;
    system.nodes.push_back(std::make_shared<Toy>(std::vector<std::pair<int, std::string>>{{1, "x"}}));
    system.nodes.push_back(std::make_shared<Toy>());
    system.traitors = {true, false};
    system.forgeries = [](const Message&) { return std::vector<std::string>{"x", "y", "z", "y"}; };
    const Exploration result = explore(
        system,
        [](const State& state) -> std::optional<std::string> {
            const auto& log = state.node_as<Toy>(1).log();
            if (log == std::vector<std::string>{"x"}) return std::nullopt;
            return "node 1 got " + log.front();
        },
        Bounds{});
    EXPECT_EQ(result.stats.states, 4u);  // the start, and x, y or z received (the second y is the first)
    EXPECT_EQ(result.stats.final_states, 3u);
    EXPECT_EQ(result.stats.violations, 2u);
    ASSERT_TRUE(result.counterexample.has_value());
    EXPECT_EQ(result.counterexample->violation, "node 1 got y");
    ASSERT_EQ(result.counterexample->steps.size(), 1u);
    EXPECT_EQ(result.counterexample->steps[0], (Step{Message{0, 1, "x"}, Fate::forged, "y"}));
}

TEST(Explorer, TheCounterexampleIsAShortestPath) {
    // A chain of three messengers, any of which may be lost: a loss at any
    // step fails, and the first loss is the shortest failing path.
    TinySystem system = ping_pong(3);
    system.lossy = true;
    const Exploration result = explore(
        system,
        [](const State& state) -> std::optional<std::string> {
            if (state.node_as<Toy>(1).log().size() == 2) return std::nullopt;
            return "the chain broke";
        },
        Bounds{});
    EXPECT_EQ(result.stats.states, 7u);  // 4 along the chain, and a loss at each of its 3 steps
    EXPECT_EQ(result.stats.violations, 3u);
    ASSERT_TRUE(result.counterexample.has_value());
    EXPECT_EQ(result.counterexample->steps, (std::vector<Step>{Step{Message{0, 1, "1"}, Fate::lost, ""}}));
}

TEST(Explorer, TheCounterexampleReplaysToItsViolation) {
    // Fails when a does not come first: b before a, or a lost. Every failing
    // final state is two steps away; the first in search order loses a.
    TinySystem system = two_senders(true);
    system.lossy = true;
    const Property property = [](const State& state) -> std::optional<std::string> {
        const auto& log = state.node_as<Toy>(2).log();
        if (log.empty() || log.front() != "a") return "a did not come first";
        return std::nullopt;
    };
    const Exploration result = explore(system, property, Bounds{});
    ASSERT_TRUE(result.counterexample.has_value());
    const std::vector<Step> expected{Step{Message{0, 2, "a"}, Fate::lost, ""},
                                     Step{Message{1, 2, "b"}, Fate::delivered, "b"}};
    EXPECT_EQ(result.counterexample->steps, expected);
    auto replayed = replay(system, result.counterexample->steps);
    ASSERT_TRUE(replayed.has_value()) << replayed.error().message;
    EXPECT_TRUE(replayed->final());
    EXPECT_EQ(property(*replayed), std::optional<std::string>("a did not come first"));
}

TEST(Explorer, ReplayRefusesAStepThatIsNotOpen) {
    const TinySystem system = two_senders(false);  // reliable links
    auto replayed = replay(system, {Step{Message{0, 2, "a"}, Fate::lost, ""}});
    ASSERT_FALSE(replayed.has_value());
    EXPECT_NE(replayed.error().message.find("step 1"), std::string::npos);
    replayed = replay(system, {Step{Message{0, 2, "zz"}, Fate::delivered, "zz"}});
    EXPECT_FALSE(replayed.has_value());
    // Any order of delivery replays, even when the explorer takes one order.
    TinySystem one_order = system;
    one_order.deliveries_commute = true;
    replayed = replay(one_order, {Step{Message{1, 2, "b"}, Fate::delivered, "b"}});
    EXPECT_TRUE(replayed.has_value());
}

TEST(Explorer, TheDepthBoundCutsAndSaysSo) {
    // A chain of 5 messages: 6 states in a line.
    Exploration result = explore(ping_pong(5), always_holds, Bounds{});
    EXPECT_EQ(result.stats.states, 6u);
    EXPECT_EQ(result.stats.depth, 5);
    EXPECT_TRUE(result.stats.complete());
    result = explore(ping_pong(5), always_holds, Bounds{.max_depth = 2});
    EXPECT_EQ(result.stats.states, 3u);
    EXPECT_EQ(result.stats.cut_by_depth, 1u);
    EXPECT_FALSE(result.stats.complete());
    EXPECT_NE(result.stats.summary().find("INCOMPLETE"), std::string::npos);
}

TEST(Explorer, TheStateBoundStopsTheSearch) {
    const Exploration result = explore(ping_pong(5), always_holds, Bounds{.max_states = 4});
    EXPECT_EQ(result.stats.states, 4u);
    EXPECT_TRUE(result.stats.stopped_at_max_states);
    EXPECT_FALSE(result.stats.complete());
}

TEST(Explorer, TheInFlightBoundLeavesCrowdedStatesUnexpanded) {
    const Exploration result = explore(two_senders(false), always_holds, Bounds{.max_in_flight = 1});
    EXPECT_EQ(result.stats.states, 1u);  // the start has two in flight
    EXPECT_EQ(result.stats.cut_by_in_flight, 1u);
    EXPECT_FALSE(result.stats.complete());
}

TEST(Explorer, IsDeterministic) {
    TinySystem system = two_senders(true);
    system.lossy = true;
    const Property property = [](const State& state) -> std::optional<std::string> {
        if (state.node_as<Toy>(2).log().size() == 2) return std::nullopt;
        return "something lost";
    };
    const Exploration first = explore(system, property, Bounds{});
    const Exploration second = explore(system, property, Bounds{});
    EXPECT_EQ(first.stats.states, second.stats.states);
    EXPECT_EQ(first.stats.transitions, second.stats.transitions);
    EXPECT_EQ(first.stats.violations, second.stats.violations);
    ASSERT_TRUE(first.counterexample && second.counterexample);
    EXPECT_EQ(first.counterexample->steps, second.counterexample->steps);
}

TEST(Explorer, FormatsATimeline) {
    const Vocabulary words{
        .name = [](int node) { return "n" + std::to_string(node); },
        .says = [](const Message&, const std::string& body) { return "'" + body + "'"; },
    };
    const std::vector<Step> steps{Step{Message{0, 2, "a"}, Fate::delivered, "a"},
                                  Step{Message{1, 2, "b"}, Fate::lost, ""},
                                  Step{Message{0, 1, "x"}, Fate::forged, "y"}};
    EXPECT_EQ(format_timeline(steps, words),
              "   1. n0 -> n2         'a'\n"
              "   2. n1 -> n2         'b'  LOST\n"
              "   3. n0 -> n1         'y'  FORGED (its honest message: 'x')\n");
}

}  // namespace
}  // namespace faultline::exhaustive
