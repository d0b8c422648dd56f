// The delivery checks: the broadcast hierarchy's properties (spec/protocols.md
// §4.1, in Cachin, Guerraoui and Rodrigues's terms) judged on a delivery
// history, each one function returning one Outcome.
//
// A history lists, in the order they happened, every broadcast and every
// delivery of every process; a message is named by an integer unique in the
// history. A process is correct if it never crashed (crash-stop); the
// history is complete, so "eventually" means "by the end".
//
//   validity            a message a correct process broadcasts is delivered by every correct process
//   no-duplication      no process delivers a message twice
//   no-creation         a delivered message was broadcast before, by the origin it claims
//   agreement           a message one correct process delivers, every correct process delivers
//   uniform-agreement   a message any process delivers (even one that crashed later),
//                       every correct process delivers
//   fifo-order          a process delivers a message only after every message its origin
//                       broadcast before it
//   causal-order        a process delivers a message only after every message whose
//                       broadcast happened before its broadcast, where "happened before"
//                       is the ground truth of the history: earlier events at one process,
//                       and a message's broadcast before its deliveries
//   total-order         if a process delivers m1 before m2, every process that delivers
//                       m2 has delivered m1 before it
//
// The checks read the history alone (nothing of the protocol that made it):
// causal order computes its own vector timestamps, a god's view of causality.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"
#include "check/outcome.h"

namespace faultline::check {

struct DeliveryEvent {
    enum class Kind : std::uint8_t { broadcast, deliver };
    Kind kind = Kind::broadcast;
    int process = 0;
    int origin = 0;  // deliveries: who the message says broadcast it; broadcasts: the process
    std::int64_t message = 0;
    Nanos at = 0;
};

struct DeliveryHistory {
    std::vector<std::string> names;  // by process
    std::vector<bool> correct;       // by process: never crashed
    std::vector<DeliveryEvent> events;

    int processes() const { return static_cast<int>(names.size()); }
    // Builders, for systems and tests.
    void add_broadcast(int process, std::int64_t message, Nanos at = 0);
    void add_delivery(int process, int origin, std::int64_t message, Nanos at = 0);
};

enum class DeliveryProperty : std::uint8_t {
    validity,
    no_duplication,
    no_creation,
    agreement,
    uniform_agreement,
    fifo_order,
    causal_order,
    total_order,
};

// "validity", "no-duplication", ... (the Outcome's name).
const char* property_name(DeliveryProperty property);
std::optional<DeliveryProperty> parse_property(std::string_view name);
std::vector<DeliveryProperty> all_properties();

// The property's outcome on the history: valid, or invalid with the first
// violation in words, the number of violations, and when the first happened.
Outcome check_delivery(const DeliveryHistory& history, DeliveryProperty property);

}  // namespace faultline::check
