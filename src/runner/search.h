// Search strategies: what a seed tries, beyond when and where faults strike.
//
// A sweep finds a bug only if some seed's run reaches it. Each strategy below
// turns a seed into a run differently; `--search NAME` picks one, and the
// default combines them, each seed drawing which (Groce et al., "Swarm
// Testing", ISSTA 2012: a test that leaves whole features out reaches states a
// test that mixes everything in never does).
//
//   random        the fault schedule drawn from the seed, with the fault kinds
//                 and intensities of the command line (earlier versions' only way)
//   swarm         the seed also switches whole features on or off: a random
//                 subset of the fault kinds, short or long fault intervals and
//                 durations, faults in bursts, a slow network, a write-heavy
//                 or read-mostly mix, few or many keys, and quiet windows with
//                 no client operations (FoundationDB's and TigerBeetle's simulators)
//   targeted      a campaign of faults aimed at roles, not drawn nodes: one or
//                 two kinds that can be aimed, often, every one aimed at one or
//                 two roles (the leader, a fresh leader before its first
//                 commit, a candidate mid-election, the node with the longest
//                 log, a node just after it persisted a vote), sometimes on a
//                 slow network (Jepsen's targeted nemeses; the system lists
//                 the roles it can find)
//   fault-points  the protocol's own fault points act (node/node.h, BUGGIFY):
//                 a crash right after a write became durable, stretched
//                 timers, delayed sends
//   pct           messages are delivered under a priority schedule of depth
//                 1 to 4 (sim/network.h, PCT)
//   default       swarm's workload on every seed, and its faults on half of
//                 them, a targeted campaign on the other half; fault points on
//                 half the seeds and a priority schedule on a quarter, each
//                 drawn independently
//
// Everything is drawn from the seed's own "search" stream: the same config
// gives the same plan, so a failing seed replays, and the plan is written to
// results.json. An explicit schedule (a scenario, a replay, the shrinker)
// replaces the drawn faults; the rest of the plan still applies.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "nemesis/schedule.h"
#include "sim/network.h"
#include "workload/shape.h"

namespace faultline::runner {

struct RunConfig;
struct SystemDescription;

// The strategies, by name, in the order --help lists them.
const std::vector<std::string>& search_strategy_names();

// At most this many crashes from fault points in one run.
inline constexpr int kFaultPointCrashesMax = 6;

struct SearchPlan {
    std::string strategy;
    // For a drawn schedule (see nemesis/generator.h).
    std::vector<nemesis::FaultKind> kinds;
    Nanos fault_interval = 0;
    Nanos fault_duration = 0;
    bool clustered = false;
    double targeted = 0;
    std::vector<nemesis::TargetRole> roles;
    workload::WorkloadShape workload;
    std::string latency;  // the default link's latency in place of the config's ("": the config's)
    bool fault_points = false;
    sim::PrioritySchedule priorities;  // levels 0: none
    // The system's own options this seed sets (SystemDescription::knobs),
    // over the config's: run() builds the system with them.
    Json knobs = Json::object();

    Json to_json() const;
    // "swarm: partition, kill; bursts; write-heavy; 1 key; 2 quiet windows; fault points"
    std::string describe() const;
};

// The plan of a run. Errors: an unknown strategy, or fault kinds that do not parse.
Result<SearchPlan> plan_search(const RunConfig& config, const SystemDescription& system);

}  // namespace faultline::runner
