// ProcessRuntime: the runtime (runtime/runtime.h) of the harness. The server
// nodes are child processes speaking the Maelstrom protocol on stdin and
// stdout; the clients and the services are nodes in this process.
//
// Every message, whoever sends it, goes through the simulator's network model
// (sim/network.h) with a random stream from the run's seed: the link's latency,
// loss, duplication and partitions decide whether and when it arrives, and a
// timer of the wall clock delivers it. The nemesis plays its schedule through
// the same interface as in the simulator: a crash is SIGKILL (a restart starts
// the program again and sends init again), a pause SIGSTOP / SIGCONT, a slow
// node gets its deliveries late, and loss, latency, duplication and bandwidth
// bursts change the network model's links. A process has no simulated clock
// or disk: the harness refuses clock, disk and tamper faults before a run.
//
// Maelstrom's rules: init goes to each node first, from a client of its own,
// and nothing else reaches the node before its init_ok (messages for it wait);
// a node that does not answer init within 10 s, prints something that is not a
// message, sends to a node that does not exist, answers a msg_id nobody sent,
// or exits, gets one diagnosis naming it (diagnoses()), and the run goes on.
// Each node's stderr goes to LOG_DIR/NAME.log (and to the terminal with
// log_stderr). The order of deliveries is recorded (delivery_log()).
//
// Single-threaded: one poll loop reads every pipe and runs every timer.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "base/prng.h"
#include "harness/child_process.h"
#include "harness/wire.h"
#include "runtime/runtime.h"
#include "sim/network.h"

namespace faultline::harness {

struct ProcessRuntimeOptions {
    std::vector<std::string> argv;  // the node program and its arguments
    std::string workdir;            // where the programs run
    std::string log_dir;            // node-logs/
    bool log_stderr = false;        // also copy each node's stderr to ours
    bool log_net_send = false;      // print each message handed to the network on stderr
    bool log_net_recv = false;      // print each message delivered on stderr
    std::uint64_t seed = 1;
    Nanos init_timeout = seconds(10);
    // Record at most this many deliveries (the rest are counted).
    std::size_t delivery_log_max = 1'000'000;
    // Keep at most this many diagnoses (a node printing garbage in a loop
    // would make millions); the rest are counted.
    std::size_t diagnoses_max = 1000;
};

// One thing a node did wrong.
struct Diagnosis {
    Nanos time = 0;
    std::string node;
    std::string what;  // "printed a line that is not well-formed JSON: 'hello'"
};

struct Delivery {
    Nanos time = 0;
    std::uint64_t id = 0;  // the network's id of the message
    std::string src;
    std::string dest;
    std::string type;
};

struct RoutingStats {
    std::uint64_t sent = 0;         // messages handed to the network
    std::uint64_t delivered = 0;    // copies delivered
    std::uint64_t dropped = 0;      // lost, cut, or to a node that was down
    std::uint64_t server_sent = 0;  // sent by one server to another
    std::uint64_t client_sent = 0;  // sent by or to a client (c1, c2, ...)
};

class ProcessRuntime final : public runtime::Runtime {
  public:
    // Messages waiting for a node's init_ok, and bytes waiting in a program's
    // stdin (it is paused, or slow to read): beyond these, messages are lost.
    static constexpr std::size_t kHeldMax = 100'000;
    static constexpr std::size_t kQueuedBytesMax = 64 << 20;

    ProcessRuntime(ProcessRuntimeOptions options, sim::LinkConfig default_link);
    ~ProcessRuntime() override;

    // Declares the nodes before start(): server processes n0.., and nodes of
    // this process (clients, services). Names are unique.
    NodeId add_server(std::string name);
    NodeId add_local(std::string name, std::unique_ptr<Node> node);
    // Reserves a client name for an init (c1, c2, ...): names are numbered in
    // one sequence, as Maelstrom's clients are.
    std::string next_client_name() { return "c" + std::to_string(++client_counter_); }

    // Starts every server program and sends it init; local nodes start too.
    // An error if a program cannot be started at all.
    Status start();
    // Runs the poll loop until `deadline` (runtime time).
    void run_until(Nanos deadline);
    // Runs until every server answered init or gave up on it (its timeout).
    void run_until_initialized();
    // Kills every program and reaps it.
    void shutdown();

    const std::vector<NodeId>& servers() const { return servers_; }
    NodeId id_of(const std::string& name) const;
    const std::string& name_of(NodeId node) const { return nodes_[node.value].name; }
    bool initialized(NodeId node) const { return nodes_[node.value].initialized; }
    const std::vector<Diagnosis>& diagnoses() const { return diagnoses_; }
    std::uint64_t diagnoses_not_kept() const { return diagnoses_not_kept_; }
    const std::vector<Delivery>& delivery_log() const { return delivery_log_; }
    std::uint64_t deliveries_not_logged() const { return deliveries_not_logged_; }
    const RoutingStats& stats() const { return stats_; }
    const std::vector<std::string>& fault_notes() const { return fault_notes_; }
    sim::Network& network() { return network_; }
    // Called once a server answered init (the workload's setup may begin).
    void on_initialized(std::function<void(NodeId)> listener) { initialized_listener_ = std::move(listener); }
    // Tells the runtime that a client sent a request with this msg_id, so a
    // reply to an unknown msg_id can be diagnosed.
    void note_request(NodeId client, std::uint64_t msg_id) { requests_[client.value].insert(msg_id); }
    void diagnose(NodeId node, std::string what);

    // --- runtime::Runtime
    Nanos now() const override;
    void at(Nanos time, std::function<void()> action) override;
    Node* node(NodeId id) override;
    bool invoke(NodeId id, const std::function<void(Node&, Context&)>& input) override;
    void crash(NodeId node) override;
    void restart(NodeId node) override;
    void pause(NodeId node) override;
    void resume(NodeId node) override;
    bool is_up(NodeId node) const override;
    bool is_paused(NodeId node) const override;
    void set_processing_delay(NodeId node, Nanos delay) override;
    void step_clock(NodeId node, Nanos delta) override;
    double clock_drift_ppm(NodeId node) const override;
    void set_clock_drift_ppm(NodeId node, double ppm) override;
    void block(NodeId from, NodeId to) override { network_.block(from, to); }
    void unblock(NodeId from, NodeId to) override { network_.unblock(from, to); }
    void heal_links() override { network_.heal(); }
    const sim::LinkConfig& link(NodeId from, NodeId to) const override { return network_.link(from, to); }
    sim::LinkClassId define_link_class(std::string_view name, const sim::LinkConfig& config) override;
    void assign_link_class(NodeId from, NodeId to, sim::LinkClassId link_class) override;
    std::vector<sim::LinkConfig> link_classes() const override { return network_.snapshot_classes(); }
    void set_link_classes(const std::vector<sim::LinkConfig>& configs) override;
    void set_tamper_probability(double probability) override;
    sim::DiskConfig& disk_faults(NodeId node) override;
    void note_fault(std::string_view text) override;

    // Routes a message from `from`: the network decides its fate.
    void send(NodeId from, NodeId to, MessagePtr message);

  private:
    class LocalContext;
    struct NodeSlot {
        std::string name;
        bool is_server = false;
        bool is_client = false;                 // a node of this process named c1, c2, ...
        std::unique_ptr<ChildProcess> process;  // servers, while running
        std::unique_ptr<Node> local;            // clients and services
        std::unique_ptr<LocalContext> context;
        bool up = true;
        bool paused = false;
        bool initialized = false;
        bool exit_reported = false;
        bool killed = false;  // down because crash() killed it
        bool stdin_closed_reported = false;
        std::uint64_t incarnation = 0;  // bumped by every crash
        std::vector<Envelope> held;     // waiting for init_ok
        Nanos processing_delay = 0;
        std::string init_client;  // who sent the current init
        std::string stderr_partial;
        int log_fd = -1;
    };
    struct Timer {
        Nanos time;
        std::uint64_t sequence;
        bool operator>(const Timer& other) const {
            return time != other.time ? time > other.time : sequence > other.sequence;
        }
    };

    Status spawn(NodeId node);
    void send_init(NodeId node);
    void deliver(NodeId from, NodeId to, const MessagePtr& message, std::uint64_t incarnation);
    void write_to_process(NodeSlot& slot, NodeId from, const MaelstromMessage& message);
    // --log-net-send / --log-net-recv: "12.345678 send n1 -> n2 {...}".
    void log_message(const char* what, NodeId from, NodeId to, const Message& message) const;
    void handle_line(NodeId node, std::string& line);
    void handle_stderr(NodeSlot& slot, std::string text, bool final);
    // Kills the slot's program, keeping what it wrote to stderr.
    void stop_process(NodeSlot& slot);
    void run_due_timers();
    void poll_once(Nanos until);
    void check_exits();

    ProcessRuntimeOptions options_;
    sim::Network network_;
    std::chrono::steady_clock::time_point epoch_;
    std::deque<NodeSlot> nodes_;  // stable addresses: restarts add init clients
    std::map<std::string, NodeId> ids_;
    std::vector<NodeId> servers_;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
    std::map<std::uint64_t, std::function<void()>> timer_actions_;
    std::uint64_t next_timer_ = 0;
    std::uint64_t network_id_ = 0;
    std::uint64_t client_counter_ = 0;
    std::map<std::uint32_t, std::set<std::uint64_t>> requests_;  // client -> msg_ids it sent
    std::vector<Diagnosis> diagnoses_;
    std::uint64_t diagnoses_not_kept_ = 0;
    std::vector<Delivery> delivery_log_;
    std::uint64_t deliveries_not_logged_ = 0;
    RoutingStats stats_;
    std::vector<std::string> fault_notes_;
    std::function<void(NodeId)> initialized_listener_;
    sim::DiskConfig no_disk_;
    std::vector<std::unique_ptr<Node>> init_clients_;
};

}  // namespace faultline::harness
