// Deliberate bugs: the Raft KV's mutants. Each is one small change to a correct
// Raft core, its durable state, the KV state machine or the KV server, behind a
// name that `faultline test --bug NAME` takes. They let test engineers watch the
// checkers catch a real mistake, and they are the yardstick for search
// strategies: a better one finds more of them in fewer seeds.
//
// Each bug below says what it changes, which property it breaks (and so which
// check should catch it) and, where there is one, the real bug it resembles.
// The code it changes names it: grep for `Bug::name`. A correct Raft has no bug
// set, and then runs exactly as if this file did not exist.
//
// A bug must be caught by a check (linearizability, the invariants run after
// every step), never by an assertion of the core: runs of a sweep share one
// process. Where a bug breaks a fact the core asserts, the assertion gives way
// when any bug is set (Bugs::any()) and the invariant checker reports it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace faultline::protocols::raft {

enum class Bug : std::uint8_t {
    // ---- The first five, each caught by the check that names the lesson.

    // Count replicas of an earlier term's entry to commit it (Raft Figure 8;
    // logcabin#44): a later leader can overwrite a "committed" entry.
    // Breaks leader completeness and state machine safety.
    commit_old_term,
    // Never write the vote to disk (cornerstone#65, nebula#3415): after a crash a
    // node can vote twice in one term and elect two leaders.
    forget_vote,
    // The leader answers reads from its own state without confirming it is still
    // leader (etcd 0.4, Consul): a deposed leader serves stale values. Breaks
    // linearizability.
    stale_read,
    // The state machine ignores client sessions: a duplicated or retried write
    // applies twice. Breaks linearizability.
    no_dedup,
    // The leader acknowledges a write as soon as it is in its own log, before a
    // majority has it: the write can be lost. Breaks linearizability.
    early_ack,

    // ---- Elections and terms.

    // A voter grants its vote although it already voted for another candidate
    // in this term (the votedFor check forgotten). Breaks one vote per term,
    // hence election safety.
    vote_twice,
    // Votes and pre-votes are granted without the election restriction (§5.4.1:
    // the candidate's log must be at least as up to date): a leader can be
    // elected without a committed entry. Breaks leader completeness.
    vote_without_log_check,
    // A candidate keeps the pre-votes it collected and counts them as votes, so
    // a successful pre-vote makes it leader at once. Pre-votes promise nothing:
    // their voters may vote for a rival in the same term. Breaks election
    // safety, but only when two nodes campaign for the same term (subtle).
    prevote_counts_as_vote,
    // A candidate counts a pre-vote grant that arrives after it moved on to
    // the real election as a vote: it answers another question ("could you
    // win?") and its voter may vote for a rival. Breaks election safety
    // through one interleaving: a late pre-vote reply and a rival (subtle).
    late_prevote_counts,
    // A candidate needs half of the voters, not a majority (voters / 2: two of
    // five): two candidates can both win a term. Breaks election safety.
    vote_quorum_off_by_one,
    // A voter does not restart its election timer when it grants a vote, so it
    // may campaign against the candidate it just elected. Breaks no safety
    // property: only availability, through needless elections.
    no_timer_reset_on_vote,
    // A node that learns of a higher term from a message adopts it in memory
    // but never writes it: after a crash its term goes back, and recovery drops
    // the entries of the newer term as never synced, though they were
    // acknowledged. Breaks term monotonicity (and can lose committed entries).
    term_not_persisted,
    // The vote is written but its input is not synced before the reply leaves
    // (a missing fsync): a crash before the next sync loses it. Like
    // forget-vote, through a narrower window (subtle). Breaks one vote per term
    // and term monotonicity.
    vote_not_synced,
    // A node whose disk lost log entries it may have acknowledged votes and
    // campaigns anyway, as if a checksum failure were a torn tail (the
    // protocol-aware recovery of Alagappan et al., FAST '18, forgotten). Its
    // vote can elect a leader without a committed entry. Breaks leader
    // completeness; needs a disk fault (subtle).
    vote_with_damaged_log,

    // ---- A follower's side of replication.

    // A follower truncates its log from the first entry of every AppendEntries
    // that it already holds, even when the terms match: a duplicated or
    // reordered AppendEntries erases entries it acknowledged, committed ones
    // included (hashicorp/raft#113; the comment above LogCabin's
    // handleAppendEntries). Breaks no-truncation-below-commit (subtle).
    truncate_on_match,
    // A follower handles an AppendEntries of an older term as if it were
    // current: a deposed leader can overwrite what the new leader committed.
    // Breaks no-truncation-below-commit and state machine safety.
    stale_term_append,
    // A follower takes the commit index an AppendEntries carries even when it is
    // lower than its own (a reordered append, or a new leader that has not yet
    // committed in its term). Breaks commit-index monotonicity.
    commit_regress,
    // A follower acknowledges entries before they are synced (the write left
    // to the OS to flush; a new term written in the same input still is
    // synced): a crash after the reply loses entries the leader counted
    // (etcd#10166). Breaks leader completeness and state machine safety
    // (subtle: a crash must fall in the window).
    ack_before_sync,
    // A follower applies entries as soon as they are in its log, before they
    // are committed. Breaks applied-within-commit.
    apply_beyond_commit,

    // ---- A leader's side of replication.

    // Heartbeats carry the leader's commit index uncapped, not the part the
    // follower is known to match: a follower whose log holds stale entries there
    // commits them (etcd caps it at the follower's match for this reason).
    // Breaks state machine safety.
    heartbeat_commit_uncapped,
    // A success reply sets the follower's match index to what the leader has
    // sent it so far (next_index - 1), not to what the reply acknowledges: with
    // appends in flight, entries not yet received count as replicated. Breaks
    // leader completeness once an unacknowledged append is lost and the leader
    // changes.
    match_from_sent,
    // A rejection's backtracking hint counts as a match: the leader takes the
    // follower as matching up to just before its conflict index, stale entries
    // included (microsoft/CCF#5325). Breaks leader completeness and state
    // machine safety.
    match_from_rejection,
    // The leader commits an entry that one replica fewer than a majority holds
    // (the quorum()-th highest match index, counted from 0 instead of 1).
    // Breaks leader completeness once the leader fails.
    commit_quorum_off_by_one,

    // ---- Reads.

    // ReadIndex is served before the leader has committed an entry of its own
    // term, with a commit index that may be behind the last leader's
    // (etcd#7331). Breaks linearizability (subtle: right after an election).
    read_before_term_commit,
    // ReadIndex without its heartbeat round: the read index is taken and the
    // read served once applied, without confirming that the leader still
    // leads. Breaks linearizability.
    read_index_no_round,
    // Lease reads without the drift bound: the lease lasts a full election
    // timeout on the leader's clock, so a leader whose clock runs slow serves
    // reads after voters elected another (thesis §6.4.1 asks for the bound).
    // Breaks linearizability; only with --lease-reads and drifting clocks.
    lease_no_drift,
    // Lease reads with the lease renewed whenever a heartbeat round is sent,
    // not when a majority acknowledges it: an isolated leader keeps its lease
    // while the others elect a new leader. Breaks linearizability; only with
    // --lease-reads.
    lease_renewed_on_send,
    // A follower answers reads from its own state machine, which may lag the
    // leader's (a "follower read" without ReadIndex). Breaks linearizability.
    read_from_follower,

    // ---- The KV state machine and server.

    // Snapshots leave out the client sessions: a replica restored from one
    // would apply a retried write a second time. Breaks replica-state
    // agreement as soon as a replica restores one; linearizability only when a
    // duplicate straddles that snapshot.
    sessions_not_in_snapshot,
    // The server answers a proposal by its log index alone: when another
    // leader's entry took the index, the client is told its own command
    // succeeded (the classic index-without-term check). Breaks
    // linearizability.
    ack_by_index_only,
    // A leader that steps down answers its pending proposals "not done"
    // (error 11, definite), though a later leader may still commit them: a
    // client that gives up believes a write failed that took effect. Breaks
    // linearizability (only once the client's retries run out).
    stepdown_fails_writes,
    // The host snapshots its state machine before applying the entries of the
    // input that asked for the snapshot, yet labels it with their index: a
    // replica restored from it misses their effects. Breaks replica-state
    // agreement, and linearizability once that replica leads.
    snapshot_before_apply,
    // After a restart the snapshot on disk is not loaded into the state
    // machine, though Raft counts its entries as applied. Breaks replica-state
    // agreement, and linearizability once the restarted node leads and reads.
    recover_without_snapshot,

    count,  // not a bug: how many there are
};

// The kebab-case name `--bug` takes ("commit-old-term"), and back.
std::string_view bug_name(Bug bug);
std::optional<Bug> bug_named(std::string_view name);

// The bugs a Raft KV runs with; a correct one has none.
class Bugs {
  public:
    bool has(Bug bug) const { return (bits_ >> static_cast<unsigned>(bug) & 1) != 0; }
    void set(Bug bug) { bits_ |= std::uint64_t{1} << static_cast<unsigned>(bug); }
    bool any() const { return bits_ != 0; }

  private:
    static_assert(static_cast<unsigned>(Bug::count) <= 64, "one bit per bug");
    std::uint64_t bits_ = 0;
};

}  // namespace faultline::protocols::raft
