// System: what a built-in system contributes to a run.
//
// A system adds its server nodes to the simulation, says how clients talk to it
// (a ClientCodec and an operation generator), may watch every simulated step
// (god's-eye invariant checks), and checks the finished run. The runner owns
// everything else: clients, the network, the schedule, the store.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/prng.h"
#include "check/history.h"
#include "check/outcome.h"
#include "nemesis/schedule.h"
#include "runner/options.h"
#include "runner/run_config.h"
#include "sim/simulation.h"
#include "workload/client.h"
#include "workload/kv_workload.h"
#include "workload/shape.h"

namespace faultline::runner {

// The runner speaks the checks' vocabulary (check/outcome.h).
using check::combine;
using check::verdict_name;
using Verdict = check::Verdict;
using CheckOutcome = check::Outcome;

class System {
  public:
    virtual ~System() = default;

    virtual void build(sim::Simulation& simulation, const RunConfig& config) = 0;
    // Null for systems without clients.
    virtual std::shared_ptr<const workload::ClientCodec> codec() const = 0;
    virtual workload::OpRequest next_op(Prng& random) = 0;
    // The run's workload shape (runner/search.h), before any operation is
    // drawn: a system applies the parts its workload knows (the mix, the keys).
    virtual void shape_workload(const workload::WorkloadShape& shape) { (void)shape; }
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
    // Each server's role over time, for the report's lanes: one entry per
    // change, {"t": ns, "node": "n1", "role": "leader", "term": 3}, with role
    // "down" while the node is crashed (empty if the system keeps no such record).
    virtual Json role_timeline() const { return Json::array(); }
    // The server index of the current leader, for leader-aware faults.
    virtual std::optional<int> leader(sim::Simulation&) { return std::nullopt; }
    // The server index of a node that holds `role` now, for role-targeted
    // faults (nemesis/schedule.h). Called after every step while such a fault
    // waits, so keep it cheap. The description's `roles` lists those a system
    // can find; by default only the leader.
    virtual std::optional<int> node_in_role(sim::Simulation& simulation, nemesis::TargetRole role) {
        return role == nemesis::TargetRole::leader ? leader(simulation) : std::nullopt;
    }
    // Operations to run once the recovery window is over (final reads).
    virtual std::vector<workload::OpRequest> final_ops() { return {}; }
    // Did the system serve this completion? (Availability counts these.) By
    // default an ok; systems add definite answers such as "key does not exist".
    virtual bool served(const check::Operation& completion) const { return completion.type == check::OpType::ok; }
    virtual std::vector<CheckOutcome> check(const check::History& history, sim::Simulation& simulation) = 0;
    // An abstraction of the finished run for coverage-guided search
    // (runner/explore.h): a hash for each abstract state or transition the
    // system went through. Two runs that add the same hashes behaved alike.
    // By default none: the explorer then sees only the order of the faults.
    virtual void abstract_run(std::vector<std::uint64_t>& features) const { (void)features; }
};

// A system's description: what `faultline test --system NAME`, `--help`,
// `scenario list` and the docs know of it. Each system registers its own, from
// its own file (src/systems/NAME.cc), at static initialization:
//
//   const SystemRegistration registration{{
//       .name = "tally",
//       .summary = "a counter that sums on one node",
//       .options = &tally_options(),
//       .make = [](const RunConfig& config) -> Result<std::unique_ptr<System>> { ... },
//   }};
//
// Nothing else lists systems: adding one is its core, its description and its tests.
struct SystemDescription {
    std::string name;
    std::string summary;                    // one line
    const OptionSchema* options = nullptr;  // its own options (null: none)
    std::vector<std::string> bugs;          // deliberately broken variants (--bug)
    // For a bug whose code only some setting reaches, that setting of the
    // system's own options (`lease-no-drift` needs {"lease_reads": true}): the
    // system refuses the bug without it, and measurements apply it.
    std::map<std::string, Json> bug_needs;
    // The names of the outcomes its `check` returns ("linearizability"), beside
    // the service checks every system with clients gets (kServiceChecks). A
    // scenario's `failing` list may name only these.
    std::vector<std::string> checks;
    // Boolean options of its own that the search may flip on a seed where
    // the run leaves them unset (FoundationDB's knobs): settings the system is
    // correct under either way, whose other value opens other interleavings
    // (raft-kv: pre_vote, check_quorum). Empty: none.
    std::vector<std::string> knobs;
    // Settings of its own options under which the same behaviour comes at a
    // smaller scale, for the shrinker to try, smallest first (raft-kv:
    // snapshot_interval_entries 4, 16, ...: a run that needs a snapshot then
    // needs a few operations, not 2,000). Empty: none.
    std::map<std::string, std::vector<Json>> scale_downs;
    // The roles node_in_role finds: faults may be aimed at these (--search
    // targeted). Empty: none.
    std::vector<nemesis::TargetRole> roles;
    // Builds the system for a run. config.system_options holds this system's
    // options, normalized (every key, checked against the declarations).
    std::function<Result<std::unique_ptr<System>>(const RunConfig& config)> make;
};

// The checks the runner adds to every run (check/service_checks.h), and "run"
// (the simulation stopped on an error).
// "liveness-after-gst" is partial synchrony's (--timing partial).
inline const std::vector<std::string> kServiceChecks = {"availability", "liveness", "liveness-after-gst", "latency",
                                                        "run"};

class SystemRegistration {
  public:
    explicit SystemRegistration(SystemDescription description);
};

// Every registered system, by name.
std::vector<const SystemDescription*> all_systems();
const SystemDescription* find_system(std::string_view name);
std::vector<std::string> system_names();
// The system of a name; an error lists the known ones.
Result<const SystemDescription*> system_named(std::string_view name);

// Sets in `config` what its bug needs to be reachable (SystemDescription::bug_needs),
// for measurements that run every bug of a system.
void apply_bug_needs(RunConfig& config);

// The built-in system a config names (config.system, with config.bug applied).
Result<std::unique_ptr<System>> make_system(const RunConfig& config);

// A new system of type SystemType, as a `make` returns it.
template <class SystemType, class... Args>
Result<std::unique_ptr<System>> new_system(Args&&... args) {
    return std::unique_ptr<System>(std::make_unique<SystemType>(std::forward<Args>(args)...));
}

// A system's typed options from a config (for its `make`).
template <class Options>
Result<Options> system_options(const RunConfig& config, const OptionTable<Options>& table) {
    auto normalized = table.normalize(config.system_options);
    if (!normalized) return normalized.error();
    return table.decode(*normalized);
}

}  // namespace faultline::runner
