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
inline constexpr Nanos kWindowMax = seconds(3600);
// The most faults a generated schedule may hold. The swarm draws a run's mean
// fault interval between a quarter of --fault-interval and all of it, so a run
// is refused when time_limit / (fault_interval / 4) would pass this.
inline constexpr std::uint64_t kFaultsMax = 100'000;     // recovery, timeout, fault intervals and durations,
                                                   // detector timeouts and pauses, latency bound

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
    // Raft's safety features, switchable to demonstrate what each prevents.
    bool pre_vote = true;
    bool check_quorum = true;
    // raft-kv: authenticate replicated entries (HMAC), dropping altered messages.
    bool authenticate = false;
    // raft-kv: a leader whose own timers run late hands leadership over.
    bool step_down_when_slow = false;
    // raft-kv: replication flow control (off: every append resends all the
    // follower lacks, with nothing limiting what is in flight).
    bool flow_control = true;
    // raft-kv: the leader serves reads under a lease (no heartbeat round),
    // assuming clocks drift apart by less than clock_drift_bound allows (see
    // RaftOptions::lease_reads); off, reads use ReadIndex.
    bool lease_reads = false;
    // lww-kv: how replicas stamp writes: physical (their own clock) or hlc.
    std::string timestamps = "hlc";
    // detector: the detectors watching server 0 (heartbeat, ping, phi; comma-
    // separated), their pace, the timeout of heartbeat and ping, phi accrual's
    // threshold and acceptable pause, and the bounds the checks hold them to.
    std::string detectors = "phi";
    Nanos detector_interval = seconds(1);
    Nanos detector_timeout = seconds(5);
    double phi_threshold = 8.0;
    Nanos acceptable_pause = seconds(3);
    double false_suspicions_per_hour_max = 10;
    Nanos detection_time_max = seconds(10);
    double clock_drift_bound = 0.05;
    // raft-kv: bytes of payload per written value, and replication flow control:
    // appends in flight per follower and bytes per append (0: Raft's defaults).
    std::uint32_t value_bytes = 0;
    std::uint32_t inflight_appends_max = 0;
    std::uint32_t append_bytes_max = 0;
    // The latency check: the p99 latency of ok operations invoked in
    // [workload start, time limit) must stay at or below this (0: no check).
    Nanos latency_p99_max = 0;
    // broadcast: how values spread ("tree" or "flood"), and the most server
    // messages per client operation the msgs-per-op check allows (0: no check).
    std::string topology = "tree";
    double msgs_per_op_max = 0;
    // Raft timing; 0 keeps RaftOptions' defaults.
    Nanos election_timeout_min = 0;
    Nanos election_timeout_max = 0;
    Nanos heartbeat_interval = 0;
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
    Nanos fault_interval_max = seconds(8);
    Nanos fault_duration_max = seconds(6);
    Json schedule;  // null, or an explicit fault schedule (nemesis/schedule.h)
    // After the time limit everything heals; the system must serve clients again
    // within this window (the availability check), then final reads run.
    Nanos recovery = seconds(10);
    // The liveness check: every operation must complete (ok, fail or info)
    // within this long of its invocation; 0 only asks that it completes at all.
    Nanos completion_bound = 0;
    // Extra availability checks over windows of the run (scenarios use them).
    std::vector<AvailabilityWindow> availability;

    Json to_json() const;
    // Reads config.json strictly: every field with its exact type and range
    // (1.5 is no seed, 4294967297 no node count), and unknown fields are errors.
    static Result<RunConfig> from_json(const Json& json);
    // Checks ranges (probabilities in [0, 1], counts > 0, a known latency spec,
    // timers no faster than kTimerIntervalMin).
    Status validate() const;
    // The network's default link as the simulator takes it.
    Result<sim::LinkConfig> link_config() const;
    // A `faultline test ...` command line that runs exactly this config: the
    // options that differ from the defaults, and the seed. (An explicit
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
