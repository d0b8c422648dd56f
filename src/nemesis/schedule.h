// A fault schedule: the nemesis's plan for a run, as data.
//
// Each Fault is an interval: it starts at `start` and is healed at `start +
// duration` (a clock step is instantaneous and never healed). Faults name the
// servers they hit by index (0..nodes-1), so a schedule reads the same in any
// run and can be written in a scenario file, replayed, and shrunk: the shrinker
// removes faults and shortens them, and every candidate is still a valid
// schedule.
//
// Partition shapes (Jepsen's vocabulary, plus one-way):
//   halves            two sides as equal as possible
//   one               one node alone
//   majority          a random majority against the rest
//   minority-third    a third of the nodes against the rest
//   majorities-ring   every node sees a majority, no two the same majority
//   bridge            two halves that cannot talk, and one node that talks to both
//   isolate-leader    whoever leads when the fault starts, alone
//   one-way           one node can send but receives nothing (a firewall rule)
// The concrete sides are chosen when the schedule is generated (stored in
// `nodes`, in a shuffled order the shape reads), except isolate-leader, which
// is resolved when it starts.
//
// Role-targeted faults (Jepsen's targeted nemeses): a kill, pause, clock or
// slow fault, or a partition that isolates one node, may name a role
// instead of nodes ("kill a node just after it persisted a vote"). The system
// says who holds a role (runner::System::node_in_role). Such a fault is armed
// from `start` until `start + duration`: the first node seen holding the role
// in that window is struck, for `duration` from then. If none does, nothing is
// struck and the log says so.
//
// fault_from_json refuses what a run could not carry out as written: a
// partition in a run of fewer than two servers, or whose `nodes` do not list
// every server once (isolate-leader and targeted ones may leave them out); a
// target on a kind that takes none, or beside named nodes; a latency or slow
// fault without a positive delta (a latency burst's draws must stay within
// sim::kLatencyMax, as must a slow fault's delta); a bandwidth cap below one
// byte per second.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "base/time.h"

namespace faultline::nemesis {

enum class FaultKind : std::uint8_t {
    partition,
    kill,         // crash, restart at the end (with the disk's crash faults)
    pause,        // pause, resume at the end
    clock_skew,   // offset the node's clock by `delta`, restore at the end
    clock_drift,  // run the node's clock `amount` ppm fast (or slow), restore at the end
    clock_step,   // jump the node's clock by `delta`, once
                  // (the clock faults, with no nodes given: whoever leads when it starts)
    loss,         // every link loses messages with probability `amount`
    latency,      // every link's latency becomes exponential with mean `delta`
    duplicate,    // every link duplicates with probability `amount`
    bandwidth,    // every link is capped at `amount` bytes per second
    disk,         // the node's disk tears unsynced writes at a crash and flips bits
                  // on reads with probability `amount`, for the duration
    tamper,       // messages between servers are altered in flight with probability `amount`
    slow,         // the node takes `delta` to handle each event (gray failure: slow, not dead);
                  // with no nodes given, whoever leads when it starts
};

enum class PartitionShape : std::uint8_t {
    halves,
    one,
    majority,
    minority_third,
    majorities_ring,
    bridge,
    isolate_leader,
    one_way,
};

const char* fault_kind_name(FaultKind kind);
Result<FaultKind> parse_fault_kind(std::string_view name);
const char* partition_shape_name(PartitionShape shape);
Result<PartitionShape> parse_partition_shape(std::string_view name);
std::vector<std::string> partition_shape_names();

// The role a targeted fault strikes.
enum class TargetRole : std::uint8_t {
    none,          // the fault names its nodes (clock and slow faults naming none: the leader at its start)
    leader,        // whoever leads
    fresh_leader,  // a leader that has not yet committed an entry of its own term
    candidate,     // a node campaigning for votes
    longest_log,   // the node with the most log entries (ties: the lowest index)
    just_voted,    // a node, in the step right after it persisted a vote
};
const char* target_role_name(TargetRole role);
Result<TargetRole> parse_target_role(std::string_view name);
// The roles a fault may target (every one but `none`).
std::vector<TargetRole> target_roles();
// Can a fault of this kind be aimed at a role?
bool targetable(FaultKind kind);
// Does a fault of this kind act on the nodes it names (the others act on
// links, or on every node's network)? Naming none, such a fault acts on the
// leader at its start.
bool acts_on_nodes(FaultKind kind);

// Which links a network burst (loss, latency, duplicate, bandwidth) hits.
enum class LinkSelector : std::uint8_t {
    all,
    requests,   // client -> server only
    responses,  // server -> client only
};

struct Fault {
    FaultKind kind = FaultKind::partition;
    Nanos start = 0;
    Nanos duration = 0;
    PartitionShape shape = PartitionShape::halves;  // partitions only
    std::vector<int> nodes;                         // targets; for partitions, the shuffled order the shape reads
    double amount = 0;                              // a probability, ppm or bytes/s, by kind
    Nanos delta = 0;                                // a clock offset or step, or a latency
    LinkSelector links = LinkSelector::all;
    TargetRole target = TargetRole::none;  // see "Role-targeted faults" above

    Nanos end() const { return start + duration; }
    // What the fault does, to whom ("pause n1 n2", "loss 30% of requests").
    std::string what() const;
    // "8.58s +3.7s pause n1": the nemesis log's line, which the trace (and so
    // its hash) records; keep its shape.
    std::string describe() const;
    // "8.58s..12.3s pause n1": start and end, for people.
    std::string describe_span() const;
    bool operator==(const Fault&) const = default;
};

struct Schedule {
    std::vector<Fault> faults;  // in start order

    Json to_json() const;
    static Result<Schedule> from_json(const Json& json, int nodes);
    std::string describe() const;  // one line per fault
};

Json fault_to_json(const Fault& fault);
Result<Fault> fault_from_json(const Json& json, int nodes);

}  // namespace faultline::nemesis
