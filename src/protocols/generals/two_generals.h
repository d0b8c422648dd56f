// The two generals (Akkoyunlu, Ekanadham and Huber 1975; Gray 1978; lecture 2
// of Kleppmann's course): general A has decided to attack and must agree with
// general B, over a valley where any messenger may be caught.
//
// The protocols here send `messengers` messengers in a chain: A -> B (attack
// at dawn), B -> A (I got it), A -> B (I got your answer), ...; each is sent
// when the one before it arrives, `copies` at a time (the first copy to
// arrive counts, later ones are ignored). A general's decision rule is how
// many of the messengers addressed to it must arrive before it attacks
// (never, for a general that will not attack at all). B may attack only on A's
// word, so it needs at least one; A has decided, so it may need none.
//
// The impossibility this file makes checkable: for every number of messengers
// and every rule, some pattern of losses leaves one general attacking alone,
// unless the rule never attacks at all, even when no messenger is lost. The
// argument (docs/generals.md): order the patterns by how far along the chain
// the messengers got before the first loss. With none through, B does not
// attack; with all through, both do (or the rule is useless); and one more
// messenger through changes what one general knows, never both. So between
// the two, one pattern has exactly one general attacking. The exhaustive
// explorer (exhaustive/explorer.h) enumerates every loss pattern, and every
// order in which the copies arrive, and prints the first such pattern.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "exhaustive/explorer.h"

namespace faultline::protocols::generals {

enum class Side { a, b };

// When each general attacks: once this many of the messengers addressed to
// it have arrived (nullopt: never).
struct DecisionRule {
    std::optional<int> a_needs;
    std::optional<int> b_needs;
};

struct TwoGeneralsSetup {
    int messengers = 3;  // in the chain: A -> B, B -> A, A -> B, ...
    int copies = 1;      // sent at once for each messenger of the chain
    DecisionRule rule;
};

// The messengers of a chain of `messengers` addressed to each side: B gets the
// odd ones (1, 3, ...), A the even ones.
int messengers_to(Side side, int messengers);
// The rule that waits for every messenger addressed to a general.
DecisionRule rule_all(int messengers);
DecisionRule rule_never();

class General final : public exhaustive::Machine {
  public:
    General(Side side, int messengers, int copies, std::optional<int> needs);

    std::unique_ptr<exhaustive::Machine> clone() const override { return std::make_unique<General>(*this); }
    void start(exhaustive::Outbox& out) override;
    void receive(const exhaustive::Message& message, exhaustive::Outbox& out) override;
    void encode(std::string& out) const override;

    Side side() const { return side_; }
    int heard() const { return heard_; }  // messengers that reached it (first copies)
    bool attacks() const { return needs_.has_value() && heard_ >= *needs_; }

  private:
    void send_next(int messenger, exhaustive::Outbox& out) const;

    Side side_;
    int messengers_;
    int copies_;
    std::optional<int> needs_;
    int heard_ = 0;
    int last_ = 0;  // the number of the last messenger that reached it (0: none)
};

// A (node 0) and B (node 1) over lossy links.
exhaustive::TinySystem two_generals_system(const TwoGeneralsSetup& setup);
exhaustive::Vocabulary two_generals_vocabulary();
// "3 messengers (A -> B, B -> A, A -> B), 1 sent for each; A attacks once ..."
std::string describe_setup(const TwoGeneralsSetup& setup);
// "A attacks (heard 1 of 1), B does not (heard 1 of 2)"
std::string describe_decisions(const TwoGeneralsSetup& setup, const exhaustive::State& state);

struct TwoGeneralsResult {
    // Every loss pattern: do the generals agree (both attack or neither)?
    exhaustive::Exploration agreement;
    // The final states by outcome (counted over the exploration above).
    std::uint64_t both_attack = 0;
    std::uint64_t neither_attacks = 0;
    std::uint64_t one_attacks = 0;
    // With no messenger lost, do both attack? (Else the rule is safe and useless.)
    bool attack_without_loss = false;
    bool without_loss_complete = true;  // false: a bound cut that one path
};

TwoGeneralsResult explore_two_generals(const TwoGeneralsSetup& setup, const exhaustive::Bounds& bounds);

}  // namespace faultline::protocols::generals
