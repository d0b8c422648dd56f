// Shrinking: cutting a failing run down to the little that still fails.
//
// Given a failing run (its config, with the schedule it actually ran), the
// shrinker looks for a smaller run that fails the same way: exactly the same
// checks invalid. It works on the run as data, re-running each candidate
// deterministically, and keeps a candidate only if it fails the same way with
// no more faults and no more client operations than the best run so far. Every
// candidate is a valid config (RunConfig::validate).
//
// A run of a cluster is chaotic: leaving out one operation early in the run
// changes the timing of every message after it, and with it who wins the next
// election and when. A rare failure (the --bug variants fail in one seed in
// fifty to three hundred) rarely survives a removal long before it: such a
// candidate is in effect a new draw. So the shrinker both removes and draws:
//   - fewer fault-point actions: each crash, stretched timer or delayed send
//     of a fault point is a fault the schedule does not list (each counts as
//     one), so none at all is tried first, then only the first few, then
//     each left out on its own;
//   - cut: the run ends just after the failure (or its recovery window does);
//     no recovery window unless availability is what fails, no final reads;
//   - a plain network: the links' mean latency for every message, no random
//     loss, duplication or reordering. Each message draws its latency from its
//     link's stream, so with a random latency every removal reshuffles the
//     rest of the run; with a fixed one most removals keep the failure;
//   - a smaller scale: the system's own settings that bring the same
//     behaviour sooner (SystemDescription::scale_downs; raft-kv snapshots
//     after 4 entries, not 2,000, so a snapshot bug needs a few operations);
//   - focus: the last 1, 2, 4, ... faults before the failure, moved earlier so
//     that the run starts a short lead before them, many draws each (lead,
//     clients' start, length), on a plain network first;
//   - the faults: pinned on the nodes they struck (a fault aimed at a role
//     strikes whoever holds it then, which leaving out any fault before it
//     changes); overlapping ones of the same nodes merged (they count, so one
//     spanning both does the same), two in a row tried as one; delta
//     debugging (ddmin) over the schedule; faults that strike
//     by chance made sure (a loss of every message, or the leader cut off);
//     faults left out at random in new draws; then each fault made simpler:
//     fewer nodes hit, a simpler partition shape, a shorter duration, a lower
//     intensity (loss and duplication amounts, latency, clock offsets);
//   - the workload: thinner workloads drawn (fewer clients, a lower rate, a
//     later start), no clients at all, one key only, then ddmin over the
//     client operations sent (RunConfig::only_ops);
//   - the cluster: fewer nodes (5 -> 3), the schedule mapped onto them.
// A line of search repeats these rounds while they still find a smaller run.
// When a round finds nothing, each fault-point crash is tried as a scheduled
// kill of the same node from the same instant to its restart (the same count,
// but the other steps can then merge it, leave it out or make it simpler),
// and the line goes on if one still fails.
// When a line stalls above a readable size (5 faults and 20 operations), a new
// line starts again from the original run with new draws, and the smallest run
// any line found is the result. The third line starts elsewhere: from the
// first of up to 2,000 small runs (3 nodes, 5 s, frequent faults of the kinds
// the original played, each with a seed of its own) that fails the same
// checks. A failure that needs a long chain of events (Figure 8 of the Raft
// paper: four leader changes in order) is reached in a long run by a chain
// longer than it needs, and no fault of that chain can go; a small run often
// reaches it by a short one. Its seed is then the shrunk run's.
//
// A budget of candidate runs bounds the search (10,000 by default). Runs, not wall time: each run
// is deterministic, and the shrinker's own draws come from a stream of the
// run's seed, so the same failing run always shrinks to the same result, in
// the same number of runs, on any machine under any load.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runner/run.h"

namespace faultline::runner {

struct ShrinkOptions {
    // The budget: candidate runs at most (a candidate proposed again, or one
    // the config's rules refuse, is not run and not counted).
    int runs_max = 10000;
    // Progress lines for the terminal ("  faults: 9   (120 runs)").
    std::function<void(const std::string&)> progress;
};

struct ShrinkResult {
    RunConfig config;                  // the smallest failing config found
    RunResult result;                  // its run
    std::vector<std::string> failing;  // the checks it fails, as the original did
    // Faults: those scheduled and the times a fault point acted.
    std::size_t faults_before = 0;
    std::size_t faults_after = 0;
    std::int64_t operations_before = 0;
    std::int64_t operations_after = 0;
    int runs = 0;
    double wall_seconds = 0;  // reported only
    bool budget_exhausted = false;
};

// The checks a failing run fails; the shrinker keeps exactly these failing.
std::vector<std::string> failing_checks(const RunResult& result);

// The faults of a run as the shrinker counts them: those scheduled, and each
// time a fault point acted (a fault the schedule does not list).
std::size_t faults_counted(const RunResult& result);

// `original` must be a failing run of `config`. Errors: the original did not fail.
Result<ShrinkResult> shrink(const RunConfig& config, const RunResult& original, const ShrinkOptions& options);

}  // namespace faultline::runner
