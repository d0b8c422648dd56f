// The one place the report reads a run's trace.
//
// A stored run keeps its trace as trace.bin.zst (binary, no message bodies),
// or, with --trace-format jsonl, trace.jsonl (trace.jsonl.zst when large), with
// the bodies (docs/formats.md). Everything in report/ sees the trace only through
// for_each_trace_event, so a change of the store's trace format changes this
// file and no other.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/time.h"
#include "sim/trace.h"

namespace faultline::report {

// One event of a run's trace. The views are valid only during the call that
// hands the event over.
struct TraceRecord {
    Nanos time = 0;
    sim::TraceKind kind = sim::TraceKind::send;
    std::string_view node;    // the acting node: sender, receiver, timer owner
    std::string_view peer;    // the other end of a message
    std::uint64_t id = 0;     // the message id (a send and its deliveries share it) or the timer id
    std::string_view type;    // the message type
    std::string_view reason;  // why a message was dropped
    std::string_view text;    // what a fault did
    // The message as JSON (sends only, jsonl traces only), rendered only when
    // asked for: most readers never look at bodies, and rendering them is most
    // of the cost. Null when the trace has no bodies.
    std::function<std::string()> body;
};

// The trace file of the run in `run_dir`, if it has one.
std::optional<std::string> trace_file(const std::string& run_dir);

// Calls `visit` with every event of the run's trace, in the order they
// happened. A run without a trace is a not_found error; a damaged file is an
// error naming it and the line.
Status for_each_trace_event(const std::string& run_dir, const std::function<void(const TraceRecord&)>& visit);

}  // namespace faultline::report
