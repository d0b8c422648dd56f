// Simulation: a whole cluster in one thread, driven by one event queue and one seed.
//
// The queue orders events by (virtual time in ns, sequence number); the sequence
// number breaks ties in insertion order, so a run is a pure function of its seed
// and inputs. An event is a message delivery, a timer, a node boot or a control
// action (a client starting an operation, a nemesis fault). Each step pops one
// event, hands it to its node with that node's Context, records it in the trace,
// and runs the step hook (where invariant checkers look at every node's state).
//
// Randomness: the network, each node's disk and each node's Context draw from
// their own streams derived from the seed ("network", "disk/n0", "node/n0"), so
// adding a draw in one place never shifts another.
//
// Node lifecycle, the way real machines fail:
//   crash     the Node object is destroyed (volatile state gone), its timers
//             die, messages to it are dropped, unsynced disk writes are lost
//   restart   a fresh Node from the factory, booted with recover()
//   pause     deliveries and timers are held (a GC pause, SIGSTOP) and replayed
//             in order on resume
//   slow      every event costs the node `processing_delay`; events arriving
//             while it is busy wait
// A node's own work also takes time: disk syncs advance its cursor, messages it
// sends after a sync leave later, and its next event waits until it is free.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "base/types.h"
#include "node/node.h"
#include "sim/clock.h"
#include "sim/disk.h"
#include "sim/event_queue.h"
#include "sim/network.h"
#include "sim/trace.h"

namespace faultline::sim {

using NodeFactory = std::function<std::unique_ptr<Node>()>;

struct SimulationOptions {
    std::uint64_t seed = 1;
    LinkConfig link;  // the default link class
    DiskConfig disk;  // every node's disk
};

struct SimulationStats {
    std::uint64_t events = 0;
    std::uint64_t messages_sent = 0;
    std::uint64_t bytes_sent = 0;       // the messages' size_bytes()
    std::uint64_t server_messages = 0;  // sent from a server to a server
    std::uint64_t messages_delivered = 0;
    std::uint64_t messages_dropped = 0;
    std::uint64_t messages_duplicated = 0;
    std::uint64_t messages_tampered = 0;
    std::uint64_t timers_fired = 0;
    std::array<std::uint64_t, 5> dropped_by_reason{};  // indexed by DropReason
};

class Simulation {
  public:
    explicit Simulation(SimulationOptions options);
    ~Simulation();
    Simulation(const Simulation&) = delete;
    Simulation& operator=(const Simulation&) = delete;

    // Servers form the cluster (Context::cluster()); clients do not.
    NodeId add_server(std::string name, NodeFactory factory);
    NodeId add_client(std::string name, NodeFactory factory);
    // Boots every node that has not booted yet, at the current time.
    void start();

    // Processes one event. False when the queue is empty or the run was stopped.
    bool step();
    // Processes every event at or before `deadline`, then sets now() to it.
    void run_until(Nanos deadline);
    void run_for(Nanos duration) { run_until(now_ + duration); }
    // Stops the run (an invariant broke, a budget ran out): step() returns false.
    void stop(std::string reason);
    bool stopped() const { return stopped_; }
    const std::string& stop_reason() const { return stop_reason_; }

    Nanos now() const { return now_; }
    std::uint64_t seed() const { return options_.seed; }

    // Runs `action` at true time `when` (>= now()), between node events.
    void at(Nanos when, std::function<void()> action);
    // Runs `input` on `node` now, as an input with that node's Context (clients
    // use it to start operations). Returns false, doing nothing, if the node is
    // down or paused.
    bool invoke(NodeId node, const std::function<void(Node&, Context&)>& input);

    void crash(NodeId node);
    void restart(NodeId node);
    void pause(NodeId node);
    void resume(NodeId node);
    void set_processing_delay(NodeId node, Nanos delay);
    // Messages between servers are altered in flight with this probability
    // (Message::tampered), drawn from the "tamper" stream. 0 turns it off.
    void set_tamper_probability(double probability) { tamper_probability_ = probability; }
    bool is_up(NodeId node) const;
    bool is_paused(NodeId node) const;
    // How many times the node crashed: tells a restarted node from the one before.
    std::uint32_t incarnation(NodeId node) const;

    // The god's-eye view: any node's state, for invariant checkers and tests.
    Node* node(NodeId id);
    template <class T>
    T* node_as(NodeId id) {
        return dynamic_cast<T*>(node(id));
    }
    std::uint32_t node_count() const { return static_cast<std::uint32_t>(nodes_.size()); }
    // What makes the node (for a runtime that hosts one of a system's nodes on its own).
    const NodeFactory& factory(NodeId id) const;
    std::span<const NodeId> servers() const { return servers_; }
    std::span<const NodeId> clients() const { return clients_; }
    const std::string& name(NodeId id) const;
    std::optional<NodeId> find(std::string_view name) const;

    Network& network() { return network_; }
    NodeClock& clock(NodeId id);
    SimDisk& disk(NodeId id);
    Trace& trace() { return trace_; }
    const SimulationStats& stats() const { return stats_; }
    // Lines the node logged through ctx.log(), prefixed with its local time.
    const std::vector<std::string>& node_log(NodeId id) const;
    void set_node_logging(bool enabled) { node_logging_ = enabled; }

    // Runs after every processed event.
    void set_step_hook(std::function<void()> hook) { step_hook_ = std::move(hook); }
    // Records a nemesis action in the trace (and its hash).
    void note_fault(std::string_view text);

    // Fault points (node/node.h, BUGGIFY): turns them on for every server.
    // `seed` decides, for each point by its name, whether it is live in this
    // run (half are), what it does (crash the node, half the time; else
    // stretch its timers or delay its sends, for the rest of the input) and
    // how often it fires (every period-th time it is reached, the period
    // log-uniform in [1, 256)). A crashed node restarts 1 ms to 1 s later
    // (log-uniform); at most two crashes per point and `crashes_max` per run. Every action is noted in
    // the trace ("fault point raft.vote-persisted: crash n2").
    // The points' actions are numbered from 0 in the order they come: only
    // those below `actions_max` and not in `skipped` (sorted) act, so a run
    // can keep its first few or leave some out. The others do nothing, and the
    // points go on counting their visits, so every action before the first
    // left out is exactly that of the unlimited run.
    void enable_fault_points(std::uint64_t seed, int crashes_max, int actions_max = std::numeric_limits<int>::max(),
                             std::vector<int> skipped = {});
    // Points act only while acting (the runner stops them at the heal, so the
    // recovery window is fault-free).
    void set_fault_points_acting(bool acting) { fault_points_acting_ = acting; }
    // How many times a fault point acted (crashed a node, stretched its timers
    // or delayed its sends): faults the schedule does not list. And the
    // numbers of those actions (see enable_fault_points).
    int fault_point_hits() const { return static_cast<int>(fault_point_acted_.size()); }
    const std::vector<int>& fault_point_acted() const { return fault_point_acted_; }
    // The crashes among those actions: which node, when, and when it came
    // back, so that the shrinker can play the same crash as a scheduled kill.
    struct FaultPointCrash {
        int action = 0;
        NodeId node;
        Nanos at = 0;
        Nanos restart_at = 0;      // 0 if the run ended with the node down
        bool after_sends = false;  // its input's sends left before it (else none did)
    };
    const std::vector<FaultPointCrash>& fault_point_crashes() const { return fault_point_crashes_; }

  private:
    class SimContext;
    struct NodeSlot;
    enum class EventKind : std::uint8_t { deliver, timer, action };
    struct Delivery {
        NodeId from;
        NodeId to;
        MessagePtr message;
        std::uint64_t id = 0;
        std::uint64_t digest = 0;  // computed once, at send
        std::uint32_t epoch = 0;
    };
    struct TimerSlot {
        NodeId node;
        std::uint32_t generation = 1;
        std::uint32_t incarnation = 0;
        std::uint64_t tag = 0;
        bool live = false;
    };

    NodeId add_node(std::string name, NodeFactory factory, bool server);
    void push(Nanos time, EventKind kind, std::uint32_t slot, std::uint32_t generation);
    void dispatch(const Event& event);
    void deliver(const Event& event);
    void fire_timer(const Event& event);
    // Returns true if the event must wait (node paused or busy) and was requeued.
    bool defer_if_unavailable(NodeSlot& node, const Event& event);
    void boot(NodeSlot& node, bool recovering);
    template <class Input>
    void run_input(NodeSlot& node, Input&& input);

    // Effects requested through a SimContext.
    void send(NodeSlot& sender, NodeId to, MessagePtr message, Nanos departure);
    TimerId set_timer(NodeSlot& owner, Nanos after, std::uint64_t tag, Nanos cursor);
    void cancel_timer(NodeSlot& owner, TimerId timer);
    void drop(const Delivery& delivery, DropReason reason);
    void free_delivery(std::uint32_t slot);
    void free_timer(std::uint32_t slot);
    // What a live fault point does when it fires.
    enum class FaultPointEffect : std::uint8_t { crash, stretch_timers, delay_sends };
    struct FaultPointRule {
        bool live = false;
        FaultPointEffect effect = FaultPointEffect::crash;
        std::uint64_t period = 1;  // fires every period-th time it is reached
        std::uint64_t reached = 0;
        int crashes_left = 0;
        // A crash: before the input's remaining sends, or just after the
        // input, once everything it sent has left (a vote that reached its
        // candidate, then the voter's crash).
        bool crash_after_sends = false;
    };
    void hit_fault_point(SimContext& ctx, NodeSlot& slot, std::string_view name);
    void crash_after_input(NodeSlot& slot);

    SimulationOptions options_;
    Network network_;
    Trace trace_;
    SimulationStats stats_;
    Nanos now_ = 0;
    std::uint64_t next_message_id_ = 1;
    bool stopped_ = false;
    // Events processed without virtual time moving: a node re-arming a
    // zero-delay timer forever would otherwise hang the run.
    std::uint64_t events_at_this_instant_ = 0;
    std::string stop_reason_;
    bool node_logging_ = true;
    double tamper_probability_ = 0;
    Prng tamper_random_{0};

    std::uint64_t fault_point_seed_ = 0;
    bool fault_points_acting_ = false;
    int fault_point_crashes_left_ = 0;
    int fault_point_actions_max_ = 0;
    std::vector<int> fault_point_skipped_;  // sorted
    int fault_point_next_action_ = 0;       // the number the next action gets
    std::vector<int> fault_point_acted_;
    std::vector<FaultPointCrash> fault_point_crashes_;
    Prng fault_point_random_{0};
    std::map<std::string, FaultPointRule, std::less<>> fault_point_rules_;
    // Nodes a fault point crashed, whose restart is still to come (a nemesis
    // that crashes one meanwhile takes it over: it restarts it itself).
    std::vector<std::uint8_t> restart_pending_;

    EventQueue queue_;
    std::vector<Delivery> deliveries_;
    std::vector<std::uint32_t> free_deliveries_;
    std::vector<TimerSlot> timers_;
    std::vector<std::uint32_t> free_timers_;
    std::vector<std::function<void()>> actions_;
    std::vector<std::uint32_t> free_actions_;

    std::vector<std::unique_ptr<NodeSlot>> nodes_;
    std::vector<NodeId> servers_;
    std::vector<NodeId> clients_;
    std::function<void()> step_hook_;
};

}  // namespace faultline::sim
