#include "protocols/pbft/replica.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/assert.h"
#include "base/coding.h"
#include "base/hash.h"
#include "protocols/kv/messages.h"

namespace faultline::protocols::pbft {

namespace {

constexpr std::string_view kDiskFile = "pbft";
constexpr std::uint8_t kViewRecord = 1;
constexpr std::uint8_t kPreparedRecord = 2;
constexpr std::uint8_t kCheckpointRecord = 3;
// The service state at the replica's latest checkpoint and at its stable one:
// each is (seq, state), written whole and synced.
constexpr std::string_view kLatestStateFile = "pbft-state-latest";
constexpr std::string_view kStableStateFile = "pbft-state-stable";

std::string framed(std::string_view payload) {
    std::string record;
    put_u32(record, static_cast<std::uint32_t>(payload.size()));
    put_u64(record, hash_string(payload));
    record.append(payload);
    return record;
}

void put_string(std::string& out, std::string_view bytes) {
    put_u32(out, static_cast<std::uint32_t>(bytes.size()));
    out.append(bytes);
}

bool take_string(std::string_view& in, std::string& out) {
    std::uint32_t size = 0;
    if (!take_u32(in, size) || in.size() < size) return false;
    out.assign(in.substr(0, size));
    in.remove_prefix(size);
    return true;
}

void put_proof(std::string& out, const PreparedProof& proof) {
    const PrePrepare& pp = *proof.pre_prepare;
    put_u64(out, pp.view);
    put_u64(out, pp.seq);
    put_u64(out, pp.request_digest);
    put_u32(out, pp.replica);
    put_u64(out, pp.signature);
    put_u8(out, pp.request ? 1 : 0);
    if (pp.request) {
        put_string(out, pp.request->command.encode());
        put_u64(out, pp.request->msg_id);
        put_u64(out, pp.request->signature);
    }
    put_u32(out, static_cast<std::uint32_t>(proof.prepares.size()));
    for (const auto& prepare : proof.prepares) {
        put_u32(out, prepare->replica);
        put_u64(out, prepare->view);
        put_u64(out, prepare->seq);
        put_u64(out, prepare->request_digest);
        put_u64(out, prepare->signature);
    }
}

bool take_proof(std::string_view& in, PreparedProof& proof) {
    auto pp = std::make_shared<PrePrepare>();
    std::uint8_t has_request = 0;
    if (!take_u64(in, pp->view) || !take_u64(in, pp->seq) || !take_u64(in, pp->request_digest) ||
        !take_u32(in, pp->replica) || !take_u64(in, pp->signature) || !take_u8(in, has_request)) {
        return false;
    }
    if (has_request != 0) {
        std::string command;
        ClientRequest request;
        if (!take_string(in, command) || !take_u64(in, request.msg_id) || !take_u64(in, request.signature)) {
            return false;
        }
        auto decoded = kv::KvCommand::decode(command);
        if (!decoded) return false;
        request.command = *decoded;
        pp->request = request;
    }
    std::uint32_t count = 0;
    if (!take_u32(in, count)) return false;
    proof.prepares.clear();
    for (std::uint32_t i = 0; i < count; ++i) {
        auto vote = std::make_shared<Vote>();
        if (!take_u32(in, vote->replica) || !take_u64(in, vote->view) || !take_u64(in, vote->seq) ||
            !take_u64(in, vote->request_digest) || !take_u64(in, vote->signature)) {
            return false;
        }
        proof.prepares.push_back(std::move(vote));
    }
    proof.pre_prepare = std::move(pp);
    return true;
}

}  // namespace

PbftReplica::PbftReplica(PbftOptions options) : options_(options) {
    FL_ASSERT_GE(options_.checkpoint_interval, 1u);
    FL_ASSERT_GE(options_.log_window, 2 * options_.checkpoint_interval);
    FL_ASSERT_EQ(options_.log_window % options_.checkpoint_interval, 0u);
}

void PbftReplica::boot(Context& ctx) {
    const auto cluster = ctx.cluster();
    replicas_.assign(cluster.begin(), cluster.end());
    n_ = replicas_.size();
    f_ = (n_ - 1) / 3;
    const auto self = std::find(replicas_.begin(), replicas_.end(), ctx.self());
    FL_ASSERT(self != replicas_.end());
    index_ = static_cast<std::uint32_t>(self - replicas_.begin());
    ctx.set_timer(options_.status_interval, status_tag);
}

void PbftReplica::start(Context& ctx) {
    boot(ctx);
    persist_view(ctx);
}

void PbftReplica::recover(Context& ctx) {
    boot(ctx);
    // Read back the view and the prepared certificates; a damaged tail (a torn
    // last write) ends the log there, as it was never acknowledged to anyone.
    View view = 0;
    if (auto bytes = ctx.storage().read(kDiskFile)) {
        std::string_view in = *bytes;
        while (!in.empty()) {
            std::uint32_t size = 0;
            std::uint64_t checksum = 0;
            std::string_view record_start = in;
            if (!take_u32(in, size) || !take_u64(in, checksum) || in.size() < size) break;
            std::string_view payload = in.substr(0, size);
            if (hash_string(payload) != checksum) break;
            in.remove_prefix(size);
            std::uint8_t kind = 0;
            if (!take_u8(payload, kind)) break;
            if (kind == kViewRecord) {
                View recorded = 0;
                if (!take_u64(payload, recorded)) break;
                view = std::max(view, recorded);
            } else if (kind == kPreparedRecord) {
                PreparedProof proof;
                if (!take_proof(payload, proof)) break;
                auto& slot = prepared_[proof.pre_prepare->seq];
                if (!slot.pre_prepare || slot.pre_prepare->view < proof.pre_prepare->view) slot = proof;
            } else if (kind == kCheckpointRecord) {
                Seq seq = 0;
                Digest digest = 0;
                std::uint32_t count = 0;
                if (!take_u64(payload, seq) || !take_u64(payload, digest) || !take_u32(payload, count)) break;
                std::vector<std::shared_ptr<const Checkpoint>> proof;
                bool whole = true;
                for (std::uint32_t i = 0; i < count && whole; ++i) {
                    auto checkpoint = std::make_shared<Checkpoint>();
                    checkpoint->seq = seq;
                    checkpoint->state_digest = digest;
                    whole = take_u32(payload, checkpoint->replica) && take_u64(payload, checkpoint->signature);
                    proof.push_back(std::move(checkpoint));
                }
                if (!whole || !valid_checkpoint_proof(seq, digest, proof)) break;
                stable_ = seq;
                stable_digest_ = digest;
                stable_proof_ = std::move(proof);
            }
            disk_bytes_ += record_start.size() - in.size();
        }
    }
    view_ = view;
    prepared_.erase(prepared_.begin(), prepared_.upper_bound(stable_));
    // The states it checkpointed: the stable one, to serve others, and the
    // latest, which it executed (so committed) and resumes from.
    for (std::string_view file : {kStableStateFile, kLatestStateFile}) {
        Seq seq = 0;
        std::string state;
        if (!read_state(ctx, file, seq, state) || seq < stable_) continue;
        if (seq == stable_ && state_digest(state) != stable_digest_) continue;
        kv::KvStore restored;
        if (!restored.restore(state)) continue;
        if (seq >= executed_) {
            store_ = std::move(restored);
            executed_ = seq;
        }
        snapshots_[seq] = std::move(state);
    }
    // Its checkpoint messages above the stable one were lost with its memory:
    // it vouches for those states again (statuses carry them to the others).
    for (const auto& [seq, state] : snapshots_) {
        if (seq <= stable_) continue;
        auto checkpoint = std::make_shared<Checkpoint>();
        checkpoint->replica = index_;
        checkpoint->seq = seq;
        checkpoint->state_digest = state_digest(state);
        checkpoint->sign();
        checkpoints_[seq][index_] = checkpoint;
    }
    // Its state comes back from the stable checkpoint (the status timer fetches it).
    // It may have voted in `view` before the crash and forgot how: it never
    // votes there again.
    start_view_change(ctx, view_ + 1);
}

void PbftReplica::multicast(Context& ctx, const MessagePtr& message) {
    for (NodeId replica : replicas_) {
        if (replica != ctx.self()) ctx.send(replica, message);
    }
}

void PbftReplica::on_message(Context& ctx, const Envelope& envelope) {
    const Message& message = *envelope.message;
    const auto from_replica = std::find(replicas_.begin(), replicas_.end(), envelope.from) != replicas_.end();
    if (const auto* request = message_as<RequestMessage>(message)) {
        if (!request->request.verify()) return;  // altered in flight, or not the client's
        auto forward = std::make_shared<Forward>();
        forward->request = request->request;
        multicast(ctx, forward);
        on_request(ctx, request->request);
        return;
    }
    if (!from_replica) return;
    if (const auto* forward = message_as<Forward>(message)) {
        if (forward->request.verify()) on_request(ctx, forward->request);
        return;
    }
    if (const auto* status = message_as<Status>(message)) {
        if (status->verify() && replicas_[status->replica % n_] == envelope.from)
            on_status(ctx, envelope.from, *status);
        return;
    }
    if (const auto* fetch = message_as<FetchState>(message)) {
        auto snapshot = snapshots_.find(fetch->seq);
        if (snapshot == snapshots_.end()) return;
        auto reply = std::make_shared<StateReply>();
        reply->seq = fetch->seq;
        reply->state = snapshot->second;
        ctx.send(envelope.from, std::move(reply));
        return;
    }
    if (const auto* state = message_as<StateReply>(message)) {
        on_state(ctx, *state);
        return;
    }
    // Signed protocol messages may be relayed (a laggard's catch-up), so the
    // signature, not the envelope, says who sent them.
    const auto* signed_message = dynamic_cast<const Signed*>(&message);
    if (signed_message == nullptr || signed_message->replica >= n_ || !signed_message->verify()) return;
    if (message_as<PrePrepare>(message) != nullptr) {
        on_pre_prepare(ctx, std::static_pointer_cast<const PrePrepare>(envelope.message));
    } else if (message_as<Vote>(message) != nullptr) {
        on_vote(ctx, std::static_pointer_cast<const Vote>(envelope.message));
    } else if (message_as<Checkpoint>(message) != nullptr) {
        on_checkpoint(ctx, std::static_pointer_cast<const Checkpoint>(envelope.message));
    } else if (message_as<ViewChange>(message) != nullptr) {
        on_view_change(ctx, std::static_pointer_cast<const ViewChange>(envelope.message));
    } else if (message_as<NewView>(message) != nullptr) {
        on_new_view(ctx, std::static_pointer_cast<const NewView>(envelope.message));
    }
}

void PbftReplica::on_timer(Context& ctx, TimerId timer, std::uint64_t tag) {
    if (tag == status_tag) {
        auto status = std::make_shared<Status>();
        status->replica = index_;
        status->view = view_;
        status->in_view_change = in_view_change_;
        status->stable_seq = stable_;
        status->executed = executed_;
        status->sign();
        multicast(ctx, status);
        if (executed_ < stable_) fetch_state(ctx);
        ctx.set_timer(options_.status_interval, status_tag);
        return;
    }
    if (tag == view_change_tag && view_change_timer_armed_ && timer == view_change_timer_) {
        view_change_timer_armed_ = false;
        start_view_change(ctx, view_ + 1);
    }
}

// ---- normal case -----------------------------------------------------------

bool PbftReplica::already_executed(const ClientRequest& request) const {
    auto last = last_executed_.find(request.command.client);
    if (last == last_executed_.end()) return false;
    const auto [sequence, msg_id] = last->second;
    return request.command.sequence < sequence || (request.command.sequence == sequence && request.msg_id == msg_id);
}

void PbftReplica::on_request(Context& ctx, const ClientRequest& request) {
    FL_ASSERT(request.verify());
    if (already_executed(request)) return;
    const Digest digest = request.digest();
    waiting_.emplace(digest, request);
    if (in_view_change_) return;
    if (is_primary()) {
        order(ctx, request);
    } else {
        arm_view_change_timer(ctx);
    }
}

void PbftReplica::order(Context& ctx, const ClientRequest& request) {
    FL_ASSERT(is_primary() && !in_view_change_);
    const Digest digest = request.digest();
    if (ordered_.contains(digest)) return;
    // A number this view already used (its pre-prepare came back from a peer
    // after this replica lost its disk) is never used twice.
    for (auto used = log_.find(next_seq_); used != log_.end() && used->second.pre_prepare;
         used = log_.find(next_seq_)) {
        ++next_seq_;
    }
    if (!in_window(next_seq_)) {
        if (std::none_of(queue_.begin(), queue_.end(), [&](const ClientRequest& r) { return r.digest() == digest; })) {
            queue_.push_back(request);
        }
        return;
    }
    auto pp = std::make_shared<PrePrepare>();
    pp->replica = index_;
    pp->view = view_;
    pp->seq = next_seq_++;
    pp->request_digest = digest;
    pp->request = request;
    pp->sign();
    accept_pre_prepare(ctx, pp);
    multicast(ctx, pp);
}

void PbftReplica::order_queued(Context& ctx) {
    if (!is_primary() || in_view_change_) return;
    while (!queue_.empty() && in_window(next_seq_)) {
        const ClientRequest request = queue_.front();
        queue_.pop_front();
        if (!already_executed(request)) order(ctx, request);
    }
}

void PbftReplica::on_pre_prepare(Context& ctx, const std::shared_ptr<const PrePrepare>& pp) {
    if (in_view_change_ || pp->view != view_ || pp->replica != primary_of(view_) || !in_window(pp->seq)) return;
    if (!pp->well_formed()) return;
    Entry& entry = log_[pp->seq];
    // Never a second digest for one (v, n): that is what an equivocating
    // primary would need.
    if (entry.pre_prepare) return;
    accept_pre_prepare(ctx, pp);
}

void PbftReplica::accept_pre_prepare(Context& ctx, const std::shared_ptr<const PrePrepare>& pp) {
    FL_ASSERT_EQ(pp->view, view_);
    FL_ASSERT(in_window(pp->seq));
    Entry& entry = log_[pp->seq];
    FL_ASSERT(!entry.pre_prepare);
    entry.pre_prepare = pp;
    ordered_.insert(pp->request_digest);
    if (pp->request && !already_executed(*pp->request)) waiting_.emplace(pp->request_digest, *pp->request);
    FL_ASSERT_LE(log_.size(), options_.log_window);
    if (!is_primary()) {
        send_vote(ctx, Vote::Kind::prepare, pp->seq, pp->request_digest);
        arm_view_change_timer(ctx);
    }
    check_prepared(ctx, pp->seq);
}

void PbftReplica::send_vote(Context& ctx, Vote::Kind kind, Seq seq, Digest digest) {
    auto vote = std::make_shared<Vote>();
    vote->kind = kind;
    vote->replica = index_;
    vote->view = view_;
    vote->seq = seq;
    vote->request_digest = digest;
    vote->sign();
    Entry& entry = log_[seq];
    (kind == Vote::Kind::prepare ? entry.prepares : entry.commits)[index_] = vote;
    multicast(ctx, vote);
}

void PbftReplica::on_vote(Context& ctx, const std::shared_ptr<const Vote>& vote) {
    if (in_view_change_ || vote->view != view_ || !in_window(vote->seq)) return;
    if (vote->kind == Vote::Kind::prepare && vote->replica == primary_of(view_)) return;  // the primary never prepares
    Entry& entry = log_[vote->seq];
    FL_ASSERT_LE(log_.size(), options_.log_window);
    auto& votes = vote->kind == Vote::Kind::prepare ? entry.prepares : entry.commits;
    if (votes.contains(vote->replica)) return;  // the first vote of a replica counts
    votes[vote->replica] = vote;
    if (vote->kind == Vote::Kind::prepare) {
        check_prepared(ctx, vote->seq);
    } else {
        check_committed(ctx, vote->seq);
    }
}

void PbftReplica::check_prepared(Context& ctx, Seq seq) {
    auto it = log_.find(seq);
    if (it == log_.end()) return;
    Entry& entry = it->second;
    if (entry.prepared || !entry.pre_prepare) return;
    const Digest digest = entry.pre_prepare->request_digest;
    PreparedProof proof{entry.pre_prepare, {}};
    for (const auto& [replica, prepare] : entry.prepares) {
        if (prepare->request_digest == digest && proof.prepares.size() + 1 < quorum())
            proof.prepares.push_back(prepare);
    }
    if (proof.prepares.size() + 1 < quorum()) return;
    entry.prepared = true;
    // Persist the certificate before the commit that announces it.
    persist_prepared(ctx, proof);
    prepared_[seq] = std::move(proof);
    send_vote(ctx, Vote::Kind::commit, seq, digest);
    check_committed(ctx, seq);
}

void PbftReplica::check_committed(Context& ctx, Seq seq) {
    auto it = log_.find(seq);
    if (it == log_.end()) return;
    Entry& entry = it->second;
    if (entry.committed || !entry.prepared) return;
    const Digest digest = entry.pre_prepare->request_digest;
    const auto matching = std::count_if(entry.commits.begin(), entry.commits.end(),
                                        [&](const auto& each) { return each.second->request_digest == digest; });
    if (static_cast<std::size_t>(matching) < quorum()) return;
    entry.committed = true;
    execute_ready(ctx);
}

void PbftReplica::execute_ready(Context& ctx) {
    while (true) {
        auto it = log_.find(executed_ + 1);
        if (it == log_.end() || !it->second.committed) break;
        execute(ctx, *it->second.pre_prepare);
        if (executed_ % options_.checkpoint_interval == 0) take_checkpoint(ctx);
    }
}

void PbftReplica::execute(Context& ctx, const PrePrepare& pp) {
    FL_ASSERT_EQ(pp.seq, executed_ + 1);
    executed_ = pp.seq;
    executed_log_.emplace_back(pp.seq, pp.request_digest);
    if (!pp.request) return;  // the null request
    const ClientRequest& request = *pp.request;
    waiting_.erase(pp.request_digest);
    // Always applied: what a replica remembers of its clients (last_executed_)
    // differs between replicas, and the state must not. The store's sessions
    // keep a retried write from applying twice, the same way everywhere.
    const kv::KvCommand& command = request.command;
    const kv::KvResult result = command.op == kv::KvOp::read ? store_.read(command.key) : store_.apply(command);
    auto& last = last_executed_[command.client];
    last = std::max(last, std::make_pair(command.sequence, request.msg_id));
    auto reply = std::make_shared<Reply>();
    reply->replica = index_;
    reply->view = view_;
    reply->client = command.client;
    reply->sequence = command.sequence;
    reply->msg_id = request.msg_id;
    reply->op = command.op;
    reply->result = result;
    reply->sign();
    // The session id names the client node (workload/client.cc: its id + 1).
    FL_ASSERT_GE(command.client, 1u);
    ctx.send(NodeId(static_cast<std::uint32_t>(command.client - 1)), std::move(reply));
    // Progress: the primary is doing its job; give the rest a fresh timeout.
    if (in_view_change_) return;  // (a state transfer during a view change)
    if (view_change_timer_armed_) {
        ctx.cancel_timer(view_change_timer_);
        view_change_timer_armed_ = false;
    }
    arm_view_change_timer(ctx);
}

void PbftReplica::arm_view_change_timer(Context& ctx) {
    if (in_view_change_ || view_change_timer_armed_ || is_primary() || waiting_.empty()) return;
    const int doublings = std::min(view_change_attempts_, 6);
    view_change_timer_ = ctx.set_timer(options_.view_change_timeout << doublings, view_change_tag);
    view_change_timer_armed_ = true;
}

// ---- checkpoints -------------------------------------------------------------

void PbftReplica::take_checkpoint(Context& ctx) {
    std::string state = store_.snapshot();
    // Persist before the checkpoint message: 2f + 1 replicas that vouch for a
    // state must still hold it after they crash, or a cluster that crashed
    // replica by replica would lose it.
    write_state(ctx, kLatestStateFile, executed_, state);
    auto checkpoint = std::make_shared<Checkpoint>();
    checkpoint->replica = index_;
    checkpoint->seq = executed_;
    checkpoint->state_digest = state_digest(state);
    checkpoint->sign();
    snapshots_[executed_] = std::move(state);
    multicast(ctx, checkpoint);
    on_checkpoint(ctx, checkpoint);
}

void PbftReplica::on_checkpoint(Context& ctx, const std::shared_ptr<const Checkpoint>& checkpoint) {
    if (checkpoint->seq <= stable_ || checkpoint->seq % options_.checkpoint_interval != 0) return;
    // A replica far behind still records checkpoints beyond its window: 2f + 1
    // of them are how it learns it must fetch the state.
    auto& votes = checkpoints_[checkpoint->seq];
    if (votes.contains(checkpoint->replica)) return;
    votes[checkpoint->replica] = checkpoint;
    std::vector<std::shared_ptr<const Checkpoint>> proof;
    for (const auto& [replica, each] : votes) {
        if (each->state_digest == checkpoint->state_digest) proof.push_back(each);
    }
    if (proof.size() < quorum()) return;
    make_stable(ctx, checkpoint->seq, checkpoint->state_digest, std::move(proof));
    order_queued(ctx);  // the window moved
}

void PbftReplica::make_stable(Context& ctx, Seq seq, Digest digest,
                              std::vector<std::shared_ptr<const Checkpoint>> proof) {
    FL_ASSERT_GT(seq, stable_);
    FL_ASSERT(valid_checkpoint_proof(seq, digest, proof));
    stable_ = seq;
    stable_digest_ = digest;
    stable_proof_ = std::move(proof);
    // Garbage collection: nothing at or below the stable checkpoint is needed
    // by anyone any more (a laggard gets the state instead).
    log_.erase(log_.begin(), log_.upper_bound(seq));
    prepared_.erase(prepared_.begin(), prepared_.upper_bound(seq));
    checkpoints_.erase(checkpoints_.begin(), checkpoints_.upper_bound(seq));
    snapshots_.erase(snapshots_.begin(), snapshots_.lower_bound(seq));
    if (auto held = snapshots_.find(seq); held != snapshots_.end())
        write_state(ctx, kStableStateFile, seq, held->second);
    for (auto it = view_changes_.begin(); it != view_changes_.end() && it->first < view_;) it = view_changes_.erase(it);
    rewrite_disk(ctx);
    // A replica that restarted past this checkpoint (from its latest state)
    // may hold no state at it; the others that vouched for it do.
    if (executed_ < stable_) fetch_state(ctx);
    FL_ASSERT_LE(log_.size(), options_.log_window);
}

bool PbftReplica::valid_checkpoint_proof(Seq seq, Digest digest,
                                         const std::vector<std::shared_ptr<const Checkpoint>>& proof) const {
    if (seq == 0) return true;
    std::set<std::uint32_t> signers;
    for (const auto& checkpoint : proof) {
        if (checkpoint->seq != seq || checkpoint->state_digest != digest || checkpoint->replica >= n_ ||
            !checkpoint->verify()) {
            return false;
        }
        signers.insert(checkpoint->replica);
    }
    return signers.size() >= quorum();
}

void PbftReplica::fetch_state(Context& ctx) {
    FL_ASSERT_LT(executed_, stable_);
    auto fetch = std::make_shared<FetchState>();
    fetch->seq = stable_;
    // Every signer of the proof but at most f holds that state; ask them all.
    for (const auto& checkpoint : stable_proof_) {
        if (checkpoint->replica != index_) ctx.send(replicas_[checkpoint->replica], fetch);
    }
}

void PbftReplica::on_state(Context& ctx, const StateReply& reply) {
    if (reply.seq != stable_ || executed_ >= stable_ || state_digest(reply.state) != stable_digest_) return;
    kv::KvStore restored;
    if (!restored.restore(reply.state)) return;
    store_ = std::move(restored);
    executed_ = stable_;
    snapshots_[stable_] = reply.state;
    write_state(ctx, kStableStateFile, stable_, reply.state);
    // What was executed before is no longer known request by request; the
    // sessions in the store still stop a retried write from applying twice.
    // Which of the requests it waited for the state covers is not known either:
    // it stops watching them (their clients retry).
    last_executed_.clear();
    waiting_.clear();
    if (view_change_timer_armed_ && !in_view_change_) {
        ctx.cancel_timer(view_change_timer_);
        view_change_timer_armed_ = false;
    }
    execute_ready(ctx);
}

// ---- view change ---------------------------------------------------------------

void PbftReplica::start_view_change(Context& ctx, View view) {
    FL_ASSERT_GT(view, view_);
    view_ = view;
    in_view_change_ = true;
    ++view_change_attempts_;
    persist_view(ctx);
    log_.clear();
    ordered_.clear();
    new_view_.reset();
    auto change = std::make_shared<ViewChange>();
    change->replica = index_;
    change->new_view = view;
    change->stable_seq = stable_;
    change->stable_digest = stable_digest_;
    change->checkpoint_proof = stable_proof_;
    for (const auto& [seq, proof] : prepared_) {
        if (seq > stable_) change->prepared.push_back(proof);
    }
    change->sign();
    view_changes_[view][index_] = change;
    multicast(ctx, change);
    if (view_change_timer_armed_) ctx.cancel_timer(view_change_timer_);
    view_change_timer_armed_ = false;
    arm_view_change_retry(ctx);
    try_new_view(ctx);
}

void PbftReplica::arm_view_change_retry(Context& ctx) {
    // The paper's rule: the timer for view v + 2 starts once 2f + 1
    // view-changes for v + 1 are in, so that a replica cut off from the rest
    // does not climb alone where no one follows. Without them it still moves
    // on, slowly (the longest wait): peers that lost their view-change
    // messages in a crash may never send them again.
    if (!in_view_change_) return;
    auto changes = view_changes_.find(view_);
    const bool quorum_in = changes != view_changes_.end() && changes->second.size() >= quorum();
    if (view_change_timer_armed_ && (retry_has_quorum_ || !quorum_in)) return;
    if (view_change_timer_armed_) ctx.cancel_timer(view_change_timer_);
    const int doublings = quorum_in ? std::min(view_change_attempts_ - 1, 3) : 3;
    view_change_timer_ = ctx.set_timer(options_.view_change_timeout << doublings, view_change_tag);
    view_change_timer_armed_ = true;
    retry_has_quorum_ = quorum_in;
}

bool PbftReplica::valid_view_change(const ViewChange& change) const {
    if (change.replica >= n_ || !change.verify()) return false;
    if (!valid_checkpoint_proof(change.stable_seq, change.stable_digest, change.checkpoint_proof)) return false;
    std::set<Seq> seqs;
    for (const PreparedProof& proof : change.prepared) {
        const PrePrepare& pp = *proof.pre_prepare;
        if (!pp.verify() || pp.replica != primary_of(pp.view) || pp.view >= change.new_view || !pp.well_formed()) {
            return false;
        }
        if (pp.seq <= change.stable_seq || pp.seq > change.stable_seq + options_.log_window) return false;
        if (!seqs.insert(pp.seq).second) return false;
        std::set<std::uint32_t> signers;
        for (const auto& prepare : proof.prepares) {
            if (prepare->kind != Vote::Kind::prepare || prepare->replica >= n_ || prepare->replica == pp.replica ||
                prepare->view != pp.view || prepare->seq != pp.seq || prepare->request_digest != pp.request_digest ||
                !prepare->verify()) {
                return false;
            }
            signers.insert(prepare->replica);
        }
        if (signers.size() + 1 < quorum()) return false;
    }
    return true;
}

void PbftReplica::on_view_change(Context& ctx, const std::shared_ptr<const ViewChange>& change) {
    if (change->new_view < view_ || (change->new_view == view_ && !in_view_change_)) return;
    if (!valid_view_change(*change)) return;
    view_changes_[change->new_view][change->replica] = change;
    // f + 1 replicas want a later view: at least one is correct, so join the
    // smallest of them rather than wait for a timeout.
    std::map<std::uint32_t, View> smallest;
    for (const auto& [view, changes] : view_changes_) {
        if (view <= view_) continue;
        for (const auto& [replica, each] : changes) {
            if (replica != index_ && !smallest.contains(replica)) smallest[replica] = view;
        }
    }
    if (smallest.size() >= f_ + 1) {
        View join = std::numeric_limits<View>::max();
        for (const auto& [replica, view] : smallest) join = std::min(join, view);
        start_view_change(ctx, join);
        return;
    }
    if (in_view_change_ && change->new_view == view_) {
        arm_view_change_retry(ctx);
        try_new_view(ctx);
    }
}

void PbftReplica::try_new_view(Context& ctx) {
    if (!in_view_change_ || !is_primary()) return;
    const auto& changes = view_changes_[view_];
    if (changes.size() < quorum() || !changes.contains(index_)) return;
    auto new_view = std::make_shared<NewView>();
    new_view->replica = index_;
    new_view->view = view_;
    new_view->view_changes.push_back(changes.at(index_));
    for (const auto& [replica, change] : changes) {
        if (replica != index_ && new_view->view_changes.size() < quorum()) new_view->view_changes.push_back(change);
    }
    new_view->pre_prepares = compute_o(view_, new_view->view_changes, true);
    new_view->sign();
    multicast(ctx, new_view);
    enter_view(ctx, new_view);
}

std::vector<std::shared_ptr<const PrePrepare>> PbftReplica::compute_o(
    View view, const std::vector<std::shared_ptr<const ViewChange>>& changes, bool sign) const {
    Seq min_s = 0;
    Seq max_s = 0;
    for (const auto& change : changes) min_s = std::max(min_s, change->stable_seq);
    std::map<Seq, const PrePrepare*> best;  // the certificate of the highest view per number
    for (const auto& change : changes) {
        for (const PreparedProof& proof : change->prepared) {
            const PrePrepare* pp = proof.pre_prepare.get();
            if (pp->seq <= min_s) continue;
            max_s = std::max(max_s, pp->seq);
            auto& slot = best[pp->seq];
            if (slot == nullptr || slot->view < pp->view) slot = pp;
        }
    }
    std::vector<std::shared_ptr<const PrePrepare>> o;
    for (Seq seq = min_s + 1; seq <= max_s; ++seq) {
        auto pp = std::make_shared<PrePrepare>();
        pp->replica = primary_of(view);
        pp->view = view;
        pp->seq = seq;
        auto found = best.find(seq);
        if (found != best.end()) {
            pp->request_digest = found->second->request_digest;
            pp->request = found->second->request;
        }
        if (sign) pp->sign();
        o.push_back(std::move(pp));
    }
    return o;
}

void PbftReplica::on_new_view(Context& ctx, const std::shared_ptr<const NewView>& new_view) {
    if (new_view->view < view_ || (new_view->view == view_ && !in_view_change_)) return;
    if (new_view->replica != primary_of(new_view->view)) return;
    std::set<std::uint32_t> senders;
    for (const auto& change : new_view->view_changes) {
        if (change->new_view != new_view->view || !valid_view_change(*change)) return;
        senders.insert(change->replica);
    }
    if (senders.size() < quorum() || senders.size() != new_view->view_changes.size()) return;
    // O must be exactly what V implies: the primary cannot drop or swap a
    // request that may have committed.
    const auto expected = compute_o(new_view->view, new_view->view_changes, false);
    if (expected.size() != new_view->pre_prepares.size()) return;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const PrePrepare& got = *new_view->pre_prepares[i];
        if (got.seq != expected[i]->seq || got.request_digest != expected[i]->request_digest ||
            got.view != new_view->view || got.replica != new_view->replica || !got.verify() || !got.well_formed()) {
            return;
        }
    }
    enter_view(ctx, new_view);
}

void PbftReplica::enter_view(Context& ctx, const std::shared_ptr<const NewView>& new_view) {
    FL_ASSERT_GE(new_view->view, view_);
    view_ = new_view->view;
    in_view_change_ = false;
    view_change_attempts_ = 0;
    persist_view(ctx);
    new_view_ = new_view;
    log_.clear();
    ordered_.clear();
    if (view_change_timer_armed_) {
        ctx.cancel_timer(view_change_timer_);
        view_change_timer_armed_ = false;
    }
    // The stable checkpoint with the highest number in V becomes ours.
    const ViewChange* highest = nullptr;
    Seq max_s = 0;
    for (const auto& change : new_view->view_changes) {
        if (highest == nullptr || change->stable_seq > highest->stable_seq) highest = change.get();
    }
    FL_ASSERT(highest != nullptr);
    if (highest->stable_seq > stable_) {
        make_stable(ctx, highest->stable_seq, highest->stable_digest, highest->checkpoint_proof);
    }
    for (const auto& pp : new_view->pre_prepares) {
        max_s = std::max(max_s, pp->seq);
        if (in_window(pp->seq)) accept_pre_prepare(ctx, pp);
    }
    next_seq_ = std::max(max_s, stable_) + 1;
    if (is_primary()) {
        std::vector<ClientRequest> pending;
        for (const auto& [digest, request] : waiting_) pending.push_back(request);
        for (const ClientRequest& request : pending) {
            if (!already_executed(request)) order(ctx, request);
        }
        order_queued(ctx);
    } else {
        // The new primary may never have heard of what we wait for.
        for (const auto& [digest, request] : waiting_) {
            if (ordered_.contains(digest)) continue;
            auto forward = std::make_shared<Forward>();
            forward->request = request;
            ctx.send(replicas_[primary_of(view_)], std::move(forward));
        }
        arm_view_change_timer(ctx);
    }
    execute_ready(ctx);
}

void PbftReplica::on_status(Context& ctx, NodeId from, const Status& status) {
    // Checkpoints do not depend on the view. A peer behind this replica's
    // stable checkpoint gets its proof; one that has not seen this replica's
    // newer checkpoints gets them (a checkpoint lost on the way, or taken just
    // before a crash, would otherwise never become stable, and the window
    // would close for good).
    if (status.stable_seq < stable_) {
        for (const auto& checkpoint : stable_proof_) ctx.send(from, checkpoint);
    }
    for (auto it = checkpoints_.upper_bound(status.stable_seq); it != checkpoints_.end(); ++it) {
        if (auto mine = it->second.find(index_); mine != it->second.end()) ctx.send(from, mine->second);
    }
    if (status.view < view_ && !in_view_change_ && new_view_) {
        ctx.send(from, new_view_);
        return;
    }
    if (in_view_change_ && (status.view < view_ || (status.view == view_ && status.in_view_change))) {
        // Help it join (f + 1 view-changes) or complete (2f + 1) this view change,
        // and the one it is stuck in, which this replica left once 2f + 1 were in
        // (a peer may have missed this replica's message for it).
        for (View view : {status.view, view_}) {
            auto changes = view_changes_.find(view);
            if (changes != view_changes_.end() && changes->second.contains(index_)) {
                ctx.send(from, changes->second.at(index_));
            }
            if (view == view_) break;
        }
        return;
    }
    if (status.view != view_ || status.in_view_change || in_view_change_) return;
    // The lowest few entries it misses: it executes in order, so those first,
    // and the rest with its next status (a replica far behind gets the state).
    int resent = 0;
    for (auto it = log_.upper_bound(std::max(status.executed, stable_)); it != log_.end() && resent < 8;
         ++it, ++resent) {
        const Entry& entry = it->second;
        if (entry.pre_prepare) ctx.send(from, entry.pre_prepare);
        if (auto mine = entry.prepares.find(index_); mine != entry.prepares.end()) ctx.send(from, mine->second);
        if (auto mine = entry.commits.find(index_); mine != entry.commits.end()) ctx.send(from, mine->second);
    }
}

// ---- durability ------------------------------------------------------------------

void PbftReplica::append_record(Context& ctx, std::string payload) {
    const std::string record = framed(payload);
    // A failed write or sync leaves this replica unable to keep its word; it
    // goes on, as a replica with a broken disk does, and counts as faulty.
    (void)ctx.storage().write(kDiskFile, disk_bytes_, record);
    (void)ctx.storage().sync();
    disk_bytes_ += record.size();
}

void PbftReplica::write_state(Context& ctx, std::string_view file, Seq seq, std::string_view state) {
    std::string payload;
    put_u64(payload, seq);
    put_string(payload, state);
    const std::string record = framed(payload);
    (void)ctx.storage().write(file, 0, record);
    (void)ctx.storage().truncate(file, record.size());
    (void)ctx.storage().sync();
}

bool PbftReplica::read_state(Context& ctx, std::string_view file, Seq& seq, std::string& state) {
    auto bytes = ctx.storage().read(file);
    if (!bytes) return false;
    std::string_view in = *bytes;
    std::uint32_t size = 0;
    std::uint64_t checksum = 0;
    if (!take_u32(in, size) || !take_u64(in, checksum) || in.size() < size) return false;
    std::string_view payload = in.substr(0, size);
    if (hash_string(payload) != checksum) return false;
    return take_u64(payload, seq) && take_string(payload, state);
}

namespace {

std::string view_payload(View view) {
    std::string payload;
    put_u8(payload, kViewRecord);
    put_u64(payload, view);
    return payload;
}

std::string prepared_payload(const PreparedProof& proof) {
    std::string payload;
    put_u8(payload, kPreparedRecord);
    put_proof(payload, proof);
    return payload;
}

}  // namespace

void PbftReplica::persist_view(Context& ctx) {
    append_record(ctx, view_payload(view_));
}

void PbftReplica::persist_prepared(Context& ctx, const PreparedProof& proof) {
    append_record(ctx, prepared_payload(proof));
}

void PbftReplica::rewrite_disk(Context& ctx) {
    // After garbage collection only the view, the stable checkpoint and the
    // live certificates matter; they are written and synced as one.
    std::string bytes = framed(view_payload(view_));
    std::string checkpoint;
    put_u8(checkpoint, kCheckpointRecord);
    put_u64(checkpoint, stable_);
    put_u64(checkpoint, stable_digest_);
    put_u32(checkpoint, static_cast<std::uint32_t>(stable_proof_.size()));
    for (const auto& each : stable_proof_) {
        put_u32(checkpoint, each->replica);
        put_u64(checkpoint, each->signature);
    }
    bytes += framed(checkpoint);
    for (const auto& [seq, proof] : prepared_) bytes += framed(prepared_payload(proof));
    (void)ctx.storage().write(kDiskFile, 0, bytes);
    (void)ctx.storage().truncate(kDiskFile, bytes.size());
    (void)ctx.storage().sync();
    disk_bytes_ = bytes.size();
}

}  // namespace faultline::protocols::pbft
