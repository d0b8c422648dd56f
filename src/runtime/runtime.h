// Runtime: what the nemesis player and the run driver need from whatever runs
// the nodes, and nothing more.
//
// The simulator implements it today (runtime/simulation_runtime.h); the process
// harness (nodes as child processes) and the real-time runtime implement it
// next, so that one fault schedule, one nemesis and one workload driver serve
// all three. A schedule stays data: the player turns each fault into calls
// here, at the times the schedule gives.
//
//   time      now(), at(time, action)
//   inputs    hand a node it hosts (a client) an input
//   nodes     crash, restart, pause, resume, slow (a per-event delay)
//   clocks    step a node's clock, set its drift
//   network   block / unblock one direction of a link, heal every block;
//             link classes (latency, loss, duplication, bandwidth), tampering
//   disks     the fault configuration of a node's disk
//
// Link and disk settings are the simulator's own data types (sim/network.h,
// sim/disk.h): the network model is the same code in every runtime, driven by
// virtual time in the simulator and by the wall clock elsewhere.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "base/types.h"
#include "node/node.h"
#include "sim/disk.h"
#include "sim/network.h"

namespace faultline::runtime {

class Runtime {
  public:
    virtual ~Runtime() = default;

    // Time: virtual in the simulator, the wall clock elsewhere.
    virtual Nanos now() const = 0;
    // Runs `action` at `time` (at once if it is past).
    virtual void at(Nanos time, std::function<void()> action) = 0;

    // Nodes the runtime hosts in this process (the clients; in the simulator,
    // every node): `node` is null while it is down, and `invoke` hands it an
    // input with its Context (false if it is down).
    virtual Node* node(NodeId id) = 0;
    virtual bool invoke(NodeId id, const std::function<void(Node&, Context&)>& input) = 0;

    // Nodes. A crash loses what the node did not sync; a restart recovers it
    // from its disk. A paused node keeps its state and resumes where it was.
    virtual void crash(NodeId node) = 0;
    virtual void restart(NodeId node) = 0;
    virtual void pause(NodeId node) = 0;
    virtual void resume(NodeId node) = 0;
    virtual bool is_up(NodeId node) const = 0;
    virtual bool is_paused(NodeId node) const = 0;
    // Every input the node handles costs this much longer (0: none).
    virtual void set_processing_delay(NodeId node, Nanos delay) = 0;

    // Clocks: a step moves the node's clock at once; drift makes it run fast
    // or slow from now on (parts per million).
    virtual void step_clock(NodeId node, Nanos delta) = 0;
    virtual double clock_drift_ppm(NodeId node) const = 0;
    virtual void set_clock_drift_ppm(NodeId node, double ppm) = 0;

    // The network: messages from `from` to `to` are dropped while blocked.
    virtual void block(NodeId from, NodeId to) = 0;
    virtual void unblock(NodeId from, NodeId to) = 0;
    // Unblocks every link.
    virtual void heal_links() = 0;
    // Link classes: every directed link belongs to one, whose configuration
    // it follows.
    virtual const sim::LinkConfig& link(NodeId from, NodeId to) const = 0;
    virtual sim::LinkClassId define_link_class(std::string_view name, const sim::LinkConfig& config) = 0;
    virtual void assign_link_class(NodeId from, NodeId to, sim::LinkClassId link_class) = 0;
    virtual std::vector<sim::LinkConfig> link_classes() const = 0;
    virtual void set_link_classes(const std::vector<sim::LinkConfig>& configs) = 0;

    // Tampering: the probability that a message between servers arrives altered.
    virtual void set_tamper_probability(double probability) = 0;

    // Disks: the faults a node's disk injects from now on.
    virtual sim::DiskConfig& disk_faults(NodeId node) = 0;

    // A line for the record of the run (the trace, the report's fault bands).
    virtual void note_fault(std::string_view text) = 0;
};

}  // namespace faultline::runtime
