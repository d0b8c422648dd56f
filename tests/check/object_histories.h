// Histories made by simulating a real object of any model the checker
// supports, for tests only: clients invoke operations, each takes effect on a
// sequential object at one instant between its invocation and its completion
// (or, if its outcome is unknown, at any later instant or never), and the
// history records what the clients were told. Such a history is linearizable
// by construction; a bug injected into the object makes it (usually, or
// certainly, see SimHistory) not linearizable.
//
// Shape: `prefix` operations by one client, one after another; then a
// concurrent core of `core` operations by `clients` clients whose intervals
// overlap at random; then, once every core operation has completed, `tail`
// sequential operations. A long sequential stretch after a concurrent one is
// what makes the checker cut a partition at quiescent points.
//
// The histories use each model's default initial value and default
// Semantics, events in real-time order (`time` = position).
#pragma once

#include <cstdint>
#include <string>

#include "check/history.h"
#include "check/models/model.h"

namespace faultline::check::testing {

enum class Bug : std::uint8_t {
    none,
    // A read returns the object's state from before the last update of what
    // it reads (mutex: a second acquire granted while held; fifo-queue: a
    // dequeue returns a value dequeued before).
    stale_read,
    // An update completes ok but the object never applies it (mutex: as
    // stale_read).
    lost_write,
};

struct SimOptions {
    models::ModelKind model = models::ModelKind::cas_register;
    std::uint64_t seed = 1;
    std::size_t prefix = 0;
    std::size_t core = 10;
    std::size_t tail = 0;
    int clients = 3;                            // in the core
    int keys = 0;                               // keyed models: 0 no key field, n keys 0..n-1
    int values = 3;                             // values drawn from [0, values) ...
    double fresh_probability = 0.2;             // ... or fresh (never used before)
    double info_probability = 0;                // core ops whose outcome the client never learns,
    std::size_t max_unknown = ~std::size_t{0};  // at most this many
    double fail_probability = 0.05;             // core ops that fail without taking effect
    Bug bug = Bug::none;                        // injected once: in the tail if allowed and it has room,
    bool bug_in_tail = true;                    // else at a random op of the core
    // Small histories: the chance of corrupting one completed op's value at
    // random afterwards (valid or not, the brute force decides).
    double corrupt_probability = 0;
};

struct SimHistory {
    History history;
    bool bug_injected = false;
    // The bug sits in the sequential tail, right before the op that exposes
    // it, in a history without unknown outcomes: no linearization explains it.
    bool certainly_invalid = false;
    bool corrupted = false;
};

SimHistory simulate_history(const SimOptions& options);

// A history as history.jsonl text, for failure messages (`faultline check`
// reads it back).
std::string history_jsonl(const History& history);

}  // namespace faultline::check::testing
