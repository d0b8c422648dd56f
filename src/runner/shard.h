// Sweeps beyond one machine: a seed range (or a batch of scenarios) cut into
// N disjoint, balanced shards that run anywhere (a Slurm job array, a
// Kubernetes Indexed Job, GNU parallel over ssh) and exchange nothing, and the
// merge of what the shards wrote back into one sweep result.
//
// A shard's summary (sweep.json, written by `faultline test --shard I/N`)
// names the whole range, its index and the count, the seeds it ran, the
// faultline build that ran them and a hash of the configuration. The merge
// refuses shards of different builds or configurations (their verdicts would
// not be one sweep's), and it lists every seed of the range that no shard ran
// and every seed that more than one ran: a lost shard is visible and is never
// counted as passing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "runner/run_config.h"

namespace faultline::runner {

// The I-th of N shards, counted from 0 (as SLURM_ARRAY_TASK_ID and
// JOB_COMPLETION_INDEX count them).
struct Shard {
    std::uint64_t index = 0;
    std::uint64_t count = 1;
};

// The most shards a range may be cut into.
inline constexpr std::uint64_t shards_max = 1'000'000;

// Parses "I/N" with 0 <= I < N <= shards_max.
Result<Shard> parse_shard(const std::string& text);

// The seeds of `shard` within [first, last] (inclusive, first <= last): the
// slices are contiguous and their sizes differ by at most one (the first ones
// take the remainder), so every seed of the range is in exactly one slice.
// None when the range has fewer seeds than shards and this one gets no seed.
// Handles the whole 64-bit range, [0, 2^64-1], whose size does not fit.
std::optional<std::pair<std::uint64_t, std::uint64_t>> shard_range(std::uint64_t first, std::uint64_t last,
                                                                   Shard shard);

// The items [begin, end) of `shard` among `count` items, cut the same way.
std::pair<std::size_t, std::size_t> shard_slice(std::size_t count, Shard shard);

// The build that runs: faultline's version and a hash of its executable, so
// shards run by different builds (which may give different verdicts for the
// same seed) are never merged as one sweep.
const std::string& build_version();

// A hash of everything a sweep's verdicts depend on but the seed: the config
// (common and system options, bug, schedule) with its seed left out. Printed
// as 16 hex digits.
std::string config_hash(const RunConfig& config);

// Seeds as a sorted list of disjoint inclusive ranges ("1..5", "9").
std::vector<std::pair<std::uint64_t, std::uint64_t>> seed_runs(std::vector<std::uint64_t> seeds);
std::string format_seed_runs(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& runs,
                             std::size_t shown_max = 20);

// A shard whose sweep was interrupted (its sweep.json says "interrupted"):
// it covers only the seeds it ran, the others of its slice are missing.
struct InterruptedShard {
    std::uint64_t index = 0;
    std::uint64_t runs = 0;  // seeds it ran (or could not run at all)
    std::string seeds_run;   // "1..2345"
};

// The merge of shard sweeps (each a sweep.json written with --shard) into
// one sweep.json, and what did not add up.
struct MergedSweep {
    Json sweep;  // the sweep.json of the whole range: the report draws it as any sweep
    std::uint64_t first = 0, last = 0;
    std::uint64_t shard_count = 0;
    std::vector<std::uint64_t> missing_shards;                        // indices no input was
    std::vector<std::uint64_t> duplicated_shards;                     // indices given more than once
    std::vector<std::pair<std::uint64_t, std::uint64_t>> missing;     // seeds of the range no shard ran
    std::uint64_t missing_seeds = 0;                                  // how many
    std::vector<std::pair<std::uint64_t, std::uint64_t>> duplicated;  // seeds run by more than one shard
    std::uint64_t duplicated_seeds = 0;                               // how many (counted once in the result)
    std::vector<std::uint64_t> conflicting;                           // duplicated seeds whose verdicts differ
    std::vector<InterruptedShard> interrupted_shards;                 // in index order
    bool errors = false;                                              // a seed that could not run
    bool invalid = false;                                             // a seed found an anomaly
    bool unknown = false;                                             // a checker gave up on a seed
};

// Merges `shards` (their sweep.json contents; `sources` names each, for
// messages). An error, and no merge, when an input is not a shard's summary or
// the shards differ in build, configuration, range or count.
Result<MergedSweep> merge_sweeps(const std::vector<Json>& shards, const std::vector<std::string>& sources);

// The merge of a scenario batch's shards (`faultline scenario run --all
// --shard I/N`, each writing batch.json): every scenario of the batch once,
// the ones no shard ran, and the ones more than one did.
struct MergedBatch {
    Json batch;  // the batch.json of the whole batch
    std::uint64_t shard_count = 0;
    std::vector<std::uint64_t> missing_shards;
    std::vector<std::uint64_t> duplicated_shards;
    std::vector<std::string> missing;     // scenarios of the batch no shard ran
    std::vector<std::string> duplicated;  // scenarios more than one shard ran (counted once)
    std::size_t ran = 0;                  // scenarios run
    std::size_t unexpected = 0;           // of them, those that did not behave as expected
};

Result<MergedBatch> merge_batches(const std::vector<Json>& shards, const std::vector<std::string>& sources);

// The merge of a coverage-guided search's shards (`faultline test --guided
// --seeds A..B --shard I/N`, each writing guided.json: its share of the run
// budget from its own first seed, exchanging nothing with the others). The
// corpora are united (an entry two shards both kept, the same seed and
// schedule, once), the features reached by any shard counted once, and the
// failing runs listed with the shard that found them.
struct MergedGuided {
    Json guided;  // the guided.json of the whole search
    std::uint64_t shard_count = 0;
    std::vector<std::uint64_t> missing_shards;
    std::vector<std::uint64_t> duplicated_shards;
    std::uint64_t runs = 0;
    std::size_t corpus = 0;
    std::size_t features = 0;
    bool errors = false, invalid = false, unknown = false;
};

Result<MergedGuided> merge_guided(const std::vector<Json>& shards, const std::vector<std::string>& sources);

}  // namespace faultline::runner
