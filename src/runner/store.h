// The run store: every run leaves a directory a person (or `faultline replay`)
// can open later.
//
//   store/<name>/<YYYYmmddTHHMMSS>-seed<N>/
//       config.json     the RunConfig: everything needed to replay
//       history.jsonl   the client history (check/history.h)
//       results.json    verdicts, statistics, the trace hash
//       trace.bin.zst   every send, delivery, drop, timer and fault (when enabled;
//                       sim/trace_file.h; `faultline trace DIR` prints it as JSON
//                       lines; trace.jsonl instead with --trace-format jsonl)
//       node-logs/      one file per node: what it logged, with its local time
//       report.html     the run's page, drawn from the files above (report/report.h)
//   store/latest  ->    the newest run directory
//
// config.json is written before the run starts, so even a run that dies leaves
// enough behind to replay it, and the trace is streamed to disk as the run goes.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/result.h"
#include "runner/run.h"
#include "runner/run_config.h"
#include "sim/trace.h"

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

// How a stored run's trace is written: the binary trace (trace.bin.zst), or
// JSON lines with every message body (trace.jsonl, zstd-compressed when large;
// rendering the bodies costs several times the simulation).
enum class TraceFormat { binary, jsonl };
const char* trace_format_name(TraceFormat format);
Result<TraceFormat> parse_trace_format(std::string_view name);

struct StoreOptions {
    bool trace = true;  // write the trace
    TraceFormat trace_format = TraceFormat::binary;
    bool update_latest = true;                         // point <store>/latest at the run
    std::function<void(const RunProgress&)> progress;  // RunOptions::progress
};

// A trace file being written as a run goes, in either format.
class TraceOutput {
  public:
    // The file's name in a run directory: trace.bin.zst or trace.jsonl.
    static std::string file_name(TraceFormat format);
    // Starts writing `path`.
    static Result<TraceOutput> open(const std::string& path, TraceFormat format);
    TraceOutput(TraceOutput&&) noexcept;
    TraceOutput& operator=(TraceOutput&&) noexcept;
    ~TraceOutput();

    // For RunOptions::trace_sink.
    sim::TraceSink* sink() const;
    // Closes the file, compressing a large trace.jsonl to trace.jsonl.zst.
    // Returns the path that remains, or the first write error.
    Result<std::string> close();

  private:
    TraceOutput() = default;
    std::string path_;
    TraceFormat format_ = TraceFormat::binary;
    std::unique_ptr<sim::TraceSink> sink_;
    std::FILE* jsonl_ = nullptr;
};

struct StoredRun {
    std::string dir;
    RunResult result;
};

// Runs `config` and stores it whole: config.json before the run starts (so a
// run that dies can still be replayed), the trace as it is written, then
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
