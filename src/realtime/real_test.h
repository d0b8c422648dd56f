// `faultline test --real`: a built-in system as N real processes on loopback
// (`faultline serve`, realtime/server.h), the lin-kv workload from clients in
// this process, a nemesis of process and network faults, and the same checks
// and store as a simulated run (docs/real-mode.md).
//
// A run: pick free loopback ports, put a fault proxy link on every directed
// pair of nodes (realtime/peer_proxy.h: each node dials its peers only through
// it), start N servers (each with its data dir in the run's folder, its log in
// node-logs/), wait until every client port answers, then the main phase:
// clients run operations for --time-limit while the nemesis kills (SIGKILL,
// then a restart on the same data dir), pauses (SIGSTOP, then SIGCONT) or
// gracefully restarts (SIGTERM, start again) some nodes, cuts a minority (the
// leader alone, or 1 to (n-1)/2 nodes) off from the rest, or delays every
// link; each fault healed after a while, one network fault at a time. Then every fault is healed, the
// cluster gets --recovery to settle, every key is read once more, the servers
// are stopped, and the history is checked for linearizability.
//
// Everything is bounded: every request has a timeout, every operation a number
// of redirects, the run a hard deadline. The seed fixes the operations, the
// fault schedule and the clients' choices; the processes' timing is the
// operating system's, so a real run is not replayable, only repeatable.
// Every process the run started is stopped before it returns, on every path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "base/time.h"
#include "check/outcome.h"
#include "realtime/endpoint.h"

namespace faultline::realtime {

struct RealTestConfig {
    std::string system = "raft-kv";
    std::string bug;      // a deliberately broken variant, passed to every server
    int nodes = 3;        // 1..9
    int concurrency = 4;  // clients, 1..256
    double rate = 0;      // operations per second, all clients together; 0: as fast as they are answered
    Nanos time_limit = seconds(5);
    std::string nemesis = "kill,pause,restart,partition,latency";  // comma-separated, or "none"
    Nanos nemesis_interval = milliseconds(500);                    // mean time between faults; each lasts about as long
    Nanos client_timeout = seconds(1);
    Nanos recovery = seconds(1);  // after healing, before the final reads
    int keys = 4;                 // keys written at a time
    int read_percent = 40;        // the mix of operations; the rest are cas
    int write_percent = 30;
    std::uint64_t seed = 1;
    std::string binary;  // the faultline binary to start servers from; empty: this one
    Json system_options = Json::object();

    // Every option and its range, one message for the first that is wrong.
    Status validate() const;
    Json to_json() const;
    // The command that runs this config again.
    std::string command_line() const;
};

struct RealTestResult {
    check::Verdict verdict = check::Verdict::valid;
    std::vector<check::Outcome> checks;
    Json results;         // what results.json holds
    std::string summary;  // lines for the terminal
};

// Runs the test, writing config.json, history.jsonl, results.json, node-logs/
// and data/ into `folder` (created). Errors: an invalid config, servers that
// cannot start or never answer, an interrupted run (SIGINT / SIGTERM: its
// history.jsonl and a results.json of verdict unknown are written first).
Result<RealTestResult> run_real_test(const RealTestConfig& config, const std::string& folder);

}  // namespace faultline::realtime
