// The vocabulary of Paxos: ballots, slots, values, and an acceptor's vote.
//
// A ballot is (round, node): rounds order ballots, the proposer's node id
// breaks ties, so two proposers never share a ballot and every two ballots
// are ordered (Lamport, "Paxos Made Simple", §2.2: "a proposer chooses a new
// proposal number from a set of numbers disjoint from every other's"). The
// zero ballot (0, 0) is below every real one: "nothing promised yet".
//
// A slot is a position in the replicated log (Multi-Paxos runs one instance
// of the Synod protocol per slot). A value is opaque bytes; the empty value is
// the no-op a new leader proposes to fill a gap.
#pragma once

#include <compare>
#include <cstdint>
#include <ostream>
#include <string>

#include "base/hash.h"

namespace faultline::protocols::paxos {

struct Ballot {
    std::uint64_t round = 0;
    std::uint32_t node = 0;  // the proposer's NodeId value

    auto operator<=>(const Ballot&) const = default;
    bool is_zero() const { return round == 0; }
    std::string to_string() const { return std::to_string(round) + "." + std::to_string(node); }
    friend std::ostream& operator<<(std::ostream& out, const Ballot& ballot) { return out << ballot.to_string(); }
};

using Slot = std::uint64_t;
using Value = std::string;  // empty: the no-op

// A value as the invariant checker compares it: equal bytes, equal digest.
inline std::uint64_t value_digest(const Value& value) {
    return hash_string(value, 0x7061786f73);
}

// A (ballot, value) an acceptor has accepted for one slot.
struct Accepted {
    Ballot ballot;
    Value value;
    bool operator==(const Accepted&) const = default;
};

// One durable acceptance, as the invariant checker tallies it: this acceptor
// voted for the value of `digest` in `ballot` at `slot`, and the vote was on
// disk (so the acceptor may have told a proposer about it).
struct Vote {
    Slot slot = 0;
    Ballot ballot;
    std::uint64_t digest = 0;
};

}  // namespace faultline::protocols::paxos
