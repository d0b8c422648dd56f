// A stored run as the report sees it: what the store holds (config.json,
// results.json, history.jsonl, the trace), read once into the shapes the
// pages draw.
//
// The trace becomes lanes (one per node and client) and arrows (one per
// delivery, drop, or message still in flight when the run ended), sorted by
// send time; duplicated deliveries and tampered messages are flagged, and
// crashes and pauses become spans of their lane. Every message is kept: the
// page draws what is in view, so nothing is capped here.
//
// A real run (`faultline test --real`, `faultline test --system etcd`) ran
// real processes in wall-clock time and has no trace: its proxy forwards the
// nodes' bytes without decoding them into messages. Its faults are read from
// results.json's `faults` (each with its wall-clock offsets), its length from
// its wall-clock time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "base/time.h"
#include "check/history.h"

namespace faultline::report {

struct Lane {
    std::string name;  // "n0", "c3"
    bool server = false;
};

// One message's path: from its send to its delivery (or drop).
struct Arrow {
    enum Flag : std::uint8_t {
        dropped = 1,
        duplicate = 2,  // the second delivery of a duplicated message
        tampered = 4,   // altered in flight
        in_flight = 8,  // neither delivered nor dropped when the run ended
    };
    Nanos sent = 0;
    Nanos ended = 0;  // delivered, dropped, or the end of the run
    std::uint16_t from = 0;
    std::uint16_t to = 0;
    std::uint16_t type = 0;  // index into RunData::message_types
    std::uint8_t flags = 0;
    std::uint8_t drop_reason = 0;  // index into RunData::drop_reasons (dropped only)
    std::uint64_t message = 0;     // the trace's message id
};

// A lane's node was down or paused over [from, to).
struct LaneSpan {
    std::uint16_t lane = 0;
    Nanos from = 0;
    Nanos to = 0;
    std::string state;  // "crashed", "paused"
};

// A fault event of the trace (a nemesis action, a disk fault, a tampering).
struct FaultMark {
    Nanos time = 0;
    std::string text;
};

// One client operation: its invocation and completion (if any).
struct ClientOp {
    std::int64_t invoke_index = 0;
    std::int64_t complete_index = -1;  // -1: never completed
    Nanos invoked = 0;
    Nanos completed = 0;  // the end of the run when never completed
    std::int64_t process = 0;
    check::OpType outcome = check::OpType::info;
    std::string label;  // "write 3 to k1", "read k1 = 4"
};

struct LoadOptions {
    bool trace = true;
    // Keep the arrows that overlap this window only (the others are counted):
    // a page that shows several runs side by side embeds the window it shows.
    std::optional<std::pair<Nanos, Nanos>> clip;
    // Message bodies are kept for arrows sent in [body_from, body_to), up to
    // `body_bytes_max` in all; when the whole run's bodies fit, all of them.
    std::uint64_t body_bytes_max = 4 << 20;
};

struct RunData {
    std::string dir;
    bool real = false;  // real processes, wall-clock time, no trace (see above)
    Json config;        // config.json
    Json results;       // results.json
    std::string repro;  // a command that runs it again
    check::History history;
    std::vector<ClientOp> ops;  // in order of invocation

    bool has_trace = false;
    std::string trace_note;  // why there is no diagram, if there is none
    std::vector<Lane> lanes;
    std::vector<std::string> message_types;
    std::vector<std::string> drop_reasons;
    std::vector<Arrow> arrows;  // by send time
    std::uint64_t arrows_clipped = 0;
    std::map<std::size_t, std::string> bodies;  // by arrow index
    std::vector<LaneSpan> lane_spans;
    std::vector<FaultMark> fault_marks;

    Nanos end = 0;  // the run's length: simulated, or wall-clock for a real run
    // The first anomaly: from the earliest operation a failed check involves
    // to when the failure was complete (none for a valid run).
    std::optional<std::pair<Nanos, Nanos>> anomaly;

    // The lane of a node or client, by name (-1 if none).
    int lane_of(const std::string& name) const;
    // The client lane of a history process (-1 if none).
    int lane_of_process(std::int64_t process) const;
};

// Whether a stored run's config.json is a real run's.
bool is_real_run(const Json& config);

// The command that runs the stored run in `dir` (with config.json `config`) again.
std::string repro_command(const std::string& dir, const Json& config);

// Reads the run stored in `dir`. Only config.json and results.json are
// required; a run without history or trace gives a report without those parts.
Result<RunData> load_run(const std::string& dir, const LoadOptions& options = {});

// The first anomaly of a run's results (see RunData::anomaly).
std::optional<std::pair<Nanos, Nanos>> first_anomaly(const Json& results, const check::History& history);

// Reads history.jsonl (check/history.h) with each operation's own index.
Result<check::History> read_history(const std::string& path);

}  // namespace faultline::report
