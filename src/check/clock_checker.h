// The logical clock checks (spec/protocols.md §3.2, scenarios 7 and 8): the
// timestamps a clock gave to events, held against the ground truth of
// happens-before.
//
// A history lists events in the order they happened; each names its process
// and, for a receive, the send it received. Happens-before is then program
// order (earlier events of one process) plus send-before-receive, closed
// transitively: the checks compute it themselves, with vector timestamps
// kept outside any protocol (a god's view), so they judge any clock.
//
//   clock-condition   a happens before b  =>  C(a) < C(b)
//   clock-exactness   a happens before b  <=> C(a) < C(b)
//
// Stamps are compared as numbers (a Lamport clock: one entry) or as vectors
// (less: no entry greater, one smaller). Lamport clocks meet the condition
// but are not exact: two concurrent events still get ordered numbers.
// Exactness compares every pair of events: keep histories to some thousands.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"
#include "check/outcome.h"

namespace faultline::check {

struct ClockEvent {
    int process = 0;
    std::optional<std::size_t> receives;  // a receive: the index of its send event
    std::vector<std::uint64_t> stamp;     // the clock's timestamp
    Nanos at = 0;
};

struct ClockHistory {
    std::vector<std::string> names;  // by process
    std::vector<ClockEvent> events;  // in the order they happened

    // Builders (return the event's index), for systems and tests.
    std::size_t add(int process, std::vector<std::uint64_t> stamp, Nanos at = 0);
    std::size_t add_receive(int process, std::size_t send, std::vector<std::uint64_t> stamp, Nanos at = 0);
};

enum class StampOrder : std::uint8_t { scalar, vector };

Outcome check_clock_condition(const ClockHistory& history, StampOrder order);
Outcome check_clock_exactness(const ClockHistory& history, StampOrder order);

}  // namespace faultline::check
