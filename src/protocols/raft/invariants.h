// RaftInvariants: a god's-eye checker of Raft's safety properties, run after
// every simulated step (LogCabin's RaftConsensusInvariants, made incremental).
//
// Properties (paper Figure 3), checked across all nodes:
//   election safety       at most one leader per term, ever
//   leader append-only    a leader never truncates its log during its term
//   log matching          entries with the same index and term have the same
//                         content and the same history before them
//   leader completeness   a new leader holds every entry committed in an
//                         earlier term (a candidate of an old term may win
//                         late, with delayed votes, after a later term
//                         committed entries it lacks: that is legal)
//   state machine safety  no two nodes commit different entries at an index
// and on every transition of one node:
//   its term never decreases (not even across a crash: the term is durable)
//   its commit index never decreases while it is up
//   it applies only committed entries (last applied <= commit index)
//   it votes at most once per term (across crashes: the vote is durable)
//   it never truncates an entry at or below its commit index
//
// Log matching uses a prefix hash per entry, H(previous prefix hash, term,
// content), so "same index and term" implies "same history" is one lookup.
// The checker keeps a mirror of each node's log and updates it from the lowest
// index the log reports as changed, so a step costs what it changed.
//
// A node whose disk lost its hard state (see durable.h) may restart with a lower
// term; it never votes again, and the term check skips it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocols/raft/raft.h"

namespace faultline::protocols::raft {

struct InvariantViolation {
    std::string invariant;           // "election-safety", ...
    std::string detail;              // one sentence naming terms, indexes and nodes
    std::vector<std::string> nodes;  // the nodes involved
};

// What the checker sees of one server at one instant.
struct NodeView {
    std::string name;      // the node's own: no two slots share a name
    Raft* raft = nullptr;  // nullptr while the node is down
    // Changes every time the node restarts (a new Raft may reuse the old address).
    std::uint32_t incarnation = 0;
};

class RaftInvariants {
  public:
    explicit RaftInvariants(std::size_t node_count);

    // Checks every node that changed since the last call. `nodes` is indexed by
    // NodeId (servers come first in a simulation). Returns the first
    // violation found; after one, the checker's own state is no longer meaningful.
    std::optional<InvariantViolation> check(const std::vector<NodeView>& nodes);

    std::uint64_t checks() const { return checks_; }

  private:
    struct Mirror {
        bool seen = false;
        std::uint32_t incarnation = 0;
        std::uint64_t version = 0;
        LogIndex base;                                        // snapshot index
        Term base_term;                                       // snapshot term
        std::uint64_t base_hash = 0;                          // prefix hash at base
        std::vector<std::pair<Term, std::uint64_t>> entries;  // (term, prefix hash) for base+1...
        LogIndex commit;
        Term term;
        bool leader = false;
        Term leader_term;
        // The vote last put on record for this node (votes_ holds every one).
        Term vote_term;
        std::optional<NodeId> vote;
        LogIndex last() const { return base + entries.size(); }
        std::uint64_t hash_at(LogIndex index) const {
            return index == base ? base_hash : entries[index.value - base.value - 1].second;
        }
    };

    std::optional<InvariantViolation> check_node(std::size_t slot, const NodeView& view);
    std::optional<InvariantViolation> sync_log(Mirror& mirror, const NodeView& view, bool restarted);
    std::optional<InvariantViolation> rebuild(Mirror& mirror, const NodeView& view);
    // Hashes the node's entries after the mirror's last; those at or below the
    // node's snapshot come from `compacted` (compacted since the last look).
    std::optional<InvariantViolation> hash_new_entries(Mirror& mirror, const NodeView& view,
                                                       const std::vector<LogEntry>& compacted = {});
    // Compares or records the node's committed entries after `from` through `to`.
    std::optional<InvariantViolation> record_commit(Mirror& mirror, const NodeView& view, LogIndex from, LogIndex to);
    std::optional<InvariantViolation> check_new_leader(const Mirror& mirror, const NodeView& view);
    std::string name_of(NodeId node) const;

    std::vector<Mirror> mirrors_;
    std::map<std::uint64_t, std::size_t> leaders_;  // term -> leader's slot
    // Log matching: (index, term) -> prefix hash, for every entry ever seen.
    std::unordered_map<std::uint64_t, std::uint64_t> entry_hashes_;
    // State machine safety: what was committed at each index (0 unused).
    struct Committed {
        Term entry_term;
        Term commit_term;  // the term of the node that first committed it
        std::uint64_t hash = 0;
    };
    std::vector<Committed> committed_;
    std::map<std::pair<std::size_t, std::uint64_t>, NodeId> votes_;  // (node, term) -> candidate
    const std::vector<NodeView>* nodes_ = nullptr;                   // valid during check()
    std::uint64_t checks_ = 0;
};

}  // namespace faultline::protocols::raft
