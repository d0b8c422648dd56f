// PbftReplica: a replica of PBFT (Castro and Liskov, OSDI 1999) serving the
// lin-kv service of protocols/kv. docs/pbft.md sets the paper's rules beside
// the functions below.
//
// n = 3f + 1 replicas (n is the cluster size, f = (n - 1) / 3); a quorum is
// 2f + 1 (2f under the quorum-2f bug; for other n, see quorum()). The primary of view v is replica v mod n.
//
// Normal case: a client sends its signed request to any replica, which relays
// it to all. The primary assigns it a sequence number n within the watermarks
// (h, h + L] and multicasts a pre-prepare; a backup that accepts it multicasts
// a prepare. Prepared = the pre-prepare + 2f matching prepares from distinct
// backups; then a commit. Committed-local = prepared + 2f + 1 matching commits.
// Requests execute in sequence order, every replica replies to the client, and
// the client accepts f + 1 matching replies (systems/pbft_kv.cc).
//
// Checkpoints: every K executed sequence numbers a replica multicasts the
// digest of its state; 2f + 1 matching make it stable, which moves the low
// watermark h and discards every log entry, prepared certificate and older
// checkpoint at or below it. The log never holds more than L entries. A replica
// whose stable checkpoint is ahead of its execution fetches the state.
//
// View change: a backup that waits too long for a request it knows of to
// execute moves to view v + 1 and multicasts a view-change with its stable
// checkpoint's proof and its prepared certificates. The new primary collects
// 2f + 1 and multicasts a new-view with them (V) and the pre-prepares it
// re-issues (O: for each sequence number between the highest stable checkpoint
// in V and the highest prepared one, the request prepared in the highest view,
// else a null request). Backups recompute O from V and accept only a match.
// A replica that sees f + 1 view-changes for later views joins the smallest;
// once 2f + 1 view-changes for its view are in, it waits for the new-view,
// and each failed view change doubles that wait (up to 8x); without them it
// waits the longest before it moves on.
//
// Durability: the view a replica enters and each prepared certificate are
// synced before it acts on them, so that a replica restarted after a crash
// never votes twice in one view (it moves to the next view) and still offers
// its certificates in view changes. The service state is synced at each
// checkpoint (before the checkpoint message) and at the stable one; a
// restarted replica resumes from its latest and catches up from there.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "base/time.h"
#include "node/node.h"
#include "protocols/kv/kv_store.h"
#include "protocols/pbft/messages.h"

namespace faultline::protocols::pbft {

struct PbftOptions {
    Seq checkpoint_interval = 16;  // K
    Seq log_window = 64;           // L, a multiple of K, at least 2K
    Nanos view_change_timeout = milliseconds(500);
    Nanos status_interval = milliseconds(150);
    // The bug: quorums of 2f instead of 2f + 1 (two quorums may then share
    // only a Byzantine replica).
    bool quorum_2f = false;
};

class PbftReplica final : public Node {
  public:
    explicit PbftReplica(PbftOptions options);

    void start(Context& ctx) override;
    void recover(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    // The god's view (checks, tests, the Byzantine wrapper).
    View view() const { return view_; }
    bool in_view_change() const { return in_view_change_; }
    std::uint32_t primary_of(View view) const { return static_cast<std::uint32_t>(view % n_); }
    std::uint32_t index() const { return index_; }
    Seq executed() const { return executed_; }
    Seq stable() const { return stable_; }
    std::size_t log_size() const { return log_.size(); }
    const kv::KvStore& store() const { return store_; }
    // Every (sequence number, request digest) this replica executed, in order
    // (a state transfer skips the numbers it covers).
    const std::vector<std::pair<Seq, Digest>>& executed_log() const { return executed_log_; }
    // 2f + 1 when n = 3f + 1; in general the smallest size any two of which
    // share f + 1 replicas, ceil((n + f + 1) / 2). One less under the bug.
    std::size_t quorum() const {
        const std::size_t q = (n_ + f_ + 2) / 2;
        return options_.quorum_2f ? q - 1 : q;
    }
    std::size_t f() const { return f_; }

  private:
    enum TimerTag : std::uint64_t { view_change_tag = 1, status_tag = 2 };

    struct Entry {
        std::shared_ptr<const PrePrepare> pre_prepare;
        std::map<std::uint32_t, std::shared_ptr<const Vote>> prepares;
        std::map<std::uint32_t, std::shared_ptr<const Vote>> commits;
        bool prepared = false;
        bool committed = false;
    };

    void boot(Context& ctx);
    bool is_primary() const { return primary_of(view_) == index_; }
    bool in_window(Seq seq) const { return seq > stable_ && seq <= stable_ + options_.log_window; }
    void multicast(Context& ctx, const MessagePtr& message);

    // Normal case.
    void on_request(Context& ctx, const ClientRequest& request);
    void order(Context& ctx, const ClientRequest& request);
    void order_queued(Context& ctx);
    void on_pre_prepare(Context& ctx, const std::shared_ptr<const PrePrepare>& pre_prepare);
    void accept_pre_prepare(Context& ctx, const std::shared_ptr<const PrePrepare>& pre_prepare);
    void on_vote(Context& ctx, const std::shared_ptr<const Vote>& vote);
    void send_vote(Context& ctx, Vote::Kind kind, Seq seq, Digest digest);
    void check_prepared(Context& ctx, Seq seq);
    void check_committed(Context& ctx, Seq seq);
    void execute_ready(Context& ctx);
    void execute(Context& ctx, const PrePrepare& pre_prepare);
    bool already_executed(const ClientRequest& request) const;

    // Checkpoints and state transfer.
    void take_checkpoint(Context& ctx);
    void on_checkpoint(Context& ctx, const std::shared_ptr<const Checkpoint>& checkpoint);
    void make_stable(Context& ctx, Seq seq, Digest digest, std::vector<std::shared_ptr<const Checkpoint>> proof);
    void fetch_state(Context& ctx);
    void on_state(Context& ctx, const StateReply& reply);
    bool valid_checkpoint_proof(Seq seq, Digest digest,
                                const std::vector<std::shared_ptr<const Checkpoint>>& proof) const;

    // View change.
    void start_view_change(Context& ctx, View view);
    void on_view_change(Context& ctx, const std::shared_ptr<const ViewChange>& change);
    bool valid_view_change(const ViewChange& change) const;
    void try_new_view(Context& ctx);
    // O from V, signed by this replica when `sign` (the new primary).
    std::vector<std::shared_ptr<const PrePrepare>> compute_o(
        View view, const std::vector<std::shared_ptr<const ViewChange>>& changes, bool sign) const;
    void on_new_view(Context& ctx, const std::shared_ptr<const NewView>& new_view);
    void enter_view(Context& ctx, const std::shared_ptr<const NewView>& new_view);
    void arm_view_change_timer(Context& ctx);
    void arm_view_change_retry(Context& ctx);
    void on_status(Context& ctx, NodeId from, const Status& status);

    // Durability.
    void persist_view(Context& ctx);
    void persist_prepared(Context& ctx, const PreparedProof& proof);
    void rewrite_disk(Context& ctx);
    void append_record(Context& ctx, std::string record);
    static void write_state(Context& ctx, std::string_view file, Seq seq, std::string_view state);
    static bool read_state(Context& ctx, std::string_view file, Seq& seq, std::string& state);

    PbftOptions options_;
    std::uint32_t index_ = 0;
    std::size_t n_ = 1;
    std::size_t f_ = 0;
    std::vector<NodeId> replicas_;

    View view_ = 0;
    bool in_view_change_ = false;
    int view_change_attempts_ = 0;
    TimerId view_change_timer_ = 0;
    bool view_change_timer_armed_ = false;
    bool retry_has_quorum_ = false;  // the view-change retry timer runs with 2f + 1 in

    std::map<Seq, Entry> log_;
    std::map<Seq, PreparedProof> prepared_;    // the highest-view certificate per number above h
    std::set<Digest> ordered_;                 // requests with a pre-prepare in this view
    std::deque<ClientRequest> queue_;          // the primary's requests beyond the high watermark
    Seq next_seq_ = 1;                         // the primary's next number
    std::map<Digest, ClientRequest> waiting_;  // requests known here and not yet executed

    Seq executed_ = 0;
    Seq stable_ = 0;
    Digest stable_digest_ = 0;
    std::vector<std::shared_ptr<const Checkpoint>> stable_proof_;
    std::map<Seq, std::map<std::uint32_t, std::shared_ptr<const Checkpoint>>> checkpoints_;
    std::map<Seq, std::string> snapshots_;  // own states at checkpoints not yet discarded
    std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> last_executed_;  // client -> (sequence, msg_id)

    std::map<View, std::map<std::uint32_t, std::shared_ptr<const ViewChange>>> view_changes_;
    std::shared_ptr<const NewView> new_view_;  // of the current view (relayed to laggards)

    kv::KvStore store_;
    std::vector<std::pair<Seq, Digest>> executed_log_;
    std::uint64_t disk_bytes_ = 0;
};

}  // namespace faultline::protocols::pbft
