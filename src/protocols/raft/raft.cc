#include "protocols/raft/raft.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>

#include "base/assert.h"

namespace faultline::protocols::raft {

Raft::Raft(RaftOptions options) : options_(options), durable_(options.segment_bytes_max) {
    FL_ASSERT_GT(options_.heartbeat_interval, 0);
    FL_ASSERT_LT(options_.heartbeat_interval, options_.election_timeout_min);
    FL_ASSERT_LE(options_.election_timeout_min, options_.election_timeout_max);
    FL_ASSERT_GT(options_.inflight_appends_max, 0u);
    FL_ASSERT_GT(options_.append_entries_max, 0u);
    FL_ASSERT(options_.clock_drift_bound >= 0 && options_.clock_drift_bound < 1);
    if (options_.authenticate) FL_ASSERT(sodium_init() >= 0);
}

namespace {

// The key the cluster shares. (In a simulation the attacker is the network's
// tamper hook, which alters bytes but never computes MACs.)
const unsigned char* cluster_key() {
    static const unsigned char key[crypto_auth_KEYBYTES] = "faultline shared cluster key";
    return key;
}

std::string mac_of(const AppendRequest& request) {
    const std::string bytes = request.authenticated_bytes();
    std::string mac(crypto_auth_BYTES, '\0');
    crypto_auth(reinterpret_cast<unsigned char*>(mac.data()), reinterpret_cast<const unsigned char*>(bytes.data()),
                bytes.size(), cluster_key());
    return mac;
}

bool mac_valid(const AppendRequest& request) {
    if (request.mac.size() != crypto_auth_BYTES) return false;
    const std::string bytes = request.authenticated_bytes();
    return crypto_auth_verify(reinterpret_cast<const unsigned char*>(request.mac.data()),
                              reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), cluster_key()) == 0;
}

}  // namespace

bool Raft::is_raft_message(const Message& message) {
    return message_as<AppendRequest>(message) || message_as<AppendReply>(message) || message_as<VoteRequest>(message) ||
           message_as<VoteReply>(message) || message_as<SnapshotRequest>(message) ||
           message_as<SnapshotReply>(message) || message_as<TimeoutNow>(message);
}

const Progress* Raft::progress(NodeId peer) const {
    if (role_ != Role::leader || peer.value >= progress_.size()) return nullptr;
    return &progress_[peer.value];
}

bool Raft::is_voter(NodeId node) const {
    return std::find(voters_.begin(), voters_.end(), node) != voters_.end();
}

// ---------------------------------------------------------------------------
// Boot.

void Raft::start(Context& ctx) {
    FL_ASSERT(ready_.empty());
    voters_.assign(ctx.cluster().begin(), ctx.cluster().end());
    FL_ASSERT(is_voter(ctx.self()));
    role_ = Role::follower;
    reset_election_deadline(ctx);
    finish(ctx);
}

void Raft::recover(Context& ctx) {
    FL_ASSERT(ready_.empty());
    voters_.assign(ctx.cluster().begin(), ctx.cluster().end());
    FL_ASSERT(is_voter(ctx.self()));
    auto recovered = durable_.load(ctx.storage());
    if (!recovered) {
        halt(ctx, "cannot read the disk: " + recovered.error().message);
        return;
    }
    for (const std::string& note : recovered->notes) ctx.log("recovery: " + note);
    storage_dirty_ = true;  // recovery repairs and reopens files: sync before acting
    hard_state_ = recovered->hard_state;
    if (recovered->has_snapshot) {
        log_.reset(recovered->snapshot_index, recovered->snapshot_term);
        snapshot_data_ = std::move(recovered->snapshot_data);
        // The recover-without-snapshot bug never hands it to the host, whose
        // state machine then lacks what the snapshot holds.
        if (!options_.bugs.has(Bug::recover_without_snapshot)) {
            ready_.snapshot = Snapshot{recovered->snapshot_index, recovered->snapshot_term, snapshot_data_};
        }
        commit_index_ = last_applied_ = recovered->snapshot_index;
        durable_snapshot_index_ = recovered->snapshot_index;
    }
    for (LogEntry& entry : recovered->entries) log_.append(std::move(entry));
    persisted_last_index_ = log_.last_index();
    if (recovered->hard_state_lost) {
        // Term and vote may be stale: voting again could vote twice in a term.
        vote_withheld_forever_ = true;
        if (log_.last_term() > hard_state_.term) hard_state_ = HardState{log_.last_term(), std::nullopt};
        ctx.log("recovery: hard state damaged; this node will never vote or campaign again");
    }
    if (recovered->log_damaged) {
        repair_pending_ = true;
        repair_term_ = recovered->repair_term;
        ctx.log("recovery: log damaged; no voting or campaigning until a leader has repaired it");
    }
    FL_ASSERT_GE(hard_state_.term, log_.last_term());
    role_ = Role::follower;
    reset_election_deadline(ctx);
    finish(ctx);
}

// ---------------------------------------------------------------------------
// The three phases of every input.

bool Raft::begin(Context& ctx) {
    FL_ASSERT(outbox_.empty());
    if (ctx.fault_points_on()) input_start_ = {hard_state_, role_, log_.last_index(), commit_index_};
    // One input, one Ready: the host acts on each before the next input, so
    // what it applies and answers is always in the order Raft decided it.
    FL_ASSERT_MSG(ready_.empty(), "an input before the host took the last Ready");
    FL_ASSERT_MSG(!snapshot_wanted_at_, "an input before the host answered snapshot_wanted_at");
    return !halted_;
}

void Raft::finish(Context& ctx) {
    // Reads that failed and a snapshot installed while deciding stay in the
    // Ready even if the node halts: the host must still answer those reads
    // and hold the state the snapshot stands for.
    if (halted_) {
        outbox_.clear();
        return;
    }
    if (!persist(ctx)) return;
    if (role_ == Role::leader) maybe_commit(ctx);
    if (ctx.fault_points_on()) reach_fault_points(ctx);

    // Hand out: only now, after the sync, may anything leave.
    hand_out_committed();
    advance_reads(ctx);
    maybe_want_snapshot();
    FL_ASSERT(ready_.messages.empty());
    ready_.messages.swap(outbox_);
    // Bugs that move the commit index back or apply beyond it break this; the
    // invariant checker reports them (commit-monotonic, applied-within-commit).
    if (!impossible_tolerated()) FL_ASSERT_LE(last_applied_, commit_index_);
    FL_ASSERT_LE(commit_index_, log_.last_index());
    ++version_;
}

void Raft::reach_fault_points(Context& ctx) const {
    const InputStart& start = input_start_;
    // A vote on disk, its reply not sent: a crash here must not let the node
    // vote again in this term (forgetting it elects two leaders).
    if (hard_state_ != start.hard_state && hard_state_.vote && *hard_state_.vote != ctx.self()) {
        ctx.fault_point("raft.vote-persisted");
    }
    if (role_ == Role::candidate && start.role != Role::candidate) ctx.fault_point("raft.campaign-persisted");
    // Elected, its no-op appended but nothing of its term committed: the
    // moment of Raft's Figure 8.
    if (role_ == Role::leader && start.role != Role::leader) ctx.fault_point("raft.leader-elected");
    // Entries on a follower's disk, not yet acknowledged.
    if (role_ != Role::leader && log_.last_index() > start.last_index) ctx.fault_point("raft.entries-persisted");
    // A commit the leader decided but has told nobody of.
    if (role_ == Role::leader && commit_index_ > start.commit_index) ctx.fault_point("raft.commit-advanced");
}

Ready Raft::take_ready() {
    Ready ready;
    take_ready(ready);
    return ready;
}

void Raft::check_taken(const Ready& ready) const {
    FL_ASSERT(!halted_ || (ready.committed.empty() && ready.messages.empty()));
    if (ready.snapshot && !ready.committed.empty()) {
        FL_ASSERT_EQ(ready.committed.front().get().index, ready.snapshot->index.next());
    }
    if (!ready.committed.empty()) FL_ASSERT_EQ(ready.committed.back().get().index, last_applied_);
    if (ready.snapshot_wanted_at) FL_ASSERT(ready.snapshot_wanted_at == snapshot_wanted_at_);
}

bool Raft::compact(Context& ctx, LogIndex index, std::string data) {
    FL_ASSERT_MSG(ready_.empty(), "compact() before the host took the Ready that asked for it");
    FL_ASSERT(snapshot_wanted_at_ == index);
    snapshot_wanted_at_.reset();
    FL_ASSERT(!halted_);
    FL_ASSERT_EQ(index, last_applied_);  // no input ran since: nothing else was applied
    FL_ASSERT_GT(index, log_.snapshot_index());
    const Term term = *log_.term_at(index);
    if (auto status = durable_.save_snapshot(ctx.storage(), index, term, data); !status) {
        halt(ctx, "cannot write a snapshot: " + status.error().message);
        return false;
    }
    storage_dirty_ = true;
    log_.compact_through(index, term);
    snapshot_data_ = std::move(data);
    // Synced before the Ready's messages leave, like every write of an input:
    // a disk that fails here halts the node, and a halted node sends nothing.
    if (!persist(ctx)) return false;
    FL_ASSERT_EQ(log_.snapshot_index(), index);
    ++version_;
    return true;
}

bool Raft::persist(Context& ctx) {
    if (!storage_dirty_) return true;
    // Segments covered by a snapshot that an earlier sync made durable may go:
    // their deletion becomes durable with this sync.
    if (auto status = durable_.collect_garbage(ctx.storage(), durable_snapshot_index_); !status) {
        halt(ctx, "cannot delete old log segments: " + status.error().message);
        return false;
    }
    if (auto status = ctx.storage().sync(); !status) {
        halt(ctx, "sync failed: " + status.error().message);
        return false;
    }
    storage_dirty_ = false;
    durable_snapshot_index_ = log_.snapshot_index();
    persisted_last_index_ = log_.last_index();
    return true;
}

void Raft::persist_hard_state(Context& ctx) {
    HardState written = hard_state_;
    if (options_.bugs.has(Bug::forget_vote)) written.vote.reset();  // the bug: the vote never reaches the disk
    if (auto status = durable_.save_hard_state(ctx.storage(), written); !status) {
        halt(ctx, "cannot write the hard state: " + status.error().message);
        return;
    }
    storage_dirty_ = true;
}

void Raft::mark_repaired(Context& ctx) {
    FL_ASSERT(repair_pending_);
    // Cleared on disk with this input's sync, before the node can vote again
    // (a vote is a later input). A crash before that keeps the mark: cautious.
    if (auto status = durable_.save_damage(ctx.storage(), DamageMark{vote_withheld_forever_, false, Term(0)});
        !status) {
        halt(ctx, "cannot clear the damage mark: " + status.error().message);
        return;
    }
    storage_dirty_ = true;
    repair_pending_ = false;
}

void Raft::append_to_log(Context& ctx, LogEntry entry) {
    FL_ASSERT_LE(entry.term, hard_state_.term);
    if (auto status = durable_.append(ctx.storage(), entry); !status) {
        halt(ctx, "cannot append to the log: " + status.error().message);
        return;
    }
    log_.append(std::move(entry));
    storage_dirty_ = true;
}

void Raft::truncate_log(Context& ctx, LogIndex keep_last) {
    // Erasing a committed entry is the worst thing Raft can do. A correct node
    // never gets here; the deliberate bugs may, and the invariant checker reports it.
    if (keep_last < commit_index_) FL_ASSERT_MSG(impossible_tolerated(), "truncating committed entries");
    if (auto status = durable_.truncate_after(ctx.storage(), keep_last); !status) {
        halt(ctx, "cannot truncate the log: " + status.error().message);
        return;
    }
    log_.truncate_after(keep_last);
    persisted_last_index_ = std::min(persisted_last_index_, keep_last);
    commit_index_ = std::min(commit_index_, keep_last);
    storage_dirty_ = true;
}

void Raft::halt(Context& ctx, const std::string& why) {
    halted_ = true;
    outbox_.clear();
    ctx.log("halted: " + why);
}

// ---------------------------------------------------------------------------
// Roles.

void Raft::become_follower(Context& ctx, Term term, std::optional<NodeId> leader) {
    FL_ASSERT_GE(term, hard_state_.term);
    if (term > hard_state_.term) {
        hard_state_.term = term;
        hard_state_.vote.reset();
        // The term-not-persisted bug: the new term lives in memory only.
        if (!options_.bugs.has(Bug::term_not_persisted)) persist_hard_state(ctx);
    }
    const bool was_leader = role_ == Role::leader;
    role_ = Role::follower;
    leader_ = leader;
    votes_granted_.clear();
    transfer_target_.reset();
    if (was_leader) {
        ctx.log(fmt::format("term {}: stepping down", hard_state_.term.value));
        fail_reads();
        for (TimerId* timer : {&heartbeat_timer_, &quorum_timer_, &transfer_timer_}) {
            if (*timer != 0) ctx.cancel_timer(*timer);
            *timer = 0;
        }
        lease_expiry_ = -1;
        rounds_sent_.clear();
    }
    reset_election_deadline(ctx);
}

void Raft::become_pre_candidate(Context& ctx) {
    FL_ASSERT(role_ != Role::leader);
    FL_ASSERT(may_campaign());
    role_ = Role::pre_candidate;
    leader_.reset();
    votes_granted_.assign(1, ctx.self());
    reset_election_deadline(ctx);
    if (votes_granted_.size() >= votes_needed()) {
        become_candidate(ctx, false);
        return;
    }
    // The pre-vote asks about the term we would use; our own term stays put.
    for (NodeId peer : voters_) {
        if (peer == ctx.self()) continue;
        auto request = std::make_shared<VoteRequest>();
        request->term = hard_state_.term.next();
        request->last_log_index = log_.last_index();
        request->last_log_term = log_.last_term();
        request->pre_vote = true;
        send(peer, std::move(request));
    }
}

void Raft::become_candidate(Context& ctx, bool leadership_transfer) {
    FL_ASSERT(role_ != Role::leader);
    FL_ASSERT(may_campaign());
    hard_state_.term = hard_state_.term.next();
    hard_state_.vote = ctx.self();
    persist_hard_state(ctx);
    // The prevote-counts-as-vote bug keeps the pre-votes, which promised nothing:
    // their voters may vote for a rival in this term.
    const bool keep_pre_votes = options_.bugs.has(Bug::prevote_counts_as_vote) && role_ == Role::pre_candidate;
    role_ = Role::candidate;
    leader_.reset();
    if (!keep_pre_votes) votes_granted_.assign(1, ctx.self());
    reset_election_deadline(ctx);
    ctx.log(fmt::format("term {}: campaigning", hard_state_.term.value));
    if (votes_granted_.size() >= votes_needed()) {
        become_leader(ctx);
        return;
    }
    for (NodeId peer : voters_) {
        if (peer == ctx.self()) continue;
        auto request = std::make_shared<VoteRequest>();
        request->term = hard_state_.term;
        request->last_log_index = log_.last_index();
        request->last_log_term = log_.last_term();
        request->leadership_transfer = leadership_transfer;
        send(peer, std::move(request));
    }
}

void Raft::become_leader(Context& ctx) {
    FL_ASSERT_EQ(role_, Role::candidate);
    // (A candidate with the vote-twice bug may have given its vote away since.)
    FL_ASSERT(hard_state_.vote == ctx.self() || options_.bugs.has(Bug::vote_twice));
    role_ = Role::leader;
    leader_ = ctx.self();
    ctx.log(fmt::format("term {}: leader", hard_state_.term.value));
    NodeId highest = ctx.self();
    for (NodeId peer : voters_) highest = std::max(highest, peer);
    progress_.assign(highest.value + 1, Progress{});
    for (NodeId peer : voters_) {
        Progress& progress = progress_[peer.value];
        progress.next_index = log_.last_index().next();
        progress.match_index = LogIndex(0);
        progress.recently_active = true;  // give every follower one quorum period
    }
    // A no-op of our own term lets us commit everything before it (Figure 8).
    // The commit-old-term bug skips it and counts old replicas instead.
    if (!options_.bugs.has(Bug::commit_old_term)) {
        append_to_log(ctx, LogEntry{hard_state_.term, log_.last_index().next(), EntryType::noop, {}});
    }
    heartbeat_timer_ = ctx.set_timer(options_.heartbeat_interval, raft_timer_base | heartbeat_timer);
    heartbeat_due_ = ctx.now() + options_.heartbeat_interval;
    late_heartbeats_ = 0;
    if (options_.check_quorum) {
        quorum_timer_ = ctx.set_timer(options_.election_timeout_min, raft_timer_base | quorum_timer);
    }
    broadcast_append(ctx);
}

void Raft::campaign(Context& ctx, bool pre_vote, bool leadership_transfer) {
    if (pre_vote) {
        become_pre_candidate(ctx);
    } else {
        become_candidate(ctx, leadership_transfer);
    }
}

std::size_t Raft::votes_needed() const {
    // The vote-quorum-off-by-one bug: half of the voters, not a majority.
    if (options_.bugs.has(Bug::vote_quorum_off_by_one)) return std::max<std::size_t>(voters_.size() / 2, 1);
    return quorum();
}

bool Raft::may_campaign() const {
    return !vote_withheld_forever_ && (!repair_pending_ || options_.bugs.has(Bug::vote_with_damaged_log));
}

Nanos Raft::random_election_timeout(Context& ctx) {
    return ctx.random().between(options_.election_timeout_min, options_.election_timeout_max);
}

void Raft::reset_election_deadline(Context& ctx) {
    const Nanos now = ctx.now();
    election_deadline_ = now + random_election_timeout(ctx);
    // One timer at a time: when it fires early it re-arms for what is left.
    if (election_timer_ == 0) {
        election_timer_ = ctx.set_timer(election_deadline_ - now, raft_timer_base | election_timer);
    }
}

bool Raft::heard_from_leader_recently(Context& ctx) const {
    if (role_ == Role::leader) return true;
    return leader_.has_value() && last_leader_contact_ >= 0 &&
           ctx.now() - last_leader_contact_ < options_.election_timeout_min;
}

// ---------------------------------------------------------------------------
// Inputs.

void Raft::step(Context& ctx, const Envelope& envelope) {
    if (!begin(ctx)) return;
    const Message& message = *envelope.message;
    const NodeId from = envelope.from;
    if (const auto* request = message_as<AppendRequest>(message)) {
        if (options_.authenticate && !mac_valid(*request)) {
            // Altered in flight: it is not what the leader sent. Drop it; the
            // leader will resend what it really has.
            ctx.log(fmt::format("dropped an AppendEntries from {} whose MAC does not match", ctx.name_of(from)));
        } else if (observe_term(ctx, from, request->term, message)) {
            handle_append_request(ctx, from, *request);
        } else if (options_.bugs.has(Bug::stale_term_append) && request->term < hard_state_.term) {
            handle_append_request(ctx, from, *request);  // the bug: a deposed leader's append still counts
        }
    } else if (const auto* reply = message_as<AppendReply>(message)) {
        if (observe_term(ctx, from, reply->term, message)) handle_append_reply(ctx, from, *reply);
    } else if (const auto* vote_request = message_as<VoteRequest>(message)) {
        if (observe_term(ctx, from, vote_request->term, message)) handle_vote_request(ctx, from, *vote_request);
    } else if (const auto* vote_reply = message_as<VoteReply>(message)) {
        if (observe_term(ctx, from, vote_reply->term, message)) handle_vote_reply(ctx, from, *vote_reply);
    } else if (const auto* snapshot = message_as<SnapshotRequest>(message)) {
        if (observe_term(ctx, from, snapshot->term, message)) handle_snapshot_request(ctx, from, *snapshot);
    } else if (const auto* snapshot_reply = message_as<SnapshotReply>(message)) {
        if (observe_term(ctx, from, snapshot_reply->term, message)) {
            handle_snapshot_reply(ctx, from, *snapshot_reply);
        }
    } else if (const auto* timeout_now = message_as<TimeoutNow>(message)) {
        if (observe_term(ctx, from, timeout_now->term, message)) handle_timeout_now(ctx, from, *timeout_now);
    } else {
        FL_UNREACHABLE();
    }
    finish(ctx);
}

bool Raft::observe_term(Context& ctx, NodeId from, Term term, const Message& message) {
    const auto* vote_request = message_as<VoteRequest>(message);
    if (term > hard_state_.term) {
        if (vote_request != nullptr) {
            // CheckQuorum's other half: while we hear from a leader, a vote request
            // is a disruption, not an election (unless the leader asked for it).
            if (options_.check_quorum && !vote_request->leadership_transfer && heard_from_leader_recently(ctx)) {
                return false;
            }
            if (vote_request->pre_vote) return true;  // a pre-vote changes no term
            become_follower(ctx, term, std::nullopt);
            return true;
        }
        if (const auto* vote_reply = message_as<VoteReply>(message);
            vote_reply && vote_reply->pre_vote && vote_reply->granted) {
            return true;  // granted pre-votes carry the term we asked about
        }
        const bool from_leader = message_as<AppendRequest>(message) || message_as<SnapshotRequest>(message) ||
                                 message_as<TimeoutNow>(message);
        become_follower(ctx, term, from_leader ? std::optional<NodeId>(from) : std::nullopt);
        return true;
    }
    if (term < hard_state_.term) {
        // A stale leader or candidate: answer with our term so it steps down. This
        // matters with PreVote and CheckQuorum, where nothing else would tell it.
        if (message_as<AppendRequest>(message) || message_as<SnapshotRequest>(message)) {
            auto reply = std::make_shared<AppendReply>();
            reply->term = hard_state_.term;
            reply->last_log_index = log_.last_index();
            send(from, std::move(reply));
        } else if (vote_request != nullptr) {
            auto reply = std::make_shared<VoteReply>();
            reply->term = hard_state_.term;
            reply->pre_vote = vote_request->pre_vote;
            send(from, std::move(reply));
        }
        return false;
    }
    return true;
}

void Raft::handle_vote_request(Context& ctx, NodeId from, const VoteRequest& request) {
    // The vote-without-log-check bug skips the election restriction (§5.4.1).
    const bool log_ok = options_.bugs.has(Bug::vote_without_log_check) ||
                        log_.is_up_to_date(request.last_log_term, request.last_log_index);
    // The vote-with-damaged-log bug votes although the disk lost entries this
    // node may have acknowledged.
    const bool may_vote = !vote_withheld_forever_ &&
                          (!repair_pending_ || options_.bugs.has(Bug::vote_with_damaged_log)) && is_voter(from);
    bool granted = false;
    if (request.pre_vote) {
        // Thesis §9.6: grant only if we too have lost the leader, and the
        // candidate's log would win a real election.
        granted = request.term > hard_state_.term && log_ok && may_vote &&
                  (request.leadership_transfer || !heard_from_leader_recently(ctx));
    } else {
        FL_ASSERT_EQ(request.term, hard_state_.term);
        // The vote-twice bug forgets the vote already given in this term.
        const bool vote_free =
            !hard_state_.vote.has_value() || hard_state_.vote == from || options_.bugs.has(Bug::vote_twice);
        granted = vote_free && log_ok && may_vote;
        if (granted) {
            hard_state_.vote = from;
            persist_hard_state(ctx);
            // The vote-not-synced bug: the reply leaves before the vote (and
            // the term it came with) is synced, as if fsync were skipped.
            if (options_.bugs.has(Bug::vote_not_synced)) storage_dirty_ = false;
            // The no-timer-reset-on-vote bug lets the voter campaign against
            // the candidate it just voted for.
            if (!options_.bugs.has(Bug::no_timer_reset_on_vote)) reset_election_deadline(ctx);
        }
    }
    auto reply = std::make_shared<VoteReply>();
    reply->term = request.pre_vote && granted ? request.term : hard_state_.term;
    reply->granted = granted;
    reply->pre_vote = request.pre_vote;
    send(from, std::move(reply));
}

void Raft::handle_vote_reply(Context& ctx, NodeId from, const VoteReply& reply) {
    if (!reply.granted) return;
    // A pre-vote grant answers the question "could you win?", not "do you vote
    // for me?": a late one must not count in the election that follows (the
    // late-prevote-counts bug does not tell them apart).
    const bool as_pre_vote =
        reply.pre_vote && !(options_.bugs.has(Bug::late_prevote_counts) && role_ == Role::candidate);
    if (as_pre_vote) {
        if (role_ != Role::pre_candidate || reply.term != hard_state_.term.next()) return;
    } else {
        if (role_ != Role::candidate || reply.term != hard_state_.term) return;
    }
    if (std::find(votes_granted_.begin(), votes_granted_.end(), from) == votes_granted_.end()) {
        votes_granted_.push_back(from);
    }
    if (votes_granted_.size() < votes_needed()) return;
    if (as_pre_vote) {
        become_candidate(ctx, false);
    } else {
        become_leader(ctx);
    }
}

void Raft::handle_append_request(Context& ctx, NodeId from, const AppendRequest& request) {
    FL_ASSERT(request.term == hard_state_.term || options_.bugs.has(Bug::stale_term_append));
    if (role_ == Role::leader) {
        // Two leaders in one term: impossible in a correct Raft. The deliberate
        // bugs can cause it, and the election-safety invariant reports it.
        FL_ASSERT_MSG(impossible_tolerated(), "two leaders in one term");
        return;
    }
    if (role_ != Role::follower) become_follower(ctx, hard_state_.term, from);
    leader_ = from;
    last_leader_contact_ = ctx.now();
    reset_election_deadline(ctx);

    auto reply = std::make_shared<AppendReply>();
    reply->term = hard_state_.term;
    reply->heartbeat = request.heartbeat;
    reply->read_round = request.read_round;
    reply->log_damaged = repair_pending_;
    reply->hard_state_lost = vote_withheld_forever_;
    if (request.heartbeat) {
        answer_heartbeat(from, request, std::move(reply));
        return;
    }
    if (!log_matches_at(request, *reply)) {
        send(from, std::move(reply));
        return;
    }
    const bool dirty_before_entries = storage_dirty_;
    if (!append_entries(ctx, request)) return;  // halted
    // The ack-before-sync bug: the reply leaves before the entries are synced
    // (what else this input wrote, a new term, still is).
    if (options_.bugs.has(Bug::ack_before_sync)) storage_dirty_ = dirty_before_entries;
    const LogIndex covered = request.prev_index + request.entries.size();
    const LogIndex match = std::max(covered, log_.snapshot_index());
    const LogIndex offered = std::min(request.leader_commit, match);
    // The commit-regress bug takes the offer even when it is below what we had.
    commit_index_ = options_.bugs.has(Bug::commit_regress) ? offered : std::max(commit_index_, offered);
    // Repaired once we match a leader (of our recovery term or later) through
    // its last index: that log holds every entry we could have acknowledged
    // before the damage (leaders never truncate, and hold all committed entries).
    if (repair_pending_ && request.term >= repair_term_ && match >= request.leader_last_index) {
        mark_repaired(ctx);
        ctx.log(
            fmt::format("log repaired: matches leader {} through {}; voting again", ctx.name_of(from), match.value));
    }
    reply->success = true;
    reply->match_index = match;
    reply->last_log_index = log_.last_index();
    send(from, std::move(reply));
}

void Raft::answer_heartbeat(NodeId from, const AppendRequest& request, std::shared_ptr<AppendReply> reply) {
    // The leader caps a heartbeat's commit at what it knows we match. Not
    // after damage: recovery may have brought back entries we had truncated
    // (their truncation record was lost), so what the leader knows is stale
    // until an append's consistency check has verified the log again.
    if (!repair_pending_) {
        commit_index_ = std::max(commit_index_, std::min(request.leader_commit, log_.last_index()));
    }
    reply->success = true;
    reply->last_log_index = log_.last_index();
    send(from, std::move(reply));
}

bool Raft::log_matches_at(const AppendRequest& request, AppendReply& reply) const {
    if (request.prev_index < log_.snapshot_index()) return true;
    const std::optional<Term> prev_term = log_.term_at(request.prev_index);
    if (prev_term && *prev_term == request.prev_term) return true;
    reply.success = false;
    reply.rejected_index = request.prev_index;
    if (!prev_term) {
        reply.conflict_index = log_.last_index().next();
    } else {
        FL_ASSERT_GT(request.prev_index, log_.snapshot_index());  // snapshots hold committed entries
        reply.conflict_term = *prev_term;
        reply.conflict_index = log_.first_index_of_term_at(request.prev_index);
    }
    reply.last_log_index = log_.last_index();
    return false;
}

bool Raft::append_entries(Context& ctx, const AppendRequest& request) {
    // Entries at or below our snapshot are committed, hence identical: skip them.
    for (const LogEntry& entry : request.entries) {
        if (entry.index <= log_.snapshot_index()) continue;
        if (log_.has_entry(entry.index)) {
            // Never truncate a match (the truncate-on-match bug does: hashicorp/raft#113).
            if (log_.at(entry.index).term == entry.term && !options_.bugs.has(Bug::truncate_on_match)) continue;
            truncate_log(ctx, entry.index.prev());
        }
        FL_ASSERT_EQ(entry.index, log_.last_index().next());
        append_to_log(ctx, entry);
        if (halted_) return false;
    }
    return true;
}

void Raft::handle_append_reply(Context& ctx, NodeId from, const AppendReply& reply) {
    if (role_ != Role::leader || !is_voter(from)) return;
    Progress& progress = progress_[from.value];
    progress.untrusted = progress.untrusted || reply.hard_state_lost;
    progress.recently_active = true;
    progress.read_round_acked = std::max(progress.read_round_acked, reply.read_round);

    if (reply.heartbeat) {
        on_heartbeat_reply(ctx, from, progress, reply);
    } else if (reply.success) {
        on_append_accepted(ctx, from, progress, reply);
    } else {
        on_append_rejected(ctx, from, progress, reply);
    }
}

void Raft::on_heartbeat_reply(Context& ctx, NodeId from, Progress& progress, const AppendReply& reply) {
    if (progress.state == Progress::State::replicate) {
        if (reply.last_log_index >= progress.next_index.prev()) {
            // Everything we sent has arrived: if the window is still full, the
            // acknowledgements were lost. (Its last index is not a match: it
            // may end in stale entries, so match_index waits for a real ack.)
            progress.inflight = 0;
        } else if (ctx.now() - progress.append_sent_at >= options_.heartbeat_interval) {
            // Entries sent a heartbeat interval ago that it still lacks were
            // probably lost: start over from what it matches. (Sooner they may
            // be in flight, and resending would double the traffic.)
            progress.state = Progress::State::probe;
            progress.next_index = progress.match_index.next();
            progress.inflight = 0;
        }
    }
    progress.probe_sent = false;  // a lost probe is resent once per heartbeat
    if (progress.state == Progress::State::snapshot &&
        ctx.now() - progress.snapshot_sent_at > options_.election_timeout_min) {
        send_snapshot(ctx, from);  // the last one was lost
    } else if (progress.match_index < log_.last_index()) {
        send_append(ctx, from, false);
    }
}

void Raft::on_append_accepted(Context& ctx, NodeId from, Progress& progress, const AppendReply& reply) {
    LogIndex acknowledged = reply.match_index;
    // The match-from-sent bug takes what we have sent for what it acknowledges.
    if (options_.bugs.has(Bug::match_from_sent)) acknowledged = progress.next_index.prev();
    // An acknowledgement covers only what we sent. A follower that some bug
    // let commit and snapshot what we never had may claim more: it is caught
    // by the invariants, but must not send next_index past our log meanwhile.
    if (impossible_tolerated()) acknowledged = std::min(acknowledged, log_.last_index());
    FL_ASSERT_LE(acknowledged, log_.last_index());
    progress.match_index = std::max(progress.match_index, acknowledged);
    progress.next_index = std::max(progress.next_index, progress.match_index.next());
    if (progress.inflight > 0) --progress.inflight;
    progress.probe_sent = false;
    if (progress.state != Progress::State::replicate) {
        progress.state = Progress::State::replicate;
        progress.inflight = 0;
    }
    maybe_commit(ctx);
    maybe_finish_transfer(ctx, from);
    send_append(ctx, from, false);
}

void Raft::on_append_rejected(Context& ctx, NodeId from, Progress& progress, const AppendReply& reply) {
    if (reply.log_damaged) {
        // The follower's disk lost entries it acknowledged, or brought back
        // entries it had truncated: what we knew it matches may no longer hold,
        // and it must not be counted as holding what it rejects. (Without
        // damage a rejection at or below the match is only an old reply.)
        const LogIndex below_rejection = reply.rejected_index.value > 0 ? reply.rejected_index.prev() : LogIndex(0);
        const LogIndex still_matched = std::min({progress.match_index, reply.last_log_index, below_rejection});
        if (still_matched < progress.match_index) {
            ctx.log(fmt::format("{} lost acknowledged entries: match {} -> {}", ctx.name_of(from),
                                progress.match_index.value, still_matched.value));
            progress.match_index = still_matched;
        }
    } else if (reply.rejected_index <= progress.match_index) {
        return;  // a stale rejection: we know its log matches there
    }
    if (options_.bugs.has(Bug::match_from_rejection) && reply.conflict_index.value > 0) {
        // The bug: the hint ("my log ends, or its conflicting term begins,
        // here") counts as a match of everything before it (microsoft/CCF#5325).
        progress.match_index = std::max(progress.match_index, std::min(reply.conflict_index.prev(), log_.last_index()));
    }
    // Fast backtracking: skip the follower's whole conflicting term at once.
    LogIndex next = reply.conflict_index;
    if (reply.conflict_term.value != 0) {
        if (auto last_of_term = log_.last_index_of_term(reply.conflict_term)) next = last_of_term->next();
    }
    next = std::min(next, reply.rejected_index);
    next = std::max(next, progress.match_index.next());
    progress.next_index = next;
    progress.state = Progress::State::probe;
    progress.inflight = 0;
    progress.probe_sent = false;
    send_append(ctx, from, true);
}

void Raft::handle_snapshot_request(Context& ctx, NodeId from, const SnapshotRequest& request) {
    FL_ASSERT_EQ(request.term, hard_state_.term);
    if (role_ == Role::leader) {
        FL_ASSERT_MSG(impossible_tolerated(), "two leaders in one term");
        return;
    }
    if (role_ != Role::follower) become_follower(ctx, hard_state_.term, from);
    leader_ = from;
    last_leader_contact_ = ctx.now();
    reset_election_deadline(ctx);

    if (request.last_index > commit_index_) {
        if (log_.term_at(request.last_index) == request.last_term) {
            // Our log continues the snapshot: keep what follows it.
            log_.compact_through(request.last_index, request.last_term);
        } else {
            log_.reset(request.last_index, request.last_term);
            if (auto status = durable_.truncate_after(ctx.storage(), request.last_index); !status) {
                halt(ctx, "cannot reset the log: " + status.error().message);
                return;
            }
        }
        if (auto status = durable_.save_snapshot(ctx.storage(), request.last_index, request.last_term, request.data);
            !status) {
            halt(ctx, "cannot write the snapshot: " + status.error().message);
            return;
        }
        storage_dirty_ = true;
        snapshot_data_ = request.data;
        // Entries are handed out only after deciding: none can precede it.
        FL_ASSERT(ready_.committed.empty());
        ready_.snapshot = Snapshot{request.last_index, request.last_term, snapshot_data_};
        commit_index_ = std::max(commit_index_, request.last_index);
        last_applied_ = request.last_index;
        persisted_last_index_ = std::min(persisted_last_index_, log_.last_index());
        ctx.log(fmt::format("installed snapshot through {}", request.last_index.value));
        if (repair_pending_ && log_.last_term() > repair_term_) mark_repaired(ctx);
    }
    auto reply = std::make_shared<SnapshotReply>();
    reply->term = hard_state_.term;
    reply->last_index = request.last_index;
    reply->hard_state_lost = vote_withheld_forever_;
    send(from, std::move(reply));
}

void Raft::handle_snapshot_reply(Context& ctx, NodeId from, const SnapshotReply& reply) {
    if (role_ != Role::leader || !is_voter(from)) return;
    progress_[from.value].untrusted = progress_[from.value].untrusted || reply.hard_state_lost;
    Progress& progress = progress_[from.value];
    progress.recently_active = true;
    progress.match_index = std::max(progress.match_index, reply.last_index);
    progress.next_index = progress.match_index.next();
    progress.state = Progress::State::probe;
    progress.probe_sent = false;
    progress.inflight = 0;
    maybe_commit(ctx);
    send_append(ctx, from, false);
}

void Raft::handle_timeout_now(Context& ctx, NodeId from, const TimeoutNow& message) {
    FL_ASSERT_EQ(message.term, hard_state_.term);
    if (role_ == Role::leader || leader_ != from || !may_campaign()) return;
    ctx.log(fmt::format("term {}: leadership handed over by {}", hard_state_.term.value, ctx.name_of(from)));
    campaign(ctx, /*pre_vote=*/false, /*leadership_transfer=*/true);
}

void Raft::on_timer(Context& ctx, TimerId timer, std::uint64_t tag) {
    FL_ASSERT(is_raft_timer(tag));
    if (!begin(ctx)) return;
    switch (tag & 0xffffffffULL) {
        case election_timer:
            if (timer != election_timer_) break;
            election_timer_ = 0;
            if (role_ == Role::leader) break;  // leaders watch the quorum instead
            if (ctx.now() < election_deadline_) {
                election_timer_ = ctx.set_timer(election_deadline_ - ctx.now(), raft_timer_base | election_timer);
            } else if (may_campaign()) {
                campaign(ctx, options_.pre_vote, false);
            } else {
                reset_election_deadline(ctx);
            }
            break;
        case heartbeat_timer:
            if (timer != heartbeat_timer_) break;
            heartbeat_timer_ = 0;
            if (role_ != Role::leader) break;
            broadcast_heartbeat(ctx);
            if (options_.step_down_when_slow) notice_slowness(ctx);
            heartbeat_timer_ = ctx.set_timer(options_.heartbeat_interval, raft_timer_base | heartbeat_timer);
            heartbeat_due_ = ctx.now() + options_.heartbeat_interval;
            break;
        case quorum_timer:
            if (timer != quorum_timer_) break;
            quorum_timer_ = 0;
            if (role_ == Role::leader) check_quorum(ctx);
            break;
        case transfer_timer:
            if (timer != transfer_timer_) break;
            transfer_timer_ = 0;
            if (transfer_target_) {
                ctx.log(fmt::format("leadership transfer to {} timed out", ctx.name_of(*transfer_target_)));
                transfer_target_.reset();
                // Its TimeoutNow may still make voters skip their "heard from a
                // leader" rule: no lease from rounds sent before that is surely over.
                lease_rounds_from_ = ctx.now() + options_.election_timeout_max;
            }
            break;
        default:
            FL_UNREACHABLE();
    }
    finish(ctx);
}

// ---------------------------------------------------------------------------
// Client-facing.

std::optional<LogIndex> Raft::propose(Context& ctx, std::string command) {
    if (!begin(ctx)) return std::nullopt;
    std::optional<LogIndex> index;
    if (role_ == Role::leader && !transfer_target_) {
        index = log_.last_index().next();
        append_to_log(ctx, LogEntry{hard_state_.term, *index, EntryType::command, std::move(command)});
        broadcast_append(ctx);
    }
    finish(ctx);
    if (halted_) return std::nullopt;
    return index;
}

bool Raft::read_index(Context& ctx, std::uint64_t read_id) {
    if (!begin(ctx)) return false;
    const bool leader = role_ == Role::leader;
    if (leader) {
        pending_reads_.push_back(PendingRead{read_id, commit_index_, 0, false});
        // The round (or the lease) is chosen in advance_reads, once this term has
        // a committed entry: before that, our commit index may be stale (etcd#7331).
    }
    finish(ctx);
    return leader;
}

bool Raft::transfer_leadership(Context& ctx, NodeId target) {
    if (!begin(ctx)) return false;
    const bool possible = role_ == Role::leader && target != ctx.self() && is_voter(target) && !transfer_target_;
    if (possible) {
        ctx.log(fmt::format("term {}: handing leadership to {}", hard_state_.term.value, ctx.name_of(target)));
        start_transfer(ctx, target);
    }
    finish(ctx);
    return possible;
}

void Raft::start_transfer(Context& ctx, NodeId target) {
    FL_ASSERT_EQ(role_, Role::leader);
    FL_ASSERT(!transfer_target_);
    transfer_target_ = target;
    transfer_timer_ = ctx.set_timer(options_.election_timeout_min, raft_timer_base | transfer_timer);
    // A transfer's vote skips the voters' "heard from a leader recently" rule,
    // which is what a lease stands on: give the lease up now.
    lease_expiry_ = -1;
    rounds_sent_.clear();
    maybe_finish_transfer(ctx, target);
    send_append(ctx, target, false);
}

// ---------------------------------------------------------------------------
// Leader duties.

void Raft::send_append(Context& ctx, NodeId peer, bool allow_empty) {
    FL_ASSERT_EQ(role_, Role::leader);
    if (peer == ctx.self()) return;
    Progress& progress = progress_[peer.value];
    switch (progress.state) {
        case Progress::State::snapshot:
            return;
        case Progress::State::probe:
            if (progress.probe_sent) return;
            break;
        case Progress::State::replicate:
            if (!options_.flow_control) {
                progress.next_index = progress.match_index.next();  // resend all it lacks
            } else if (progress.inflight >= options_.inflight_appends_max) {
                return;
            }
            break;
    }
    if (progress.next_index <= log_.snapshot_index()) {
        send_snapshot(ctx, peer);
        return;
    }
    auto request = std::make_shared<AppendRequest>();
    request->term = hard_state_.term;
    request->prev_index = progress.next_index.prev();
    request->prev_term = *log_.term_at(request->prev_index);
    if (progress.next_index <= log_.last_index()) {
        request->entries = options_.flow_control
                               ? log_.slice(progress.next_index, options_.append_entries_max, options_.append_bytes_max)
                               : log_.slice(progress.next_index, UINT32_MAX, UINT32_MAX);
    }
    if (request->entries.empty() && !allow_empty) return;
    request->leader_commit = commit_index_;
    request->leader_last_index = log_.last_index();
    request->read_round = read_round_;
    if (options_.authenticate) request->mac = mac_of(*request);
    if (!request->entries.empty()) progress.append_sent_at = ctx.now();
    if (progress.state == Progress::State::probe) {
        progress.probe_sent = true;
    } else if (!request->entries.empty() && options_.flow_control) {
        progress.next_index = request->entries.back().index.next();
        ++progress.inflight;
    }
    send(peer, std::move(request));
}

void Raft::send_snapshot(Context& ctx, NodeId peer) {
    Progress& progress = progress_[peer.value];
    progress.state = Progress::State::snapshot;
    progress.pending_snapshot = log_.snapshot_index();
    progress.snapshot_sent_at = ctx.now();
    auto request = std::make_shared<SnapshotRequest>();
    request->term = hard_state_.term;
    request->last_index = log_.snapshot_index();
    request->last_term = log_.snapshot_term();
    request->data = snapshot_data_;
    ctx.log(fmt::format("sending snapshot through {} to {}", request->last_index.value, ctx.name_of(peer)));
    send(peer, std::move(request));
}

void Raft::broadcast_append(Context& ctx) {
    for (NodeId peer : voters_) send_append(ctx, peer, true);
}

void Raft::broadcast_heartbeat(Context& ctx) {
    FL_ASSERT_EQ(role_, Role::leader);
    ++read_round_;
    if (options_.lease_reads && !transfer_target_ && ctx.now() >= lease_rounds_from_) {
        rounds_sent_.emplace_back(read_round_, ctx.now());
        // The lease-renewed-on-send bug renews the lease before any voter has
        // promised anything: an isolated leader keeps it.
        if (options_.bugs.has(Bug::lease_renewed_on_send)) {
            lease_expiry_ = std::max(lease_expiry_, ctx.now() + lease_length());
        }
    }
    for (NodeId peer : voters_) {
        if (peer == ctx.self()) continue;
        auto heartbeat = std::make_shared<AppendRequest>();
        heartbeat->heartbeat = true;
        heartbeat->term = hard_state_.term;
        // Capped at what the follower is known to match: beyond it, its log may
        // hold stale entries (the heartbeat-commit-uncapped bug sends it all).
        heartbeat->leader_commit = options_.bugs.has(Bug::heartbeat_commit_uncapped)
                                       ? commit_index_
                                       : std::min(progress_[peer.value].match_index, commit_index_);
        heartbeat->read_round = read_round_;
        if (options_.authenticate) heartbeat->mac = mac_of(*heartbeat);
        send(peer, std::move(heartbeat));
    }
}

void Raft::maybe_commit(Context& ctx) {
    FL_ASSERT_EQ(role_, Role::leader);
    // The quorum()-th highest match index is on a majority.
    std::vector<LogIndex>& matches = scratch_indexes_;
    matches.clear();
    for (NodeId peer : voters_) {
        if (peer == ctx.self()) {
            matches.push_back(self_match());
        } else {
            const Progress& progress = progress_[peer.value];
            matches.push_back(progress.untrusted ? LogIndex(0) : progress.match_index);
        }
    }
    // The commit-quorum-off-by-one bug counts one replica short of a majority.
    const std::size_t replicas =
        options_.bugs.has(Bug::commit_quorum_off_by_one) && quorum() > 1 ? quorum() - 1 : quorum();
    std::nth_element(matches.begin(), matches.begin() + static_cast<std::ptrdiff_t>(replicas - 1), matches.end(),
                     std::greater<>());
    const LogIndex majority_match = matches[replicas - 1];
    if (majority_match <= commit_index_) return;
    // §5.4.2: only entries of the current term are committed by counting replicas.
    const bool own_term = log_.term_at(majority_match) == hard_state_.term;
    if (!own_term && !options_.bugs.has(Bug::commit_old_term)) return;
    commit_index_ = majority_match;
}

void Raft::check_quorum(Context& ctx) {
    std::size_t active = 0;
    for (NodeId peer : voters_) {
        if (peer == ctx.self() || (progress_[peer.value].recently_active && !progress_[peer.value].untrusted)) {
            ++active;
        }
        progress_[peer.value].recently_active = false;
    }
    if (active < quorum()) {
        ctx.log(fmt::format("term {}: heard from only {} of {} voters: stepping down", hard_state_.term.value, active,
                            voters_.size()));
        become_follower(ctx, hard_state_.term, std::nullopt);
        return;
    }
    quorum_timer_ = ctx.set_timer(options_.election_timeout_min, raft_timer_base | quorum_timer);
}

void Raft::notice_slowness(Context& ctx) {
    const Nanos lag = ctx.now() - heartbeat_due_;
    late_heartbeats_ = lag > options_.heartbeat_interval / 2 ? late_heartbeats_ + 1 : 0;
    if (late_heartbeats_ < 3 || transfer_target_) return;
    // The follower that has the most of our log takes over soonest.
    std::optional<NodeId> best;
    for (NodeId peer : voters_) {
        if (peer == ctx.self() || progress_[peer.value].untrusted) continue;  // it may not campaign
        if (!best || progress_[peer.value].match_index > progress_[best->value].match_index) best = peer;
    }
    if (!best) return;
    ctx.log(fmt::format("term {}: my timers run {} late: handing leadership to {}", hard_state_.term.value,
                        format_duration(lag), ctx.name_of(*best)));
    late_heartbeats_ = 0;
    start_transfer(ctx, *best);
}

void Raft::maybe_finish_transfer(Context& ctx, NodeId peer) {
    if (!transfer_target_ || *transfer_target_ != peer) return;
    if (progress_[peer.value].match_index < log_.last_index()) return;
    auto message = std::make_shared<TimeoutNow>();
    message->term = hard_state_.term;
    send(peer, std::move(message));
    (void)ctx;
}

void Raft::start_read_round(Context& ctx) {
    broadcast_heartbeat(ctx);
}

Nanos Raft::lease_length() const {
    // The lease-no-drift bug leaves out the drift bound.
    const double bound = options_.bugs.has(Bug::lease_no_drift) ? 0.0 : options_.clock_drift_bound;
    return static_cast<Nanos>(static_cast<double>(options_.election_timeout_min) * (1.0 - bound));
}

bool Raft::lease_valid(Context& ctx) const {
    // A lease means no other leader can be elected before it expires. That holds
    // only if voters refuse to elect while they hear from us: CheckQuorum's vote
    // stickiness or PreVote's "heard from a leader recently" rule.
    if (!options_.lease_reads || !(options_.check_quorum || options_.pre_vote)) return false;
    if (transfer_target_) return false;  // see start_transfer
    return lease_expiry_ >= 0 && ctx.now() < lease_expiry_;
}

std::uint64_t Raft::majority_acked_round(Context& ctx) {
    std::vector<std::uint64_t>& acked = scratch_rounds_;
    acked.clear();
    for (NodeId peer : voters_) {
        const Progress& progress = progress_[peer.value];
        acked.push_back(peer == ctx.self() ? read_round_ : progress.untrusted ? 0 : progress.read_round_acked);
    }
    std::nth_element(acked.begin(), acked.begin() + static_cast<std::ptrdiff_t>(quorum() - 1), acked.end(),
                     std::greater<>());
    return acked[quorum() - 1];
}

void Raft::advance_reads(Context& ctx) {
    if (role_ != Role::leader) return;
    if (pending_reads_.empty() && !options_.lease_reads) return;
    // Renew the lease from the newest round a majority acknowledged: no voter
    // that acknowledged it elects anyone for election_timeout_min after.
    const std::uint64_t acked_before = majority_acked_round(ctx);
    while (!rounds_sent_.empty() && rounds_sent_.front().first <= acked_before) {
        if (rounds_sent_.front().first == acked_before) {
            lease_expiry_ = std::max(lease_expiry_, rounds_sent_.front().second + lease_length());
        }
        rounds_sent_.pop_front();
    }

    // Reads wait for a committed entry of this term (before that our commit
    // index may be behind the last leader's). Then each needs a heartbeat round
    // started after it arrived, or a valid lease.
    // (The read-before-term-commit bug does not wait.)
    const bool committed_in_term =
        log_.term_at(commit_index_) == hard_state_.term || options_.bugs.has(Bug::read_before_term_commit);
    bool need_round = false;
    for (PendingRead& read : pending_reads_) {
        if (read.round != 0 || read.confirmed || !committed_in_term) continue;
        read.read_index = commit_index_;
        if (lease_valid(ctx) || options_.bugs.has(Bug::read_index_no_round)) {
            read.confirmed = true;  // (the read-index-no-round bug confirms nothing)
        } else {
            read.round = read_round_ + 1;
            need_round = true;
        }
    }
    if (need_round) start_read_round(ctx);

    const std::uint64_t acked = majority_acked_round(ctx);
    std::vector<PendingRead> waiting;
    for (PendingRead& read : pending_reads_) {
        if (read.round != 0 && read.round <= acked) read.confirmed = true;
        if (read.confirmed && last_applied_ >= read.read_index) {
            ready_.reads_ready.push_back(read.id);
        } else {
            waiting.push_back(read);
        }
    }
    pending_reads_ = std::move(waiting);
}

void Raft::fail_reads() {
    for (const PendingRead& read : pending_reads_) ready_.reads_failed.push_back(read.id);
    pending_reads_.clear();
}

// ---------------------------------------------------------------------------
// Local state machine.

void Raft::hand_out_committed() {
    FL_ASSERT_LE(commit_index_, log_.last_index());
    FL_ASSERT(ready_.committed.empty());
    // The apply-beyond-commit bug: a follower applies whatever it holds.
    const LogIndex apply_through =
        options_.bugs.has(Bug::apply_beyond_commit) && role_ != Role::leader ? log_.last_index() : commit_index_;
    while (last_applied_ < apply_through) {
        last_applied_ = last_applied_.next();
        ready_.committed.push_back(std::cref(log_.at(last_applied_)));
        FL_ASSERT_EQ(ready_.committed.back().get().index, last_applied_);
    }
}

void Raft::maybe_want_snapshot() {
    FL_ASSERT(!snapshot_wanted_at_);
    if (options_.snapshot_interval_entries == 0) return;
    if (last_applied_.value - log_.snapshot_index().value < options_.snapshot_interval_entries) return;
    snapshot_wanted_at_ = last_applied_;
    ready_.snapshot_wanted_at = last_applied_;
}

}  // namespace faultline::protocols::raft
