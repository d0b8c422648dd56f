// The edits the shrinker (runner/shrink.h) makes to a run, as pure functions
// of faults and configs: simpler versions of one fault, a schedule mapped onto
// fewer nodes, faults of the same effect merged, a plain network, a readable
// rate. None runs anything, so each is tested on its own
// (tests/runner/shrink_edits_test.cc).
#pragma once

#include <optional>
#include <vector>

#include "nemesis/schedule.h"
#include "runner/run_config.h"

namespace faultline::runner {

// Kinds that strike each message (or read) with probability `amount`.
bool strikes_by_chance(nemesis::FaultKind kind);

// The schedule of a run of `nodes` servers played on a smaller cluster: the
// servers past the last leave every fault, a partition reads its order
// without them, and a fault left with no one to hit (or too few to split) is
// left out.
std::vector<nemesis::Fault> faults_for_nodes(const std::vector<nemesis::Fault>& faults, int nodes);

// Versions of one fault a reader would find simpler, each one step from it:
// fewer nodes hit, a simpler partition shape, half the duration, half the
// intensity (a wider link for a bandwidth cap; a sure loss or duplication
// stays sure, see Shrinker::make_faults_certain). Each step makes one measure
// strictly smaller, so applying them while the run still fails ends.
std::vector<nemesis::Fault> simpler_versions(const nemesis::Fault& fault);

// The network of `config` made plain: every message takes the links' mean
// latency (to a tenth of a millisecond), and the links themselves lose,
// duplicate and reorder nothing (faults aside). False if it was plain already.
//
// Besides being simpler to follow, a plain network is what makes a run
// shrink. With a random latency each message draws its own from its link's
// stream, so leaving out one operation shifts every later latency on the links
// it used, and with them who wins the next election: nearly any removal long
// before the failure loses it. With a fixed latency the same removals nearly
// always keep it (BENCHMARKS.md, "Shrinking").
bool make_network_plain(RunConfig& config);

// Faults that act the same way on the same nodes and compose by counting, so
// that two overlapping ones do what one spanning both would.
bool same_effect(const nemesis::Fault& a, const nemesis::Fault& b);

// Merges each run of overlapping faults of the same effect (same_effect) into
// one that spans them; the schedule stays in start order. False if none overlap.
bool merge_overlapping(std::vector<nemesis::Fault>& faults);

// Two kills, or two pauses, of different nodes that overlap in time as one
// fault on all their nodes, from the first's start to the last's end: each
// node is down a little longer than it was, so the run is another (the
// shrinker tries it), with one fault fewer to follow. Nothing for other kinds,
// aimed faults, or faults that do not overlap.
std::optional<nemesis::Fault> joined(const nemesis::Fault& a, const nemesis::Fault& b);

// A rate as a reader would write it: two significant digits, and not below
// 0.1 operations per second (a run that thin has no clients to speak of, which
// Shrinker::fewer_clients says with none).
double readable_rate(double rate);

}  // namespace faultline::runner
