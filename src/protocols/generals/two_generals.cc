#include "protocols/generals/two_generals.h"

#include <fmt/format.h>

namespace faultline::protocols::generals {

namespace {

constexpr int kA = 0;
constexpr int kB = 1;

// Messenger m (from 1) goes A -> B when odd, B -> A when even.
Side sender_of(int messenger) {
    return messenger % 2 == 1 ? Side::a : Side::b;
}

int node_of(Side side) {
    return side == Side::a ? kA : kB;
}

const char* name_of(Side side) {
    return side == Side::a ? "A" : "B";
}

std::string needs_text(std::optional<int> needs, int addressed) {
    if (!needs) return "never attacks";
    if (*needs == 0) return "attacks without waiting for a messenger";
    return fmt::format("attacks once {} of the {} messenger{} addressed to it arrived", *needs, addressed,
                       addressed == 1 ? "" : "s");
}

}  // namespace

int messengers_to(Side side, int messengers) {
    FL_ASSERT_GE(messengers, 1);
    return side == Side::b ? (messengers + 1) / 2 : messengers / 2;
}

DecisionRule rule_all(int messengers) {
    return DecisionRule{messengers_to(Side::a, messengers), messengers_to(Side::b, messengers)};
}

DecisionRule rule_never() {
    return DecisionRule{std::nullopt, std::nullopt};
}

General::General(Side side, int messengers, int copies, std::optional<int> needs)
    : side_(side), messengers_(messengers), copies_(copies), needs_(needs) {
    FL_ASSERT_GE(messengers, 1);
    FL_ASSERT_GE(copies, 1);
    // B attacks only on A's word: A may have decided otherwise.
    FL_ASSERT(side == Side::a || !needs.has_value() || *needs >= 1);
    FL_ASSERT(!needs.has_value() || *needs >= 0);
}

void General::send_next(int messenger, exhaustive::Outbox& out) const {
    FL_ASSERT(sender_of(messenger) == side_);
    const int to = side_ == Side::a ? kB : kA;
    for (int copy = 0; copy < copies_; ++copy) out.send(to, std::string(1, static_cast<char>(messenger)));
}

void General::start(exhaustive::Outbox& out) {
    if (side_ == Side::a) send_next(1, out);  // A has decided: attack at dawn
}

void General::receive(const exhaustive::Message& message, exhaustive::Outbox& out) {
    FL_ASSERT_EQ(message.body.size(), 1u);
    const int messenger = message.body[0];
    FL_ASSERT_GE(messenger, 1);
    FL_ASSERT_LE(messenger, messengers_);
    FL_ASSERT(sender_of(messenger) != side_);
    if (messenger <= last_) return;  // a later copy of one that already arrived
    // The chain moves one messenger at a time: the next one to arrive here is
    // the one after the last this general sent.
    FL_ASSERT_EQ(messenger, last_ == 0 ? (side_ == Side::b ? 1 : 2) : last_ + 2);
    last_ = messenger;
    ++heard_;
    if (messenger < messengers_) send_next(messenger + 1, out);
}

void General::encode(std::string& out) const {
    // heard_ follows from last_; the rest is fixed for the run.
    out += static_cast<char>(last_);
}

exhaustive::TinySystem two_generals_system(const TwoGeneralsSetup& setup) {
    exhaustive::TinySystem system;
    system.nodes.push_back(std::make_shared<General>(Side::a, setup.messengers, setup.copies, setup.rule.a_needs));
    system.nodes.push_back(std::make_shared<General>(Side::b, setup.messengers, setup.copies, setup.rule.b_needs));
    system.lossy = true;
    // A general's step depends only on which messenger arrives, and a later
    // copy changes nothing, so deliveries commute (the tests compare both
    // modes); the explorer takes every order all the same, to show the races
    // of the copies, which are small.
    system.deliveries_commute = false;
    return system;
}

exhaustive::Vocabulary two_generals_vocabulary() {
    return exhaustive::Vocabulary{
        .name = [](int node) { return std::string(node == kA ? "A" : "B"); },
        .says =
            [](const exhaustive::Message&, const std::string& body) {
                const int messenger = body[0];
                if (messenger == 1) return std::string("messenger 1: \"attack at dawn\"");
                return fmt::format("messenger {}: \"messenger {} reached me\"", messenger, messenger - 1);
            },
    };
}

std::string describe_setup(const TwoGeneralsSetup& setup) {
    std::string chain;
    for (int messenger = 1; messenger <= setup.messengers; ++messenger) {
        chain += fmt::format("{}{}", messenger == 1 ? "" : ", ", sender_of(messenger) == Side::a ? "A -> B" : "B -> A");
    }
    return fmt::format("{} messenger{} ({}), {} sent for each; A {}; B {}", setup.messengers,
                       setup.messengers == 1 ? "" : "s", chain, setup.copies,
                       needs_text(setup.rule.a_needs, messengers_to(Side::a, setup.messengers)),
                       needs_text(setup.rule.b_needs, messengers_to(Side::b, setup.messengers)));
}

std::string describe_decisions(const TwoGeneralsSetup& setup, const exhaustive::State& state) {
    std::string out;
    for (Side side : {Side::a, Side::b}) {
        const auto& general = state.node_as<General>(node_of(side));
        out += fmt::format("{}{} {} (heard {} of {})", out.empty() ? "" : ", ", name_of(side),
                           general.attacks() ? "attacks" : "does not attack", general.heard(),
                           messengers_to(side, setup.messengers));
    }
    return out;
}

TwoGeneralsResult explore_two_generals(const TwoGeneralsSetup& setup, const exhaustive::Bounds& bounds) {
    FL_ASSERT_GE(setup.messengers, 1);
    TwoGeneralsResult result;
    const exhaustive::TinySystem system = two_generals_system(setup);
    // Called once for each distinct final state: the counts are of final states.
    result.agreement = exhaustive::explore(
        system,
        [&](const exhaustive::State& state) -> std::optional<std::string> {
            const bool a = state.node_as<General>(kA).attacks();
            const bool b = state.node_as<General>(kB).attacks();
            if (a && b) ++result.both_attack;
            if (!a && !b) ++result.neither_attacks;
            if (a == b) return std::nullopt;
            ++result.one_attacks;
            return fmt::format("{} attacks alone: {}", a ? "A" : "B", describe_decisions(setup, state));
        },
        bounds);
    // No messenger lost: one final state, whatever order the copies arrive in.
    exhaustive::TinySystem reliable = system;
    reliable.lossy = false;
    reliable.deliveries_commute = true;
    const exhaustive::Exploration without_loss = exhaustive::explore(
        reliable,
        [&](const exhaustive::State& state) -> std::optional<std::string> {
            if (state.node_as<General>(kA).attacks() && state.node_as<General>(kB).attacks()) return std::nullopt;
            return "no attack";
        },
        bounds);
    // One final state, unless a bound cut the path to it.
    FL_ASSERT_LE(without_loss.stats.final_states, 1u);
    result.without_loss_complete = without_loss.stats.complete();
    result.attack_without_loss = without_loss.stats.final_states == 1 && without_loss.stats.violations == 0;
    return result;
}

}  // namespace faultline::protocols::generals
