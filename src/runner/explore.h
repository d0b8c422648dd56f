// Coverage-guided search (`faultline test --guided`): a sweep that learns
// which fault schedules reach behaviour not seen before, and tries more like
// them (Mallory, CCS 2023; ModelFuzz, OOPSLA 2025).
//
// Coverage is an abstraction of each run, not of the code: the system says
// which abstract states and transitions its nodes went through
// (System::abstract_run: for Raft, each node's moves between roles and terms,
// and the cluster's census of roles), and the explorer adds the order in
// which fault kinds overlapped. A run that reaches a feature no earlier run
// reached joins the corpus, with its seed and the schedule it ran. Each later
// run takes a corpus entry and mutates its schedule: a fault added (drawn as
// the generator draws them), removed, moved, stretched or shrunk, aimed at
// another role, or faults spliced in from another entry; and keeps the
// entry's seed or takes a fresh one.
//
// Deterministic: the explorer draws its choices from `seed`'s own stream in
// one thread and runs candidates in batches, taking their results in batch
// order, so the same options give the same runs, corpus and verdict with any
// number of jobs. The budget counts runs.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "base/json.h"
#include "runner/run.h"

namespace faultline::runner {

struct ExploreOptions {
    std::uint64_t runs = 1000;        // the budget
    std::uint64_t seed = 1;           // the first seeds (the corpus starts from them) and the explorer's choices
    std::uint64_t initial_runs = 16;  // runs of plain seeds before mutating
    int jobs = 1;
    bool keep_going = false;  // else: stop at the first failing run
    std::function<void(std::uint64_t runs, std::size_t corpus, std::size_t features, std::size_t failures)> progress;
};

struct ExploreFailure {
    std::uint64_t run = 0;  // which run found it (1 = the first)
    RunConfig config;       // its config, with the explicit schedule it ran
    Verdict verdict = Verdict::invalid;
    std::string error;  // a run that could not run
};

// A corpus entry: a run that reached something new, as it can be run again.
struct CorpusEntry {
    std::uint64_t seed = 0;
    Json schedule;  // the explicit fault schedule it ran (nemesis/schedule.h)
};

struct ExploreResult {
    std::uint64_t runs = 0;
    std::size_t corpus = 0;    // entries kept
    std::size_t features = 0;  // distinct features reached
    // The corpus in the order its entries joined, and the features reached,
    // sorted: what a shard of a guided search keeps for the merge, which
    // unites the corpora and counts the features reached by any shard.
    std::vector<CorpusEntry> corpus_entries;
    std::vector<std::uint64_t> reached;
    std::vector<ExploreFailure> failures;
    double wall_seconds = 0;
};

// The features of a finished run: the system's abstraction plus the order of
// its faults (exposed for tests).
std::vector<std::uint64_t> run_features(const RunResult& result, const std::vector<std::uint64_t>& system_features);

// Runs `base` (its system, options and search plan) guided by coverage.
// `on_failure` gets each failing run (from the calling thread, in run order).
ExploreResult explore(const RunConfig& base, const ExploreOptions& options,
                      const std::function<void(const RunResult&)>& on_failure);

}  // namespace faultline::runner
