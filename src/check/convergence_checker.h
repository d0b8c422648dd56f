// The convergence check, for replicated stores after heal: once faults stop
// and the recovery window has passed, every replica of a key holds the same
// copy, and it is the newest copy of that key anywhere in the cluster (a copy
// a stand-in holds for a replica, a dynamo hint, counts as "anywhere": a hint
// never handed back is a write the replicas never got).
//
// Input: the copies read from every node (the god's view) at one moment. A
// version is a tuple compared lexicographically; a replica that holds nothing
// has no version and is older than every copy. The check names the first few
// keys whose replicas disagree, with who holds what.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "check/outcome.h"

namespace faultline::check {

struct ReplicaCopy {
    std::string node;
    std::vector<std::uint64_t> version;  // empty: holds nothing
    std::int64_t value = 0;
    std::string role;  // "" for a replica of the key; "hint for n2" for a stand-in's copy
};

struct KeyCopies {
    std::int64_t key = 0;
    std::vector<ReplicaCopy> replicas;  // the key's replicas: each must hold the newest copy
    std::vector<ReplicaCopy> others;    // copies held elsewhere (hints): they set the newest, need not agree
};

struct ConvergenceResult {
    std::int64_t keys = 0;
    std::int64_t diverged = 0;
    Nanos at = 0;
    std::vector<std::string> examples;  // the first few diverged keys, in words
    bool valid() const { return diverged == 0; }
};

ConvergenceResult check_convergence(const std::vector<KeyCopies>& keys, Nanos at);

// The "convergence" check's outcome.
Outcome outcome_of(const ConvergenceResult& result);

}  // namespace faultline::check
