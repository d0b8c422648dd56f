#include "protocols/paxos/multi_paxos.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/assert.h"
#include "protocols/paxos/synod.h"

namespace faultline::protocols::paxos {

namespace {

constexpr std::uint64_t tag_election = 1;
constexpr std::uint64_t tag_backoff = 2;
constexpr std::uint64_t tag_heartbeat = 3;

template <class M>
std::shared_ptr<M> make() {
    return std::make_shared<M>();
}

}  // namespace

const char* role_name(Role role) {
    switch (role) {
        case Role::follower:
            return "follower";
        case Role::candidate:
            return "candidate";
        case Role::leader:
            return "leader";
    }
    return "?";
}

MultiPaxos::MultiPaxos(PaxosOptions options) : options_(options), acceptor_(options.bugs.forget_promise) {
    FL_ASSERT_LE(options_.election_timeout_min, options_.election_timeout_max);
    FL_ASSERT_LE(options_.backoff_min, options_.backoff_max);
    FL_ASSERT_GT(options_.batch_max, 0u);
}

bool MultiPaxos::is_paxos_message(const Message& message) {
    const std::type_info& type = typeid(message);
    return type == typeid(Prepare) || type == typeid(Promise) || type == typeid(Nack) || type == typeid(Accept) ||
           type == typeid(AcceptedReply) || type == typeid(CatchUpRequest) || type == typeid(CatchUpReply);
}

int MultiPaxos::index_of(Context& ctx, NodeId node) const {
    const auto cluster = ctx.cluster();
    const auto found = std::find(cluster.begin(), cluster.end(), node);
    return found == cluster.end() ? -1 : static_cast<int>(found - cluster.begin());
}

void MultiPaxos::start(Context& ctx) {
    reset_election_timer(ctx);
}

void MultiPaxos::recover(Context& ctx) {
    for (const std::string& note : acceptor_.recover(ctx.storage())) ctx.log(note);
    see_round(acceptor_.promised().round);
    reset_election_timer(ctx);
}

void MultiPaxos::step(Context& ctx, const Envelope& envelope) {
    const Message& message = *envelope.message;
    if (index_of(ctx, envelope.from) < 0) return;  // not a server of the cluster
    if (const auto* m = message_as<Accept>(message)) {
        on_accept(ctx, envelope.from, *m);
    } else if (const auto* m = message_as<AcceptedReply>(message)) {
        on_accepted(ctx, envelope.from, *m);
    } else if (const auto* m = message_as<Prepare>(message)) {
        on_prepare(ctx, envelope.from, *m);
    } else if (const auto* m = message_as<Promise>(message)) {
        on_promise(ctx, envelope.from, *m);
    } else if (const auto* m = message_as<Nack>(message)) {
        see_round(m->promised.round);
        if (role_ != Role::follower && m->ballot == ballot_ && m->promised > ballot_) preempted(ctx, m->promised);
    } else if (const auto* m = message_as<CatchUpRequest>(message)) {
        on_catch_up(ctx, envelope.from, *m);
    } else if (const auto* m = message_as<CatchUpReply>(message)) {
        on_catch_up_reply(ctx, envelope.from, *m);
    }
    flush_proposals(ctx);
}

void MultiPaxos::on_timer(Context& ctx, TimerId timer, std::uint64_t tag) {
    if (tag == tag_election && election_timer_ == timer) {
        election_timer_.reset();
        if (role_ != Role::leader) start_phase1(ctx);  // no leader heard, or phase 1 stalled
    } else if (tag == tag_backoff && backoff_timer_ == timer) {
        backoff_timer_.reset();
        if (role_ == Role::follower && !leader_) start_phase1(ctx);
    } else if (tag == tag_heartbeat && heartbeat_timer_ == timer) {
        heartbeat_timer_.reset();
        if (role_ == Role::leader) send_heartbeats(ctx);
    }
    flush_proposals(ctx);
}

// ---- Timers ----

void MultiPaxos::arm(Context& ctx, std::optional<TimerId>& timer, Nanos after, std::uint64_t tag) {
    disarm(ctx, timer);
    timer = ctx.set_timer(after, tag);
}

void MultiPaxos::disarm(Context& ctx, std::optional<TimerId>& timer) {
    if (timer) ctx.cancel_timer(*timer);
    timer.reset();
}

void MultiPaxos::reset_election_timer(Context& ctx) {
    arm(ctx, election_timer_, ctx.random().between(options_.election_timeout_min, options_.election_timeout_max),
        tag_election);
}

// ---- Election: phase 1 ----

void MultiPaxos::start_phase1(Context& ctx) {
    role_ = Role::candidate;
    leader_.reset();
    disarm(ctx, backoff_timer_);
    disarm(ctx, heartbeat_timer_);
    ballot_ = Ballot{max_round_ + 1, ctx.self().value};
    see_round(ballot_.round);
    phase1_from_ = log_.size();
    promised_by_.assign(ctx.cluster().size(), false);
    promises_ = 0;
    adopted_.clear();
    reset_election_timer(ctx);  // phase 1's deadline: then again, with a higher ballot
    // Our own acceptor first, durably, as any other.
    const Acceptor::Outcome own = acceptor_.prepare(ctx.storage(), ballot_);
    FL_ASSERT(own != Acceptor::Outcome::refused);  // nothing above max_round_ was promised
    ctx.fault_point("paxos.prepare-persisted");
    auto prepare = make<Prepare>();
    prepare->ballot = ballot_;
    prepare->from_slot = phase1_from_;
    for (NodeId peer : ctx.cluster()) {
        if (peer != ctx.self()) ctx.send(peer, prepare);
    }
    if (own == Acceptor::Outcome::done) {
        count_promise(ctx, index_of(ctx, ctx.self()), acceptor_.accepted_from(phase1_from_), {});
    }
}

void MultiPaxos::on_prepare(Context& ctx, NodeId from, const Prepare& prepare) {
    see_round(prepare.ballot.round);
    const Acceptor::Outcome outcome = acceptor_.prepare(ctx.storage(), prepare.ballot);
    if (outcome == Acceptor::Outcome::mute) return;
    if (outcome == Acceptor::Outcome::refused) {
        auto nack = make<Nack>();
        nack->ballot = prepare.ballot;
        nack->promised = acceptor_.promised();
        ctx.send(from, std::move(nack));
        return;
    }
    ctx.fault_point("paxos.promise-persisted");
    auto promise = make<Promise>();
    promise->ballot = prepare.ballot;
    promise->accepted = acceptor_.accepted_from(prepare.from_slot);
    promise->chosen = chosen_from(prepare.from_slot, SIZE_MAX);
    ctx.send(from, std::move(promise));
    ctx.fault_point("paxos.promised");
    // A higher ballot is being tried: ours is preempted, and whoever tries it
    // gets an election timeout before we try ourselves.
    if (role_ != Role::follower && prepare.ballot > ballot_) {
        preempted(ctx, prepare.ballot);
    } else if (role_ == Role::follower && !backoff_timer_) {
        reset_election_timer(ctx);
    }
}

void MultiPaxos::on_promise(Context& ctx, NodeId from, const Promise& promise) {
    if (role_ != Role::candidate || promise.ballot != ballot_) return;  // late or stale
    count_promise(ctx, index_of(ctx, from), promise.accepted, promise.chosen);
}

void MultiPaxos::count_promise(Context& ctx, int index, const std::vector<std::pair<Slot, Accepted>>& accepted,
                               const std::vector<SlotValue>& chosen) {
    FL_ASSERT_EQ(role_, Role::candidate);
    if (promised_by_[static_cast<std::size_t>(index)]) return;  // a duplicate
    promised_by_[static_cast<std::size_t>(index)] = true;
    ++promises_;
    if (!options_.bugs.ignore_accepted) {
        // P2c: per slot, the value of the highest ballot any promiser accepted.
        for (const auto& [slot, each] : accepted) {
            FL_ASSERT_LT(each.ballot, ballot_);  // it promised ballot_ after accepting this
            auto [it, fresh] = adopted_.try_emplace(slot, each);
            if (!fresh && each.ballot > it->second.ballot) it->second = each;
        }
        for (const SlotValue& each : chosen) learn(each.slot, each.value);
    }
    if (promises_ >= majority(ctx)) become_leader(ctx);
}

void MultiPaxos::become_leader(Context& ctx) {
    role_ = Role::leader;
    leader_ = ctx.self();
    leader_ballot_ = ballot_;
    unlearned_.clear();
    chosen_in_ballot_ = false;
    disarm(ctx, election_timer_);
    proposals_.clear();
    Slot end = log_.size();
    if (!adopted_.empty()) end = std::max(end, adopted_.rbegin()->first + 1);
    if (!chosen_.empty()) end = std::max(end, chosen_.rbegin()->first + 1);
    // Every slot from the first not known chosen to the highest reported gets
    // a value in our ballot: the adopted one, or a no-op for a gap.
    for (Slot slot = log_.size(); slot < end; ++slot) {
        if (chosen_.contains(slot)) continue;
        auto adopted = adopted_.find(slot);
        propose_at(slot, adopted == adopted_.end() ? Value() : adopted->second.value);
    }
    next_slot_ = end;
    adopted_.clear();
    ctx.log(fmt::format("leader in ballot {} from slot {} ({} values to settle)", ballot_.to_string(), log_.size(),
                        outbox_.size()));
    flush_proposals(ctx);
    send_heartbeats(ctx);
}

void MultiPaxos::preempted(Context& ctx, Ballot by) {
    FL_ASSERT_GT(by, ballot_);
    see_round(by.round);
    role_ = Role::follower;
    leader_.reset();
    outbox_.clear();  // unsent proposals: their slots get settled by the next leader
    disarm(ctx, heartbeat_timer_);
    disarm(ctx, election_timer_);
    const Nanos backoff = options_.random_backoff ? ctx.random().between(options_.backoff_min, options_.backoff_max)
                                                  : options_.backoff_min;
    arm(ctx, backoff_timer_, backoff, tag_backoff);
}

void MultiPaxos::follow(Context& ctx, NodeId leader, Ballot ballot) {
    if (ballot != leader_ballot_) unlearned_.clear();  // their acceptances were in another ballot
    leader_ = leader;
    leader_ballot_ = ballot;
    if (role_ != Role::follower) {
        role_ = Role::follower;
        outbox_.clear();
        disarm(ctx, heartbeat_timer_);
    }
    disarm(ctx, backoff_timer_);
    reset_election_timer(ctx);
}

// ---- Phase 2 ----

std::optional<Slot> MultiPaxos::propose(Context& ctx, Value value) {
    if (role_ != Role::leader) return std::nullopt;
    const Slot slot = next_slot_++;
    propose_at(slot, std::move(value));
    flush_proposals(ctx);
    return slot;
}

void MultiPaxos::propose_at(Slot slot, Value value) {
    FL_ASSERT_EQ(role_, Role::leader);
    FL_ASSERT(!proposals_.contains(slot));
    outbox_.push_back(SlotValue{slot, value});
    proposals_.emplace(slot, Proposal{std::move(value), {}, 0});
}

void MultiPaxos::flush_proposals(Context& ctx) {
    if (outbox_.empty()) return;
    FL_ASSERT_EQ(role_, Role::leader);
    std::vector<SlotValue> entries;
    entries.swap(outbox_);
    // Our own acceptor first: durable before any other acceptor hears of it.
    if (acceptor_.accept(ctx.storage(), ballot_, entries) == Acceptor::Outcome::done) {
        const int self = index_of(ctx, ctx.self());
        for (const SlotValue& entry : entries) ack(ctx, self, entry.slot);
    }
    for (std::size_t first = 0; first < entries.size(); first += options_.batch_max) {
        auto accept = make<Accept>();
        accept->ballot = ballot_;
        const std::size_t last = std::min<std::size_t>(entries.size(), first + options_.batch_max);
        accept->entries.assign(entries.begin() + static_cast<std::ptrdiff_t>(first),
                               entries.begin() + static_cast<std::ptrdiff_t>(last));
        accept->chosen_below = log_.size();
        MessagePtr message = std::move(accept);
        for (NodeId peer : ctx.cluster()) {
            if (peer != ctx.self()) ctx.send(peer, message);
        }
    }
}

void MultiPaxos::on_accept(Context& ctx, NodeId from, const Accept& accept) {
    see_round(accept.ballot.round);
    // A ballot below one we promised, or below the leader we follow, is stale.
    const Ballot floor = std::max(acceptor_.promised(), leader_ballot_);
    if (accept.ballot < floor) {
        auto nack = make<Nack>();
        nack->ballot = accept.ballot;
        nack->promised = floor;
        ctx.send(from, std::move(nack));
        return;
    }
    if (from != ctx.self() && (role_ != Role::follower || leader_ != from || leader_ballot_ != accept.ballot)) {
        if (role_ != Role::follower && accept.ballot > ballot_) ctx.log("a leader of a higher ballot: following it");
        follow(ctx, from, accept.ballot);
    } else if (election_timer_) {
        reset_election_timer(ctx);
    }
    if (!accept.entries.empty()) {
        const Acceptor::Outcome outcome = acceptor_.accept(ctx.storage(), accept.ballot, accept.entries);
        FL_ASSERT(outcome != Acceptor::Outcome::refused);  // checked against the promise above
        if (outcome == Acceptor::Outcome::done) {
            ctx.fault_point("paxos.accept-persisted");
            auto reply = make<AcceptedReply>();
            reply->ballot = accept.ballot;
            for (const SlotValue& entry : accept.entries) {
                reply->slots.push_back(entry.slot);
                if (entry.slot >= log_.size()) unlearned_.insert(entry.slot);
            }
            ctx.send(from, std::move(reply));
        }
    }
    learn_below(accept.ballot, accept.chosen_below);
    if (accept.heartbeat && log_.size() < accept.chosen_below) {
        // Behind the leader, and nothing of ours to learn from: ask (once per heartbeat).
        auto request = make<CatchUpRequest>();
        request->from_slot = log_.size();
        ctx.send(from, std::move(request));
    }
}

void MultiPaxos::on_accepted(Context& ctx, NodeId from, const AcceptedReply& reply) {
    if (role_ != Role::leader || reply.ballot != ballot_) return;
    const int index = index_of(ctx, from);
    for (Slot slot : reply.slots) ack(ctx, index, slot);
}

void MultiPaxos::ack(Context& ctx, int index, Slot slot) {
    auto found = proposals_.find(slot);
    if (found == proposals_.end()) return;  // chosen already
    Proposal& proposal = found->second;
    if (proposal.acked.empty()) proposal.acked.assign(ctx.cluster().size(), false);
    if (proposal.acked[static_cast<std::size_t>(index)]) return;
    proposal.acked[static_cast<std::size_t>(index)] = true;
    if (++proposal.acks < majority(ctx)) return;
    // A majority accepted it in our ballot: chosen.
    chosen_in_ballot_ = true;
    const Value value = std::move(proposal.value);
    proposals_.erase(found);
    learn(slot, value);
}

void MultiPaxos::send_heartbeats(Context& ctx) {
    FL_ASSERT_EQ(role_, Role::leader);
    const auto cluster = ctx.cluster();
    for (std::size_t i = 0; i < cluster.size(); ++i) {
        if (cluster[i] == ctx.self()) continue;
        // The heartbeat resends what this acceptor has not acknowledged.
        auto accept = make<Accept>();
        accept->ballot = ballot_;
        accept->chosen_below = log_.size();
        accept->heartbeat = true;
        for (const auto& [slot, proposal] : proposals_) {
            if (accept->entries.size() >= options_.batch_max) break;
            if (proposal.acked.empty() || !proposal.acked[i])
                accept->entries.push_back(SlotValue{slot, proposal.value});
        }
        ctx.send(cluster[i], std::move(accept));
    }
    arm(ctx, heartbeat_timer_, options_.heartbeat_interval, tag_heartbeat);
}

// ---- Learning ----

void MultiPaxos::learn(Slot slot, const Value& value) {
    // A slot learned twice keeps its first value. Only a broken protocol can
    // choose two, and then the invariant checker, not this node, reports it.
    if (slot < log_.size()) return;
    chosen_.try_emplace(slot, value);
    unlearned_.erase(slot);
    for (auto next = chosen_.find(log_.size()); next != chosen_.end(); next = chosen_.find(log_.size())) {
        log_.push_back(std::move(next->second));
        chosen_.erase(next);
        proposals_.erase(log_.size() - 1);
    }
}

void MultiPaxos::learn_below(Ballot ballot, Slot chosen_below) {
    // The leader of `ballot` proposes one value per slot, and knows slots below
    // chosen_below chosen: what we accepted in its ballot there is the value.
    if (ballot != leader_ballot_) return;
    while (!unlearned_.empty() && *unlearned_.begin() < chosen_below) {
        const Slot slot = *unlearned_.begin();
        const Accepted* accepted = acceptor_.accepted_at(slot);
        if (accepted != nullptr && accepted->ballot == ballot) learn(slot, accepted->value);
        unlearned_.erase(slot);
    }
}

std::vector<SlotValue> MultiPaxos::chosen_from(Slot from, std::size_t limit) const {
    std::vector<SlotValue> out;
    for (Slot slot = from; slot < log_.size() && out.size() < limit; ++slot) out.push_back(SlotValue{slot, log_[slot]});
    for (auto it = chosen_.lower_bound(from); it != chosen_.end() && out.size() < limit; ++it) {
        out.push_back(SlotValue{it->first, it->second});
    }
    return out;
}

void MultiPaxos::on_catch_up(Context& ctx, NodeId from, const CatchUpRequest& request) {
    if (request.from_slot >= log_.size()) return;
    auto reply = make<CatchUpReply>();
    reply->chosen = chosen_from(request.from_slot, options_.batch_max);
    reply->chosen_below = log_.size();
    ctx.send(from, std::move(reply));
}

void MultiPaxos::on_catch_up_reply(Context& ctx, NodeId from, const CatchUpReply& reply) {
    for (const SlotValue& each : reply.chosen) learn(each.slot, each.value);
    if (log_.size() < reply.chosen_below && !reply.chosen.empty()) {
        auto request = make<CatchUpRequest>();
        request->from_slot = log_.size();
        ctx.send(from, std::move(request));
    }
}

void MultiPaxos::take_chosen(std::vector<SlotValue>& out) {
    out.clear();
    for (; handed_out_ < log_.size(); ++handed_out_) out.push_back(SlotValue{handed_out_, log_[handed_out_]});
}

}  // namespace faultline::protocols::paxos
