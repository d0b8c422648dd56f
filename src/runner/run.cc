#include "runner/run.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <set>
#include <tuple>
#include <unordered_map>

#include "check/service_checks.h"
#include "nemesis/generator.h"
#include "nemesis/nemesis.h"
#include "runner/search.h"
#include "runtime/simulation_runtime.h"
#include "workload/client.h"

namespace faultline::runner {

double RunResult::events_per_second() const {
    return wall_seconds > 0 ? static_cast<double>(stats.events) / wall_seconds : 0;
}

double RunResult::speedup() const {
    return wall_seconds > 0 ? to_seconds(simulated) / wall_seconds : 0;
}

Json RunResult::to_json() const {
    Json checks_json = Json::array();
    for (const CheckOutcome& check : checks) {
        Json entry{{"name", check.name},
                   {"verdict", verdict_name(check.verdict)},
                   {"summary", check.summary},
                   {"details", check.details}};
        if (check.failed_at) entry["failed_at_ns"] = *check.failed_at;
        checks_json.push_back(std::move(entry));
    }
    return Json{
        {"verdict", verdict_name(verdict)},
        {"trace_hash", fmt::format("{:016x}", trace_hash)},
        {"trace_events", trace_events},
        {"ops", {{"invoked", ops.invoked}, {"ok", ops.ok}, {"fail", ops.fail}, {"info", ops.info}}},
        {"latency_ns", {{"p50", latency.p50}, {"p99", latency.p99}, {"max", latency.max}}},
        {"messages",
         {{"sent", stats.messages_sent},
          {"delivered", stats.messages_delivered},
          {"dropped", stats.messages_dropped},
          {"duplicated", stats.messages_duplicated},
          {"tampered", stats.messages_tampered},
          {"server_messages", stats.server_messages},
          {"bytes_sent", stats.bytes_sent}}},
        {"events", stats.events},
        {"simulated_ns", simulated},
        {"wall_seconds", wall_seconds},
        {"checks", checks_json},
        {"stopped_because", stopped_because},
        {"search", search},
        {"schedule", schedule.to_json()},
        {"nemesis_log", nemesis_log},
        {"fault_point_hits", fault_point_hits()},
        {"healed_at_ns", healed_at},
        {"roles", roles},
        {"timing", timing},
    };
}

OpCounts count_ops(const check::History& history) {
    OpCounts counts;
    for (const check::Operation& op : history) {
        switch (op.type) {
            case check::OpType::invoke:
                ++counts.invoked;
                break;
            case check::OpType::ok:
                ++counts.ok;
                break;
            case check::OpType::fail:
                ++counts.fail;
                break;
            case check::OpType::info:
                ++counts.info;
                break;
        }
    }
    return counts;
}

LatencySummary summarize_latency(const check::History& history) {
    std::unordered_map<std::int64_t, Nanos> invoked_at;  // process -> invoke time
    std::vector<Nanos> latencies;
    for (const check::Operation& op : history) {
        if (op.type == check::OpType::invoke) {
            invoked_at[op.process] = op.time;
        } else if (op.type == check::OpType::ok) {
            auto found = invoked_at.find(op.process);
            if (found != invoked_at.end()) latencies.push_back(op.time - found->second);
        }
    }
    LatencySummary summary;
    if (latencies.empty()) return summary;
    std::sort(latencies.begin(), latencies.end());
    auto quantile = [&](double q) {
        const auto rank = static_cast<std::size_t>(q * static_cast<double>(latencies.size() - 1));
        return latencies[rank];
    };
    summary.p50 = quantile(0.5);
    summary.p99 = quantile(0.99);
    summary.max = latencies.back();
    return summary;
}

namespace {

// Drives one client in a closed loop, one operation at a time, each due a
// think time after the last, until `stop_at`; then it takes final operations
// from a shared queue.
class ClientDriver {
  public:
    ClientDriver(runtime::Runtime& runtime, System& system, NodeId client, std::string_view name, Nanos start_at,
                 Nanos stop_at, double think_mean_ns, std::uint64_t seed, std::deque<workload::OpRequest>& finals,
                 std::vector<OpRef>& sent)
        : runtime_(runtime),
          start_at_(start_at),
          system_(system),
          client_(client),
          stop_at_(stop_at),
          think_mean_ns_(think_mean_ns),
          random_(Prng::stream(seed, "workload/" + std::string(name))),
          finals_(finals),
          sent_(sent) {}

    // Called at the start and after every completion.
    void schedule_next() {
        if (runtime_.now() >= stop_at_) {
            take_final();
            return;
        }
        // The next invocation is due a think time after the previous one was
        // due, or at once if the previous operation outlasted that: a client's
        // timing then does not hang on each latency, so leaving one operation
        // out (the shrinker) does not shift all the client's later ones.
        const Nanos think = static_cast<Nanos>(random_.exponential(think_mean_ns_));
        Nanos when = std::max(runtime_.now(), std::max(due_, start_at_) + think);
        // No client starts an operation in a quiet window (runner/search.h).
        if (shape_ != nullptr) when = shape_->after_quiet(when);
        due_ = when;
        if (when >= stop_at_) return;
        runtime_.at(when, [this] {
            workload::OpRequest op = system_.next_op(random_);
            const OpRef ref{client_index_, generated_++};
            if (left_out(op) || (only_ops_ && !only_ops_->contains(ref))) {
                schedule_next();
                return;
            }
            sent_.push_back(ref);
            invoke(std::move(op));
        });
    }

    // Starts a final operation if this client is idle and any are left.
    void take_final() {
        if (finals_.empty()) return;
        auto* client = static_cast<workload::RpcClient*>(runtime_.node(client_));
        if (client == nullptr || !client->idle()) return;
        workload::OpRequest op = std::move(finals_.front());
        finals_.pop_front();
        if (left_out(op)) {
            take_final();
            return;
        }
        invoke(std::move(op));
    }

    // The shrinker's filter (RunConfig::only_keys, skipped_ops).
    void filter(std::uint32_t client_index, const std::vector<Json>* only_keys,
                std::optional<std::set<OpRef>> only_ops) {
        client_index_ = client_index;
        only_keys_ = only_keys;
        only_ops_ = std::move(only_ops);
    }
    void set_shape(const workload::WorkloadShape* shape) { shape_ = shape->quiet.empty() ? nullptr : shape; }

  private:
    bool left_out(const workload::OpRequest& op) const {
        return only_keys_ != nullptr && !only_keys_->empty() && !op.key.is_null() &&
               std::find(only_keys_->begin(), only_keys_->end(), op.key) == only_keys_->end();
    }

    void invoke(workload::OpRequest op) {
        runtime_.invoke(client_, [&](Node& node, Context& ctx) {
            static_cast<workload::RpcClient&>(node).invoke(ctx, std::move(op));
        });
    }

    runtime::Runtime& runtime_;
    Nanos start_at_;
    System& system_;
    NodeId client_;
    Nanos stop_at_;
    double think_mean_ns_;
    Prng random_;
    std::deque<workload::OpRequest>& finals_;
    std::uint32_t client_index_ = 0;
    std::uint64_t generated_ = 0;
    Nanos due_ = 0;  // when the last invocation was due
    std::vector<OpRef>& sent_;
    const std::vector<Json>* only_keys_ = nullptr;
    std::optional<std::set<OpRef>> only_ops_;         // none: every generated op
    const workload::WorkloadShape* shape_ = nullptr;  // for its quiet windows (none: no quiet windows)
};

}  // namespace

namespace {

// Time for final operations (and for those still in flight when clients stop):
// enough for each client to run a few back to back, each waiting at most its
// timeout. Clients that wait forever get ten seconds apiece.
constexpr Nanos final_settle = seconds(1);

Nanos finals_allowance(const RunConfig& config) {
    return (config.timeout > 0 ? config.timeout : seconds(10)) * 4;
}

}  // namespace

// A counterexample names operations by history index; here they are told as
// what happened in the run: who answered, as what, when, under which faults.
// "n2 answered read of key 3 = nil at 4.09s, as the term-1 leader (n3 had led
// term 2 since 3.42s); faults then: 2.5s..6s partition halves [n0 n1 | ...]"
void explain_in_the_run(CheckOutcome& check, const check::History& history, const nemesis::Schedule& schedule,
                        const System& system) {
    if (!check.details.is_object() || !check.details.contains("involved_ops")) return;
    std::vector<const check::Operation*> ops;
    for (const Json& index : check.details["involved_ops"]) {
        if (!index.is_number_integer()) continue;
        const auto position = index.get<std::int64_t>();
        if (position >= 0 && static_cast<std::size_t>(position) < history.size()) ops.push_back(&history[position]);
    }
    std::sort(ops.begin(), ops.end(),
              [](const auto* a, const auto* b) { return std::tie(a->time, a->index) < std::tie(b->time, b->index); });
    ops.erase(std::unique(ops.begin(), ops.end()), ops.end());
    Json lines = Json::array();
    for (const check::Operation* op : ops) {
        std::string what = op->f;
        if (!op->key.is_null()) what += " of key " + op->key.dump();
        std::string line;
        if (op->type == check::OpType::invoke || op->node.empty()) {
            line = fmt::format("{} (process {}) got no answer: its outcome is unknown from {}", what, op->process,
                               format_duration(op->time));
        } else {
            const std::string outcome =
                op->type == check::OpType::ok
                    ? (op->value.is_null() ? "nil" : op->value.dump())
                    : fmt::format("{} (error {})", check::op_type_name(op->type), op->error.dump());
            line = fmt::format("{} answered {} = {} at {}", op->node, what, outcome, format_duration(op->time));
            std::string now_leading;
            const std::string role = system.role_at(op->node, op->time, &now_leading);
            if (!role.empty()) line += ", as " + role;
            if (!now_leading.empty()) line += " (" + now_leading + ")";
        }
        std::string faults;
        for (const nemesis::Fault& fault : schedule.faults) {
            if (fault.start <= op->time && op->time < fault.end()) {
                faults += (faults.empty() ? "" : "; ") + fault.describe_span();
            }
        }
        if (!faults.empty()) line += "; faults then: " + faults;
        lines.push_back(line);
    }
    if (lines.empty()) return;
    check.details["in_the_run"] = lines;
    while (!check.summary.empty() && check.summary.back() == '\n') check.summary.pop_back();
    check.summary += "\n               in the run:";
    for (const Json& line : lines) check.summary += "\n                 " + line.get<std::string>();
}

namespace {

// The nemesis: an explicit schedule, or one drawn from the seed as the search plan says.
Result<nemesis::Schedule> make_schedule(const RunConfig& config, const SearchPlan& plan) {
    if (!config.schedule.is_null()) return nemesis::Schedule::from_json(config.schedule, config.nodes);
    return nemesis::generate_schedule(nemesis::GeneratorOptions{.kinds = plan.kinds,
                                                                .nodes = config.nodes,
                                                                .time_limit = config.time_limit,
                                                                .interval_mean_max = plan.fault_interval,
                                                                .duration_mean_max = plan.fault_duration,
                                                                .targeted = plan.targeted,
                                                                .roles = plan.roles,
                                                                .clustered = plan.clustered},
                                      config.seed);
}

// Can a request arrive twice? Then a rejected attempt is no proof that the
// operation will never be applied (see ClientOptions::requests_may_repeat).
bool requests_may_repeat(const RunConfig& config, const nemesis::Schedule& schedule) {
    bool may_repeat = config.duplicate > 0;
    for (const nemesis::Fault& fault : schedule.faults) {
        if (fault.kind == nemesis::FaultKind::duplicate || fault.kind == nemesis::FaultKind::tamper) {
            may_repeat = true;
        }
    }
    return may_repeat;
}

// What the client drivers are wired to: the simulation they run in, the
// system they send to, where their operations are recorded, the queue of
// final operations, and the list of the operations they sent.
struct ClientWiring {
    sim::Simulation& simulation;
    runtime::Runtime& runtime;
    System& system;
    workload::HistoryRecorder& recorder;
    std::deque<workload::OpRequest>& finals;
    std::vector<OpRef>& sent_ops;
    const workload::WorkloadShape& shape;
};

// The shrinker's --only-ops of client `client` (none: every generated op).
std::optional<std::set<OpRef>> only_ops_of(const RunConfig& config, int client) {
    std::optional<std::set<OpRef>> only_ops;
    if (config.only_ops) {
        only_ops.emplace();
        for (const std::string& text : *config.only_ops) {
            const std::optional<OpRef> ref = parse_op_ref(text);  // validate() vouched for it
            if (ref && ref->client == static_cast<std::uint32_t>(client)) only_ops->insert(*ref);
        }
    }
    return only_ops;
}

// Adds the clients to the simulation, each with its driver (none if the
// system takes no client operations, or the run has no clients or rate).
std::vector<std::unique_ptr<ClientDriver>> add_clients(const RunConfig& config, const ClientWiring& wiring,
                                                       Nanos clients_stop, bool may_repeat) {
    std::vector<std::unique_ptr<ClientDriver>> drivers;
    auto codec = wiring.system.codec();
    const double rate = config.rate * wiring.shape.rate_factor;
    if (codec != nullptr && config.clients > 0 && rate > 0) {
        // Each client thinks for clients/rate on average, giving `rate` in total
        // while latencies stay small against the think time.
        const double think_mean_ns = 1e9 * config.clients / rate;
        for (int i = 0; i < config.clients; ++i) {
            workload::ClientOptions client_options = wiring.system.client_options(config);
            client_options.first_process = i;
            client_options.requests_may_repeat = may_repeat;
            client_options.process_stride = config.clients;
            const NodeId id = wiring.simulation.add_client(
                fmt::format("c{}", i), [client_options, codec, &recorder = wiring.recorder] {
                    return std::make_unique<workload::RpcClient>(client_options, codec, recorder);
                });
            drivers.push_back(std::make_unique<ClientDriver>(
                wiring.runtime, wiring.system, id, wiring.simulation.name(id), config.workload_start, clients_stop,
                think_mean_ns, config.seed, wiring.finals, wiring.sent_ops));
            drivers.back()->filter(static_cast<std::uint32_t>(i), &config.only_keys, only_ops_of(config, i));
            drivers.back()->set_shape(&wiring.shape);
        }
    }
    return drivers;
}

// Each driver hears of its client's completions, and schedules its first
// operation.
void start_clients(sim::Simulation& simulation, const std::vector<std::unique_ptr<ClientDriver>>& drivers) {
    for (std::size_t i = 0; i < drivers.size(); ++i) {
        ClientDriver* driver = drivers[i].get();
        const NodeId client = simulation.clients()[i];
        static_cast<workload::RpcClient*>(simulation.node(client))->set_completion_listener([driver] {
            driver->schedule_next();
        });
        driver->schedule_next();
    }
}

// Streams the trace to options.trace_sink, if given.
void attach_trace_sink(sim::Simulation& simulation, const RunOptions& options) {
    if (options.trace_sink == nullptr) return;
    options.trace_sink->start([&simulation](NodeId id) { return simulation.name(id); });
    simulation.trace().add_sink(options.trace_sink);
}

// Final reads begin after the operations still in flight have settled
// (Maelstrom waits too), so they read what the system converged to.
void schedule_final_ops(const RunConfig& config, sim::Simulation& simulation, System& system,
                        std::deque<workload::OpRequest>& finals,
                        const std::vector<std::unique_ptr<ClientDriver>>& drivers, Nanos clients_stop) {
    simulation.at(clients_stop + final_settle, [&config, &system, &finals, &drivers] {
        if (!config.final_ops) return;
        for (workload::OpRequest& op : system.final_ops()) finals.push_back(std::move(op));
        for (auto& driver : drivers) driver->take_final();
    });
}

// The checks of the service as its clients saw it (with clients, and a run
// that was not stopped): availability after healing, liveness, latency, and
// the availability windows asked for. A stopped run fails a check of its own.
void add_service_checks(RunResult& result, const RunConfig& config, const System& system, bool has_clients,
                        Nanos healed_at, Nanos clients_stop) {
    const auto served = [&system](const check::Operation& op) { return system.served(op); };
    if (has_clients && config.recovery > 0 && result.stopped_because.empty()) {
        result.checks.push_back(
            check::check_availability(result.history, served, healed_at + config.recovery / 2, clients_stop));
    }
    if (has_clients && result.stopped_because.empty()) {
        // An operation open at the end for less than a client timeout may
        // still complete (as info at worst): the end cut it off.
        result.checks.push_back(
            check::check_liveness(result.history, result.simulated, config.completion_bound, config.timeout));
        if (result.timing.contains("gst_ns")) {
            result.checks.push_back(check::check_liveness_after(result.history, result.simulated,
                                                                config.completion_bound,
                                                                result.timing["gst_ns"].get<Nanos>(), config.timeout));
        }
        if (config.latency_p99_max > 0) {
            result.checks.push_back(
                check::check_latency(result.history, config.workload_start, config.time_limit, config.latency_p99_max));
        }
        for (const AvailabilityWindow& window : config.availability) {
            result.checks.push_back(
                check::check_availability(result.history, served, window.from, window.to, window.min));
        }
    }
    if (!result.stopped_because.empty()) {
        result.checks.push_back(CheckOutcome{"run", Verdict::invalid, result.stopped_because, Json()});
    }
}

// The system's own checks (each told as what happened in the run), the
// service's, and the verdict of them all.
void judge_run(RunResult& result, const RunConfig& config, System& system, sim::Simulation& simulation,
               bool has_clients, Nanos clients_stop) {
    result.checks = system.check(result.history, simulation);
    for (CheckOutcome& check : result.checks) explain_in_the_run(check, result.history, result.schedule, system);
    add_service_checks(result, config, system, has_clients, result.healed_at, clients_stop);
    for (const CheckOutcome& check : result.checks) result.verdict = combine(result.verdict, check.verdict);
}

// The timing model of the run, set up in the simulation: the network's rule
// for every message and each server's clock drift. Returns what the run
// reports of it (null for none): the model, its bounds, the stabilisation
// time and whether the seed drew it, each server's drift.
Json set_up_timing(const RunConfig& config, sim::Simulation& simulation, System& system) {
    sim::TimingModel model;
    if (config.timing == "none") return Json();
    model.kind = config.timing == "sync"      ? sim::TimingKind::sync
                 : config.timing == "partial" ? sim::TimingKind::partial
                                              : sim::TimingKind::async;
    model.delay_max = config.delay_max;
    Json report{{"model", sim::timing_kind_name(model.kind)},
                {"delay_max_ns", config.delay_max},
                {"drift_max_ppm", config.drift_max_ppm}};
    if (model.kind == sim::TimingKind::partial) {
        // Drawn in the middle half of the run: long enough before it for the
        // unbounded delays to show, long enough after for liveness to.
        Prng random = Prng::stream(config.seed, "timing/gst");
        model.gst = config.gst > 0 ? config.gst : random.between(config.time_limit / 4, config.time_limit * 3 / 4);
        model.hold_scale = config.delay_max;
        report["gst_ns"] = model.gst;
        report["gst_drawn"] = config.gst == 0;
    }
    if (model.kind == sim::TimingKind::async) {
        model.async_hold = config.async_hold;
        report["async_hold_ns"] = config.async_hold;
        // Whoever leads or campaigns is about to make progress: the adversary
        // holds what it sends and what is sent to it.
        model.making_progress = [&simulation, &system](NodeId node) {
            for (nemesis::TargetRole role : {nemesis::TargetRole::leader, nemesis::TargetRole::candidate}) {
                const std::optional<int> holder = system.node_in_role(simulation, role);
                if (holder && static_cast<std::uint32_t>(*holder) == node.value) return true;
            }
            return false;
        };
    }
    simulation.network().set_timing(std::move(model));
    Prng drift = Prng::stream(config.seed, "timing/drift");
    Json drifts = Json::object();
    for (NodeId server : simulation.servers()) {
        const double ppm = (2 * drift.unit() - 1) * config.drift_max_ppm;
        simulation.clock(server).set_drift_ppm(simulation.now(), ppm);
        drifts[simulation.name(server)] = ppm;
    }
    report["drift_ppm"] = drifts;
    return report;
}

// The simulation's own account of the run: its trace, statistics, and (if
// kept) every node's log.
void record_simulation(RunResult& result, sim::Simulation& simulation, const RunOptions& options) {
    result.trace_hash = simulation.trace().hash();
    result.trace_events = simulation.trace().event_count();
    result.fault_point_acted = simulation.fault_point_acted();
    result.fault_point_crashes = simulation.fault_point_crashes();
    result.stats = simulation.stats();
    result.ops = count_ops(result.history);
    result.latency = summarize_latency(result.history);
    if (options.keep_node_logs) {
        for (std::uint32_t i = 0; i < simulation.node_count(); ++i) {
            const NodeId id(i);
            if (!simulation.node_log(id).empty()) {
                result.node_logs[simulation.name(id)] = simulation.node_log(id);
            }
        }
    }
}

}  // namespace

Result<RunResult> run(const RunConfig& config, const RunOptions& options) {
    if (auto status = config.validate(); !status) return status.error();
    auto description = system_named(config.system);
    if (!description) return description.error();
    auto plan = plan_search(config, **description);
    if (!plan) return plan.error();
    RunConfig system_config = config;  // with the knobs the plan sets
    system_config.system_options.update(plan->knobs);
    auto system_or = make_system(system_config);
    if (!system_or) return system_or.error();
    std::unique_ptr<System> system = std::move(*system_or);

    RunConfig network_config = config;  // the network the plan asks for
    if (!plan->latency.empty()) network_config.latency = plan->latency;
    auto link = network_config.link_config();
    if (!link) return link.error();

    const auto wall_start = std::chrono::steady_clock::now();
    sim::Simulation simulation(sim::SimulationOptions{config.seed, *link, config.disk});
    simulation.network().set_drop_in_flight(config.drop_in_flight);
    simulation.set_node_logging(options.keep_node_logs);
    system->shape_workload(plan->workload);
    system->build(simulation, system_config);
    const Json timing = set_up_timing(config, simulation, *system);
    auto schedule = make_schedule(config, *plan);
    if (!schedule) return schedule.error();
    if (plan->fault_points)
        simulation.enable_fault_points(Prng::mix(config.seed, "fault-points"), kFaultPointCrashesMax,
                                       config.fault_point_actions_max, config.fault_point_actions_skipped);
    if (plan->priorities.levels > 0) simulation.network().set_priority_schedule(plan->priorities);
    const bool may_repeat = requests_may_repeat(config, *schedule);

    const Nanos healed_at = config.time_limit;
    const Nanos clients_stop = healed_at + config.recovery;
    // The nemesis and the client drivers see the simulation as a runtime only.
    runtime::SimulationRuntime runtime(simulation);
    workload::HistoryRecorder recorder([&runtime] { return runtime.now(); });
    std::deque<workload::OpRequest> finals;
    std::vector<OpRef> sent_ops;
    std::vector<std::unique_ptr<ClientDriver>> drivers =
        add_clients(config, ClientWiring{simulation, runtime, *system, recorder, finals, sent_ops, plan->workload},
                    clients_stop, may_repeat);

    nemesis::Nemesis nemesis(
        nemesis::NemesisTarget{&runtime, std::vector<NodeId>(simulation.servers().begin(), simulation.servers().end()),
                               std::vector<NodeId>(simulation.clients().begin(), simulation.clients().end()),
                               [&](nemesis::TargetRole role) { return system->node_in_role(simulation, role); }},
        *schedule);

    attach_trace_sink(simulation, options);
    if (options.progress) {
        // The wall clock is read every 1,024 steps only, and only for the callback.
        const Nanos end = clients_stop + final_settle + finals_allowance(config);
        auto next_report = wall_start;
        std::uint64_t steps = 0;
        std::size_t counted = 0;
        OpCounts ops;
        simulation.set_step_hook([&, end, next_report, steps, counted, ops]() mutable {
            system->after_step(simulation);
            nemesis.after_step();
            if (++steps % 1024 != 0) return;
            const auto now = std::chrono::steady_clock::now();
            if (now < next_report) return;
            next_report = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(options.progress_seconds));
            const check::History& history = recorder.history();
            for (; counted < history.size(); ++counted) {
                const check::OpType type = history[counted].type;
                ++(type == check::OpType::invoke ? ops.invoked
                   : type == check::OpType::ok   ? ops.ok
                   : type == check::OpType::fail ? ops.fail
                                                 : ops.info);
            }
            options.progress(RunProgress{simulation.now(), end, ops});
        });
    } else {
        simulation.set_step_hook([&] {
            system->after_step(simulation);
            nemesis.after_step();
        });
    }
    simulation.start();
    nemesis.install();
    runtime.at(healed_at, [&] {
        nemesis.heal_all();
        simulation.set_fault_points_acting(false);
        simulation.network().set_priority_schedule({});
    });
    start_clients(simulation, drivers);
    if (!drivers.empty()) schedule_final_ops(config, simulation, *system, finals, drivers, clients_stop);

    // Final operations get a generous allowance; each still has its timeout.
    const Nanos final_allowance = finals_allowance(config);
    simulation.run_until(clients_stop + final_settle + final_allowance);

    RunResult result;
    // The knobs the plan set are written out: a stored run, a repro command or
    // a shrink replays them as settings, whatever the seed they run with.
    result.config = system_config;
    result.simulated = simulation.now();
    result.stopped_because = simulation.stop_reason();
    result.history = recorder.take();
    result.search = plan->to_json();
    result.search_described = plan->describe();
    system->abstract_run(result.abstract_features);
    result.schedule = nemesis.schedule();
    result.played = nemesis.played();
    result.nemesis_log = nemesis.log();
    result.healed_at = healed_at;
    result.timing = timing;
    judge_run(result, config, *system, simulation, !drivers.empty(), clients_stop);
    record_simulation(result, simulation, options);
    result.sent_ops = std::move(sent_ops);
    result.roles = system->role_timeline();
    if (options.trace_sink != nullptr) {
        options.trace_sink->finish(simulation.trace().hash(), simulation.trace().event_count());
        simulation.trace().remove_sink(options.trace_sink);
    }
    result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    return result;
}

}  // namespace faultline::runner
