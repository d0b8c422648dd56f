#include "protocols/tendermint/byzantine.h"

#include <algorithm>

#include "base/assert.h"

namespace faultline::protocols::tendermint {

namespace {

// What a double-signer votes for instead of nil: a block no one proposed.
constexpr BlockId kPhantom = 0xdeadbeef;

}  // namespace

const char* behaviour_name(Behaviour behaviour) {
    switch (behaviour) {
        case Behaviour::double_sign:
            return "double-sign";
        case Behaviour::amnesia:
            return "amnesia";
        case Behaviour::fork:
            return "fork";
    }
    return "?";
}

BlockPtr variant_of(const Block& block) {
    auto variant = std::make_shared<Block>(block);
    variant->variant = 1;
    variant->commands.clear();
    variant->seal();
    return variant;
}

void ByzantineValidator::start(Context& ctx) {
    InterceptedContext<ByzantineValidator> intercept(*this, ctx);
    inner_.start(intercept);
}

void ByzantineValidator::recover(Context& ctx) {
    InterceptedContext<ByzantineValidator> intercept(*this, ctx);
    inner_.recover(intercept);
}

void ByzantineValidator::on_message(Context& ctx, const Envelope& envelope) {
    if (const auto* proposal = message_as<Proposal>(*envelope.message); proposal != nullptr && proposal->block) {
        remember(*proposal->block);
    }
    InterceptedContext<ByzantineValidator> intercept(*this, ctx);
    inner_.on_message(intercept, envelope);
}

void ByzantineValidator::on_timer(Context& ctx, TimerId timer, std::uint64_t tag) {
    InterceptedContext<ByzantineValidator> intercept(*this, ctx);
    inner_.on_timer(intercept, timer, tag);
}

void ByzantineValidator::remember(const Block& block) {
    if (behaviour_ != Behaviour::fork || block.variant != 0) return;
    if (variants_.emplace(block.id(), variant_of(block)->id()).second) order_.push_back(block.id());
    while (order_.size() > 64) {
        variants_.erase(order_.front());
        order_.pop_front();
    }
}

std::uint32_t ByzantineValidator::index_of(Context& ctx, NodeId node) const {
    const auto cluster = ctx.cluster();
    return static_cast<std::uint32_t>(std::find(cluster.begin(), cluster.end(), node) - cluster.begin());
}

// The fork's second story goes to the upper half of the correct validators.
bool ByzantineValidator::told_otherwise(Context& ctx, NodeId to) const {
    std::vector<std::uint32_t> correct;
    for (std::uint32_t i = 0; i < ctx.cluster().size(); ++i) {
        if (std::find(colluders_.begin(), colluders_.end(), i) == colluders_.end()) correct.push_back(i);
    }
    const auto at = std::find(correct.begin(), correct.end(), index_of(ctx, to));
    return at != correct.end() && static_cast<std::size_t>(at - correct.begin()) >= (correct.size() + 1) / 2;
}

std::shared_ptr<Vote> ByzantineValidator::recast(const Vote& vote, BlockId block) const {
    auto lie = std::make_shared<Vote>(vote);
    lie->block = block;
    lie->sign();
    return lie;
}

void ByzantineValidator::outgoing(Context& ctx, NodeId to, MessagePtr message) {
    const auto* vote = message_as<Vote>(*message);
    const bool own_vote = vote != nullptr && vote->voter == inner_.index();
    switch (behaviour_) {
        case Behaviour::double_sign:
            if (own_vote && index_of(ctx, to) % 2 == 1) {
                ++lies_;
                message = recast(*vote, vote->block == kNil ? kPhantom : kNil);
            }
            break;
        case Behaviour::amnesia:
            if (own_vote) {
                // One vote per step: what it resends is what it said first.
                auto said = said_.find({vote->height, vote->round, vote->kind});
                if (said != said_.end()) {
                    ctx.send(to, said->second);
                    return;
                }
            }
            if (const auto* proposal = message_as<Proposal>(*message);
                proposal != nullptr && proposal->proposer == inner_.index() && proposal->valid_round >= 0) {
                // It forgot its validValue too: a new block, as if nothing was locked.
                ++lies_;
                auto fresh = std::make_shared<Proposal>(*proposal);
                fresh->block = variant_of(*proposal->block);
                fresh->valid_round = -1;
                fresh->sign();
                fresh_[proposal->round] = fresh->block->id();
                message = fresh;
            } else if (own_vote && vote->kind == VoteType::precommit && vote->block != kNil) {
                ++lies_;  // it withholds its precommit, so that rounds after its lock come
                message = recast(*vote, kNil);
            } else if (own_vote && vote->kind == VoteType::prevote && inner_.locked_round() >= 0 &&
                       inner_.locked_round() < vote->round) {
                const BlockPtr proposal = inner_.proposal_in(vote->round);
                auto fresh = fresh_.find(vote->round);
                const BlockId chosen = fresh != fresh_.end() ? fresh->second : proposal ? proposal->id() : kNil;
                if (chosen != kNil && chosen != vote->block) {
                    ++lies_;
                    ++against_lock_;
                    message = recast(*vote, chosen);
                }
            }
            if (inner_.round() == 0) fresh_.clear();
            if (own_vote) {
                said_[{vote->height, vote->round, vote->kind}] = message;
                std::erase_if(said_, [&](const auto& entry) { return std::get<0>(entry.first) + 2 < vote->height; });
            }
            break;
        case Behaviour::fork:
            if (const auto* proposal = message_as<Proposal>(*message);
                proposal != nullptr && proposal->proposer == inner_.index()) {
                remember(*proposal->block);
                if (told_otherwise(ctx, to)) {
                    ++lies_;
                    auto lie = std::make_shared<Proposal>(*proposal);
                    lie->block = variant_of(*proposal->block);
                    lie->sign();
                    message = lie;
                }
            } else if (own_vote && vote->block != kNil && told_otherwise(ctx, to)) {
                auto variant = variants_.find(vote->block);
                if (variant != variants_.end()) {
                    ++lies_;
                    message = recast(*vote, variant->second);
                }
            }
            break;
    }
    ctx.send(to, std::move(message));
}

}  // namespace faultline::protocols::tendermint
