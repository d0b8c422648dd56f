#include "etcd/etcd_test.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "base/assert.h"
#include "base/prng.h"
#include "check/history.h"
#include "check/linearizability/checker.h"
#include "etcd/client.h"
#include "process/sockets.h"
#include "process/supervisor.h"
#include "proxy/proxy.h"
#include "runner/store.h"

namespace faultline::etcd {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How long the cluster may take to answer its first linearizable read.
constexpr std::chrono::milliseconds kStartBound{30'000};
constexpr std::chrono::milliseconds kStopGrace{5'000};
constexpr std::chrono::milliseconds kUnavailableBackoff{20};

std::string node_name(int i) {
    return fmt::format("n{}", i + 1);
}

std::string key_name(std::int64_t key) {
    return fmt::format("k{}", key);
}

// Sleeps until `until` or until `stop` is set, in short steps (real time: this
// drives real processes).
void sleep_until(Clock::time_point until, const std::atomic<bool>& stop) {
    while (!stop && Clock::now() < until)
        std::this_thread::sleep_for(std::min<Clock::duration>(20ms, until - Clock::now()));
}

struct Cluster {
    int nodes = 0;
    std::vector<std::uint16_t> client_ports, peer_ports, link_ports;
    process::Supervisor supervisor;
    proxy::Proxy proxy;
    std::mutex pids_mutex;
    std::map<pid_t, std::string> names_by_pid;

    explicit Cluster(std::uint64_t seed) : proxy(seed) {}

    void note_pids() {
        std::lock_guard lock(pids_mutex);
        names_by_pid.clear();
        for (const std::string& name : supervisor.names()) {
            process::Server& server = supervisor.server(name);
            if (server.pid() > 0) names_by_pid[server.pid()] = name;
        }
    }

    std::string source_of(std::uint16_t client_port, std::uint16_t link_port) {
        std::vector<pid_t> pids;
        {
            std::lock_guard lock(pids_mutex);
            for (const auto& [pid, name] : names_by_pid) pids.push_back(pid);
        }
        const std::optional<pid_t> owner = process::loopback_connection_owner(client_port, link_port, pids);
        if (!owner) return "";
        std::lock_guard lock(pids_mutex);
        auto it = names_by_pid.find(*owner);
        return it == names_by_pid.end() ? "" : it->second;
    }

    // Cuts `side` off from the rest: each link of a member refuses and holds
    // what comes from the other side.
    void partition(const std::vector<int>& side) {
        for (int j = 0; j < nodes; ++j) {
            const bool j_in = std::find(side.begin(), side.end(), j) != side.end();
            proxy::LinkFaults faults;
            for (int i = 0; i < nodes; ++i) {
                const bool i_in = std::find(side.begin(), side.end(), i) != side.end();
                if (i_in != j_in) faults.blocked_sources.push_back(node_name(i));
            }
            const Status set = proxy.set_faults("peer-" + node_name(j), faults);
            FL_ASSERT_MSG(set.has_value(), set.has_value() ? "" : set.error().message);
        }
    }

    void heal() {
        for (int j = 0; j < nodes; ++j) {
            const Status cleared = proxy.clear_faults("peer-" + node_name(j));
            FL_ASSERT(cleared.has_value());
        }
    }
};

// The history, kept in memory for the check and appended to history.jsonl as
// it grows: a run interrupted (Ctrl-C kills faultline once its servers are
// killed, process/supervisor.h) keeps what its clients did up to then.
struct Recorder {
    std::mutex mutex;
    check::History history;
    Clock::time_point start;
    std::FILE* file = nullptr;
    std::string line;

    ~Recorder() {
        if (file != nullptr) std::fclose(file);
    }

    void add(check::Operation op) {
        std::lock_guard lock(mutex);
        op.time = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
        op.index = static_cast<std::int64_t>(history.size());
        if (file != nullptr) {
            line.clear();
            check::append_operation_jsonl(line, op);
            std::fwrite(line.data(), 1, line.size(), file);
            std::fflush(file);
        }
        history.push_back(std::move(op));
    }
};

std::string milliseconds_text(std::chrono::milliseconds value) {
    return fmt::format("{}ms", value.count());
}

// The command that runs these options again.
std::string command_line(const EtcdTestOptions& options) {
    std::string nemesis;
    for (const std::string& fault : options.nemesis) nemesis += (nemesis.empty() ? "" : ",") + fault;
    return fmt::format(
        "faultline test --system etcd --nodes {}{} --clients {} --workload {} --nemesis {} --time-limit {} "
        "--fault-interval {} --request-timeout {} --max-ops {} --seed {}",
        options.nodes, options.serializable ? " --etcd-serializable" : "", options.clients, options.workload,
        nemesis.empty() ? "none" : nemesis, milliseconds_text(options.duration),
        milliseconds_text(options.fault_interval), milliseconds_text(options.request_timeout), options.max_ops,
        options.seed);
}

Json options_json(const EtcdTestOptions& options) {
    return Json{{"system", "etcd"},
                {"real", true},
                {"command", command_line(options)},
                {"nodes", options.nodes},
                {"serializable", options.serializable},
                {"seed", options.seed},
                {"clients", options.clients},
                {"workload", options.workload},
                {"keys", options.keys},
                {"nemesis", options.nemesis},
                {"duration_ms", options.duration.count()},
                {"fault_interval_ms", options.fault_interval.count()},
                {"request_timeout_ms", options.request_timeout.count()},
                {"max_ops", options.max_ops},
                {"etcd", options.etcd_binary}};
}

}  // namespace

Status validate(const EtcdTestOptions& options) {
    auto bad = [](std::string message) { return make_error(ErrorCode::invalid_argument, std::move(message)); };
    if (options.nodes != 3 && options.nodes != 5)
        return bad(fmt::format("--nodes {}: etcd runs 3 or 5", options.nodes));
    if (options.clients < 1 || options.clients > 64) return bad(fmt::format("--clients {}: 1..64", options.clients));
    if (options.keys < 1 || options.keys > 100) return bad(fmt::format("keys {}: 1..100", options.keys));
    if (options.workload != "lin-kv" && options.workload != "puts") {
        return bad(fmt::format("--workload {}: lin-kv or puts", options.workload));
    }
    for (const std::string& fault : options.nemesis) {
        if (fault != "partition" && fault != "kill" && fault != "pause") {
            return bad(fmt::format("--nemesis {}: partition, kill, pause or none", fault));
        }
    }
    if (options.duration < 1s || options.duration > 3600s) return bad("--time-limit: 1s..1h");
    if (options.fault_interval < 200ms || options.fault_interval > 600s) return bad("--fault-interval: 200ms..10min");
    if (options.request_timeout < 10ms || options.request_timeout > 60s) return bad("--request-timeout: 10ms..60s");
    if (options.max_ops < 1 || options.max_ops > 10'000'000) return bad("--max-ops: 1..10000000");
    if (::access(options.etcd_binary.c_str(), X_OK) != 0) {
        return bad(fmt::format("{} is not installed (apt-get install etcd-server)", options.etcd_binary));
    }
    return ok_status();
}

Result<EtcdTestResult> run_etcd_test(const EtcdTestOptions& options) {
    if (Status valid = validate(options); !valid) return valid.error();
    const int n = options.nodes;
    Result<std::string> run_dir = runner::create_run_directory(options.store, "etcd", options.seed);
    if (!run_dir) return run_dir.error();
    if (Status written = runner::write_text_file(*run_dir + "/config.json", options_json(options).dump(2) + "\n");
        !written) {
        return written.error();
    }
    Result<std::vector<std::uint16_t>> ports = process::pick_free_ports(static_cast<std::size_t>(3 * n));
    if (!ports) return ports.error();

    Cluster cluster(options.seed);
    cluster.nodes = n;
    for (int i = 0; i < n; ++i) {
        cluster.client_ports.push_back((*ports)[static_cast<std::size_t>(3 * i)]);
        cluster.peer_ports.push_back((*ports)[static_cast<std::size_t>(3 * i + 1)]);
        cluster.link_ports.push_back((*ports)[static_cast<std::size_t>(3 * i + 2)]);
    }
    cluster.proxy.set_source_resolver([&cluster](std::uint16_t client_port, std::uint16_t link_port) {
        return cluster.source_of(client_port, link_port);
    });
    cluster.proxy.start();
    std::string initial_cluster;
    for (int i = 0; i < n; ++i) {
        Result<proxy::LinkInfo> link = cluster.proxy.add_link(proxy::LinkSpec{
            .name = "peer-" + node_name(i),
            .listen = {.host = "127.0.0.1", .port = cluster.link_ports[static_cast<std::size_t>(i)]},
            .upstream = {.host = "127.0.0.1", .port = cluster.peer_ports[static_cast<std::size_t>(i)]}});
        if (!link) return link.error();
        initial_cluster += fmt::format("{}{}=http://127.0.0.1:{}", i == 0 ? "" : ",", node_name(i),
                                       cluster.link_ports[static_cast<std::size_t>(i)]);
    }
    const fs::path dir(*run_dir);
    for (int i = 0; i < n; ++i) {
        const std::string name = node_name(i);
        const auto at = static_cast<std::size_t>(i);
        const std::string client_url = fmt::format("http://127.0.0.1:{}", cluster.client_ports[at]);
        cluster.supervisor.add(process::ServerSpec{
            .name = name,
            .argv = {options.etcd_binary, "--name", name, "--data-dir", (dir / "data" / name).string(),
                     "--listen-client-urls", client_url, "--advertise-client-urls", client_url, "--listen-peer-urls",
                     fmt::format("http://127.0.0.1:{}", cluster.peer_ports[at]), "--initial-advertise-peer-urls",
                     fmt::format("http://127.0.0.1:{}", cluster.link_ports[at]), "--initial-cluster", initial_cluster,
                     "--initial-cluster-token", fmt::format("faultline-{}", options.seed), "--initial-cluster-state",
                     "new"},
            .workdir = dir / "data",
            .log_path = dir / "node-logs" / (name + ".log")});
        if (Status started = cluster.supervisor.server(name).start(); !started) return started.error();
    }
    cluster.note_pids();

    // Ready when every member answers a linearizable read (which needs a leader).
    const Clock::time_point ready_by = Clock::now() + kStartBound;
    for (int i = 0; i < n; ++i) {
        const Client client(cluster.client_ports[static_cast<std::size_t>(i)], 1000ms);
        while (true) {
            const OpResult probe = client.read("ready", false);
            if (probe.outcome == Outcome::ok || probe.error == 20) break;
            if (Clock::now() > ready_by) {
                return make_error(ErrorCode::timeout,
                                  fmt::format("etcd {} did not answer within {} s (see {}/node-logs/{}.log)",
                                              node_name(i), kStartBound.count() / 1000, *run_dir, node_name(i)));
            }
            std::this_thread::sleep_for(100ms);
        }
    }

    Recorder recorder;
    recorder.file = std::fopen((*run_dir + "/history.jsonl").c_str(), "w");
    if (recorder.file == nullptr) return make_error(ErrorCode::io_error, "cannot write " + *run_dir + "/history.jsonl");
    recorder.start = Clock::now();
    const Clock::time_point end = recorder.start + options.duration;
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> invoked{0};
    std::vector<std::string> nemesis_log;
    std::mutex log_mutex;
    auto log = [&](const std::string& line) {
        const double at = std::chrono::duration<double>(Clock::now() - recorder.start).count();
        std::lock_guard lock(log_mutex);
        nemesis_log.push_back(fmt::format("{:.3f}s {}", at, line));
    };
    // Each fault as real mode stores it (docs/real-mode.md): its kind, the
    // members it hit, and when it began and was healed, in nanoseconds from
    // the start of the workload. Written by the nemesis thread only, read
    // after it has joined.
    Json faults = Json::array();
    auto since_start = [&recorder] {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - recorder.start).count();
    };

    std::vector<std::thread> clients;
    for (int c = 0; c < options.clients; ++c) {
        clients.emplace_back([&, c] {
            Prng prng = Prng::stream(options.seed, fmt::format("client-{}", c));
            const int node = c % n;
            const Client client(cluster.client_ports[static_cast<std::size_t>(node)], options.request_timeout);
            std::int64_t process = c;
            while (!stop && Clock::now() < end && invoked.fetch_add(1) < options.max_ops) {
                const auto key = static_cast<std::int64_t>(prng.below(static_cast<std::uint64_t>(options.keys)));
                const std::uint64_t pick = options.workload == "puts" ? 1 : prng.below(4);
                check::Operation op{.process = process, .type = check::OpType::invoke, .key = key};
                OpResult result;
                if (pick == 0) {
                    op.f = "read";
                    recorder.add(op);
                    result = client.read(key_name(key), options.serializable);
                    if (result.outcome == Outcome::ok) op.value = *result.value;
                } else if (pick == 1 || pick == 2) {
                    op.f = "write";
                    op.value = static_cast<std::int64_t>(prng.below(5));
                    recorder.add(op);
                    result = client.write(key_name(key), op.value.get<std::int64_t>());
                } else {
                    op.f = "cas";
                    const auto from = static_cast<std::int64_t>(prng.below(5));
                    const auto to = static_cast<std::int64_t>(prng.below(5));
                    op.value = Json::array({from, to});
                    recorder.add(op);
                    result = client.cas(key_name(key), from, to);
                }
                op.type = result.outcome == Outcome::ok     ? check::OpType::ok
                          : result.outcome == Outcome::fail ? check::OpType::fail
                                                            : check::OpType::info;
                if (result.error != 0) op.error = result.error;
                op.node = node_name(node);
                recorder.add(op);
                // A process whose operation's fate is unknown is never reused (history.h).
                if (op.type == check::OpType::info) process += options.clients;
                // A member that is down refuses at once: without a pause its
                // client would fill the history with refusals.
                if (result.error == 11) std::this_thread::sleep_for(kUnavailableBackoff);
            }
        });
    }

    std::thread nemesis([&] {
        if (options.nemesis.empty()) return;
        Prng prng = Prng::stream(options.seed, "nemesis");
        // The last interval is healed, so the run ends on a whole cluster.
        while (!stop && Clock::now() + 2 * options.fault_interval < end) {
            sleep_until(Clock::now() + options.fault_interval, stop);
            if (stop) break;
            const std::string fault = options.nemesis[prng.below(options.nemesis.size())];
            const int victim = static_cast<int>(prng.below(static_cast<std::uint64_t>(n)));
            process::Server& server = cluster.supervisor.server(node_name(victim));
            const Clock::time_point until = Clock::now() + options.fault_interval;
            if (fault == "partition") {
                std::vector<int> side{victim};
                // Five members: sometimes a minority of two.
                if (n == 5 && prng.chance(0.5)) side.push_back((victim + 1 + static_cast<int>(prng.below(4))) % n);
                std::string names;
                for (int i : side) names += " " + node_name(i);
                log("partition:" + names + " cut off from the rest");
                Json cut_off = Json::array();
                for (int i : side) cut_off.push_back(node_name(i));
                faults.push_back(Json{{"kind", "partition"}, {"nodes", cut_off}, {"at", since_start()}});
                cluster.partition(side);
                sleep_until(until, stop);
                cluster.heal();
                faults.back()["healed"] = since_start();
                log("partition healed");
            } else if (fault == "kill") {
                log("kill -9 " + node_name(victim));
                faults.push_back(
                    Json{{"kind", "kill"}, {"nodes", Json::array({node_name(victim)})}, {"at", since_start()}});
                server.kill();
                sleep_until(until, stop);
                const Status restarted = server.start();
                cluster.note_pids();
                faults.back()["healed"] = since_start();
                log(restarted ? "restart " + node_name(victim) : "restart failed: " + restarted.error().message);
            } else {
                log("pause " + node_name(victim));
                faults.push_back(
                    Json{{"kind", "pause"}, {"nodes", Json::array({node_name(victim)})}, {"at", since_start()}});
                server.pause();
                sleep_until(until, stop);
                server.resume();
                faults.back()["healed"] = since_start();
                log("resume " + node_name(victim));
            }
        }
    });

    for (std::thread& client : clients) client.join();
    std::fclose(recorder.file);
    recorder.file = nullptr;
    stop = true;
    nemesis.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - recorder.start).count();
    cluster.heal();
    cluster.supervisor.stop_all(kStopGrace);
    cluster.proxy.stop();

    EtcdTestResult result;
    result.run_dir = *run_dir;
    result.seconds = seconds;
    result.nemesis_log = nemesis_log;
    std::vector<std::int64_t> latencies;
    {
        std::map<std::int64_t, Nanos> invoked_at;
        for (const check::Operation& op : recorder.history) {
            if (op.type == check::OpType::invoke) {
                invoked_at[op.process] = op.time;
                continue;
            }
            ++result.operations;
            if (op.type == check::OpType::ok) {
                ++result.ok;
                latencies.push_back((op.time - invoked_at[op.process]) / 1000);
            }
        }
    }
    std::sort(latencies.begin(), latencies.end());
    if (!latencies.empty()) {
        result.p50_us = latencies[latencies.size() / 2];
        result.p99_us = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
    }
    result.ops_per_second = seconds > 0 ? static_cast<double>(result.ok) / seconds : 0;

    check::LinearizabilityOptions check_options;
    check_options.model = check::models::ModelKind::kv;
    Result<check::LinearizabilityResult> checked = check::check_linearizability(recorder.history, check_options);
    if (!checked) return checked.error();
    result.verdict = checked->verdict;
    result.summary = fmt::format("{} operations on {} keys: {}", checked->operations, checked->partitions.size(),
                                 check::linearizability_verdict_text(checked->verdict));

    if (Status written = check::write_history_jsonl(*run_dir + "/history.jsonl", recorder.history); !written) {
        return written.error();
    }
    Json results{{"system", "etcd"},
                 {"verdict", check::verdict_name(result.verdict)},
                 {"checks", Json::array({Json{{"name", "linearizability"},
                                              {"verdict", check::verdict_name(result.verdict)},
                                              {"summary", result.summary},
                                              {"details", check::linearizability_result_to_json(*checked)}}})},
                 {"nemesis_log", nemesis_log},
                 {"faults", faults},
                 {"ops", {{"completed", result.operations}, {"ok", result.ok}}},
                 {"wall_seconds", seconds},
                 {"ops_per_second", result.ops_per_second},
                 {"latency_us", {{"p50", result.p50_us}, {"p99", result.p99_us}}}};
    if (checked->counterexample) results["counterexample"] = checked->counterexample->to_json();
    if (Status written = runner::write_text_file(*run_dir + "/results.json", results.dump(2) + "\n"); !written) {
        return written.error();
    }
    if (Status latest = runner::update_latest(options.store, *run_dir); !latest) return latest.error();
    return result;
}

}  // namespace faultline::etcd
