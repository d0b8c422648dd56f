// Swarm generation of fault schedules (FoundationDB, TigerBeetle's VOPR): the
// seed draws not only when and where faults strike but the fault parameters
// themselves (how often, how long, how lossy), so a sweep of seeds explores
// many fault intensities instead of one tuned mix.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/prng.h"
#include "base/result.h"
#include "nemesis/schedule.h"

namespace faultline::nemesis {

struct GeneratorOptions {
    std::vector<FaultKind> kinds;  // which faults may occur
    int nodes = 5;
    Nanos time_limit = seconds(60);
    // Faults start at most this long before the time limit ends them all; the
    // swarm draws each run's actual mean interval and duration below these.
    Nanos interval_mean_max = seconds(8);
    Nanos duration_mean_max = seconds(6);
    // Role-targeted faults: each fault of a kind that can be aimed at a role
    // (schedule.h) is aimed, with this probability, at one of `roles` drawn
    // at random instead of at drawn nodes. 0 (or no roles): none.
    double targeted = 0;
    std::vector<TargetRole> roles;
    // Clustered faults: they come in bursts of two to five, each a few
    // hundred milliseconds after the last, with the drawn interval between
    // bursts (faults that overlap are where recovery code breaks).
    bool clustered = false;
};

// Parses "partition,kill,clock" (or "all", or "none") into fault kinds.
// "clock" means the three clock faults; "network" loss, latency, duplicate and
// bandwidth; "all" everything.
Result<std::vector<FaultKind>> parse_fault_kinds(std::string_view text);

// Aims `fault` (of a targetable kind) at whoever holds `role` when it
// strikes, in place of the nodes it names. A partition then isolates that node.
void aim_at_role(Fault& fault, TargetRole role);

// The servers whose disks may fail in a run: a minority, (nodes - 1) / 2 of
// them, drawn from `random`. A disk fault damages what a node had synced, and a
// damaged node neither votes nor campaigns until a leader repairs it; damage to
// a majority over the run, one node at a time, would leave no quorum to repair
// anyone: an outage no design can avoid, not a finding. Below three nodes no
// server can be spared: the list is empty.
std::vector<int> disk_prone_servers(int nodes, Prng& random);

// With fewer than two nodes, partitions are left out of `kinds`; with fewer
// than three, disk faults (see disk_prone_servers).
Schedule generate_schedule(const GeneratorOptions& options, std::uint64_t seed);

}  // namespace faultline::nemesis
