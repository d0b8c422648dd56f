// Seed sweeps: the same configuration over a range of seeds, in parallel.
//
// Each seed is an independent, deterministic run, so seeds can run on any
// number of threads in any order and give the same verdicts. A sweep stops
// handing out new seeds at the first failure unless asked to keep going; the
// runs already started finish, and every failing seed is reported. It stops
// the same way when its caller asks it to (an interrupted sweep: Ctrl-C).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runner/run.h"

namespace faultline::runner {

struct SweepProgress {
    std::uint64_t runs = 0;   // seeds finished so far
    std::uint64_t total = 0;  // seeds in the range
    std::size_t failures = 0;
    double wall_seconds = 0;
    std::int64_t operations = 0;  // operations invoked by the seeds finished so far
};

struct SweepOptions {
    std::uint64_t first_seed = 1;
    std::uint64_t last_seed = 100;  // inclusive
    int jobs = 1;
    bool keep_going = false;
    // Called from the calling thread about every `progress_seconds` of wall
    // time while the sweep runs (for people only: nothing a run decides
    // depends on it).
    std::function<void(const SweepProgress&)> progress;
    double progress_seconds = 5;
    // Optional: changes each seed's config before it runs (a schedule drawn
    // from the seed by the caller's own rules). Called on a worker thread:
    // it must depend on nothing but its arguments.
    std::function<void(RunConfig& config)> configure;
    // Optional: sees every run that finished, valid or not (a measuring
    // sweep keeps its numbers). Called on a worker thread with the sweep's
    // lock held, so calls never overlap: keep it short.
    std::function<void(const RunResult&)> on_run;
    // Optional: once it reads true, no new seed starts; the seeds running
    // finish and are counted (a signal handler sets it: cli/test_command.cc).
    const std::atomic<bool>* stop_requested = nullptr;
};

struct SweepOutcome {
    std::uint64_t seed = 0;
    Verdict verdict = Verdict::valid;
    std::string error;          // a run that could not run at all
    std::string failed_checks;  // "linearizability, availability"
};

// Every seed that ran, for the sweep's report: its verdict and how hard its
// faults hit (each seed draws its own intensity, nemesis/generator.h).
struct SweepSeed {
    std::uint64_t seed = 0;
    Verdict verdict = Verdict::valid;
    std::size_t faults = 0;  // faults scheduled
    double fault_load = 0;   // the faults' summed durations over the fault phase (overlaps add up)
};

struct SweepResult {
    std::vector<SweepOutcome> failures;  // in seed order
    std::vector<SweepSeed> seeds;        // every seed run, in seed order
    std::uint64_t runs = 0;
    std::uint64_t valid = 0;
    double wall_seconds = 0;
    double simulated_seconds = 0;
    // Stopped by stop_requested before every seed of the range was handed
    // out: the seeds not run are in neither `seeds` nor `failures`.
    bool interrupted = false;
};

// Runs `config` for every seed of the range. `on_failure` is called (from the
// calling thread, in completion order) with each failing run's result, so the
// caller can store it.
SweepResult sweep(const RunConfig& config, const SweepOptions& options,
                  const std::function<void(const RunResult&)>& on_failure);

// Parses "A..B" (or a single seed "A").
Result<std::pair<std::uint64_t, std::uint64_t>> parse_seed_range(const std::string& text);

}  // namespace faultline::runner
