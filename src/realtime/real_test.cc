#include "realtime/real_test.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <asio.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "base/assert.h"
#include "base/hash.h"
#include "base/prng.h"
#include "check/history.h"
#include "process/supervisor.h"
#include "realtime/monotonic.h"
#include "realtime/peer_proxy.h"
#include "runner/store.h"
#include "runner/system.h"
#include "systems/lin_kv.h"
#include "workload/kv_workload.h"

namespace faultline::realtime {

namespace {

using asio::ip::tcp;

constexpr Nanos kStartTimeout = seconds(10);
constexpr std::chrono::milliseconds kStopGrace{2000};
constexpr int kRedirectsMax = 10;
constexpr int kFinalReadTries = 3;
constexpr Nanos kRedirectPause = milliseconds(20);
// The latency fault: a one-way delay drawn in this range on every link, with
// a jitter of a quarter of it. Up to the election timeout's order, so that it
// slows the cluster and sometimes costs a leader its term.
constexpr Nanos kLatencyMin = milliseconds(10);
constexpr Nanos kLatencyMax = milliseconds(200);

bool network_fault(const std::string& kind) {
    return kind == "partition" || kind == "latency";
}

Result<std::vector<std::string>> nemesis_kinds(const std::string& text) {
    std::vector<std::string> kinds;
    if (text == "none") return kinds;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string kind = text.substr(start, comma - start);
        if (kind.empty()) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("--nemesis '{}': an empty fault name (none: no faults)", text));
        }
        if (kind != "kill" && kind != "pause" && kind != "restart" && kind != "partition" && kind != "latency") {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("--nemesis: '{}' is not a fault: kill, pause, restart, partition, latency "
                                          "or none",
                                          kind));
        }
        if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
        start = comma + 1;
    }
    return kinds;
}

// Whether a TCP connection to `endpoint` succeeds now.
bool accepts(const Endpoint& endpoint) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(endpoint.port);
    ::inet_pton(AF_INET, endpoint.host.c_str(), &address.sin_addr);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

// Whether the node at `endpoint` serves a linearizable read now (it is a
// leader that confirmed its lease on the cluster), asking within `wait`.
bool serves_reads(const Endpoint& endpoint, Nanos wait) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(endpoint.port);
    ::inet_pton(AF_INET, endpoint.host.c_str(), &address.sin_addr);
    // A key the workload never uses: the probe leaves no trace in the history.
    const std::string probe = R"({"id":0,"type":"read","key":-1})"
                              "\n";
    bool serves = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::send(fd, probe.data(), probe.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(probe.size())) {
        pollfd in{fd, POLLIN, 0};
        char reply[512];
        ssize_t got = 0;
        if (::poll(&in, 1, static_cast<int>(wait / milliseconds(1))) > 0 &&
            (got = ::read(fd, reply, sizeof reply - 1)) > 0) {
            const std::string_view text(reply, static_cast<std::size_t>(got));
            serves =
                text.find("read_ok") != std::string_view::npos || text.find("\"code\":20") != std::string_view::npos;
        }
    }
    ::close(fd);
    return serves;
}

double quantile(std::vector<Nanos> sorted, double q) {
    if (sorted.empty()) return 0;
    std::sort(sorted.begin(), sorted.end());
    const auto at = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
    return static_cast<double>(sorted[std::min(at, sorted.size() - 1)]);
}

class Run {
  public:
    Run(const RealTestConfig& config, std::string folder) : config_(config), folder_(std::move(folder)) {}
    Result<RealTestResult> go();

  private:
    struct Attempt {
        workload::OpRequest op;
        std::uint64_t id = 0;
        int redirects = 0;
        bool maybe_sent = false;  // a request of this operation may have reached a server
        bool final_read = false;
        int tries = 0;  // a final read's
    };
    struct Client {
        explicit Client(asio::io_context& io) : timeout(io), pause(io) {}
        int index = 0;
        std::int64_t process = 0;
        int target = 0;
        std::unique_ptr<tcp::socket> socket;
        bool connected = false;
        std::uint64_t generation = 0;  // bumped when the socket is dropped: stale handlers see it
        std::string input;
        std::array<char, 1 << 14> buffer{};
        std::uint64_t next_id = 1;
        std::optional<Attempt> outstanding;
        asio::steady_timer timeout;
        asio::steady_timer pause;
        bool idle = false;
    };

    Nanos elapsed() const { return monotonic_now() - start_; }
    std::vector<std::string> serve_argv(int node, const std::vector<std::uint16_t>& ports) const;
    Status start_servers();
    Status wait_for_servers();
    void record(Client& client, check::OpType type, Json value, Json error, std::string node);
    void next_op(Client& client);
    void invoke(Client& client, workload::OpRequest op, bool final_read, int tries);
    void attempt(Client& client);
    void send(Client& client);
    void read_loop(Client& client, std::uint64_t generation);
    void handle_reply(Client& client, const Json& reply);
    void complete(Client& client, check::OpType type, Json value, Json error, std::string node);
    void drop_socket(Client& client);
    void schedule_fault();
    void inject(const std::string& kind);
    void heal(const std::vector<int>& nodes, const std::string& kind, std::size_t log_index);
    void inject_network(const std::string& kind);
    void heal_network(std::size_t log_index);
    void heal_all();
    void end_main_phase();
    void begin_final_reads();
    void maybe_finish();
    void note_exits();

    RealTestConfig config_;
    std::string folder_;
    std::unique_ptr<PeerProxy> peers_;  // every node-to-node link
    std::vector<std::string> names_;
    std::vector<Endpoint> peer_endpoints_;
    std::vector<Endpoint> client_endpoints_;
    std::vector<std::unique_ptr<process::Server>> servers_;
    std::vector<std::string> kinds_;
    std::vector<bool> faulted_;                 // a fault holds the node now
    std::optional<std::size_t> network_fault_;  // the fault (its index in faults_) holding the network now
    std::uint64_t refused_before_ = 0;          // the links' refusals when it began

    asio::io_context io_;
    // Made after process::install_cleanup_handlers(): Ctrl-C then ends the run
    // here, and the handlers still cover an abort or an exit.
    std::optional<asio::signal_set> signals_;
    asio::steady_timer nemesis_timer_{io_};
    asio::steady_timer phase_timer_{io_};
    asio::steady_timer deadline_timer_{io_};
    Prng workload_random_{0};
    Prng client_random_{0};
    Prng nemesis_random_{0};
    workload::LinKvGenerator generator_;
    std::vector<std::unique_ptr<Client>> clients_;
    std::deque<Attempt> final_reads_;
    check::History history_;
    Json faults_ = Json::array();
    std::vector<std::string> notes_;
    enum class Phase { main, recovery, final_reads, done } phase_ = Phase::main;
    int leader_hint_ = -1;
    Nanos start_ = 0;
    bool interrupted_ = false;
    bool timed_out_ = false;
};

std::vector<std::string> Run::serve_argv(int node, const std::vector<std::uint16_t>& ports) const {
    std::vector<std::string> argv{config_.binary.empty() ? "/proc/self/exe" : config_.binary,
                                  "serve",
                                  "--system",
                                  config_.system,
                                  "--id",
                                  names_[static_cast<std::size_t>(node)],
                                  "--listen",
                                  peer_endpoints_[static_cast<std::size_t>(node)].text(),
                                  "--client-listen",
                                  client_endpoints_[static_cast<std::size_t>(node)].text(),
                                  "--data-dir",
                                  fmt::format("{}/data/{}", folder_, names_[static_cast<std::size_t>(node)]),
                                  "--seed",
                                  std::to_string(config_.seed * 1000 + static_cast<std::uint64_t>(node))};
    (void)ports;
    std::string peers;
    for (int other = 0; other < config_.nodes; ++other) {
        if (other == node) continue;
        const Endpoint dial = peers_->route(node, other);
        peers += fmt::format("{}{}={}", peers.empty() ? "" : ",", names_[static_cast<std::size_t>(other)], dial.text());
    }
    if (!peers.empty()) {
        argv.push_back("--peers");
        argv.push_back(peers);
    }
    if (!config_.bug.empty()) {
        argv.push_back("--bug");
        argv.push_back(config_.bug);
    }
    for (const auto& [key, value] : config_.system_options.items()) {
        std::string flag = "--" + key;
        std::replace(flag.begin(), flag.end(), '_', '-');
        if (value.is_boolean()) {
            argv.push_back(value.get<bool>() ? flag : "--no-" + key);
            std::replace(argv.back().begin(), argv.back().end(), '_', '-');
        } else {
            argv.push_back(flag);
            argv.push_back(value.is_string() ? value.get<std::string>() : value.dump());
        }
    }
    return argv;
}

Status Run::start_servers() {
    auto ports = process::pick_free_ports(static_cast<std::size_t>(2 * config_.nodes));
    if (!ports) return ports.error();
    for (int i = 0; i < config_.nodes; ++i) {
        names_.push_back(fmt::format("n{}", i + 1));
        peer_endpoints_.push_back(Endpoint{.port = (*ports)[static_cast<std::size_t>(2 * i)]});
        client_endpoints_.push_back(Endpoint{.port = (*ports)[static_cast<std::size_t>(2 * i + 1)]});
    }
    auto peers = PeerProxy::start(names_, peer_endpoints_, hash_words({config_.seed, 4}));
    if (!peers) return peers.error();
    peers_ = std::move(*peers);
    std::error_code error;
    std::filesystem::create_directories(folder_ + "/node-logs", error);
    std::filesystem::create_directories(folder_ + "/data", error);
    if (error) return make_error(ErrorCode::io_error, "cannot make folders in " + folder_);
    for (int i = 0; i < config_.nodes; ++i) {
        const std::string& name = names_[static_cast<std::size_t>(i)];
        servers_.push_back(std::make_unique<process::Server>(
            process::ServerSpec{.name = name,
                                .argv = serve_argv(i, *ports),
                                .workdir = fmt::format("{}/data/{}", folder_, name),
                                .log_path = fmt::format("{}/node-logs/{}.log", folder_, name),
                                .die_with_parent = true}));
        if (Status started = servers_.back()->start(); !started) return started;
    }
    faulted_.assign(static_cast<std::size_t>(config_.nodes), false);
    return ok_status();
}

Status Run::wait_for_servers() {
    const Nanos deadline = monotonic_now() + kStartTimeout;
    for (int i = 0; i < config_.nodes; ++i) {
        while (!accepts(client_endpoints_[static_cast<std::size_t>(i)])) {
            process::Server& server = *servers_[static_cast<std::size_t>(i)];
            if (!server.running() || monotonic_now() > deadline) {
                const std::string why = server.running() ? "no answer" : server.exit_description();
                return make_error(ErrorCode::io_error,
                                  fmt::format("server {} did not start ({}); see {}/node-logs/{}.log",
                                              names_[static_cast<std::size_t>(i)], why, folder_,
                                              names_[static_cast<std::size_t>(i)]));
            }
            // Waiting for real processes to bind their ports, bounded above.
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    // The workload starts once a leader serves: an election is not what the
    // run measures, and its first operations would only time out.
    while (true) {
        for (const Endpoint& endpoint : client_endpoints_) {
            if (serves_reads(endpoint, milliseconds(200))) return ok_status();
        }
        if (monotonic_now() > deadline) {
            return make_error(ErrorCode::io_error, fmt::format("no server became leader within {}; see {}/node-logs",
                                                               format_duration(kStartTimeout), folder_));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void Run::record(Client& client, check::OpType type, Json value, Json error, std::string node) {
    const Attempt& attempt = *client.outstanding;
    history_.push_back(check::Operation{.index = static_cast<std::int64_t>(history_.size()),
                                        .time = elapsed(),
                                        .process = client.process,
                                        .type = type,
                                        .f = attempt.op.f,
                                        .key = attempt.op.key,
                                        .value = std::move(value),
                                        .error = std::move(error),
                                        .node = std::move(node)});
}

void Run::next_op(Client& client) {
    FL_ASSERT(!client.outstanding.has_value());
    if (phase_ == Phase::main) {
        client.idle = false;
        return invoke(client, generator_.next(workload_random_), false, 0);
    }
    if (phase_ == Phase::final_reads && !final_reads_.empty()) {
        Attempt read = std::move(final_reads_.front());
        final_reads_.pop_front();
        client.idle = false;
        return invoke(client, read.op, true, read.tries + 1);
    }
    client.idle = true;
    maybe_finish();
}

void Run::invoke(Client& client, workload::OpRequest op, bool final_read, int tries) {
    client.outstanding = Attempt{.op = std::move(op), .final_read = final_read, .tries = tries};
    record(client, check::OpType::invoke, client.outstanding->op.value, Json(), "");
    client.timeout.expires_after(std::chrono::nanoseconds(config_.client_timeout));
    client.timeout.async_wait([this, &client](const asio::error_code& error) {
        if (error || !client.outstanding) return;
        // Nothing answered in time: a read changed nothing; anything else
        // may have happened if a request of it may have left.
        const bool definite = client.outstanding->op.f == "read" || !client.outstanding->maybe_sent;
        drop_socket(client);
        client.target = static_cast<int>(client_random_.below(static_cast<std::uint64_t>(config_.nodes)));
        complete(client, definite ? check::OpType::fail : check::OpType::info, Json(), Json("timeout"), "");
    });
    attempt(client);
}

void Run::attempt(Client& client) {
    if (!client.outstanding) return;
    client.outstanding->id = client.next_id++;
    if (client.connected) return send(client);
    client.socket = std::make_unique<tcp::socket>(io_);
    const std::uint64_t generation = ++client.generation;
    const Endpoint& endpoint = client_endpoints_[static_cast<std::size_t>(client.target)];
    client.socket->async_connect(tcp::endpoint(asio::ip::make_address(endpoint.host), endpoint.port),
                                 [this, &client, generation](const asio::error_code& error) {
                                     if (generation != client.generation || !client.outstanding) return;
                                     if (error) {
                                         // Nothing was sent: try another node, within the timeout.
                                         drop_socket(client);
                                         client.target = (client.target + 1) % config_.nodes;
                                         client.pause.expires_after(std::chrono::nanoseconds(kRedirectPause));
                                         client.pause.async_wait([this, &client](const asio::error_code& e) {
                                             if (!e) attempt(client);
                                         });
                                         return;
                                     }
                                     asio::error_code ignored;
                                     client.socket->set_option(tcp::no_delay(true), ignored);
                                     client.connected = true;
                                     read_loop(client, generation);
                                     send(client);
                                 });
}

void Run::send(Client& client) {
    Attempt& current = *client.outstanding;
    const workload::OpRequest& op = current.op;
    Json request{{"id", current.id}, {"type", op.f}, {"key", op.key}};
    if (op.f == "write") request["value"] = op.value;
    if (op.f == "cas") {
        request["from"] = op.value.at(0);
        request["to"] = op.value.at(1);
    }
    current.maybe_sent = true;
    auto line = std::make_shared<std::string>(request.dump() + "\n");
    const std::uint64_t generation = client.generation;
    asio::async_write(*client.socket, asio::buffer(*line),
                      [this, &client, line, generation](const asio::error_code& error, std::size_t) {
                          if (error && generation == client.generation) drop_socket(client);
                      });
}

void Run::read_loop(Client& client, std::uint64_t generation) {
    client.socket->async_read_some(asio::buffer(client.buffer), [this, &client, generation](
                                                                    const asio::error_code& error, std::size_t got) {
        if (generation != client.generation) return;
        if (error) {
            // The server went away; what it had of the request is unknown.
            drop_socket(client);
            if (client.outstanding) {
                const bool definite = client.outstanding->op.f == "read";
                complete(client, definite ? check::OpType::fail : check::OpType::info, Json(), Json("connection lost"),
                         "");
            }
            return;
        }
        client.input.append(client.buffer.data(), got);
        std::size_t start = 0;
        for (std::size_t end;
             generation == client.generation && (end = client.input.find('\n', start)) != std::string::npos;
             start = end + 1) {
            const Json reply = Json::parse(std::string_view(client.input).substr(start, end - start), nullptr, false);
            if (reply.is_object()) handle_reply(client, reply);
        }
        if (generation != client.generation) return;
        client.input.erase(0, start);
        read_loop(client, generation);
    });
}

void Run::handle_reply(Client& client, const Json& reply) {
    if (!client.outstanding || !reply.contains("id") || reply["id"] != Json(client.outstanding->id)) return;
    const std::string type = reply.value("type", "");
    const std::string node = names_[static_cast<std::size_t>(client.target)];
    const std::string& f = client.outstanding->op.f;
    if (type == f + "_ok") {
        if (f != "read") leader_hint_ = client.target;
        return complete(client, check::OpType::ok, f == "read" ? reply.value("value", Json()) : Json(), Json(), node);
    }
    const int code = reply.contains("code") && reply["code"].is_number_integer() ? reply["code"].get<int>() : -1;
    if (type == "error" && code == 11) {
        // Definitely not done: ask the leader it names, or another node.
        Attempt& current = *client.outstanding;
        if (++current.redirects > kRedirectsMax) return complete(client, check::OpType::fail, Json(), Json(11), node);
        const std::string leader = reply.value("leader", "");
        const auto named = std::find(names_.begin(), names_.end(), leader);
        const int next =
            named != names_.end() ? static_cast<int>(named - names_.begin()) : (client.target + 1) % config_.nodes;
        if (named != names_.end()) leader_hint_ = next;
        if (next != client.target) {
            drop_socket(client);
            client.target = next;
        }
        client.pause.expires_after(std::chrono::nanoseconds(named != names_.end() ? 0 : kRedirectPause));
        client.pause.async_wait([this, &client](const asio::error_code& e) {
            if (!e) attempt(client);
        });
        return;
    }
    if (type == "error" && (code == 20 || code == 22 || code == 10 || code == 12)) {
        return complete(client, check::OpType::fail, Json(), Json(code), node);
    }
    complete(client, f == "read" ? check::OpType::fail : check::OpType::info, Json(), Json(code), node);
}

void Run::complete(Client& client, check::OpType type, Json value, Json error, std::string node) {
    FL_ASSERT(client.outstanding.has_value());
    client.timeout.cancel();
    client.pause.cancel();
    if (type == check::OpType::ok && value.is_null() && client.outstanding->op.f != "read") {
        value = client.outstanding->op.value;
    }
    if (type != check::OpType::ok) value = client.outstanding->op.value;
    record(client, type, std::move(value), std::move(error), std::move(node));
    Attempt done = std::move(*client.outstanding);
    client.outstanding.reset();
    if (type == check::OpType::info) client.process += config_.concurrency;
    // A final read is tried again when it was not answered (a timeout, a
    // lost connection, no leader); "key does not exist" is an answer.
    const bool answered = type == check::OpType::ok || history_.back().error == Json(20);
    if (done.final_read && !answered && done.tries < kFinalReadTries) {
        final_reads_.push_back(std::move(done));
    }
    Nanos wait = 0;
    if (config_.rate > 0 && phase_ == Phase::main) {
        const double mean = static_cast<double>(config_.concurrency) / config_.rate * 1e9;
        wait = static_cast<Nanos>(mean * (0.5 + client_random_.unit()));
    }
    client.pause.expires_after(std::chrono::nanoseconds(wait));
    client.pause.async_wait([this, &client](const asio::error_code& e) {
        if (!e && !client.outstanding) next_op(client);
    });
}

void Run::drop_socket(Client& client) {
    ++client.generation;
    client.connected = false;
    client.input.clear();
    if (client.socket) {
        asio::error_code ignored;
        client.socket->close(ignored);
        // Handlers still queued hold no reference to it; keep it until they ran.
        asio::post(io_, [socket = std::shared_ptr<tcp::socket>(std::move(client.socket))] {});
    }
}

void Run::note_exits() {
    for (std::size_t i = 0; i < servers_.size(); ++i) {
        // Started (a pid) but no longer running: nothing here ended it.
        if (servers_[i]->pid() > 0 && !servers_[i]->running()) {
            notes_.push_back(fmt::format("{:.3f}s: {} exited by itself ({})", static_cast<double>(elapsed()) / 1e9,
                                         names_[i], servers_[i]->exit_description()));
        }
    }
}

void Run::schedule_fault() {
    const double mean = static_cast<double>(config_.nemesis_interval);
    nemesis_timer_.expires_after(std::chrono::nanoseconds(static_cast<Nanos>(mean * (0.5 + nemesis_random_.unit()))));
    nemesis_timer_.async_wait([this](const asio::error_code& error) {
        if (error || phase_ != Phase::main) return;
        note_exits();
        inject(kinds_[nemesis_random_.below(kinds_.size())]);
        schedule_fault();
    });
}

void Run::inject(const std::string& kind) {
    if (network_fault(kind)) return inject_network(kind);
    std::vector<int> free;
    for (int i = 0; i < config_.nodes; ++i) {
        if (!faulted_[static_cast<std::size_t>(i)] && servers_[static_cast<std::size_t>(i)]->running())
            free.push_back(i);
    }
    if (free.empty()) return;
    // Jepsen's targets: the leader, one node, a majority, or every node not
    // already faulted (so that faults pile up: the followers paused, then
    // the leader killed, is how an acknowledged write can be lost).
    std::vector<int> targets;
    const bool leader_free = std::find(free.begin(), free.end(), leader_hint_) != free.end();
    const int majority = config_.nodes / 2 + 1;
    std::size_t count = free.size();
    switch (nemesis_random_.below(4)) {
        case 0:
            if (leader_free) targets.push_back(leader_hint_);
            count = leader_free ? 0 : 1;
            break;
        case 1:
            count = 1;
            break;
        case 2:
            count = std::min<std::size_t>(free.size(), static_cast<std::size_t>(majority));
            break;
        default:
            break;
    }
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t pick = i + nemesis_random_.below(free.size() - i);
        std::swap(free[i], free[pick]);
        targets.push_back(free[i]);
    }
    std::sort(targets.begin(), targets.end());
    Json nodes = Json::array();
    for (int node : targets) nodes.push_back(names_[static_cast<std::size_t>(node)]);
    const std::size_t log_index = faults_.size();
    faults_.push_back(Json{{"kind", kind}, {"nodes", nodes}, {"at", elapsed()}});
    for (int node : targets) {
        process::Server& server = *servers_[static_cast<std::size_t>(node)];
        if (kind == "kill") server.kill();
        if (kind == "pause") server.pause();
        if (kind == "restart") {
            server.stop(kStopGrace);
            if (Status started = server.start(); !started) notes_.push_back(started.error().message);
        }
        faulted_[static_cast<std::size_t>(node)] = kind != "restart";
    }
    if (kind == "restart") {
        faults_[log_index]["healed"] = elapsed();
        return;
    }
    const double mean = static_cast<double>(config_.nemesis_interval);
    auto timer = std::make_shared<asio::steady_timer>(
        io_, std::chrono::nanoseconds(static_cast<Nanos>(mean * (0.5 + nemesis_random_.unit()))));
    timer->async_wait([this, timer, targets, kind, log_index](const asio::error_code& error) {
        if (!error) heal(targets, kind, log_index);
    });
}

void Run::heal(const std::vector<int>& nodes, const std::string& kind, std::size_t log_index) {
    for (int node : nodes) {
        if (!faulted_[static_cast<std::size_t>(node)]) continue;  // healed already (the end of the main phase)
        process::Server& server = *servers_[static_cast<std::size_t>(node)];
        if (kind == "kill" && !server.running()) {
            if (Status started = server.start(); !started) notes_.push_back(started.error().message);
        }
        if (kind == "pause") server.resume();
        faulted_[static_cast<std::size_t>(node)] = false;
    }
    if (!faults_[log_index].contains("healed")) faults_[log_index]["healed"] = elapsed();
}

void Run::inject_network(const std::string& kind) {
    if (network_fault_) return;  // one network fault at a time
    Json fault{{"kind", kind}, {"at", elapsed()}};
    if (kind == "partition") {
        // A minority cut off from the majority: the leader alone when it is
        // known (half the time), else 1 to (n-1)/2 nodes.
        const int minority = (config_.nodes - 1) / 2;
        if (minority == 0) return;
        std::vector<int> side;
        if (leader_hint_ >= 0 && nemesis_random_.below(2) == 0) {
            side.push_back(leader_hint_);
        } else {
            std::vector<int> all(static_cast<std::size_t>(config_.nodes));
            for (int i = 0; i < config_.nodes; ++i) all[static_cast<std::size_t>(i)] = i;
            const auto size = static_cast<std::size_t>(1 + nemesis_random_.below(static_cast<std::uint64_t>(minority)));
            for (std::size_t i = 0; i < size; ++i) {
                std::swap(all[i], all[i + nemesis_random_.below(all.size() - i)]);
                side.push_back(all[i]);
            }
        }
        std::sort(side.begin(), side.end());
        Json nodes = Json::array();
        for (int node : side) nodes.push_back(names_[static_cast<std::size_t>(node)]);
        fault["nodes"] = nodes;
        refused_before_ = peers_->refused();
        if (Status cut = peers_->isolate(side); !cut) notes_.push_back(cut.error().message);
    } else {
        const Nanos latency =
            kLatencyMin +
            static_cast<Nanos>(nemesis_random_.below(static_cast<std::uint64_t>(kLatencyMax - kLatencyMin)));
        fault["nodes"] = Json(names_);
        fault["latency_ns"] = latency;
        if (Status slowed = peers_->delay(latency, latency / 4); !slowed) notes_.push_back(slowed.error().message);
    }
    network_fault_ = faults_.size();
    faults_.push_back(fault);
    const double mean = static_cast<double>(config_.nemesis_interval);
    auto timer = std::make_shared<asio::steady_timer>(
        io_, std::chrono::nanoseconds(static_cast<Nanos>(mean * (0.5 + nemesis_random_.unit()))));
    const std::size_t log_index = *network_fault_;
    timer->async_wait([this, timer, log_index](const asio::error_code& error) {
        if (!error) heal_network(log_index);
    });
}

void Run::heal_network(std::size_t log_index) {
    if (network_fault_ != log_index) return;  // healed already (the end of the main phase)
    if (Status healed = peers_->heal(); !healed) notes_.push_back(healed.error().message);
    Json& fault = faults_[log_index];
    // Connections refused across the cut: the partition did stop traffic.
    if (fault["kind"] == "partition") fault["refused"] = peers_->refused() - refused_before_;
    fault["healed"] = elapsed();
    network_fault_.reset();
}

void Run::heal_all() {
    note_exits();
    if (network_fault_) heal_network(*network_fault_);
    for (std::size_t i = 0; i < servers_.size(); ++i) {
        process::Server& server = *servers_[i];
        server.resume();
        if (!server.running()) {
            if (Status started = server.start(); !started) notes_.push_back(started.error().message);
        }
        faulted_[i] = false;
    }
    for (Json& fault : faults_) {
        if (!fault.contains("healed")) fault["healed"] = elapsed();
    }
}

void Run::end_main_phase() {
    phase_ = Phase::recovery;
    nemesis_timer_.cancel();
    heal_all();
    phase_timer_.expires_after(std::chrono::nanoseconds(config_.recovery));
    phase_timer_.async_wait([this](const asio::error_code& error) {
        if (!error) begin_final_reads();
    });
}

void Run::begin_final_reads() {
    phase_ = Phase::final_reads;
    for (workload::OpRequest& read : systems::lin_kv_final_reads(generator_)) {
        final_reads_.push_back(Attempt{.op = std::move(read), .final_read = true, .tries = 0});
    }
    for (auto& client : clients_) {
        if (client->idle && !client->outstanding) next_op(*client);
    }
    maybe_finish();
}

void Run::maybe_finish() {
    if (phase_ != Phase::final_reads || !final_reads_.empty()) return;
    for (const auto& client : clients_) {
        if (client->outstanding) return;
    }
    phase_ = Phase::done;
    io_.stop();
}

Result<RealTestResult> Run::go() {
    if (Status valid = config_.validate(); !valid) return valid.error();
    auto kinds = nemesis_kinds(config_.nemesis);
    if (!kinds) return kinds.error();
    kinds_ = *kinds;
    workload_random_ = Prng(hash_words({config_.seed, 1}));
    client_random_ = Prng(hash_words({config_.seed, 2}));
    nemesis_random_ = Prng(hash_words({config_.seed, 3}));
    generator_ = workload::LinKvGenerator(workload::LinKvOptions{
        .keys_active = config_.keys, .read_percent = config_.read_percent, .write_percent = config_.write_percent});
    std::error_code made;
    std::filesystem::create_directories(folder_, made);
    if (made) return make_error(ErrorCode::io_error, "cannot make " + folder_);
    // Each server runs in its data dir: the paths it is given must not depend on that.
    folder_ = std::filesystem::absolute(folder_).string();
    if (Status written = runner::write_text_file(folder_ + "/config.json", config_.to_json().dump(2) + "\n");
        !written) {
        return written.error();
    }
    if (Status started = start_servers(); !started) return started.error();
    if (Status ready = wait_for_servers(); !ready) return ready.error();

    start_ = monotonic_now();
    process::install_cleanup_handlers();
    signals_.emplace(io_, SIGINT, SIGTERM);
    signals_->async_wait([this](const asio::error_code& error, int) {
        if (error) return;
        interrupted_ = true;
        io_.stop();
    });
    for (int i = 0; i < config_.concurrency; ++i) {
        auto client = std::make_unique<Client>(io_);
        client->index = i;
        client->process = i;
        client->target = static_cast<int>(client_random_.below(static_cast<std::uint64_t>(config_.nodes)));
        clients_.push_back(std::move(client));
    }
    for (auto& client : clients_) next_op(*client);
    if (!kinds_.empty()) schedule_fault();
    phase_timer_.expires_after(std::chrono::nanoseconds(config_.time_limit));
    phase_timer_.async_wait([this](const asio::error_code& error) {
        if (!error) end_main_phase();
    });
    // However the servers behave, the run ends: the final reads get their
    // tries and timeouts, and then some.
    const Nanos hard_limit = config_.time_limit + config_.recovery +
                             (kFinalReadTries + 2) * config_.client_timeout * (config_.keys + 1) + seconds(10);
    deadline_timer_.expires_after(std::chrono::nanoseconds(hard_limit));
    deadline_timer_.async_wait([this](const asio::error_code& error) {
        if (error) return;
        timed_out_ = true;
        io_.stop();
    });
    io_.run();
    const Nanos ended = elapsed();
    note_exits();
    // Operations still waiting end in doubt.
    for (auto& client : clients_) {
        if (client->outstanding) {
            const bool read = client->outstanding->op.f == "read";
            record(*client, read ? check::OpType::fail : check::OpType::info, client->outstanding->op.value,
                   Json("run ended"), "");
            client->outstanding.reset();
        }
        drop_socket(*client);
    }
    for (auto& server : servers_) server->stop(kStopGrace);
    servers_.clear();
    const std::uint64_t refused = peers_->refused();
    peers_.reset();

    RealTestResult result;
    if (Status written = check::write_history_jsonl(folder_ + "/history.jsonl", history_); !written) {
        return written.error();
    }
    if (interrupted_) {
        // What the run did up to the signal stays on disk, unchecked: its
        // final reads never ran, so no verdict is given.
        const std::string why = fmt::format(
            "interrupted at {:.3f} s (SIGINT or SIGTERM): every server was stopped; the history up to "
            "then is in history.jsonl, not checked",
            static_cast<double>(ended) / 1e9);
        const Json stopped{{"verdict", "unknown"},
                           {"real", true},
                           {"checks", Json::array({Json{{"name", "run"}, {"verdict", "unknown"}, {"summary", why}}})},
                           {"stats", Json{{"wall_ns", ended}}},
                           {"faults", faults_},
                           {"proxy", Json{{"refused", refused}}},
                           {"notes", notes_},
                           {"stopped_because", why}};
        (void)runner::write_text_file(folder_ + "/results.json", stopped.dump(2) + "\n");
        return make_error(ErrorCode::internal,
                          "interrupted: every server was stopped; what the run did is in " + folder_);
    }
    result.checks.push_back(systems::check_lin_kv(history_));
    if (timed_out_) {
        result.checks.push_back(check::Outcome{.name = "liveness",
                                               .verdict = check::Verdict::unknown,
                                               .summary = "the run hit its hard deadline before the final reads "
                                                          "completed"});
    }
    for (const check::Outcome& outcome : result.checks)
        result.verdict = check::combine(result.verdict, outcome.verdict);

    // Statistics of the main phase: what a benchmark reads.
    std::map<std::int64_t, Nanos> invoked;
    std::vector<Nanos> latencies;
    std::uint64_t ok = 0, fail = 0, info = 0, ok_main = 0;
    for (const check::Operation& op : history_) {
        if (op.type == check::OpType::invoke) {
            invoked[op.process] = op.time;
            continue;
        }
        ok += op.type == check::OpType::ok;
        fail += op.type == check::OpType::fail;
        info += op.type == check::OpType::info;
        if (op.type == check::OpType::ok && op.time <= config_.time_limit) {
            ++ok_main;
            latencies.push_back(op.time - invoked[op.process]);
        }
    }
    const double seconds_main = static_cast<double>(config_.time_limit) / 1e9;
    const Json stats{{"operations", ok + fail + info},
                     {"ok", ok},
                     {"fail", fail},
                     {"info", info},
                     {"ok_per_second", static_cast<double>(ok_main) / seconds_main},
                     {"latency_p50_ns", quantile(latencies, 0.5)},
                     {"latency_p99_ns", quantile(latencies, 0.99)},
                     {"wall_ns", ended}};
    Json checks = Json::array();
    for (const check::Outcome& outcome : result.checks) {
        checks.push_back(Json{{"name", outcome.name},
                              {"verdict", check::verdict_name(outcome.verdict)},
                              {"summary", outcome.summary},
                              {"details", outcome.details}});
    }
    result.results = Json{{"verdict", check::verdict_name(result.verdict)},
                          {"real", true},
                          {"checks", checks},
                          {"stats", stats},
                          {"faults", faults_},
                          {"proxy", Json{{"refused", refused}}},
                          {"notes", notes_}};
    if (Status written = runner::write_text_file(folder_ + "/results.json", result.results.dump(2) + "\n"); !written) {
        return written.error();
    }
    result.summary = fmt::format(
        "operations {} ({} ok, {} fail, {} info), {} faults\n"
        "throughput {:.0f} ok/s; latency p50 {:.2f} ms, p99 {:.2f} ms\n",
        ok + fail + info, ok, fail, info, faults_.size(), static_cast<double>(ok_main) / seconds_main,
        quantile(latencies, 0.5) / 1e6, quantile(latencies, 0.99) / 1e6);
    for (const check::Outcome& outcome : result.checks) {
        result.summary += fmt::format("{:<16} {}: {}\n", outcome.name, check::verdict_name(outcome.verdict),
                                      outcome.summary.substr(0, outcome.summary.find('\n')));
    }
    for (const std::string& note : notes_) result.summary += "note         " + note + "\n";
    return result;
}

}  // namespace

Status RealTestConfig::validate() const {
    const auto range = [](const char* name, double value, double low, double high) -> Status {
        if (value < low || value > high) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("{} must be in [{}, {}], got {}", name, low, high, value));
        }
        return ok_status();
    };
    if (system != "raft-kv") {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("--real runs raft-kv (its client protocol is lin-kv's), not '{}'", system));
    }
    for (const Status& status :
         {range("--nodes", nodes, 1, 9), range("--concurrency", concurrency, 1, 256), range("--rate", rate, 0, 1e6),
          range("--time-limit", static_cast<double>(time_limit) / 1e9, 0.1, 3600),
          range("--nemesis-interval", static_cast<double>(nemesis_interval) / 1e6, 10, 600'000),
          range("--client-timeout", static_cast<double>(client_timeout) / 1e6, 10, 600'000),
          range("--recovery", static_cast<double>(recovery) / 1e6, 0, 600'000), range("--keys", keys, 1, 1000),
          range("--read-percent", read_percent, 0, 100), range("--write-percent", write_percent, 0, 100)}) {
        if (!status) return status;
    }
    if (read_percent + write_percent > 100) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("--read-percent and --write-percent add up to {}, more than 100",
                                      read_percent + write_percent));
    }
    if (auto kinds = nemesis_kinds(nemesis); !kinds) return kinds.error();
    // The servers build their system from the same settings: an unknown bug
    // or option is refused here, before any of them starts, not found in
    // their logs after.
    runner::RunConfig server;
    server.system = system;
    server.bug = bug;
    server.nodes = nodes;
    server.system_options = system_options;
    if (auto made = runner::make_system(server); !made) return made.error();
    return ok_status();
}

Json RealTestConfig::to_json() const {
    return Json{{"real", true},
                {"system", system},
                {"bug", bug},
                {"nodes", nodes},
                {"concurrency", concurrency},
                {"rate", rate},
                {"time_limit_ns", time_limit},
                {"nemesis", nemesis},
                {"nemesis_interval_ns", nemesis_interval},
                {"client_timeout_ns", client_timeout},
                {"recovery_ns", recovery},
                {"keys", keys},
                {"read_percent", read_percent},
                {"write_percent", write_percent},
                {"seed", seed},
                {"system_options", system_options},
                {"command", command_line()}};
}

std::string RealTestConfig::command_line() const {
    std::string line = fmt::format(
        "faultline test --real --system {} --nodes {} --concurrency {} --rate {} --time-limit {} --nemesis {} "
        "--nemesis-interval {} --client-timeout {} --recovery {} --keys {} --read-percent {} --write-percent {} "
        "--seed {}",
        system, nodes, concurrency, rate, static_cast<double>(time_limit) / 1e9, nemesis,
        static_cast<double>(nemesis_interval) / 1e6, static_cast<double>(client_timeout) / 1e6,
        static_cast<double>(recovery) / 1e6, keys, read_percent, write_percent, seed);
    if (!bug.empty()) line += " --bug " + bug;
    return line;
}

Result<RealTestResult> run_real_test(const RealTestConfig& config, const std::string& folder) {
    Run run(config, folder);
    return run.go();
}

}  // namespace faultline::realtime
