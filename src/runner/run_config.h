// RunConfig: everything that determines a run. Two runs with equal configs (and
// the same build) produce the same trace hash; config.json in the run store is
// this struct, which is what makes `faultline replay` possible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "base/time.h"
#include "runner/options.h"
#include "sim/disk.h"
#include "sim/network.h"

namespace faultline::runner {

// The availability a scenario demands: of the operations invoked in
// [from, to), at least `min` (a fraction) must be served.
struct AvailabilityWindow {
    Nanos from = 0;
    Nanos to = 0;
    double min = 0.9;
    bool operator==(const AvailabilityWindow&) const = default;
};

// The shortest interval a timer option may have (heartbeat_interval,
// election_timeout_min, detector_interval): below it, timers flood the event
// queue and a run never ends.
inline constexpr Nanos kTimerIntervalMin = milliseconds(1);
// The longest stretches of simulated time a run may ask for. A run is a
// simulation of every event in it: 100,000 hours of recovery or a client
// timeout of that length is a run that never ends, not a test.
inline constexpr Nanos kTimeLimitMax = seconds(24 * 3600);  // time_limit, completion_bound, detection_time_max
inline constexpr Nanos kWindowMax = seconds(3600);          // recovery, timeout, fault intervals and durations,
                                                            // detector timeouts and pauses, latency bound
// The most faults a generated schedule may hold. The swarm draws a run's mean
// fault interval between a quarter of --fault-interval and all of it, so a run
// is refused when time_limit / (fault_interval / 4) would pass this.
inline constexpr std::uint64_t kFaultsMax = 100'000;

// The condition of a timer option: at least kTimerIntervalMin.
Status check_timer_interval(const Json& value);

// The most fault-point actions a run may take (RunConfig::fault_point_actions_max).
inline constexpr int kFaultPointActionsMax = 1'000'000;

struct RunConfig {
    std::string system = "raft-kv";
    // A deliberately broken variant of the system ("" for none): see --bug.
    std::string bug;
    int nodes = 5;
    int clients = 10;
    Nanos time_limit = seconds(60);
    std::uint64_t seed = 1;

    // Workload: total rate of new operations across clients, and each request's timeout.
    // Clients start issuing operations at workload_start (the shrinker moves it
    // later to drop operations that do not matter).
    double rate = 100;
    Nanos workload_start = 0;
    // Client operations the run leaves out (the shrinker narrows them down):
    // those on keys other than `only_keys` (empty: every key), generated
    // operations not in `only_ops` (when given; "C:N" is client C's N-th
    // operation, from 0), and with `final_ops` off the final reads. A left-out
    // operation is still drawn, so every random stream stays put; its client
    // just goes on to the next.
    std::vector<Json> only_keys;
    std::optional<std::vector<std::string>> only_ops;
    bool final_ops = true;
    // At most this many fault-point actions (crashes, stretched timers,
    // delayed sends) in the run, the first ones; 0: none, whatever the search
    // plan says. The shrinker lowers it: each action is a fault the schedule
    // does not list.
    int fault_point_actions_max = kFaultPointActionsMax;
    // Fault-point actions left out, by number (from 0, in the order they come;
    // Simulation::enable_fault_points): the shrinker's ddmin over them.
    std::vector<int> fault_point_actions_skipped;
    Nanos timeout = seconds(1);  // 0: clients wait forever
    // Client retries: after a definite "not here" (a redirect), and after a
    // timeout (the same operation, same session sequence, to another server).
    int client_retries = 10;
    int client_timeout_retries = 0;
    // Retries carry the operation's idempotency key (its session sequence); off,
    // each retry is a new request (blind retries). Servers that understand keys
    // (raft-kv, counter) deduplicate them.
    bool idempotency_keys = true;

    // Network: the default link class.
    std::string latency = "exponential:2ms,500us";
    // The latency check: the p99 latency of ok operations invoked in
    // [workload start, time limit) must stay at or below this (0: no check).
    Nanos latency_p99_max = 0;
    double loss = 0;
    double duplicate = 0;
    double reorder = 0;
    Nanos reorder_delay = milliseconds(20);
    std::uint64_t bandwidth_bytes_per_second = 0;
    bool drop_in_flight = false;

    // Disk faults for every node.
    sim::DiskConfig disk;

    // The nemesis: which faults strike during [0, time_limit), drawn from the seed
    // (see nemesis/generator.h), unless `schedule` gives them explicitly.
    std::string nemesis = "all";
    Nanos fault_interval = seconds(8);
    Nanos fault_duration = seconds(6);
    Json schedule;  // null, or an explicit fault schedule (nemesis/schedule.h)
    // How a seed chooses what to try (runner/search.h): default, random,
    // swarm, targeted, fault-points or pct.
    std::string search = "default";
    // After the time limit everything heals; the system must serve clients again
    // within this window (the availability check), then final reads run.
    Nanos recovery = seconds(10);
    // The liveness check: every operation must complete (ok, fail or info)
    // within this long of its invocation; 0 only asks that it completes at all.
    Nanos completion_bound = 0;
    // The timing model (sim/timing.h, docs/timing.md): none (the configured
    // latency and faults, nothing enforced; in effect partial synchrony with
    // the heal at the time limit as its stabilisation time), sync, partial or
    // async. A model keeps every message (no loss) and allows only crash faults.
    std::string timing = "none";
    // Partial: the global stabilisation time (0: drawn from the seed, in the
    // middle half of the time limit; the run reports it).
    Nanos gst = 0;
    // Sync, and partial from GST on: the bound on a message's delay.
    Nanos delay_max = milliseconds(50);
    // Every model: each server's clock drifts by a rate drawn within +-this (ppm).
    double drift_max_ppm = 100;
    // Async: the adversary's least hold of a message to or from the leader or a candidate.
    Nanos async_hold = seconds(1);
    // Extra availability checks over windows of the run (scenarios use them).
    std::vector<AvailabilityWindow> availability;

    // The options of the system the run names, by key (see the system's own
    // table in src/systems/): a JSON object, so that a config is one value
    // whichever system it runs. Keys left out take their defaults.
    Json system_options = Json::object();

    // The common options, declared once (see runner/options.h): the command
    // line, scenario files, config.json and repro lines all come from it.
    static const OptionTable<RunConfig>& options();

    // Every common option and, flattened beside them, the system's own.
    Json to_json() const;
    // Reads config.json strictly: every field with its exact type and range
    // (1.5 is no seed, 4294967297 no node count), and unknown fields are errors.
    static Result<RunConfig> from_json(const Json& json);
    // Checks every option against its declaration, the system's options
    // against the system's, and what no single option can say alone (the
    // workload starts within the time limit, the schedule fits the nodes).
    Status validate() const;
    // The network's default link as the simulator takes it.
    Result<sim::LinkConfig> link_config() const;
    // A `faultline test ...` command line that runs exactly this config: the
    // options that differ from the defaults (the system's too), and the seed. (An explicit
    // schedule or workload filter cannot be spelled on the command line: use
    // `faultline replay`.)
    std::string command_line() const;
};

// A generated client operation, "C:N": client C's N-th operation (both from 0).
struct OpRef {
    std::uint32_t client = 0;
    std::uint64_t number = 0;
    auto operator<=>(const OpRef&) const = default;
};
std::optional<OpRef> parse_op_ref(std::string_view text);
std::string format_op_ref(OpRef ref);

}  // namespace faultline::runner
