#include "protocols/pbft/byzantine.h"

#include <algorithm>

#include "base/assert.h"

namespace faultline::protocols::pbft {

const char* behaviour_name(Behaviour behaviour) {
    switch (behaviour) {
        case Behaviour::silent:
            return "silent";
        case Behaviour::equivocate:
            return "equivocate";
        case Behaviour::conflicting:
            return "conflicting";
        case Behaviour::tamper:
            return "tamper";
    }
    return "?";
}

void ByzantineReplica::start(Context& ctx) {
    InterceptedContext<ByzantineReplica> intercept(*this, ctx);
    inner_.start(intercept);
}

void ByzantineReplica::recover(Context& ctx) {
    InterceptedContext<ByzantineReplica> intercept(*this, ctx);
    inner_.recover(intercept);
}

void ByzantineReplica::on_message(Context& ctx, const Envelope& envelope) {
    // Equivocating replicas keep each (v, n)'s client request digest, so that
    // a backup among them can back the primary's story to the replicas it was
    // told (two of them collude: scenario bft/pbft-two-byzantine).
    const Message& message = *envelope.message;
    if (const auto* pp = message_as<PrePrepare>(message); pp != nullptr && pp->request_digest != kNullDigest) {
        real_[{pp->view, pp->seq}] = pp->request_digest;
    } else if (const auto* vote = message_as<Vote>(message); vote != nullptr && vote->request_digest != kNullDigest) {
        real_.emplace(std::make_pair(vote->view, vote->seq), vote->request_digest);
    }
    while (real_.size() > 4096) real_.erase(real_.begin());
    InterceptedContext<ByzantineReplica> intercept(*this, ctx);
    inner_.on_message(intercept, envelope);
}

void ByzantineReplica::on_timer(Context& ctx, TimerId timer, std::uint64_t tag) {
    InterceptedContext<ByzantineReplica> intercept(*this, ctx);
    inner_.on_timer(intercept, timer, tag);
}

std::uint32_t ByzantineReplica::self_index(Context& ctx) const {
    const auto cluster = ctx.cluster();
    const auto self = std::find(cluster.begin(), cluster.end(), ctx.self());
    FL_ASSERT(self != cluster.end());
    return static_cast<std::uint32_t>(self - cluster.begin());
}

bool ByzantineReplica::second_half(Context& ctx, NodeId to) const {
    const auto cluster = ctx.cluster();
    const auto at = std::find(cluster.begin(), cluster.end(), to);
    return at != cluster.end() && (at - cluster.begin()) % 2 == 1;
}

void ByzantineReplica::outgoing(Context& ctx, NodeId to, MessagePtr message) {
    switch (behaviour_) {
        case Behaviour::silent:
            ++lies_;
            return;
        case Behaviour::equivocate:
            equivocate(ctx, to, message);
            return;
        case Behaviour::conflicting:
            conflicting(ctx, to, message);
            return;
        case Behaviour::tamper:
            tamper(ctx, to, message);
            return;
    }
}

namespace {

std::shared_ptr<PrePrepare> null_pre_prepare(const PrePrepare& real) {
    auto lie = std::make_shared<PrePrepare>(real);
    lie->request.reset();
    lie->request_digest = kNullDigest;
    lie->sign();
    return lie;
}

std::shared_ptr<Vote> vote_for(std::uint32_t replica, Vote::Kind kind, View view, Seq seq, Digest digest) {
    auto vote = std::make_shared<Vote>();
    vote->replica = replica;
    vote->kind = kind;
    vote->view = view;
    vote->seq = seq;
    vote->request_digest = digest;
    vote->sign();
    return vote;
}

}  // namespace

void ByzantineReplica::equivocate(Context& ctx, NodeId to, const MessagePtr& message) {
    const std::uint32_t self = self_index(ctx);
    // Only its own pre-prepares: one it relays (a peer's catch-up) carries the
    // primary's signature, which it cannot make.
    if (const auto* pp = message_as<PrePrepare>(*message); pp != nullptr && pp->request && pp->replica == self) {
        // Each half hears its own story, and the primary's commit backs it.
        MessagePtr story = message;
        if (second_half(ctx, to)) {
            story = null_pre_prepare(*pp);
            ++lies_;
        }
        const auto& told = static_cast<const PrePrepare&>(*story);
        ctx.send(to, story);
        ctx.send(to, vote_for(self, Vote::Kind::commit, told.view, told.seq, told.request_digest));
        return;
    }
    if (const auto* vote = message_as<Vote>(*message)) {
        // The same split as an equivocating primary's: the null request to
        // odd replicas, the client's request to even ones.
        Digest told = kNullDigest;
        if (!second_half(ctx, to)) {
            auto real = real_.find({vote->view, vote->seq});
            told = real == real_.end() ? vote->request_digest : real->second;
        }
        if (told != vote->request_digest) ++lies_;
        ctx.send(to, vote_for(self, vote->kind, vote->view, vote->seq, told));
        return;
    }
    ctx.send(to, message);
}

void ByzantineReplica::conflicting(Context& ctx, NodeId to, const MessagePtr& message) {
    const std::uint32_t self = self_index(ctx);
    if (const auto* pp = message_as<PrePrepare>(*message); pp != nullptr && pp->request && pp->replica == self) {
        ++lies_;
        ctx.send(to, null_pre_prepare(*pp));
        ctx.send(to, message);
        return;
    }
    if (const auto* vote = message_as<Vote>(*message)) {
        ++lies_;
        ctx.send(to, vote_for(self, vote->kind, vote->view, vote->seq, vote->request_digest ^ 0x2));
        ctx.send(to, message);
        return;
    }
    ctx.send(to, message);
}

void ByzantineReplica::tamper(Context& ctx, NodeId to, const MessagePtr& message) {
    Prng& random = ctx.random();
    if (random.below(2) == 0) {  // half of what it sends goes out honest
        ctx.send(to, message);
        return;
    }
    ++lies_;
    const std::uint32_t self = self_index(ctx);
    // A lie signed as itself, or a forgery; what it relays of others' (their
    // signatures, which it cannot make) can only be forged.
    const auto* signed_message = dynamic_cast<const Signed*>(message.get());
    const bool forge = random.below(2) == 0 || (signed_message != nullptr && signed_message->replica != self);
    if (const auto* vote = message_as<Vote>(*message)) {
        auto lie = std::make_shared<Vote>(*vote);
        lie->request_digest = random.next();
        if (forge) {
            lie->replica = static_cast<std::uint32_t>((self + 1) % ctx.cluster().size());  // claims another signer
        } else {
            lie->sign();
        }
        ctx.send(to, lie);
    } else if (const auto* reply = message_as<Reply>(*message)) {
        auto lie = std::make_shared<Reply>(*reply);
        lie->result.value = reply->result.value + 1 + static_cast<std::int64_t>(random.below(5));
        lie->result.code = 0;
        if (forge) {
            lie->replica = static_cast<std::uint32_t>((self + 1) % ctx.cluster().size());
        } else {
            lie->sign();
        }
        ctx.send(to, lie);
    } else if (const auto* checkpoint = message_as<Checkpoint>(*message)) {
        auto lie = std::make_shared<Checkpoint>(*checkpoint);
        lie->state_digest = random.next();
        if (!forge) lie->sign();
        ctx.send(to, lie);
    } else if (const auto* forward = message_as<Forward>(*message)) {
        auto lie = std::make_shared<Forward>(*forward);  // the client's signature no longer matches
        lie->request.command.value += 1;
        ctx.send(to, lie);
    } else if (const auto* pp = message_as<PrePrepare>(*message)) {
        auto lie = std::make_shared<PrePrepare>(*pp);
        if (lie->request) {
            lie->request->command.value += 1;  // a request the client never signed
            lie->request_digest = lie->request->digest();
        } else {
            lie->seq += 1;
        }
        if (pp->replica == self) lie->sign();
        ctx.send(to, lie);
    } else if (MessagePtr altered = message->tampered(random)) {
        ctx.send(to, std::move(altered));
    } else {
        ctx.send(to, message);
    }
}

}  // namespace faultline::protocols::pbft
