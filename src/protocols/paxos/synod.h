// The Synod protocol: single-decree Paxos, one value chosen among proposals
// (Lamport, "The Part-Time Parliament", and "Paxos Made Simple" §2).
//
// Roles, for one instance:
//   acceptor  promises not to take part in ballots below the highest it has
//             promised (phase 1b), and accepts a (ballot, value) unless it has
//             promised a higher ballot (phase 2b)
//   proposer  prepares a ballot (phase 1a); once a majority has promised, it
//             proposes the value of the highest-ballot acceptance among their
//             replies, or its own value if they report none (phase 2a); the
//             value is chosen once a majority accepts it (phase 2b)
//
// A value is chosen when a majority of acceptors have accepted it in the same
// ballot. Safety: at most one value is ever chosen, because a proposer of a
// higher ballot hears, from a majority that intersects every majority, the
// highest-ballot value accepted below it, and proposes that one (P2c).
// Liveness needs one proposer at a time: two that keep preempting each other
// with ever higher ballots choose nothing (duelling proposers).
//
// These classes are the rules alone, without messages, timers or a disk, so
// tests can drive them through any interleaving. The acceptor here keeps its
// state in memory; the Multi-Paxos acceptor (acceptor.h) applies the same
// rules to many slots and makes every promise and acceptance durable before
// it answers.
#pragma once

#include <optional>
#include <vector>

#include "protocols/paxos/types.h"

namespace faultline::protocols::paxos {

// Phases 1b and 2b share one test: nothing below the promise.
inline bool admits(Ballot promised, Ballot ballot) {
    return ballot >= promised;
}

// P2c, the proposer's obligation: of the acceptances a majority reported, the
// one of the highest ballot (nullopt: none, the proposer may choose freely).
std::optional<Accepted> highest_accepted(const std::vector<std::optional<Accepted>>& reported);

class SynodAcceptor {
  public:
    // Phase 1b: promises `ballot` if it is not below the promise; the promise
    // then carries `accepted()`.
    bool prepare(Ballot ballot);
    // Phase 2b: accepts (ballot, value) unless a higher ballot was promised.
    bool accept(Ballot ballot, const Value& value);

    Ballot promised() const { return promised_; }
    const std::optional<Accepted>& accepted() const { return accepted_; }

  private:
    Ballot promised_;
    std::optional<Accepted> accepted_;
};

class SynodProposer {
  public:
    SynodProposer(int acceptors, Ballot ballot, Value own_value);

    Ballot ballot() const { return ballot_; }
    // Phase 1b received from `acceptor` (0-based). Once a majority has
    // promised, returns the value to propose in phase 2a (once).
    std::optional<Value> on_promise(int acceptor, const std::optional<Accepted>& accepted);
    // Phase 2b received. True once a majority has accepted: the value is chosen.
    bool on_accepted(int acceptor);

    const std::optional<Value>& proposed() const { return proposed_; }

  private:
    int majority() const { return acceptors_ / 2 + 1; }

    int acceptors_;
    Ballot ballot_;
    Value own_value_;
    std::vector<bool> promised_by_;
    std::vector<bool> accepted_by_;
    std::vector<std::optional<Accepted>> reported_;
    int promises_ = 0;
    int acceptances_ = 0;
    std::optional<Value> proposed_;
};

}  // namespace faultline::protocols::paxos
