#include "harness/harness.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <deque>
#include <filesystem>
#include <fstream>

#include "base/assert.h"
#include "check/service_checks.h"
#include "harness/services.h"
#include "harness/workloads.h"
#include "nemesis/generator.h"
#include "nemesis/nemesis.h"
#include "workload/client.h"

namespace faultline::harness {

using workload::OpRequest;

const runner::OptionTable<HarnessConfig>& harness_options() {
    static const auto table = [] {
        using C = HarnessConfig;
        runner::OptionTable<C> t;
        t.add("workload", &C::workload, "The workload (-w)").choices(workload_names()).alias("-w");
        t.add("node_count", &C::node_count, "Nodes n0..n(N-1) (default: --nodes, or five nodes, n1..n5)").range(0, 100);
        t.add("nodes", &C::nodes, "The nodes' names, comma-separated (Jepsen's --nodes)");
        t.duration("time_limit", &C::time_limit, seconds(1), "Length of the main phase (a bare number is seconds)")
            .range(0, seconds(86400));
        t.add("rate", &C::rate, "Operations per second, all clients together").range(0, 100000);
        t.add("concurrency", &C::concurrency, "Clients: N, or Nn for N per node");
        t.add("latency_ms", &C::latency_ms, "Mean latency between nodes, in ms (clients get none)")
            .range(0, 60000)
            .alias("--latency");
        t.add("latency_dist", &C::latency_dist, "Latency distribution").choices({"constant", "uniform", "exponential"});
        t.add("nemesis", &C::nemesis,
              "Faults: none, all, or any of partition, kill, pause, slow, loss, latency, duplicate, bandwidth, "
              "network (comma-separated)");
        t.duration("nemesis_interval", &C::nemesis_interval, seconds(1), "Mean time between faults")
            .range(milliseconds(100), seconds(3600));
        t.add("topology", &C::topology, "Broadcast topology")
            .choices({"grid", "line", "total", "tree", "tree2", "tree3", "tree4"});
        t.add("availability", &C::availability, "Required availability: total, or the least ok fraction 0..1");
        t.add("key_count", &C::key_count, "Keys in use at once (0: 4 for lin-kv, 10 for txn)").range(0, 1000);
        t.add("consistency_models", &C::consistency_models,
              "txn workloads: the models the isolation check holds the history to (comma-separated)");
        t.add("max_txn_length", &C::max_txn_length, "txn workloads: micro-ops per transaction, at most").range(1, 100);
        t.add("max_writes_per_key", &C::max_writes_per_key, "txn workloads: writes to a key before a fresh one")
            .range(1, 100000);
        t.duration("recovery", &C::recovery, seconds(1), "After healing, before the final operations")
            .range(0, seconds(3600));
        t.duration("client_timeout", &C::client_timeout, milliseconds(1),
                   "A client gives up on a request after this (0: Maelstrom's, 5 s; for lin-kv 10 x the mean "
                   "latency, at least 1 s)")
            .range(0, seconds(3600));
        t.duration("init_timeout", &C::init_timeout, seconds(1),
                   "A node that has not answered init by then gets no "
                   "messages")
            .range(milliseconds(100), seconds(600));
        t.add("schedule_file", &C::schedule_file,
              "A fault schedule to play (JSON, as results.json's schedule) instead of one drawn from --nemesis")
            .alias("--schedule");
        t.add("log_stderr", &C::log_stderr, "Copy every node's stderr to the terminal");
        t.add("log_net_send", &C::log_net_send, "Print every message as it is sent (on stderr)");
        t.add("log_net_recv", &C::log_net_recv, "Print every message as it is delivered (on stderr)");
        return t;
    }();
    return table;
}

std::vector<std::string> server_names(const HarnessConfig& config) {
    std::vector<std::string> names;
    if (config.node_count > 0) {
        for (int i = 0; i < config.node_count; ++i) names.push_back(fmt::format("n{}", i));
    } else if (!config.nodes.empty()) {
        std::size_t start = 0;
        for (std::size_t comma; start <= config.nodes.size(); start = comma + 1) {
            comma = std::min(config.nodes.find(',', start), config.nodes.size());
            names.push_back(config.nodes.substr(start, comma - start));
        }
    } else {
        for (int i = 1; i <= 5; ++i) names.push_back(fmt::format("n{}", i));
    }
    return names;
}

Nanos client_timeout(const HarnessConfig& config) {
    if (config.client_timeout > 0) return config.client_timeout;
    if (config.workload == "lin-kv") {
        return std::max(seconds(1), static_cast<Nanos>(10 * config.latency_ms * 1e6));
    }
    return seconds(5);
}

Result<int> client_count(const HarnessConfig& config) {
    const std::string& text = config.concurrency;
    const bool per_node = !text.empty() && text.back() == 'n';
    const std::string digits = per_node ? text.substr(0, text.size() - 1) : text;
    int count = 0;
    if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos ||
        (count = std::stoi(digits)) < 1) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("--concurrency '{}': expected N or Nn (N per node), N from 1", text));
    }
    if (per_node) count *= static_cast<int>(server_names(config).size());
    if (count > 10000) return make_error(ErrorCode::invalid_argument, "--concurrency: at most 10000 clients");
    return count;
}

namespace {

// A Maelstrom client: one operation at a time, each request with a fresh
// msg_id; the reply with the matching in_reply_to completes it. An error reply
// fails it when the error is definite, or when the operation is idempotent
// (Maelstrom's rule); otherwise, and on a timeout, its outcome is unknown
// (info) and the client continues as a new process, as Jepsen's do.
class MaelstromClient final : public Node {
  public:
    MaelstromClient(ProcessRuntime& runtime, Workload& workload, workload::HistoryRecorder& recorder, std::size_t index,
                    std::int64_t process_stride, Nanos timeout)
        : runtime_(runtime),
          workload_(workload),
          recorder_(recorder),
          index_(index),
          process_(static_cast<std::int64_t>(index)),
          stride_(process_stride),
          timeout_(timeout) {}

    void start(Context&) override {}
    bool idle() const { return !outstanding_; }
    void set_listener(std::function<void()> listener) { listener_ = std::move(listener); }

    void invoke(Context& ctx, OpRequest op) {
        FL_ASSERT(idle());
        const NodeId target =
            op.target ? ctx.cluster()[op.target->value] : ctx.cluster()[ctx.random().below(ctx.cluster().size())];
        Json body = workload_.request_body(op);
        const std::uint64_t msg_id = next_msg_id_++;
        body["msg_id"] = msg_id;
        recorder_.record(check::Operation{.process = process_,
                                          .type = check::OpType::invoke,
                                          .f = op.f,
                                          .key = op.key,
                                          .value = op.f == "read" ? Json() : op.value});
        outstanding_ = Outstanding{std::move(op), msg_id, ctx.set_timer(timeout_, 0)};
        runtime_.note_request(ctx.self(), msg_id);
        ctx.send(target, std::make_shared<MaelstromMessage>(std::move(body)));
    }

    void on_message(Context& ctx, const Envelope& envelope) override {
        const auto* reply = message_as<MaelstromMessage>(*envelope.message);
        if (reply == nullptr || !outstanding_ || reply->in_reply_to() != outstanding_->msg_id) return;
        const std::string node(ctx.name_of(envelope.from));
        const Json& body = reply->body();
        if (reply->type() == "error") {
            const ErrorCodeInfo info = error_code_info(body.value("code", std::int64_t{-1}));
            const bool failed = info.definite || workload_.idempotent(outstanding_->op.f);
            return complete(ctx, failed ? check::OpType::fail : check::OpType::info, Json(), Json(info.code), node);
        }
        auto value = workload_.ok_value(outstanding_->op, body);
        if (!value) {
            runtime_.diagnose(envelope.from, fmt::format("answered {} with a malformed reply ({}): {}",
                                                         outstanding_->op.f, value.error().message, body.dump()));
            return complete(ctx, check::OpType::info, Json(), Json("malformed-response"), node);
        }
        complete(ctx, check::OpType::ok, std::move(*value), Json(), node);
    }

    void on_timer(Context& ctx, TimerId timer, std::uint64_t) override {
        if (!outstanding_ || outstanding_->timer != timer) return;
        const bool failed = workload_.idempotent(outstanding_->op.f);
        complete(ctx, failed ? check::OpType::fail : check::OpType::info, Json(), Json("net-timeout"), "");
    }

  private:
    struct Outstanding {
        OpRequest op;
        std::uint64_t msg_id = 0;
        TimerId timer = 0;
    };

    void complete(Context& ctx, check::OpType type, Json value, Json error, std::string node) {
        ctx.cancel_timer(outstanding_->timer);
        const OpRequest op = std::move(outstanding_->op);
        outstanding_.reset();
        recorder_.record(check::Operation{.process = process_,
                                          .type = type,
                                          .f = op.f,
                                          .key = op.key,
                                          .value = type == check::OpType::ok ? std::move(value) : op.value,
                                          .error = std::move(error),
                                          .node = std::move(node)});
        if (type == check::OpType::info) process_ += stride_;
        workload_.completed(index_, op, type, recorder_.history().back().value);
        if (listener_) listener_();
    }

    ProcessRuntime& runtime_;
    Workload& workload_;
    workload::HistoryRecorder& recorder_;
    std::size_t index_;  // the client's number: its first process
    std::int64_t process_;
    std::int64_t stride_;
    Nanos timeout_;
    std::uint64_t next_msg_id_ = 1;
    std::optional<Outstanding> outstanding_;
    std::function<void()> listener_;
};

// Receives the setup replies (topology_ok) and ignores them.
class SetupClient final : public Node {
  public:
    void start(Context&) override {}
    void on_message(Context&, const Envelope&) override { ++replies; }
    void on_timer(Context&, TimerId, std::uint64_t) override {}
    int replies = 0;
};

Result<sim::LatencyModel> latency_model(const HarnessConfig& config) {
    const auto mean = static_cast<Nanos>(config.latency_ms * 1e6);
    if (config.latency_dist == "uniform") return sim::LatencyModel::uniform(0, 2 * mean);
    if (config.latency_dist == "exponential") return sim::LatencyModel::exponential(mean);
    return sim::LatencyModel::constant(mean);
}

// The faults a program can be given: the network model is the harness's own
// (partitions, loss, latency, duplication, bandwidth), and so are kill, pause
// and slow; a program's clock and disk are its own, and its JSON is not
// altered in flight.
bool program_takes(nemesis::FaultKind kind) {
    using K = nemesis::FaultKind;
    return kind != K::clock_skew && kind != K::clock_drift && kind != K::clock_step && kind != K::disk &&
           kind != K::tamper;
}

Status check_fault_kind(nemesis::FaultKind kind, const std::string& where) {
    if (program_takes(kind)) return ok_status();
    return make_error(ErrorCode::invalid_argument,
                      fmt::format("{} {}: a node program keeps its own clock and disk, and its messages are not "
                                  "altered; clock, disk and tamper faults need the simulator",
                                  where, nemesis::fault_kind_name(kind)));
}

// The schedule of --schedule FILE, or one the seed draws from --nemesis.
Result<nemesis::Schedule> harness_schedule(const HarnessConfig& config, int servers) {
    if (!config.schedule_file.empty()) {
        std::ifstream in(config.schedule_file);
        const Json json = in ? Json::parse(in, nullptr, false) : Json();
        if (json.is_discarded() || json.is_null()) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("--schedule {}: not a readable JSON fault schedule", config.schedule_file));
        }
        auto schedule = nemesis::Schedule::from_json(json, servers);
        if (!schedule) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("--schedule {}: {}", config.schedule_file, schedule.error().message));
        }
        for (const nemesis::Fault& fault : schedule->faults) {
            if (Status allowed = check_fault_kind(fault.kind, "--schedule " + config.schedule_file); !allowed) {
                return allowed.error();
            }
        }
        return schedule;
    }
    auto kinds = nemesis::parse_fault_kinds(config.nemesis);
    if (!kinds) return kinds.error();
    // "all": every fault a program can take.
    if (config.nemesis == "all") std::erase_if(*kinds, [](nemesis::FaultKind kind) { return !program_takes(kind); });
    for (nemesis::FaultKind kind : *kinds) {
        if (Status allowed = check_fault_kind(kind, "--nemesis"); !allowed) return allowed.error();
    }
    return nemesis::generate_schedule(nemesis::GeneratorOptions{.kinds = *kinds,
                                                                .nodes = servers,
                                                                .time_limit = config.time_limit,
                                                                .interval_mean_max = config.nemesis_interval,
                                                                .duration_mean_max = config.nemesis_interval},
                                      config.seed);
}

Status validate_options(const HarnessConfig& config) {
    if (config.bin.empty()) return make_error(ErrorCode::invalid_argument, "--bin: no node program given");
    const std::vector<std::string> names = server_names(config);
    if (names.size() > 100) return make_error(ErrorCode::invalid_argument, "--nodes: at most 100 nodes");
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string& name = names[i];
        const bool taken = std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), name) !=
                               names.begin() + static_cast<std::ptrdiff_t>(i) ||
                           std::find(kServiceNames.begin(), kServiceNames.end(), name) != kServiceNames.end();
        if (name.empty() || name.front() == 'c' || taken || name.find_first_of(" \"\\") != std::string::npos) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("--nodes {}: '{}' cannot name a node (names are unique, not empty, do not "
                                          "start with c, which names clients, and are not a service's)",
                                          config.nodes, name));
        }
    }
    if (!config.availability.empty() && config.availability != "total") {
        char* end = nullptr;
        const double fraction = std::strtod(config.availability.c_str(), &end);
        if (end == config.availability.c_str() || *end != '\0' || fraction < 0 || fraction > 1) {
            return make_error(
                ErrorCode::invalid_argument,
                fmt::format("--availability '{}': expected total or a fraction 0..1", config.availability));
        }
    }
    return harness_options().validate(config);
}

// The clients' closed loops: each client runs one operation at a time, the
// next due a think time after the last completed (exponential, so that the
// clients together run at --rate); the first at once. After the main phase,
// idle clients take the final operations.
struct ClientLoop {
    NodeId client;
    std::size_t index;  // the client's number, for workloads whose clients keep state
    Prng random;
    bool started = false;
};

struct ClientLoops {
    ProcessRuntime& runtime;
    Workload& workload;
    Prng generator;  // one stream for every client: the workload's values stay unique
    double think_mean_ns = 0;
    Nanos main_end = 0;
    std::vector<std::unique_ptr<ClientLoop>> clients;
    std::deque<OpRequest> finals;
    bool finals_open = false;

    MaelstromClient* idle_client(NodeId id) {
        auto* client = static_cast<MaelstromClient*>(runtime.node(id));
        return client != nullptr && client->idle() ? client : nullptr;
    }
    void invoke(NodeId id, OpRequest op) {
        runtime.invoke(id, [&](Node& node, Context& ctx) { static_cast<MaelstromClient&>(node).invoke(ctx, op); });
    }
    void next(ClientLoop& loop) {
        if (idle_client(loop.client) == nullptr) return;
        if (runtime.now() >= main_end) {
            if (!finals_open || finals.empty()) return;
            OpRequest op = std::move(finals.front());
            finals.pop_front();
            return invoke(loop.client, std::move(op));
        }
        const Nanos think = loop.started ? static_cast<Nanos>(loop.random.exponential(think_mean_ns)) : 0;
        loop.started = true;
        const Nanos when = runtime.now() + think;
        if (when >= main_end) return;
        runtime.at(when, [this, id = loop.client, index = loop.index] {
            if (idle_client(id) == nullptr || runtime.now() >= main_end) return;
            invoke(id, workload.next_for(generator, index));
        });
    }
};

Json net_stats(const RoutingStats& stats, std::size_t operations) {
    const double ops = operations == 0 ? 1.0 : static_cast<double>(operations);
    return {
        {"all",
         {{"send_count", stats.sent},
          {"recv_count", stats.delivered},
          {"msgs_per_op", static_cast<double>(stats.sent) / ops}}},
        {"clients", {{"send_count", stats.client_sent}}},
        {"servers", {{"send_count", stats.server_sent}, {"msgs_per_op", static_cast<double>(stats.server_sent) / ops}}},
        {"dropped", stats.dropped}};
}

// Maelstrom's stats: counts of invocations and of each outcome, in all and by f.
Json op_stats(const check::History& history) {
    auto empty = [] { return Json{{"count", 0}, {"ok_count", 0}, {"fail_count", 0}, {"info_count", 0}}; };
    Json all = empty();
    Json by_f = Json::object();
    for (const check::Operation& op : history) {
        if (!by_f.contains(op.f)) by_f[op.f] = empty();
        const char* field = op.type == check::OpType::invoke ? "count"
                            : op.type == check::OpType::ok   ? "ok_count"
                            : op.type == check::OpType::fail ? "fail_count"
                                                             : "info_count";
        all[field] = all[field].get<std::int64_t>() + 1;
        by_f[op.f][field] = by_f[op.f][field].get<std::int64_t>() + 1;
    }
    all["by_f"] = by_f;
    return all;
}

check::Outcome availability_outcome(const HarnessConfig& config, const check::History& history) {
    std::int64_t invoked = 0, ok = 0;
    for (const check::Operation& op : history) {
        invoked += op.type == check::OpType::invoke ? 1 : 0;
        ok += op.type == check::OpType::ok ? 1 : 0;
    }
    const double fraction = invoked == 0 ? 1.0 : static_cast<double>(ok) / static_cast<double>(invoked);
    const double required = config.availability == "total" ? 1.0 : std::strtod(config.availability.c_str(), nullptr);
    check::Outcome outcome;
    outcome.name = "availability";
    outcome.verdict = fraction >= required ? check::Verdict::valid : check::Verdict::invalid;
    outcome.summary =
        fmt::format("{:.1f}% of {} operations ok (required: {:.1f}%)", 100 * fraction, invoked, 100 * required);
    outcome.details = {{"ok_fraction", fraction}, {"required", required}};
    return outcome;
}

// Whether the programs kept to the protocol: every diagnosis is a bug of the
// node (a debugging print on stdout included: Maelstrom would drop that line).
check::Outcome protocol_outcome(const std::vector<Diagnosis>& diagnoses, std::uint64_t not_kept) {
    check::Outcome outcome;
    outcome.name = "protocol";
    outcome.verdict = diagnoses.empty() ? check::Verdict::valid : check::Verdict::invalid;
    outcome.summary = diagnoses.empty() ? "every node kept to the protocol"
                                        : fmt::format("{} problems; the first: {} {}", diagnoses.size() + not_kept,
                                                      diagnoses.front().node, diagnoses.front().what);
    outcome.details = {{"problems", diagnoses.size() + not_kept}, {"problems_not_kept", not_kept}};
    return outcome;
}

// How fast the harness itself was: the first operation's time from the start
// (the programs' start-up and init included), and the messages it routed per
// second of the run and per second of its own CPU.
Json timing(const check::History& history, const RoutingStats& stats, Nanos run_end) {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const double cpu_ns = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e9 +
                          static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e3;
    const double routed = static_cast<double>(stats.sent);
    return {{"first_operation_ns", history.empty() ? Json() : Json(history.front().time)},
            {"routed_per_second", routed / (static_cast<double>(run_end) / 1e9)},
            {"harness_cpu_ns", cpu_ns},
            {"harness_cpu_ns_per_message", routed == 0 ? Json() : Json(cpu_ns / routed)}};
}

Status write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.close();
    if (!out) return make_error(ErrorCode::io_error, "cannot write " + path);
    return {};
}

}  // namespace

Status validate_harness_config(const HarnessConfig& config) {
    if (Status valid = validate_options(config); !valid) return valid;
    if (auto workload =
            make_workload(config.workload, WorkloadOptions{.consistency_models = config.consistency_models});
        !workload) {
        return workload.error();
    }
    if (auto clients = client_count(config); !clients) return clients.error();
    if (auto schedule = harness_schedule(config, static_cast<int>(server_names(config).size())); !schedule) {
        return schedule.error();
    }
    return ok_status();
}

Result<HarnessResult> run_harness(const HarnessConfig& config, const std::string& folder) {
    if (Status valid = validate_harness_config(config); !valid) return valid.error();
    auto workload = make_workload(config.workload,
                                  WorkloadOptions{.topology = config.topology == "tree" ? "tree2" : config.topology,
                                                  .key_count = config.key_count,
                                                  .consistency_models = config.consistency_models,
                                                  .max_txn_length = config.max_txn_length,
                                                  .max_writes_per_key = config.max_writes_per_key});
    if (!workload) return workload.error();
    auto clients = client_count(config);
    if (!clients) return clients.error();
    auto latency = latency_model(config);
    const std::vector<std::string> names = server_names(config);
    auto schedule = harness_schedule(config, static_cast<int>(names.size()));
    if (!schedule) return schedule.error();
    std::error_code ignored;
    std::filesystem::create_directories(folder + "/node-logs", ignored);
    if (!std::filesystem::is_directory(folder + "/node-logs")) {
        return make_error(ErrorCode::io_error, "cannot create " + folder + "/node-logs");
    }

    sim::LinkConfig links;
    links.latency = *latency;
    ProcessRuntime runtime(ProcessRuntimeOptions{.argv = config.bin,
                                                 .workdir = std::filesystem::temp_directory_path().string(),
                                                 .log_dir = folder + "/node-logs",
                                                 .log_stderr = config.log_stderr,
                                                 .log_net_send = config.log_net_send,
                                                 .log_net_recv = config.log_net_recv,
                                                 .seed = config.seed,
                                                 .init_timeout = config.init_timeout},
                           links);
    for (const std::string& name : names) runtime.add_server(name);
    for (const std::string& service : kServiceNames) runtime.add_local(service, make_service(service));
    if (Status started = runtime.start(); !started) return started.error();
    runtime.run_until_initialized();

    // Setup (broadcast's topology), from a client of its own.
    const NodeId setup = runtime.add_local(runtime.next_client_name(), std::make_unique<SetupClient>());
    int setup_sent = 0;
    for (NodeId server : runtime.servers()) {
        if (!runtime.initialized(server)) continue;
        for (Json body : (*workload)->setup_bodies(runtime.name_of(server), names)) {
            body["msg_id"] = ++setup_sent;
            runtime.send(setup, server, std::make_shared<MaelstromMessage>(std::move(body)));
        }
    }
    if (setup_sent > 0) {
        const Nanos give_up = runtime.now() + client_timeout(config);
        auto& setup_client = static_cast<SetupClient&>(*runtime.node(setup));
        while (setup_client.replies < setup_sent && runtime.now() < give_up) {
            runtime.run_until(std::min(give_up, runtime.now() + milliseconds(5)));
        }
    }

    // Clients: no latency to or from them (Maelstrom's rule).
    sim::LinkConfig client_links;
    client_links.latency = sim::LatencyModel::constant(0);
    const sim::LinkClassId client_class = runtime.define_link_class("clients", client_links);
    workload::HistoryRecorder recorder([&runtime] { return runtime.now(); });
    std::vector<NodeId> client_ids;
    for (int i = 0; i < *clients; ++i) {
        const NodeId id = runtime.add_local(
            runtime.next_client_name(),
            std::make_unique<MaelstromClient>(runtime, **workload, recorder, static_cast<std::size_t>(i), *clients,
                                              client_timeout(config)));
        for (NodeId server : runtime.servers()) {
            runtime.assign_link_class(id, server, client_class);
            runtime.assign_link_class(server, id, client_class);
        }
        client_ids.push_back(id);
    }

    // The main phase: faults shift to its start.
    const Nanos main_start = runtime.now();
    const Nanos main_end = main_start + config.time_limit;
    nemesis::Schedule faults = *schedule;
    for (nemesis::Fault& fault : faults.faults) fault.start += main_start;
    nemesis::Nemesis nemesis(
        nemesis::NemesisTarget{.runtime = &runtime, .servers = runtime.servers(), .clients = client_ids}, faults);
    nemesis.install();

    ClientLoops loops{.runtime = runtime,
                      .workload = **workload,
                      .generator = Prng::stream(config.seed, "harness/workload"),
                      .think_mean_ns = config.rate > 0 ? static_cast<double>(*clients) * 1e9 / config.rate : 0,
                      .main_end = main_end};
    for (std::size_t i = 0; i < client_ids.size(); ++i) {
        loops.clients.push_back(std::make_unique<ClientLoop>(
            ClientLoop{client_ids[i], i, Prng::stream(config.seed, fmt::format("harness/client{}", i))}));
        ClientLoop* loop = loops.clients.back().get();
        static_cast<MaelstromClient&>(*runtime.node(client_ids[i])).set_listener([&loops, loop] { loops.next(*loop); });
        if (config.rate > 0) loops.next(*loop);
    }
    runtime.run_until(main_end);
    nemesis.heal_all();

    // Final operations, after the recovery window, spread over the clients.
    Nanos finals_from = main_end;
    const std::vector<OpRequest> final_ops = (*workload)->final_ops(names);
    if (!final_ops.empty()) {
        runtime.run_until(main_end + config.recovery);
        finals_from = runtime.now();
        loops.finals.assign(final_ops.begin(), final_ops.end());
        loops.finals_open = true;
        for (auto& loop : loops.clients) loops.next(*loop);
    }
    // Let every outstanding operation finish or time out.
    const Nanos drain_until = runtime.now() + client_timeout(config) + milliseconds(50);
    auto busy = [&] {
        if (!loops.finals.empty()) return true;
        for (NodeId id : client_ids) {
            auto* client = static_cast<MaelstromClient*>(runtime.node(id));
            if (client != nullptr && !client->idle()) return true;
        }
        return false;
    };
    while (busy() && runtime.now() < drain_until)
        runtime.run_until(std::min(drain_until, runtime.now() + milliseconds(5)));
    const Nanos run_end = runtime.now();
    runtime.shutdown();

    check::History history = recorder.take();
    HarnessResult result;
    result.checks = (*workload)->check(history, finals_from);
    if (!config.availability.empty()) result.checks.push_back(availability_outcome(config, history));
    result.diagnoses = runtime.diagnoses();
    result.checks.push_back(protocol_outcome(result.diagnoses, runtime.diagnoses_not_kept()));
    result.verdict = check::Verdict::valid;
    for (const check::Outcome& outcome : result.checks)
        result.verdict = check::combine(result.verdict, outcome.verdict);

    Json checks = Json::object();
    for (const check::Outcome& outcome : result.checks) {
        checks[outcome.name] = {{"valid", check::verdict_name(outcome.verdict)},
                                {"summary", outcome.summary},
                                {"details", outcome.details}};
    }
    Json diagnoses = Json::array();
    for (const Diagnosis& diagnosis : result.diagnoses) {
        diagnoses.push_back({{"time_ns", diagnosis.time}, {"node", diagnosis.node}, {"problem", diagnosis.what}});
    }
    std::size_t operations = 0;
    for (const check::Operation& op : history) operations += op.type == check::OpType::invoke ? 1 : 0;
    result.results = {{"valid", check::verdict_name(result.verdict)},
                      {"workload", config.workload},
                      {"checks", checks},
                      {"stats", op_stats(history)},
                      {"net", net_stats(runtime.stats(), operations)},
                      {"diagnoses", diagnoses},
                      {"faults", runtime.fault_notes()},
                      {"schedule", schedule->to_json()},
                      {"duration_ns", run_end},
                      {"timing", timing(history, runtime.stats(), run_end)},
                      {"config", harness_options().to_json(config)},
                      {"bin", config.bin},
                      {"seed", config.seed}};
    if (Status written = check::write_history_jsonl(folder + "/history.jsonl", history); !written) {
        return written.error();
    }
    std::string deliveries;
    for (const Delivery& delivery : runtime.delivery_log()) {
        deliveries += Json{{"time_ns", delivery.time},
                           {"id", delivery.id},
                           {"src", delivery.src},
                           {"dest", delivery.dest},
                           {"type", delivery.type}}
                          .dump() +
                      "\n";
    }
    if (Status written = write_text(folder + "/deliveries.jsonl", deliveries); !written) return written.error();
    if (Status written = write_text(folder + "/schedule.json", schedule->to_json().dump(2) + "\n"); !written) {
        return written.error();
    }
    if (Status written = write_text(folder + "/results.json", result.results.dump(2) + "\n"); !written) {
        return written.error();
    }
    return result;
}

Result<HarnessConfig> read_harness_run(const std::string& folder) {
    const std::string path = folder + "/results.json";
    std::ifstream in(path);
    const Json results = in ? Json::parse(in, nullptr, false) : Json();
    if (!results.is_object() || !results.contains("bin") || !results.contains("config")) {
        return make_error(ErrorCode::not_found, path + ": not the results of a harness run");
    }
    HarnessConfig config;
    if (Status read = harness_options().from_json(results["config"], config); !read) {
        return make_error(ErrorCode::parse_error, path + ": " + read.error().message);
    }
    if (!results["bin"].is_array() || results["bin"].empty() || !results["seed"].is_number_unsigned()) {
        return make_error(ErrorCode::parse_error, path + ": no program or seed");
    }
    for (const Json& argument : results["bin"]) config.bin.push_back(argument.get<std::string>());
    config.seed = results["seed"].get<std::uint64_t>();
    // The faults the run played, so that a shrink starts from those.
    config.schedule_file = folder + "/schedule.json";
    return config;
}

}  // namespace faultline::harness
