// Raft: the consensus core, as a sans-IO state machine (Ongaro & Ousterhout,
// "In Search of an Understandable Consensus Algorithm", and Ongaro's thesis).
//
// A Raft object lives inside a node (see protocols/kv/kv_server.h), its host,
// and is driven by it: every input (a Raft message, a Raft timer, a client
// proposal or read, a leadership transfer, start and recover) goes through one
// of the public methods with the node's Context. Raft never calls the host
// back: what the host must do comes out of the input as a Ready, which the
// host takes with take_ready() after every input and acts on before the next
// one. Each input is handled in three phases, which is how "persist before
// send" is guaranteed by construction rather than by care:
//
//   1. decide    the handler updates state; durable changes are written to
//                storage at once; messages are queued in an outbox, and reads
//                that failed or a snapshot installed go into the Ready
//   2. persist   one sync() makes every write of this input durable
//   3. hand out  newly committed entries, reads now ready to serve, a wish
//                for a snapshot, and then the outbox go into the Ready
//
// The host then acts on the Ready in the order its fields are listed (see
// Ready): fail reads, restore the snapshot, apply the entries, serve the
// ready reads, hand Raft a snapshot if it asked (compact()), and send the
// messages, last. Raft sends nothing itself, and a message reaches the Ready
// only after the sync that makes durable what it says. Messages travel in the
// Ready rather than through ctx.send for two reasons: the host's own replies
// (from applying and reading) then leave before Raft's messages of the same
// input, a fixed order that the simulator's trace, hence replay, depends on;
// and a host whose compact() halted the node can drop them, as a process that
// died would. Taking the snapshot is the host's half of the work: only it
// knows its state machine as of the last applied entry, and only once it has
// applied the Ready's entries, so Raft asks (snapshot_wanted_at) instead of
// pulling the state mid-input.
//
// Inputs while a Ready is untaken, or while a requested compact() is pending,
// are a host bug and fail an assertion.
//
// If persisting fails (I/O error, full disk) the node halts: it stops handling
// inputs, as a process would exit, because what it would send depends on state
// it could not make durable. A restart recovers from disk. The Ready of the
// input that halted holds no messages and no entries, but still the reads that
// failed and a snapshot installed before the failure.
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
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "node/node.h"
#include "protocols/raft/durable.h"
#include "protocols/raft/log.h"
#include "protocols/raft/messages.h"
#include "protocols/raft/progress.h"
#include "protocols/raft/types.h"

namespace faultline::protocols::raft {

// A snapshot of the application's state machine, as of `index`.
struct Snapshot {
    LogIndex index;
    Term term;
    std::string data;  // opaque to Raft: what the host passed to compact()
};

// What one input leaves for the host to do, in the order of the fields. All of
// it is for this node's host only; none of it is repeated by a later Ready.
struct Ready {
    // 1. Reads registered with read_index() that can no longer be served here
    //    (leadership lost): answer them with an error.
    std::vector<std::uint64_t> reads_failed;
    // 2. A snapshot to replace the state machine with: one the leader sent, or
    //    the one on disk at recover().
    std::optional<Snapshot> snapshot;
    // 3. Newly committed entries, in log order and without gaps (after
    //    `snapshot` if there is one): apply each exactly once. Every node
    //    applies every entry, after a restart from its snapshot on. They are
    //    the log's own entries, not copies: valid until the next input or
    //    compact(), which is as long as the host needs them.
    std::vector<std::reference_wrapper<const LogEntry>> committed;
    // 4. Reads whose index is applied once `committed` is: serve them from the
    //    state machine.
    std::vector<std::uint64_t> reads_ready;
    // 5. Raft wants the state machine as of this index (the last entry applied)
    //    to compact its log: call compact() with it before the next input.
    std::optional<LogIndex> snapshot_wanted_at;
    // 6. Raft's messages: send them last, unless compact() halted the node.
    std::vector<std::pair<NodeId, MessagePtr>> messages;

    // Empties every field, keeping the vectors' capacity.
    void clear() {
        reads_failed.clear();
        snapshot.reset();
        committed.clear();
        reads_ready.clear();
        snapshot_wanted_at.reset();
        messages.clear();
    }
    bool empty() const {
        return reads_failed.empty() && !snapshot && committed.empty() && reads_ready.empty() && !snapshot_wanted_at &&
               messages.empty();
    }
};

// Timer tags Raft uses; the hosting node passes these to Raft::on_timer.
inline constexpr std::uint64_t raft_timer_base = 0x5241465400000000ULL;  // "RAFT"
inline bool is_raft_timer(std::uint64_t tag) {
    return (tag & 0xffffffff00000000ULL) == raft_timer_base;
}

class Raft {
  public:
    explicit Raft(RaftOptions options);

    // Inputs. Each runs decide / persist / hand out, and leaves a Ready.
    void start(Context& ctx);
    void recover(Context& ctx);
    // True if `message` is one of Raft's own.
    static bool is_raft_message(const Message& message);
    void step(Context& ctx, const Envelope& envelope);
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag);

    // Appends a command if this node is the leader (and not handing leadership
    // over). Returns its index; the host learns the outcome when a Ready hands
    // out the entry at that index (the same input's, on a one-node cluster):
    // ours if its term is the proposal's, another leader's otherwise.
    std::optional<LogIndex> propose(Context& ctx, std::string command);
    // Registers a linearizable read (ReadIndex). False if not the leader.
    // Its id later comes out in a Ready's reads_ready or reads_failed, once.
    bool read_index(Context& ctx, std::uint64_t read_id);
    // Hands leadership to `target` (thesis §3.10). False if not possible now.
    bool transfer_leadership(Context& ctx, NodeId target);

    // What the last input left for the host; Raft's copy is emptied.
    [[nodiscard]] Ready take_ready();
    // The same, into `into`: its buffers, cleared, go back to Raft for the
    // next input, so a host that keeps one Ready allocates nothing per input.
    void take_ready(Ready& into) {
        // Buffer by buffer rather than std::swap of the whole, and inline:
        // this runs after every input, most of which leave little to do.
        into.clear();
        into.reads_failed.swap(ready_.reads_failed);
        into.snapshot.swap(ready_.snapshot);
        into.committed.swap(ready_.committed);
        into.reads_ready.swap(ready_.reads_ready);
        into.snapshot_wanted_at.swap(ready_.snapshot_wanted_at);
        into.messages.swap(ready_.messages);
        check_taken(into);
    }
    // The host's answer to Ready::snapshot_wanted_at: its state machine as of
    // `index`. Raft saves it, drops the log through `index` and syncs. False if
    // that failed and halted the node: the Ready's messages must not be sent.
    [[nodiscard]] bool compact(Context& ctx, LogIndex index, std::string data);

    // The god's view, for the application, invariant checkers and tests.
    Role role() const { return role_; }
    Term term() const { return hard_state_.term; }
    std::optional<NodeId> voted_for() const { return hard_state_.vote; }
    std::optional<NodeId> leader() const { return leader_; }
    LogIndex commit_index() const { return commit_index_; }
    // The last entry handed out in a Ready: applied, once the host has acted.
    LogIndex last_applied() const { return last_applied_; }
    const RaftLog& log() const { return log_; }
    RaftLog& log_for_observers() { return log_; }
    const std::vector<NodeId>& voters() const { return voters_; }
    const Progress* progress(NodeId peer) const;
    bool halted() const { return halted_; }
    bool vote_withheld() const { return vote_withheld_forever_ || repair_pending_; }
    // Bumped after every input and compaction: lets checkers skip nodes that
    // did not change.
    std::uint64_t version() const { return version_; }
    const RaftOptions& options() const { return options_; }

  private:
    // The invariants of a Ready just taken (what it hands out is in order).
    void check_taken(const Ready& ready) const;

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
    // The fault points (node/node.h) this input reached: each names a write
    // now durable whose consequences have not yet left the node.
    void reach_fault_points(Context& ctx) const;
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
    // A deliberate bug or a Byzantine peer can cause what a correct cluster
    // never does; the checks, not assertions, report it then.
    bool impossible_tolerated() const { return options_.bugs.any() || options_.byzantine_peers; }
    bool heard_from_leader_recently(Context& ctx) const;
    std::size_t quorum() const { return voters_.size() / 2 + 1; }
    std::size_t votes_needed() const;
    bool is_voter(NodeId node) const;

    // Message handlers.
    void handle_vote_request(Context& ctx, NodeId from, const VoteRequest& request);
    void handle_vote_reply(Context& ctx, NodeId from, const VoteReply& reply);
    void handle_append_request(Context& ctx, NodeId from, const AppendRequest& request);
    // A follower's parts of an append: a heartbeat's answer; the consistency
    // check at prev_index (false: `reply` is the rejection); the entries
    // (false if the node halted).
    void answer_heartbeat(NodeId from, const AppendRequest& request, std::shared_ptr<AppendReply> reply);
    bool log_matches_at(const AppendRequest& request, AppendReply& reply) const;
    bool append_entries(Context& ctx, const AppendRequest& request);
    void handle_append_reply(Context& ctx, NodeId from, const AppendReply& reply);
    // The leader's answer to each kind of append reply.
    void on_heartbeat_reply(Context& ctx, NodeId from, Progress& progress, const AppendReply& reply);
    void on_append_accepted(Context& ctx, NodeId from, Progress& progress, const AppendReply& reply);
    void on_append_rejected(Context& ctx, NodeId from, Progress& progress, const AppendReply& reply);
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
    Nanos lease_length() const;
    bool lease_valid(Context& ctx) const;
    std::uint64_t majority_acked_round(Context& ctx);
    void fail_reads();

    // Follower duties and local state.
    void hand_out_committed();
    void maybe_want_snapshot();
    LogIndex self_match() const { return persisted_last_index_; }
    Nanos random_election_timeout(Context& ctx);

    RaftOptions options_;
    DurableState durable_;

    // Persistent (through durable_).
    HardState hard_state_;
    // Where this input started, for its fault points (kept only while they are on).
    struct InputStart {
        HardState hard_state;
        Role role = Role::follower;
        LogIndex last_index;
        LogIndex commit_index;
    };
    InputStart input_start_;
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
    Nanos heartbeat_due_ = 0;  // when the heartbeat timer should fire (local time)
    int late_heartbeats_ = 0;  // consecutive heartbeats that fired late
    TimerId quorum_timer_ = 0;
    std::optional<NodeId> transfer_target_;
    Nanos lease_rounds_from_ = 0;  // heartbeat rounds sent before this never make a lease
    TimerId transfer_timer_ = 0;
    std::uint64_t read_round_ = 0;
    std::vector<PendingRead> pending_reads_;
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
    std::vector<std::pair<NodeId, MessagePtr>> outbox_;  // into ready_ once persisted
    Ready ready_;
    std::optional<LogIndex> snapshot_wanted_at_;  // asked for, compact() not called yet
    std::uint64_t version_ = 0;
};

}  // namespace faultline::protocols::raft
