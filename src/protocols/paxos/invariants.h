// PaxosInvariants: the god's-eye safety checks of Multi-Paxos, run after every
// simulated step over every acceptor's durable votes.
//
//   one-value-per-slot  A value is chosen at a slot when a majority of
//                       acceptors have accepted it in the same ballot (each
//                       acceptance counted once it was on disk, and forever:
//                       a vote does not vanish because its acceptor crashed or
//                       lost its disk since). At most one value is chosen per
//                       slot, whatever the ballots.
//   promise-kept        The promise an acceptor holds after a step never falls
//                       below one it held after an earlier step, across
//                       restarts (Lamport's maxBal only grows). An acceptor
//                       that is mute (it lost its state, or its disk failed
//                       mid-step) answers nothing and is exempt meanwhile.
//
// The checker keeps its tallies itself, so a node that crashes and restarts
// cannot take back what it voted. Work per step is proportional to the votes
// made durable in it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocols/paxos/acceptor.h"

namespace faultline::protocols::paxos {

// One acceptor as the checker sees it; `acceptor` is null while its node is down.
struct AcceptorView {
    std::string name;
    const Acceptor* acceptor = nullptr;
    std::uint32_t incarnation = 0;
};

struct InvariantViolation {
    std::string invariant;
    std::string detail;
    std::vector<std::string> nodes;
};

class PaxosInvariants {
  public:
    explicit PaxosInvariants(std::size_t acceptors);

    // Tallies what changed since the last call. Returns the violations found
    // in this step (each invariant reports its first violation only).
    std::vector<InvariantViolation> check(const std::vector<AcceptorView>& views);

    std::uint64_t checks() const { return checks_; }
    std::size_t chosen_slots() const { return chosen_.size(); }

  private:
    struct Tally {
        std::uint64_t digest = 0;
        std::vector<bool> voters;
        std::size_t votes = 0;
    };
    struct Chosen {
        Ballot ballot;
        std::uint64_t digest = 0;
        std::vector<std::size_t> voters;
    };
    struct Seen {
        const Acceptor* acceptor = nullptr;
        std::uint32_t incarnation = 0;
        std::size_t votes = 0;  // durable_votes() tallied so far
        Ballot promised;        // the highest promise held after a step, ever
    };

    std::optional<InvariantViolation> tally(const std::vector<AcceptorView>& views, std::size_t acceptor,
                                            const Vote& vote);

    std::size_t majority_;
    std::vector<Seen> seen_;
    std::map<std::pair<Slot, Ballot>, std::vector<Tally>> tallies_;
    std::unordered_map<Slot, Chosen> chosen_;
    bool reported_two_values_ = false;
    bool reported_promise_ = false;
    std::uint64_t checks_ = 0;
};

}  // namespace faultline::protocols::paxos
