// A simulated Raft cluster with the MIT 6.824 test harness's primitives and
// oracles: connect/disconnect, crash/restart, unreliable and long-reordering
// networks; check_one_leader, n_committed, one(). Every node hosts its Raft with
// a test application that reports each apply to an oracle (no two nodes may apply
// different commands at an index, and each node applies in order), and the
// Raft invariants run after every simulated step. Nothing sleeps: waiting is
// simulated time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocols/raft/invariants.h"
#include "protocols/raft/raft.h"
#include "sim/simulation.h"

namespace faultline::protocols::raft::testing {

struct ClusterOptions {
    int nodes = 3;
    std::uint64_t seed = 1;
    RaftOptions raft;
    sim::DiskConfig disk;
};

class Cluster {
  public:
    explicit Cluster(ClusterOptions options);
    ~Cluster();

    int size() const { return static_cast<int>(nodes_.size()); }
    sim::Simulation& simulation() { return *simulation_; }
    Raft* raft(int i);  // nullptr while crashed
    NodeId id(int i) const { return nodes_[static_cast<std::size_t>(i)]; }

    // Harness primitives.
    void disconnect(int i);
    void connect(int i);
    bool connected(int i) const { return connected_[static_cast<std::size_t>(i)]; }
    void crash(int i);
    void restart(int i);
    bool up(int i) { return raft(i) != nullptr; }
    // MIT's unreliable network: 0-26 ms latency, 10% of messages lost.
    void set_unreliable(bool unreliable);
    // About two thirds of messages delayed by 200 ms to 2.2 s more.
    void set_long_reordering(bool reordering);
    void run_for(Nanos duration);

    // Oracles. Each records a failure (see `failure()`) instead of aborting.
    int check_one_leader();
    void check_no_leader();
    Term check_terms();
    // How many nodes applied `index`, and the command there.
    std::pair<int, std::optional<std::string>> n_committed(LogIndex index);
    // Makes one Raft input on up node i (`input` calls one Raft method), then
    // has the node act on its Ready.
    void input(int i, const std::function<void(Raft&, Context&)>& input);
    // Proposes on node i if it is leader.
    std::optional<LogIndex> start(int i, const std::string& command);
    // Submits `command` until some leader accepts it and `expected` nodes apply it
    // (MIT's one()). Returns its index, or nullopt (and a failure) after 10 s.
    std::optional<LogIndex> one(const std::string& command, int expected, bool retry);
    // Waits up to `timeout` for n nodes to apply `index`.
    std::optional<std::string> wait(LogIndex index, int n, Nanos timeout);

    // Bytes in every node's persisted files (MIT's log size).
    std::uint64_t persisted_bytes(int i);
    std::uint64_t rpc_count() const { return simulation_->stats().messages_sent; }

    const std::string& failure() const { return failure_; }
    // One line per node: role, term, commit, log, and a leader's view of followers.
    std::string describe();
    bool failed() const { return !failure_.empty(); }
    void fail(std::string why);

    // Called by nodes' applications.
    void on_apply(int node, LogIndex index, const std::string& command);
    void on_snapshot(int node, LogIndex index);
    void on_read_ready(int node, std::uint64_t read_id) { reads_ready_[node].push_back(read_id); }
    // Reads registered with Raft::read_index that node i may now serve.
    const std::vector<std::uint64_t>& reads_ready(int i) { return reads_ready_[i]; }

  private:
    struct Applied {
        LogIndex snapshot;  // everything up to here came in a snapshot
        std::map<LogIndex, std::string> entries;
        LogIndex last;
    };

    ClusterOptions options_;
    std::unique_ptr<sim::Simulation> simulation_;
    std::vector<NodeId> nodes_;
    std::vector<bool> connected_;
    std::vector<Applied> applied_;
    std::map<LogIndex, std::string> oracle_;
    std::map<int, std::vector<std::uint64_t>> reads_ready_;
    RaftInvariants invariants_;
    std::vector<NodeView> views_;
    std::string failure_;
    int next_leader_guess_ = 0;
};

}  // namespace faultline::protocols::raft::testing
