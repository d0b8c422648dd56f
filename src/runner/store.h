// The run store: every run leaves a directory a person (or `faultline replay`)
// can open later.
//
//   store/<name>/<YYYYmmddTHHMMSS>-seed<N>/
//       config.json     the RunConfig: everything needed to replay
//       history.jsonl   the client history (check/history.h)
//       results.json    verdicts, statistics, the trace hash
//       trace.jsonl     every send, delivery, drop, timer and fault (when enabled)
//       node-logs/      one file per node: what it logged, with its local time
//       report.html     the run's page, drawn from the files above (report/report.h)
//   store/latest  ->    the newest run directory
//
// config.json is written before the run starts, so even a run that dies leaves
// enough behind to replay it.
#pragma once

#include <functional>
#include <string>

#include "base/json.h"
#include "base/result.h"
#include "runner/run.h"
#include "runner/run_config.h"

namespace faultline::runner {

// Creates a fresh run directory and returns its path.
Result<std::string> create_run_directory(const std::string& store_root, const std::string& name, std::uint64_t seed);
Status write_config(const std::string& run_dir, const RunConfig& config);
// Writes history.jsonl, results.json and node-logs/.
Status write_results(const std::string& run_dir, const RunResult& result);
// Points <store_root>/latest at run_dir.
Status update_latest(const std::string& store_root, const std::string& run_dir);

Result<RunConfig> read_config(const std::string& run_dir);
Result<Json> read_results(const std::string& run_dir);

Status write_text_file(const std::string& path, const std::string& text);

struct StoreOptions {
    bool trace = true;                                 // write trace.jsonl (zstd-compressed when large)
    bool update_latest = true;                         // point <store>/latest at the run
    std::function<void(const RunProgress&)> progress;  // RunOptions::progress
};

struct StoredRun {
    std::string dir;
    RunResult result;
};

// Runs `config` and stores it whole: config.json before the run starts (so a
// run that dies can still be replayed), trace.jsonl as it is written, then
// history, results and node logs. Every place that keeps a run (a test, a
// sweep's failing seeds, scenarios, the shrinker) keeps it this way, so a
// stored failure always has its trace. A run found failing without a trace is
// simply run again with one: the same config gives the same run.
Result<StoredRun> run_and_store(const std::string& store_root, const RunConfig& config,
                                const StoreOptions& options = {});

// If `path` is larger than `threshold_bytes`, compresses it to `path`.zst
// (zstd, streaming) and removes the original. Returns the path that remains.
Result<std::string> compress_if_large(const std::string& path, std::uint64_t threshold_bytes);
Result<Json> read_json_file(const std::string& path);

}  // namespace faultline::runner
