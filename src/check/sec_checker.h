// The strong-eventual-consistency checks (spec/protocols.md §4.3; Shapiro et
// al. 2011), on a god's-view history of CRDT replicas.
//
// The history holds every update (who made it, its dot, the version vector of
// its origin before it: its causal past), every change of every replica's
// state (the replica's version vector, which says which updates the state
// includes, and the value a read would return), and each correct replica's
// final state, after the heal and a settle time.
//
//   strong-convergence    replicas that applied the same set of updates hold
//                         the same value: over every state any replica ever
//                         had, equal version vectors mean equal values
//   eventual-convergence  at the end every correct replica (one that never
//                         crashed) has applied every update made at a correct
//                         replica, all hold the same value, and that value is
//                         the type's specification of the updates they applied:
//                           counters      the sum of the deltas
//                           or-set        add-wins: x is in iff some add(x) is
//                                         in the causal past of no remove(x)
//                           lww-register  the value of a write no other write
//                                         causally follows (null if none)
//
// The checks read updates and values only, never a replica's internals: the
// specification is computed from the updates and their causal pasts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/time.h"
#include "check/outcome.h"

namespace faultline::check {

struct SecUpdate {
    int origin = 0;                   // the replica that made it
    std::uint64_t seq = 0;            // its origin's seq-th update, from 0
    std::string op;                   // "add", "remove" or "write"
    std::int64_t arg = 0;             // the delta, element or written value
    std::vector<std::uint64_t> deps;  // the origin's version vector before it
    Nanos at = 0;
};

struct SecState {
    int replica = 0;
    Nanos at = 0;
    std::vector<std::uint64_t> version;  // updates of each replica included
    Json value;
};

struct SecHistory {
    std::string type;                // "g-counter", "pn-counter", "or-set" or "lww-register"
    std::vector<std::string> names;  // by replica
    std::vector<bool> correct;       // by replica: never crashed
    std::vector<SecUpdate> updates;
    std::vector<SecState> states;  // every change, in the order they happened
    std::vector<SecState> finals;  // each correct replica at the end

    int replicas() const { return static_cast<int>(names.size()); }
};

// The value the type's specification gives the updates a version vector
// includes (for lww-register, every value a winning write may have: one for
// each write no other included write causally follows).
std::vector<Json> sec_expected(const SecHistory& history, const std::vector<std::uint64_t>& version);

Outcome check_strong_convergence(const SecHistory& history);
Outcome check_eventual_convergence(const SecHistory& history);

}  // namespace faultline::check
