#include "harness/process_runtime.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>

#include "base/assert.h"

namespace faultline::harness {

// In-process nodes have no disk: a client or a service keeps nothing.
class NoStorage final : public Storage {
  public:
    Status write(std::string_view, std::uint64_t, std::string_view) override { return refuse(); }
    Status append(std::string_view, std::string_view) override { return refuse(); }
    Status truncate(std::string_view, std::uint64_t) override { return refuse(); }
    Status remove(std::string_view) override { return refuse(); }
    Status sync() override { return {}; }
    Result<std::string> read(std::string_view) override { return refuse(); }
    bool exists(std::string_view) const override { return false; }
    std::vector<std::string> list() const override { return {}; }

  private:
    static Error refuse() { return make_error(ErrorCode::unsupported, "harness clients and services have no disk"); }
};

namespace {

// The client that sends one server its init and waits for init_ok.
class InitClient final : public Node {
  public:
    InitClient(ProcessRuntime& runtime, NodeId server, std::function<void()> done)
        : runtime_(runtime), server_(server), done_(std::move(done)) {}
    void start(Context&) override {}
    void on_timer(Context&, TimerId, std::uint64_t) override {}
    void on_message(Context& ctx, const Envelope& envelope) override {
        const auto* reply = message_as<MaelstromMessage>(*envelope.message);
        if (reply == nullptr || envelope.from != server_ || answered_) return;
        if (reply->type() != "init_ok" || reply->in_reply_to() != 1) {
            runtime_.diagnose(server_, fmt::format("answered init with '{}' instead of init_ok to msg_id 1: {}",
                                                   reply->type(), reply->body().dump()));
            (void)ctx;
            return;
        }
        answered_ = true;
        done_();
    }

  private:
    ProcessRuntime& runtime_;
    NodeId server_;
    std::function<void()> done_;
    bool answered_ = false;
};

}  // namespace

class ProcessRuntime::LocalContext final : public Context {
  public:
    LocalContext(ProcessRuntime& runtime, NodeId self, std::uint64_t seed)
        : runtime_(runtime), self_(self), random_(Prng::stream(seed, "harness/" + runtime.name_of(self))) {}
    NodeId self() const override { return self_; }
    std::span<const NodeId> cluster() const override { return runtime_.servers(); }
    std::string_view name_of(NodeId node) const override { return runtime_.name_of(node); }
    Nanos now() const override { return runtime_.now(); }
    void send(NodeId to, MessagePtr message) override { runtime_.send(self_, to, std::move(message)); }
    TimerId set_timer(Nanos after, std::uint64_t tag) override {
        const TimerId id = ++next_timer_;
        live_.insert(id);
        runtime_.at(runtime_.now() + after, [this, id, tag] {
            if (live_.erase(id) == 0) return;
            runtime_.invoke(self_, [&](Node& node, Context& ctx) { node.on_timer(ctx, id, tag); });
        });
        return id;
    }
    void cancel_timer(TimerId timer) override { live_.erase(timer); }
    Prng& random() override { return random_; }
    Storage& storage() override { return storage_; }
    void log(std::string_view line) override {
        runtime_.note_fault(fmt::format("{}: {}", runtime_.name_of(self_), line));
    }

  private:
    ProcessRuntime& runtime_;
    NodeId self_;
    Prng random_;
    NoStorage storage_;
    TimerId next_timer_ = 0;
    std::set<TimerId> live_;
};

ProcessRuntime::ProcessRuntime(ProcessRuntimeOptions options, sim::LinkConfig default_link)
    : options_(std::move(options)), network_(options_.seed, default_link), epoch_(std::chrono::steady_clock::now()) {
    // A program may exit between a poll and a write to its stdin: the write
    // must fail with EPIPE (ChildProcess::flush handles it), not end faultline.
    std::signal(SIGPIPE, SIG_IGN);
}

ProcessRuntime::~ProcessRuntime() {
    shutdown();
}

NodeId ProcessRuntime::add_server(std::string name) {
    const NodeId id{static_cast<std::uint32_t>(nodes_.size())};
    FL_ASSERT(!ids_.contains(name));
    ids_[name] = id;
    NodeSlot& slot = nodes_.emplace_back();
    slot.name = std::move(name);
    slot.is_server = true;
    network_.add_node();
    servers_.push_back(id);
    return id;
}

NodeId ProcessRuntime::add_local(std::string name, std::unique_ptr<Node> node) {
    const NodeId id{static_cast<std::uint32_t>(nodes_.size())};
    FL_ASSERT(!ids_.contains(name));
    ids_[name] = id;
    NodeSlot& slot = nodes_.emplace_back();
    slot.name = std::move(name);
    slot.is_client = slot.name.starts_with('c');  // Maelstrom's rule: c1, c2, ... are clients
    slot.local = std::move(node);
    slot.initialized = true;
    slot.context = std::make_unique<LocalContext>(*this, id, options_.seed);
    network_.add_node();
    return id;
}

NodeId ProcessRuntime::id_of(const std::string& name) const {
    auto found = ids_.find(name);
    return found == ids_.end() ? NodeId{UINT32_MAX} : found->second;
}

Nanos ProcessRuntime::now() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - epoch_).count();
}

void ProcessRuntime::at(Nanos time, std::function<void()> action) {
    const std::uint64_t sequence = next_timer_++;
    timer_actions_.emplace(sequence, std::move(action));
    timers_.push(Timer{time, sequence});
}

Status ProcessRuntime::start() {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        NodeSlot& slot = nodes_[i];
        if (slot.local) slot.local->start(*slot.context);
    }
    for (NodeId server : servers_) {
        const std::string path = fmt::format("{}/{}.log", options_.log_dir, name_of(server));
        nodes_[server.value].log_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (Status spawned = spawn(server); !spawned) return spawned;
    }
    return {};
}

Status ProcessRuntime::spawn(NodeId node) {
    NodeSlot& slot = nodes_[node.value];
    auto child = ChildProcess::start(options_.argv, options_.workdir);
    if (!child) return child.error();
    slot.process = std::move(*child);
    slot.up = true;
    slot.paused = false;
    slot.initialized = false;
    slot.exit_reported = false;
    slot.stdin_closed_reported = false;
    send_init(node);
    return {};
}

void ProcessRuntime::send_init(NodeId node) {
    NodeSlot& slot = nodes_[node.value];
    const std::string client = next_client_name();
    slot.init_client = client;
    const std::uint64_t incarnation = slot.incarnation;
    const NodeId client_id = add_local(client, std::make_unique<InitClient>(*this, node, [this, node, incarnation] {
                                           NodeSlot& server = nodes_[node.value];
                                           if (server.incarnation != incarnation || server.initialized) return;
                                           server.initialized = true;
                                           std::vector<Envelope> held = std::move(server.held);
                                           server.held.clear();
                                           for (const Envelope& envelope : held)
                                               deliver(envelope.from, envelope.to, envelope.message, incarnation);
                                           if (initialized_listener_) initialized_listener_(node);
                                       }));
    nodes_[client_id.value].local->start(*nodes_[client_id.value].context);
    Json names = Json::array();
    for (NodeId server : servers_) names.push_back(name_of(server));
    Json body = {{"type", "init"}, {"msg_id", 1}, {"node_id", slot.name}, {"node_ids", names}};
    // Straight to the program, not through the network: init is setup, and no
    // fault may stop it (Maelstrom sends it before the nemesis starts).
    write_to_process(slot, client_id, MaelstromMessage(std::move(body)));
    at(now() + options_.init_timeout, [this, node, incarnation] {
        NodeSlot& server = nodes_[node.value];
        if (server.incarnation != incarnation || server.initialized || !server.up) return;
        diagnose(node, fmt::format("did not answer init within {} s; it gets no messages",
                                   options_.init_timeout / seconds(1)));
    });
}

void ProcessRuntime::send(NodeId from, NodeId to, MessagePtr message) {
    ++stats_.sent;
    if (options_.log_net_send) log_message("send", from, to, *message);
    if (nodes_[from.value].is_server && nodes_[to.value].is_server) ++stats_.server_sent;
    if (nodes_[from.value].is_client || nodes_[to.value].is_client) ++stats_.client_sent;
    const sim::Transmission transmission = network_.transmit(from, to, message->size_bytes(), now());
    if (transmission.dropped) {
        ++stats_.dropped;
        return;
    }
    const std::uint64_t incarnation = nodes_[to.value].incarnation;
    for (int copy = 0; copy < transmission.copies; ++copy) {
        const Nanos arrival = transmission.arrival[static_cast<std::size_t>(copy)] + nodes_[to.value].processing_delay;
        at(arrival, [this, from, to, message, incarnation] { deliver(from, to, message, incarnation); });
    }
}

void ProcessRuntime::deliver(NodeId from, NodeId to, const MessagePtr& message, std::uint64_t incarnation) {
    NodeSlot& slot = nodes_[to.value];
    // A message sent to an incarnation that crashed since is lost with it.
    if (!slot.up || slot.incarnation != incarnation) {
        ++stats_.dropped;
        return;
    }
    if (!slot.initialized) {
        // Bounded: a node that never answers init must not hold the run's memory.
        if (slot.held.size() >= kHeldMax) {
            ++stats_.dropped;
            return;
        }
        slot.held.push_back(Envelope{from, to, message});
        return;
    }
    ++stats_.delivered;
    if (options_.log_net_recv) log_message("recv", from, to, *message);
    if (slot.local) {
        slot.local->on_message(*slot.context, Envelope{from, to, message});
        return;
    }
    const auto* body = message_as<MaelstromMessage>(*message);
    FL_ASSERT(body != nullptr);
    write_to_process(slot, from, *body);
}

void ProcessRuntime::log_message(const char* what, NodeId from, NodeId to, const Message& message) const {
    fmt::print(stderr, "{:.6f} {} {} -> {} {}\n", static_cast<double>(now()) / 1e9, what, name_of(from), name_of(to),
               message.to_json().dump());
}

void ProcessRuntime::write_to_process(NodeSlot& slot, NodeId from, const MaelstromMessage& message) {
    if (!slot.process) return;
    const std::uint64_t id = network_id_++;
    if (delivery_log_.size() < options_.delivery_log_max) {
        delivery_log_.push_back(Delivery{now(), id, name_of(from), slot.name, std::string(message.type())});
    } else {
        ++deliveries_not_logged_;
    }
    // A paused program reads nothing: what waits for it is bounded, the rest lost.
    if (slot.process->queued_bytes() > kQueuedBytesMax) {
        ++stats_.dropped;
        return;
    }
    slot.process->write(wire_line(WireMessage{name_of(from), slot.name, message.body()}, id));
    if (!slot.process->flush() && !slot.stdin_closed_reported) {
        slot.stdin_closed_reported = true;
        diagnose(id_of(slot.name), "closed its stdin: the messages written to it since are lost");
    }
}

void ProcessRuntime::handle_line(NodeId node, std::string& line) {
    if (line.empty()) return;
    auto parsed = parse_wire_line(line);
    if (!parsed) {
        diagnose(node, "printed a line to stdout that is not a message: " + parsed.error().message);
        return;
    }
    if (parsed->src != name_of(node)) {
        diagnose(node, fmt::format("sent a message as \"{}\"; it is delivered as from {}", parsed->src, name_of(node)));
    }
    const NodeId to = id_of(parsed->dest);
    if (to.value == UINT32_MAX) {
        diagnose(node,
                 fmt::format("sent a message to \"{}\", which does not exist: {}", parsed->dest, quote_line(line)));
        return;
    }
    auto message = std::make_shared<MaelstromMessage>(std::move(parsed->body));
    if (auto found = requests_.find(to.value); found != requests_.end()) {
        const auto in_reply_to = message->in_reply_to();
        if (!in_reply_to || !found->second.contains(*in_reply_to)) {
            diagnose(node, fmt::format("sent {} a reply to msg_id {}, which it never sent: {}", parsed->dest,
                                       in_reply_to ? std::to_string(*in_reply_to) : "(none)", quote_line(line)));
            return;
        }
    }
    send(node, to, std::move(message));
}

void ProcessRuntime::handle_stderr(NodeSlot& slot, std::string text, bool final) {
    if (slot.log_fd >= 0) {
        std::size_t written = 0;
        while (written < text.size()) {
            const ssize_t got = ::write(slot.log_fd, text.data() + written, text.size() - written);
            if (got <= 0) break;
            written += static_cast<std::size_t>(got);
        }
    }
    if (!options_.log_stderr) return;
    slot.stderr_partial += text;
    std::size_t start = 0;
    for (std::size_t newline; (newline = slot.stderr_partial.find('\n', start)) != std::string::npos;
         start = newline + 1) {
        fmt::print(stderr, "{}: {}\n", slot.name, std::string_view(slot.stderr_partial).substr(start, newline - start));
    }
    slot.stderr_partial.erase(0, start);
    if (final && !slot.stderr_partial.empty()) {
        fmt::print(stderr, "{}: {}\n", slot.name, slot.stderr_partial);
        slot.stderr_partial.clear();
    }
}

void ProcessRuntime::run_due_timers() {
    // Only timers due now: an action that schedules another for now runs it
    // in this pass too, but a flood of them cannot starve the pipes for long.
    const Nanos current = now();
    while (!timers_.empty() && timers_.top().time <= current) {
        const Timer timer = timers_.top();
        timers_.pop();
        auto found = timer_actions_.find(timer.sequence);
        std::function<void()> action = std::move(found->second);
        timer_actions_.erase(found);
        action();
    }
}

void ProcessRuntime::poll_once(Nanos until) {
    std::vector<pollfd> fds;
    std::vector<std::pair<NodeId, int>> owners;  // (node, 0 stdout / 1 stderr / 2 stdin)
    for (NodeId server : servers_) {
        NodeSlot& slot = nodes_[server.value];
        if (!slot.process) continue;
        if (slot.process->stdout_fd() >= 0) {
            fds.push_back({slot.process->stdout_fd(), POLLIN, 0});
            owners.emplace_back(server, 0);
        }
        if (slot.process->stderr_fd() >= 0) {
            fds.push_back({slot.process->stderr_fd(), POLLIN, 0});
            owners.emplace_back(server, 1);
        }
        if (slot.process->wants_write()) {
            fds.push_back({slot.process->stdin_fd(), POLLOUT, 0});
            owners.emplace_back(server, 2);
        }
    }
    Nanos wait = until - now();
    if (!timers_.empty()) wait = std::min(wait, timers_.top().time - now());
    wait = std::clamp<Nanos>(wait, 0, milliseconds(100));
    const timespec timeout{static_cast<time_t>(wait / seconds(1)), static_cast<long>(wait % seconds(1))};
    const int ready = ::ppoll(fds.data(), fds.size(), &timeout, nullptr);
    if (ready <= 0) return;
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        const auto [node, which] = owners[i];
        NodeSlot& slot = nodes_[node.value];
        if (!slot.process) continue;
        if (which == 0) {
            lines.clear();
            slot.process->read_stdout(lines);
            for (std::string& line : lines) {
                if (!slot.up) break;
                handle_line(node, line);
            }
        } else if (which == 1) {
            std::string text;
            const bool open = slot.process->read_stderr(text);
            handle_stderr(slot, std::move(text), !open);
        } else if (!slot.process->flush() && !slot.stdin_closed_reported) {
            slot.stdin_closed_reported = true;
            diagnose(node, "closed its stdin: the messages written to it since are lost");
        }
    }
}

void ProcessRuntime::check_exits() {
    for (NodeId server : servers_) {
        NodeSlot& slot = nodes_[server.value];
        if (!slot.process || !slot.up || slot.exit_reported) continue;
        if (!slot.process->reap()) continue;
        slot.exit_reported = true;
        slot.up = false;
        diagnose(server, fmt::format("exited ({}){}", slot.process->exit_description(),
                                     slot.initialized ? "" : " before answering init"));
    }
}

void ProcessRuntime::run_until(Nanos deadline) {
    for (;;) {
        run_due_timers();
        check_exits();
        if (now() >= deadline) return;
        poll_once(deadline);
    }
}

void ProcessRuntime::run_until_initialized() {
    auto pending = [&] {
        for (NodeId server : servers_) {
            const NodeSlot& slot = nodes_[server.value];
            if (slot.up && !slot.initialized && !slot.exit_reported) return true;
        }
        return false;
    };
    const Nanos give_up = now() + options_.init_timeout;
    for (;;) {
        run_due_timers();
        check_exits();
        if (!pending() || now() >= give_up) return;
        poll_once(give_up);
    }
}

void ProcessRuntime::stop_process(NodeSlot& slot) {
    if (!slot.process) return;
    slot.process->kill();
    // What it wrote to stderr before it died still belongs in its log.
    std::string text;
    while (slot.process->stderr_fd() >= 0 && slot.process->read_stderr(text)) {
    }
    handle_stderr(slot, std::move(text), true);
    slot.process.reset();
}

void ProcessRuntime::shutdown() {
    for (NodeId server : servers_) {
        NodeSlot& slot = nodes_[server.value];
        stop_process(slot);
        if (slot.log_fd >= 0) ::close(slot.log_fd);
        slot.log_fd = -1;
    }
}

void ProcessRuntime::diagnose(NodeId node, std::string what) {
    if (diagnoses_.size() >= options_.diagnoses_max) {
        ++diagnoses_not_kept_;
        return;
    }
    diagnoses_.push_back(Diagnosis{now(), name_of(node), std::move(what)});
}

Node* ProcessRuntime::node(NodeId id) {
    NodeSlot& slot = nodes_[id.value];
    return slot.up ? slot.local.get() : nullptr;
}

bool ProcessRuntime::invoke(NodeId id, const std::function<void(Node&, Context&)>& input) {
    NodeSlot& slot = nodes_[id.value];
    if (!slot.local || !slot.up) return false;
    input(*slot.local, *slot.context);
    return true;
}

void ProcessRuntime::crash(NodeId node) {
    NodeSlot& slot = nodes_[node.value];
    FL_ASSERT(slot.is_server);
    if (!slot.up) return;
    stop_process(slot);
    slot.up = false;
    slot.killed = true;
    slot.paused = false;
    slot.initialized = false;
    slot.held.clear();
    ++slot.incarnation;
}

void ProcessRuntime::restart(NodeId node) {
    NodeSlot& slot = nodes_[node.value];
    // Only what crash() killed comes back: a program that exited by itself
    // stays down (it was diagnosed), even when the nemesis heals everything.
    if (slot.up || !slot.killed) return;
    slot.killed = false;
    ++slot.incarnation;
    if (Status spawned = spawn(node); !spawned) diagnose(node, "could not be restarted: " + spawned.error().message);
}

void ProcessRuntime::pause(NodeId node) {
    NodeSlot& slot = nodes_[node.value];
    if (!slot.up || slot.paused || !slot.process) return;
    slot.process->stop();
    slot.paused = true;
}

void ProcessRuntime::resume(NodeId node) {
    NodeSlot& slot = nodes_[node.value];
    if (!slot.paused) return;
    if (slot.process) slot.process->resume();
    slot.paused = false;
}

bool ProcessRuntime::is_up(NodeId node) const {
    return nodes_[node.value].up;
}

bool ProcessRuntime::is_paused(NodeId node) const {
    return nodes_[node.value].paused;
}

void ProcessRuntime::set_processing_delay(NodeId node, Nanos delay) {
    nodes_[node.value].processing_delay = delay;
}

// A program keeps its own clock and disk: the harness refuses clock, disk and
// tamper faults before a run starts (harness.cc), so these only see the
// nemesis restore what it never changed.
void ProcessRuntime::step_clock(NodeId, Nanos delta) {
    FL_ASSERT_MSG(delta == 0, "clock faults cannot reach a node program");
}
double ProcessRuntime::clock_drift_ppm(NodeId) const {
    return 0;
}
void ProcessRuntime::set_clock_drift_ppm(NodeId, double ppm) {
    FL_ASSERT_MSG(ppm == 0, "clock faults cannot reach a node program");
}

sim::LinkClassId ProcessRuntime::define_link_class(std::string_view name, const sim::LinkConfig& config) {
    return network_.define_class(std::string(name), config);
}

void ProcessRuntime::assign_link_class(NodeId from, NodeId to, sim::LinkClassId link_class) {
    network_.assign_class(from, to, link_class);
}

void ProcessRuntime::set_link_classes(const std::vector<sim::LinkConfig>& configs) {
    network_.restore_classes(configs);
}

void ProcessRuntime::set_tamper_probability(double probability) {
    FL_ASSERT_MSG(probability == 0, "tampering cannot alter a node program's JSON");
}

sim::DiskConfig& ProcessRuntime::disk_faults(NodeId) {
    return no_disk_;  // never changed: disk faults are refused
}

void ProcessRuntime::note_fault(std::string_view text) {
    fault_notes_.push_back(fmt::format("{:.3f}s {}", static_cast<double>(now()) / 1e9, text));
}

}  // namespace faultline::harness
