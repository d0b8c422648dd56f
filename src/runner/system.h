// System: what a built-in system contributes to a run.
//
// A system adds its server nodes to the simulation, says how clients talk to it
// (a ClientCodec and an operation generator), may watch every simulated step
// (god's-eye invariant checks), and checks the finished run. The runner owns
// everything else: clients, the network, the schedule, the store.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/prng.h"
#include "check/history.h"
#include "runner/run_config.h"
#include "sim/simulation.h"
#include "workload/client.h"
#include "workload/kv_workload.h"

namespace faultline::runner {

enum class Verdict { valid, invalid, unknown };
const char* verdict_name(Verdict verdict);
// The verdict of several checks together: invalid beats unknown beats valid.
Verdict combine(Verdict a, Verdict b);

struct CheckOutcome {
    std::string name;     // "echo", "linearizability", "election-safety"
    Verdict verdict = Verdict::valid;
    std::string summary;  // one line for the terminal
    Json details;         // for results.json and the report
    // When the failure was complete (the last operation involved returned, or
    // the invariant broke). What happens after cannot matter: the shrinker cuts there.
    std::optional<Nanos> failed_at;
};

class System {
public:
    virtual ~System() = default;

    virtual void build(sim::Simulation& simulation, const RunConfig& config) = 0;
    // Null for systems without clients.
    virtual std::shared_ptr<const workload::ClientCodec> codec() const = 0;
    virtual workload::OpRequest next_op(Prng& random) = 0;
    virtual workload::ClientOptions client_options(const RunConfig& config) const;
    // Runs after every simulated step; may stop the simulation on a violation.
    virtual void after_step(sim::Simulation&) {}
    // What `node` was at simulated time `at`, for counterexamples in words:
    // "the term-1 leader", "down" ("" if the system keeps no such record).
    // `now_leading` is set to who led the newest term then, if another node.
    virtual std::string role_at(std::string_view node, Nanos at, std::string* now_leading) const {
        (void)node;
        (void)at;
        (void)now_leading;
        return "";
    }
    // The server index of the current leader, for leader-aware faults.
    virtual std::optional<int> leader(sim::Simulation&) { return std::nullopt; }
    // Operations to run once the recovery window is over (final reads).
    virtual std::vector<workload::OpRequest> final_ops() { return {}; }
    // Did the system serve this completion? (Availability counts these.) By
    // default an ok; systems add definite answers such as "key does not exist".
    virtual bool served(const check::Operation& completion) const {
        return completion.type == check::OpType::ok;
    }
    virtual std::vector<CheckOutcome> check(const check::History& history,
                                            sim::Simulation& simulation) = 0;
};

// The built-in system a config names (config.system, with config.bug applied);
// an error lists the known ones.
Result<std::unique_ptr<System>> make_system(const RunConfig& config);
std::vector<std::string> system_names();
std::vector<std::string> bug_names();

// Defined next to each system.
Result<std::unique_ptr<System>> make_raft_kv_system(const RunConfig& config);
Result<std::unique_ptr<System>> make_primary_backup_system(const RunConfig& config);
Result<std::unique_ptr<System>> make_detector_system(const RunConfig& config);
// An error unless `text` names detectors (heartbeat, ping, phi), each once.
Status check_detector_list(std::string_view text);
// Linearizability of a lin-kv history (kv model, a cas-register per key).
CheckOutcome check_lin_kv(const check::History& history);
// A final read of every key a lin-kv workload touched.
std::vector<workload::OpRequest> lin_kv_final_reads(const workload::LinKvGenerator& generator);
// Whether a lin-kv system served a completion: "key does not exist" and
// "precondition failed" are answers, not outages.
bool lin_kv_served(const check::Operation& completion);

}  // namespace faultline::runner
