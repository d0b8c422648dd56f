// Nemesis: plays a fault schedule against a runtime (runtime/runtime.h): the
// simulator today, the process harness and real time next.
//
// Each fault starts and heals at its scheduled time. Overlapping faults
// compose: a link is cut while any partition cuts it (reference counts), a
// network-wide burst is recomputed from the base configuration and every burst
// still active, and a node stays down while any kill holds it. heal_all() ends
// everything at once, as the runner does at the time limit before the
// recovery window, including the configured loss, duplication and reordering
// of every link (the window asks whether the system serves on a sound network). Every action is recorded in the trace
// and in `log()`.
//
// A fault aimed at a role (schedule.h) is armed at its start; the nemesis asks
// `holder` who holds the role then and after every step (after_step()), strikes
// the first node found, and ends the fault `duration` later.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nemesis/schedule.h"
#include "nemesis/shapes.h"
#include "runtime/runtime.h"

namespace faultline::nemesis {

struct NemesisTarget {
    runtime::Runtime* runtime = nullptr;
    std::vector<NodeId> servers;  // server index -> node id
    std::vector<NodeId> clients;  // for bursts that hit only requests or responses
    // The server index of a node holding `role` now (leader: for
    // isolate-leader and faults naming no nodes), if any.
    std::function<std::optional<int>(TargetRole role)> holder;
};

class Nemesis {
  public:
    Nemesis(NemesisTarget target, Schedule schedule);

    // Schedules every fault's start and end in the runtime.
    void install();
    // Ends every active fault now: heals partitions, restarts killed nodes,
    // resumes paused ones, restores clocks, links and disks.
    void heal_all();
    // Strikes the armed targeted faults whose role some node now holds. Call it
    // after every step; while nothing is armed it costs one comparison.
    void after_step() {
        if (!armed_.empty()) strike_armed();
    }

    const Schedule& schedule() const { return schedule_; }
    // The schedule as it played: each fault aimed at a role (or, naming no
    // nodes, at the leader) as a fault on the node it struck, from the moment
    // it struck; such a fault that found no one is left out, and a partition
    // that isolated a role's holder is a `one` partition of that node. Played
    // again, it strikes the same nodes whatever else changes in the run: what
    // the shrinker wants once it starts leaving faults out.
    Schedule played() const;
    // "12.3s partition halves: n0 n1 | n2 n3 n4" ... one line per action.
    const std::vector<std::string>& log() const { return log_; }

  private:
    struct Active {
        bool running = false;
        std::vector<Link> cut;  // partitions: the links this fault blocks
        // The nodes it acts on: those it names, or (slow and clock faults
        // naming none) the leader when it starts, or the holder of its role.
        std::vector<int> targets;
        bool armed = false;              // a targeted fault waiting for its role's holder
        std::optional<Nanos> struck_at;  // when it started acting on `targets`
    };
    // Overlapping drift (or slow) faults on one node: the value before the
    // first, and those in force by fault index, latest last. When one ends,
    // the latest still in force applies, or the value from before.
    struct Layered {
        double base = 0;
        std::vector<std::pair<std::size_t, double>> in_force;
        void push(std::size_t index, double value) { in_force.emplace_back(index, value); }
        double pop(std::size_t index);
    };

    void start(std::size_t index);
    void arm(std::size_t index);
    void strike_armed();
    void strike(std::size_t index, int node);
    void disarm(std::size_t index);
    void start_partition(const Fault& fault, Active& active);
    void start_kill(const Fault& fault, const Active& active);
    void start_pause(const Fault& fault, const Active& active);
    void start_clock_step(const Fault& fault, Active& active);
    void start_clock_drift(std::size_t index, const Fault& fault, Active& active);
    void start_slow(std::size_t index, const Fault& fault, Active& active);
    void end(std::size_t index);
    void cut(const std::vector<Link>& links);
    void uncut(const std::vector<Link>& links);
    void apply_bursts();
    void note(const std::string& text);
    std::vector<int> resolve_targets(const Fault& fault) const;
    NodeId node(int index) const { return target_.servers.at(static_cast<std::size_t>(index)); }

    NemesisTarget target_;
    Schedule schedule_;
    std::vector<Active> active_;
    std::map<Link, int> cut_count_;
    std::map<int, int> killed_count_;  // server index -> kills holding it down
    std::map<int, int> paused_count_;
    std::map<int, Layered> drift_ppm_;    // server index -> its drift faults
    std::map<int, Layered> slowdown_ns_;  // server index -> its slow faults
    std::vector<sim::LinkConfig> base_links_;
    sim::LinkClassId requests_class_ = 0;   // client -> server links
    sim::LinkClassId responses_class_ = 0;  // server -> client links
    sim::DiskConfig base_disk_;
    std::vector<std::string> log_;
    std::vector<std::size_t> armed_;  // targeted faults waiting, by index
};

}  // namespace faultline::nemesis
