// The harness: `faultline test -w WORKLOAD --bin PROGRAM [ARGS...]` runs the
// user's node program as a cluster of processes under a Maelstrom workload,
// with the simulator's network model and nemesis, and checks what the clients
// saw (../docs/harness.md).
//
// A run: start the programs (init, then the workload's setup), the main phase
// (clients at --rate for --time-limit, the nemesis playing its schedule), heal
// everything, the recovery window and the final operations when the workload
// has any, stop the programs, check. The run's folder holds results.json (as
// Maelstrom's results.edn: stats, net, availability, the workload's checks,
// and the diagnoses of misbehaving nodes), history.jsonl, deliveries.jsonl
// (the order in which messages reached the programs) and node-logs/NAME.log.
//
// The seed fixes every choice the harness makes: latencies, losses, the fault
// schedule, the clients' operations and timing. The programs' own timing is
// the operating system's, so a run is not replayable bit for bit.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "check/outcome.h"
#include "harness/process_runtime.h"
#include "runner/options.h"

namespace faultline::harness {

struct HarnessConfig {
    std::string workload = "lin-kv";
    std::vector<std::string> bin;  // the program and its arguments
    int node_count = 0;            // 0: the names of `nodes`, or Maelstrom's default, five nodes n1..n5
    std::string nodes;             // Jepsen's --nodes: comma-separated names
    Nanos time_limit = seconds(60);
    double rate = 5;                 // operations per second, all clients together
    std::string concurrency = "1n";  // clients: N, or Nn (N per node)
    double latency_ms = 0;           // mean latency between nodes
    std::string latency_dist = "constant";
    std::string nemesis = "none";  // partition, kill, pause (comma-separated), or none
    Nanos nemesis_interval = seconds(10);
    std::string topology = "grid";
    std::string availability;  // "", "total", or a fraction 0..1
    int key_count = 0;
    std::string consistency_models = "strict-serializable";  // txn workloads
    int max_txn_length = 4;
    int max_writes_per_key = 16;
    Nanos recovery = seconds(10);      // after healing, before the final operations
    Nanos client_timeout = 0;          // 0: Maelstrom's, 5 s (lin-kv: 10 x the mean latency, at least 1 s)
    Nanos init_timeout = seconds(10);  // Maelstrom's; tests of hung nodes shorten it
    bool log_stderr = false;
    bool log_net_send = false;  // every message as it is handed to the network, on stderr
    bool log_net_recv = false;  // every message as it is delivered, on stderr
    std::string schedule_file;  // a fault schedule to play instead of a drawn one
    std::uint64_t seed = 1;
};

// The config a stored run was made with (its results.json), for shrinking it.
Result<HarnessConfig> read_harness_run(const std::string& folder);

// The options, declared once (runner/options.h), with Maelstrom's flag names.
const runner::OptionTable<HarnessConfig>& harness_options();

// The node names of a config: n0.. with node_count, else those of `nodes`,
// else n1..n5.
std::vector<std::string> server_names(const HarnessConfig& config);
// How long a client waits for a reply: --client-timeout, or Maelstrom's.
Nanos client_timeout(const HarnessConfig& config);
// The number of clients "--concurrency" asks for.
Result<int> client_count(const HarnessConfig& config);

struct HarnessResult {
    check::Verdict verdict = check::Verdict::valid;
    std::vector<check::Outcome> checks;
    std::vector<Diagnosis> diagnoses;
    Json results;  // what results.json holds
};

// Every error the config can have, before anything starts: the options'
// ranges, the workload, --concurrency, --availability and the fault kinds (a
// program takes partition, kill and pause only).
Status validate_harness_config(const HarnessConfig& config);

// Runs the harness, writing the run into `folder` (created). An error if the
// config is invalid or the program cannot be started.
Result<HarnessResult> run_harness(const HarnessConfig& config, const std::string& folder);

}  // namespace faultline::harness
