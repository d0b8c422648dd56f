// One run end to end: config -> simulation + clients -> history + trace -> checks.
//
// The run builds the system's nodes and one RpcClient per configured client,
// drives each client in a closed loop (invoke, wait for the completion, pause
// for an exponential think time that yields the configured total rate), stops
// issuing operations at the time limit, lets outstanding ones finish or time
// out, then runs the system's checks. Everything inside draws from the seed:
// the same config gives the same history and the same trace hash.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "check/history.h"
#include "nemesis/schedule.h"
#include "runner/run_config.h"
#include "runner/system.h"
#include "sim/simulation.h"

namespace faultline::runner {

struct OpCounts {
    std::int64_t invoked = 0;
    std::int64_t ok = 0;
    std::int64_t fail = 0;
    std::int64_t info = 0;
};

struct LatencySummary {
    Nanos p50 = 0;
    Nanos p99 = 0;
    Nanos max = 0;
};

struct RunResult {
    RunConfig config;
    std::uint64_t trace_hash = 0;
    std::uint64_t trace_events = 0;
    sim::SimulationStats stats;
    check::History history;
    OpCounts ops;
    LatencySummary latency;  // of ok operations, invoke to completion
    Nanos simulated = 0;
    double wall_seconds = 0;
    std::vector<CheckOutcome> checks;
    Verdict verdict = Verdict::valid;
    std::string stopped_because;   // empty unless the run stopped early
    Json search;                   // the search plan (runner/search.h) the run followed
    std::string search_described;  // the plan in one line (SearchPlan::describe)
    // The system's abstraction of the run (System::abstract_run), for coverage-guided search.
    std::vector<std::uint64_t> abstract_features;
    nemesis::Schedule schedule;  // the faults that were scheduled
    // The same as it played: aimed faults on the nodes they struck (Nemesis::played).
    nemesis::Schedule played;
    // Faults the schedule does not list: the fault-point actions that acted,
    // by number (RunConfig::fault_point_actions_skipped), each noted in the trace.
    std::vector<int> fault_point_acted;
    int fault_point_hits() const { return static_cast<int>(fault_point_acted.size()); }
    // The crashes among them, each with its node and times (the shrinker
    // plays one as a scheduled kill).
    std::vector<sim::Simulation::FaultPointCrash> fault_point_crashes;
    std::vector<std::string> nemesis_log;  // what the nemesis did, when
    Nanos healed_at = 0;                   // when everything healed
    // The timing model (null for none): its bounds, the stabilisation time
    // (gst_ns) of partial synchrony, each server's drift (runner/run.cc).
    Json timing;
    std::map<std::string, std::vector<std::string>> node_logs;
    // The generated client operations that were sent, in the order sent (the
    // shrinker leaves them out one by one; final operations are not listed).
    std::vector<OpRef> sent_ops;
    // Each server's role over time (System::role_timeline), for the report.
    Json roles = Json::array();

    double events_per_second() const;
    double speedup() const;  // simulated seconds per wall second
    Json to_json() const;    // results.json (without the history)
};

// How far a run has come, for a progress bar.
struct RunProgress {
    Nanos simulated = 0;  // simulated time so far
    Nanos end = 0;        // when the run will end at the latest
    OpCounts ops;         // operations so far
};

struct RunOptions {
    // When set, every trace event is streamed here as the run goes
    // (sim/trace_file.h: the binary trace; sim::JsonlTraceSink: trace.jsonl).
    sim::TraceSink* trace_sink = nullptr;
    bool keep_node_logs = true;
    // Called from the run's thread about every `progress_seconds` of wall time
    // (for people only: nothing the run decides depends on it).
    std::function<void(const RunProgress&)> progress;
    double progress_seconds = 0.1;
};

Result<RunResult> run(const RunConfig& config, const RunOptions& options = {});

OpCounts count_ops(const check::History& history);
LatencySummary summarize_latency(const check::History& history);

}  // namespace faultline::runner
