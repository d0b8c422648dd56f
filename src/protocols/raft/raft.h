// Raft: the consensus core, as a sans-IO state machine (Ongaro & Ousterhout,
// "In Search of an Understandable Consensus Algorithm", and Ongaro's thesis).
//
// A Raft object lives inside a node (see protocols/kv/kv_server.h) and is driven
// by it: every input (a Raft message, a Raft timer, a client proposal or read)
// goes through one of the public methods with the node's Context. Each input is
// handled in three phases, which is how "persist before send" is guaranteed by
// construction rather than by care:
//
//   1. decide   the handler updates state; durable changes are written to
//               storage at once, and messages are queued in an outbox
//   2. persist  one sync() makes every write of this input durable
//   3. act      reads that failed (leadership lost) are reported, newly
//               committed entries are applied, reads whose index is applied
//               are answered, and then the outbox is sent
//
// If persisting fails (I/O error, full disk) the node halts: it stops handling
// inputs, as a process would exit, because what it would send depends on state
// it could not make durable. A restart recovers from disk.
//
// Safety rules beyond the paper's Figure 2 that this implementation keeps:
//   - A leader commits by counting replicas only entries of its own term
//     (§5.4.2, Figure 8); it appends a no-op on election to get one.
//   - A follower never truncates entries that match the leader's (a duplicated
//     or reordered AppendEntries must not erase what it already acknowledged).
//   - A success reply reports the last index the request covered, never the
//     follower's last index, which may hold stale entries.
//   - ReadIndex is served only after the leader committed an entry of its term
//     (etcd#7331), and only for heartbeat rounds acknowledged in the same term.
//   - A node whose disk lost synced log entries neither votes nor campaigns
//     until it matches a leader's whole log (of its term or a later one):
//     otherwise its vote could elect a leader missing an entry it had
//     acknowledged (protocol-aware recovery, Alagappan et al., FAST '18).
//     It remembers the damage on disk until repaired, and takes no commit
//     index from heartbeats meanwhile. A node whose term and vote were lost
//     never votes again, and leaders count it for no quorum.
//
// Membership is data (voters_), so configuration changes fit later.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "node/node.h"
#include "protocols/raft/durable.h"
#include "protocols/raft/log.h"
#include "protocols/raft/messages.h"
#include "protocols/raft/progress.h"
#include "protocols/raft/types.h"

namespace faultline::protocols::raft {

// The application above Raft: a replicated state machine and its clients.
class RaftApplication {
public:
    virtual ~RaftApplication() = default;
    // Applies a committed entry. Called exactly once per entry, in log order, by
    // every node (after a restart: from the snapshot on).
    virtual void apply(Context& ctx, const LogEntry& entry) = 0;
    virtual std::string take_snapshot() = 0;
    virtual void restore_snapshot(Context& ctx, std::string_view data) = 0;
    // A read registered with read_index() may now be served from local state.
    virtual void read_ready(Context& ctx, std::uint64_t read_id) = 0;
    // A registered read can no longer be served here (leadership lost).
    virtual void read_failed(Context& ctx, std::uint64_t read_id) = 0;
};

// Timer tags Raft uses; the hosting node passes these to Raft::on_timer.
inline constexpr std::uint64_t raft_timer_base = 0x5241465400000000ULL;  // "RAFT"
inline bool is_raft_timer(std::uint64_t tag) { return (tag & 0xffffffff00000000ULL) == raft_timer_base; }

class Raft {
public:
    Raft(RaftOptions options, RaftApplication& application);

    // Inputs. Each runs decide / persist / act.
    void start(Context& ctx);
    void recover(Context& ctx);
    // True if `message` is one of Raft's own.
    static bool is_raft_message(const Message& message);
    void step(Context& ctx, const Envelope& envelope);
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag);

    // Appends a command if this node is the leader (and not handing leadership
    // over). Returns its index; the application learns the outcome on apply.
    std::optional<LogIndex> propose(Context& ctx, std::string command);
    // Registers a linearizable read (ReadIndex). False if not the leader.
    bool read_index(Context& ctx, std::uint64_t read_id);
    // Hands leadership to `target` (thesis §3.10). False if not possible now.
    bool transfer_leadership(Context& ctx, NodeId target);

    // The god's view, for the application, invariant checkers and tests.
    Role role() const { return role_; }
    Term term() const { return hard_state_.term; }
    std::optional<NodeId> voted_for() const { return hard_state_.vote; }
    std::optional<NodeId> leader() const { return leader_; }
    LogIndex commit_index() const { return commit_index_; }
    LogIndex last_applied() const { return last_applied_; }
    const RaftLog& log() const { return log_; }
    RaftLog& log_for_observers() { return log_; }
    const std::vector<NodeId>& voters() const { return voters_; }
    const Progress* progress(NodeId peer) const;
    bool halted() const { return halted_; }
    bool vote_withheld() const { return vote_withheld_forever_ || repair_pending_; }
    // Bumped after every input: lets checkers skip nodes that did not change.
    std::uint64_t version() const { return version_; }
    const RaftOptions& options() const { return options_; }

private:
    enum TimerKind : std::uint64_t { election_timer = 1, heartbeat_timer = 2, quorum_timer = 3, transfer_timer = 4 };

    struct PendingRead {
        std::uint64_t id = 0;
        LogIndex read_index;
        std::uint64_t round = 0;  // 0: waiting for the leader's first commit in its term
        bool confirmed = false;
    };

    // Phases.
    bool begin(Context& ctx);
    void finish(Context& ctx);
    // One sync for every write so far; false (and halted) if the disk failed.
    bool persist(Context& ctx);
    void persist_hard_state(Context& ctx);
    // The damaged log matches a leader's again: clear the mark, vote again.
    void mark_repaired(Context& ctx);
    void append_to_log(Context& ctx, LogEntry entry);
    void truncate_log(Context& ctx, LogIndex keep_last);
    void halt(Context& ctx, const std::string& why);
    void send(NodeId to, MessagePtr message) { outbox_.push_back({to, std::move(message)}); }

    // Roles and elections.
    void become_follower(Context& ctx, Term term, std::optional<NodeId> leader);
    void become_pre_candidate(Context& ctx);
    void become_candidate(Context& ctx, bool leadership_transfer);
    void become_leader(Context& ctx);
    void campaign(Context& ctx, bool pre_vote, bool leadership_transfer);
    void reset_election_deadline(Context& ctx);
    bool may_campaign() const;
    bool heard_from_leader_recently(Context& ctx) const;
    std::size_t quorum() const { return voters_.size() / 2 + 1; }
    bool is_voter(NodeId node) const;

    // Message handlers.
    void handle_vote_request(Context& ctx, NodeId from, const VoteRequest& request);
    void handle_vote_reply(Context& ctx, NodeId from, const VoteReply& reply);
    void handle_append_request(Context& ctx, NodeId from, const AppendRequest& request);
    void handle_append_reply(Context& ctx, NodeId from, const AppendReply& reply);
    void handle_snapshot_request(Context& ctx, NodeId from, const SnapshotRequest& request);
    void handle_snapshot_reply(Context& ctx, NodeId from, const SnapshotReply& reply);
    void handle_timeout_now(Context& ctx, NodeId from, const TimeoutNow& message);
    // Returns false if the message is stale and must be dropped.
    bool observe_term(Context& ctx, NodeId from, Term term, const Message& message);

    // Leader duties.
    void send_append(Context& ctx, NodeId peer, bool allow_empty);
    void send_snapshot(Context& ctx, NodeId peer);
    void broadcast_heartbeat(Context& ctx);
    void broadcast_append(Context& ctx);
    void maybe_commit(Context& ctx);
    void check_quorum(Context& ctx);
    void maybe_finish_transfer(Context& ctx, NodeId peer);
    void notice_slowness(Context& ctx);
    void start_transfer(Context& ctx, NodeId target);
    void advance_reads(Context& ctx);
    void start_read_round(Context& ctx);
    bool lease_valid(Context& ctx) const;
    std::uint64_t majority_acked_round(Context& ctx);
    void fail_reads();

    // Follower duties and local state.
    void apply_committed(Context& ctx);
    void maybe_snapshot(Context& ctx);
    LogIndex self_match() const { return persisted_last_index_; }
    Nanos random_election_timeout(Context& ctx);

    RaftOptions options_;
    RaftApplication& application_;
    DurableState durable_;

    // Persistent (through durable_).
    HardState hard_state_;
    RaftLog log_;
    std::string snapshot_data_;  // the latest snapshot, for followers that need it

    // Volatile.
    Role role_ = Role::follower;
    std::optional<NodeId> leader_;
    std::vector<NodeId> voters_;
    LogIndex commit_index_;
    LogIndex last_applied_;
    LogIndex persisted_last_index_;
    LogIndex durable_snapshot_index_;  // the snapshot the last sync made durable
    std::vector<NodeId> votes_granted_;
    std::vector<Progress> progress_;  // indexed by NodeId value; leaders only
    TimerId election_timer_ = 0;
    Nanos election_deadline_ = 0;
    Nanos last_leader_contact_ = -1;  // local time; -1: never
    TimerId heartbeat_timer_ = 0;
    Nanos heartbeat_due_ = 0;      // when the heartbeat timer should fire (local time)
    int late_heartbeats_ = 0;      // consecutive heartbeats that fired late
    TimerId quorum_timer_ = 0;
    std::optional<NodeId> transfer_target_;
    Nanos lease_rounds_from_ = 0;  // heartbeat rounds sent before this never make a lease
    TimerId transfer_timer_ = 0;
    std::uint64_t read_round_ = 0;
    std::vector<PendingRead> pending_reads_;
    std::vector<std::uint64_t> reads_failed_;  // failed this input, answered in finish()
    // Lease reads: when each recent read round was sent (local time), and until
    // when the leader may serve reads without a round.
    std::deque<std::pair<std::uint64_t, Nanos>> rounds_sent_;
    Nanos lease_expiry_ = -1;

    // Disk damage found at recovery (see the header comment).
    bool vote_withheld_forever_ = false;
    bool repair_pending_ = false;
    Term repair_term_;

    // Reused buffers for quorum arithmetic, which runs after every input.
    std::vector<LogIndex> scratch_indexes_;
    std::vector<std::uint64_t> scratch_rounds_;
    bool storage_dirty_ = false;
    bool halted_ = false;
    std::vector<std::pair<NodeId, MessagePtr>> outbox_;
    std::uint64_t version_ = 0;
};

}  // namespace faultline::protocols::raft
