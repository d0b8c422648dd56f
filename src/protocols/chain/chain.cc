#include "protocols/chain/chain.h"

#include <algorithm>
#include <cmath>

#include "base/assert.h"
#include "base/hash.h"
#include "base/json.h"
#include "protocols/gossip/gossip.h"

namespace faultline::protocols::chain {

namespace {

constexpr std::uint64_t kMineTag = 0;
constexpr std::uint64_t kSyncTag = 1;
constexpr double kMineDelayMax = 1e18;  // ns, about 32 years

constexpr struct {
    Attack attack;
    const char* name;
} kAttackNames[] = {{Attack::none, "none"}, {Attack::double_spend, "double-spend"}, {Attack::selfish, "selfish"}};

Json block_json(const Block& block) {
    Json txs = Json::array();
    for (const Tx& tx : block.txs) txs.push_back(Json::array({tx.id, tx.coin}));
    return Json{{"id", block.id},
                {"parent", block.parent},
                {"height", block.height},
                {"miner", block.miner.value},
                {"txs", std::move(txs)}};
}

// The conflicting payment a double-spender mines: the victim's coin, paid
// back to itself (negative ids never collide with the clients' payments).
Tx conflicting(const Tx& victim) {
    return Tx{.id = -victim.id - 1, .coin = victim.coin};
}

}  // namespace

const char* attack_name(Attack attack) {
    for (const auto& entry : kAttackNames) {
        if (entry.attack == attack) return entry.name;
    }
    FL_UNREACHABLE();
}

std::optional<Attack> parse_attack(std::string_view name) {
    for (const auto& entry : kAttackNames) {
        if (name == entry.name) return entry.attack;
    }
    return std::nullopt;
}

nlohmann::json PayRequest::to_json() const {
    return Json{{"type", type()}, {"msg_id", msg_id}, {"tx", tx}};
}

std::uint64_t PayRequest::digest() const {
    return hash_words({msg_id, static_cast<std::uint64_t>(tx)}, 1);
}

nlohmann::json PayConfirmed::to_json() const {
    return Json{{"type", type()}, {"in_reply_to", in_reply_to}, {"tx", tx},
                {"block", block}, {"height", height},           {"depth", depth}};
}

std::uint64_t PayConfirmed::digest() const {
    return hash_words({in_reply_to, static_cast<std::uint64_t>(tx), block, static_cast<std::uint64_t>(height),
                       static_cast<std::uint64_t>(depth)},
                      2);
}

nlohmann::json TxAnnounce::to_json() const {
    return Json{{"type", type()}, {"tx", tx.id}, {"coin", tx.coin}};
}

std::uint64_t TxAnnounce::digest() const {
    return hash_words({static_cast<std::uint64_t>(tx.id), static_cast<std::uint64_t>(tx.coin)}, 3);
}

nlohmann::json Blocks::to_json() const {
    Json list = Json::array();
    for (const BlockPtr& block : blocks) list.push_back(block_json(*block));
    return Json{{"type", type()}, {"blocks", std::move(list)}};
}

std::uint32_t Blocks::size_bytes() const {
    std::uint32_t size = 16;
    for (const BlockPtr& block : blocks) size += 80 + 16 * static_cast<std::uint32_t>(block->txs.size());
    return size;
}

std::uint64_t Blocks::digest() const {
    std::vector<BlockId> ids;
    ids.reserve(blocks.size());
    for (const BlockPtr& block : blocks) ids.push_back(block->id);
    return hash_bytes(ids.data(), ids.size() * sizeof(BlockId), relay ? 7 : 6);
}

nlohmann::json GetBlock::to_json() const {
    return Json{{"type", type()}, {"id", id}};
}

std::uint64_t GetBlock::digest() const {
    return hash_words({id}, 4);
}

nlohmann::json HeadAnnounce::to_json() const {
    return Json{{"type", type()}, {"head", head}, {"height", height}};
}

std::uint64_t HeadAnnounce::digest() const {
    return hash_words({head, static_cast<std::uint64_t>(height)}, 5);
}

ChainNode::ChainNode(const ChainOptions& options, ChainSink* sink) : options_(options), sink_(sink) {
    FL_ASSERT(sink_ != nullptr);
    FL_ASSERT_GT(options_.block_interval, 0);
    FL_ASSERT(options_.share > 0 && options_.share <= 1);
    FL_ASSERT(options_.confirmations >= 1 && options_.confirmations <= kConfirmationsMax);
    FL_ASSERT(options_.fanout >= 1 && options_.fanout <= kFanoutMax);
    FL_ASSERT_GT(options_.sync_interval, 0);
    attacking_ = options_.attack == Attack::selfish;
}

void ChainNode::start(Context& ctx) {
    schedule_mining(ctx);
    ctx.set_timer(options_.sync_interval, kSyncTag);
}

void ChainNode::schedule_mining(Context& ctx) {
    const double mean = static_cast<double>(options_.block_interval) / options_.share;
    // A tiny share draws delays past any run (and past Nanos): such a block never comes.
    const auto after = static_cast<Nanos>(std::llround(std::min(ctx.random().exponential(mean), kMineDelayMax)));
    ctx.set_timer(std::max<Nanos>(after, 1), kMineTag);
}

void ChainNode::on_timer(Context& ctx, TimerId, std::uint64_t tag) {
    if (tag == kMineTag) {
        mine(ctx);
        schedule_mining(ctx);
        return;
    }
    FL_ASSERT_EQ(tag, kSyncTag);
    for (NodeId peer : gossip::random_peers(ctx, 1)) {
        auto head = std::make_shared<HeadAnnounce>();
        head->head = tree_.head()->id;
        head->height = tree_.height();
        ctx.send(peer, std::move(head));
    }
    ctx.set_timer(options_.sync_interval, kSyncTag);
}

BlockId ChainNode::mining_parent() const {
    if (!branch_.empty()) return branch_.back()->id;
    if (victim_) return fork_base_;
    return tree_.head()->id;
}

std::int64_t ChainNode::mining_height() const {
    if (!branch_.empty()) return branch_.back()->height;
    return (*tree_.find(mining_parent()))->height;
}

void ChainNode::mine(Context& ctx) {
    const BlockId parent = mining_parent();
    const std::int64_t height = mining_height() + 1;
    // The withheld blocks lie above the last one the tree holds.
    const std::vector<BlockPtr> above(branch_.begin() + static_cast<std::ptrdiff_t>(released_), branch_.end());
    const BlockId in_tree = above.empty() ? parent : above.front()->parent;
    std::vector<Tx> candidates;
    if (victim_) candidates.push_back(conflicting(*victim_));
    for (const auto& [id, tx] : mempool_) candidates.push_back(tx);
    auto block = std::make_shared<Block>();
    do {
        block->id = ctx.random().next();
    } while (block->id == kGenesis || tree_.contains(block->id));
    block->parent = parent;
    block->height = height;
    block->miner = ctx.self();
    block->txs = tree_.select(in_tree, above, candidates, kBlockTxsMax);
    if (victim_) {
        FL_ASSERT_MSG(std::none_of(block->txs.begin(), block->txs.end(), [&](const Tx& tx) { return tx == *victim_; }),
                      "a double-spender mined its victim's payment");
    }
    BlockPtr mined = std::move(block);
    sink_->mined(mined);
    if (!attacking_) {
        accept(ctx, mined, true);
        return;
    }
    branch_.push_back(mined);
    attack_after_mining(ctx, mined);
}

void ChainNode::on_message(Context& ctx, const Envelope& envelope) {
    const Message& message = *envelope.message;
    if (const auto* blocks = message_as<Blocks>(message)) {
        // Asked-for blocks come highest first: take them parents first.
        for (auto it = blocks->blocks.rbegin(); it != blocks->blocks.rend(); ++it) {
            receive(ctx, *it, envelope.from, blocks->relay);
        }
        return;
    }
    if (const auto* get = message_as<GetBlock>(message)) {
        const BlockPtr* found = tree_.find(get->id);
        if (found == nullptr) return;
        auto reply = std::make_shared<Blocks>();
        const Block* block = found->get();
        while (block->id != kGenesis && reply->blocks.size() < kFetchBatch) {
            reply->blocks.push_back(*tree_.find(block->id));
            block = tree_.find(block->parent)->get();
        }
        if (!reply->blocks.empty()) ctx.send(envelope.from, std::move(reply));
        return;
    }
    if (const auto* head = message_as<HeadAnnounce>(message)) {
        if (head->height > tree_.height() && !tree_.contains(head->head)) {
            auto get = std::make_shared<GetBlock>();
            get->id = head->head;
            ctx.send(envelope.from, std::move(get));
        }
        return;
    }
    if (const auto* announce = message_as<TxAnnounce>(message)) {
        if (options_.attack == Attack::double_spend) start_double_spend(announce->tx);
        add_to_mempool(announce->tx);
        return;
    }
    const auto* pay = message_as<PayRequest>(message);
    if (pay == nullptr) return;
    const Tx tx{.id = pay->tx, .coin = pay->tx};
    waiting_[tx.id].emplace_back(envelope.from, pay->msg_id);
    if (!mempool_.contains(tx.id) && !tree_.tx_height(tx.id)) {
        if (options_.attack == Attack::double_spend) start_double_spend(tx);
        add_to_mempool(tx);
        auto announce = std::make_shared<TxAnnounce>();
        announce->tx = tx;
        send_to_all(ctx, std::move(announce));
    }
    answer_clients(ctx);
}

void ChainNode::add_to_mempool(const Tx& tx) {
    if (tree_.tx_height(tx.id)) return;
    mempool_.emplace(tx.id, tx);
}

void ChainNode::receive(Context& ctx, const BlockPtr& block, std::optional<NodeId> from, bool relay) {
    FL_ASSERT(block != nullptr);
    if (block->id == kGenesis || tree_.contains(block->id)) return;
    const BlockPtr* parent = tree_.find(block->parent);
    if (parent == nullptr) {
        if (held_.insert(block->id).second) orphans_.emplace(block->parent, block);
        // A parent held here already waits for its own parent: asking again
        // would fetch each missing stretch once per block above it.
        if (from && !held_.contains(block->parent)) {
            auto get = std::make_shared<GetBlock>();
            get->id = block->parent;
            ctx.send(*from, std::move(get));
        }
        return;
    }
    // Invalid blocks (a wrong height, a coin spent twice on their chain) are dropped.
    if (block->height != (*parent)->height + 1 || !tree_.valid_on(block->parent, block->txs)) {
        ctx.log("dropped an invalid block");
        return;
    }
    accept(ctx, block, relay);
    // Children that waited for this block can join now, and theirs after them.
    std::vector<BlockPtr> ready{block};
    while (!ready.empty()) {
        const BlockId id = ready.back()->id;
        ready.pop_back();
        auto [first, last] = orphans_.equal_range(id);
        std::vector<BlockPtr> children;
        for (auto it = first; it != last; ++it) {
            children.push_back(it->second);
            held_.erase(it->second->id);
        }
        orphans_.erase(first, last);
        for (const BlockPtr& child : children) {
            if (tree_.contains(child->id)) continue;
            if (child->height != block_height_of(id) + 1 || !tree_.valid_on(id, child->txs)) continue;
            accept(ctx, child, relay);
            ready.push_back(child);
        }
    }
}

std::int64_t ChainNode::block_height_of(BlockId id) const {
    return (*tree_.find(id))->height;
}

void ChainNode::accept(Context& ctx, const BlockPtr& block, bool relay) {
    const std::int64_t height_before = tree_.height();
    if (auto change = tree_.add(block, options_.tie_break)) on_head_change(ctx, *change);
    if (relay) push(ctx, block);
    if (attacking_ && tree_.height() > height_before) attack_after_public_growth(ctx);
}

void ChainNode::push(Context& ctx, const BlockPtr& block) {
    auto message = std::make_shared<Blocks>();
    message->blocks.push_back(block);
    message->relay = true;
    const MessagePtr shared = std::move(message);
    for (NodeId peer : gossip::random_peers(ctx, options_.fanout)) ctx.send(peer, shared);
}

void ChainNode::send_to_all(Context& ctx, MessagePtr message) {
    for (NodeId peer : ctx.cluster()) {
        if (peer != ctx.self()) ctx.send(peer, message);
    }
}

void ChainNode::on_head_change(Context& ctx, const HeadChange& change) {
    FL_ASSERT_EQ(change.to, tree_.head()->id);
    sink_->head_changed(ctx.self(), change);
    // Payments of dropped blocks wait again, unless the new chain holds them
    // (or spends their coin: they stay, and no block will take them).
    for (const BlockPtr& block : change.dropped) {
        for (const Tx& tx : block->txs) add_to_mempool(tx);
    }
    for (const BlockPtr& block : change.added) {
        for (const Tx& tx : block->txs) mempool_.erase(tx.id);
    }
    answer_clients(ctx);
}

void ChainNode::answer_clients(Context& ctx) {
    for (auto it = waiting_.begin(); it != waiting_.end();) {
        const auto height = tree_.tx_height(it->first);
        if (!height || tree_.depth_of(*height) < options_.confirmations) {
            ++it;
            continue;
        }
        for (const auto& [client, msg_id] : it->second) {
            auto reply = std::make_shared<PayConfirmed>();
            reply->in_reply_to = msg_id;
            reply->tx = it->first;
            reply->block = tree_.chain()[static_cast<std::size_t>(*height)];
            reply->height = *height;
            reply->depth = tree_.depth_of(*height);
            ctx.send(client, std::move(reply));
        }
        it = waiting_.erase(it);
    }
}

void ChainNode::start_double_spend(const Tx& victim) {
    if (victim_ || attack_done_ || victim.id < 0 || tree_.tx_height(victim.id)) return;
    victim_ = victim;
    fork_base_ = tree_.head()->id;
    attacking_ = true;
    FL_ASSERT(branch_.empty());
}

void ChainNode::attack_after_mining(Context& ctx, const BlockPtr& block) {
    FL_ASSERT(attacking_);
    FL_ASSERT_EQ(branch_.back(), block);
    if (options_.attack == Attack::double_spend) {
        maybe_release_double_spend(ctx);
        return;
    }
    FL_ASSERT(options_.attack == Attack::selfish);
    // Eyal and Sirer, Algorithm 1, "my pool found a block": the lead before it
    // was 0 and the branch is two long only in a race (state 0'), which this
    // block wins: publish it all.
    const std::int64_t lead_before = block->height - 1 - tree_.height();
    if (lead_before == 0 && branch_.size() == 2) {
        release(ctx, branch_.size());
        branch_.clear();
        released_ = 0;
    }
}

void ChainNode::attack_after_public_growth(Context& ctx) {
    if (options_.attack == Attack::double_spend) {
        maybe_release_double_spend(ctx);
        return;
    }
    FL_ASSERT(options_.attack == Attack::selfish);
    // Algorithm 1, "others found a block", written with the lead after the
    // growth (the public chain may also jump by several blocks at once).
    const std::int64_t mine = mining_height();
    const std::int64_t lead = mine - tree_.height();
    if (branch_.empty() || lead < 0) {
        branch_.clear();  // behind: adopt the public chain
        released_ = 0;
        return;
    }
    if (lead == 0) {
        release(ctx, branch_.size());  // a race for the tie
        return;
    }
    if (lead == 1) {
        release(ctx, branch_.size());  // ours is longer: publish it all and win
        branch_.clear();
        released_ = 0;
        return;
    }
    // Well ahead: match the public chain's height and stay ahead.
    std::size_t up_to = released_;
    while (up_to < branch_.size() && branch_[up_to]->height <= tree_.height()) ++up_to;
    release(ctx, up_to);
}

void ChainNode::maybe_release_double_spend(Context& ctx) {
    FL_ASSERT(victim_.has_value());
    if (branch_.empty()) return;
    const auto height = tree_.tx_height(victim_->id);
    if (!height || tree_.depth_of(*height) < options_.confirmations) return;
    if (branch_.back()->height <= tree_.height()) return;
    release(ctx, branch_.size());
    branch_.clear();
    released_ = 0;
    victim_.reset();
    attacking_ = false;
    attack_done_ = true;
}

void ChainNode::release(Context& ctx, std::size_t up_to) {
    FL_ASSERT_LE(up_to, branch_.size());
    if (up_to <= released_) return;
    auto message = std::make_shared<Blocks>();
    message->relay = true;
    for (std::size_t i = released_; i < up_to; ++i) {
        const BlockPtr& block = branch_[i];
        if (auto change = tree_.add(block, options_.tie_break)) on_head_change(ctx, *change);
        message->blocks.push_back(block);
    }
    released_ = up_to;
    // Relayed blocks are taken in the order they come; asked-for ones are read
    // highest first, so the list goes highest first here too.
    std::reverse(message->blocks.begin(), message->blocks.end());
    send_to_all(ctx, std::move(message));
}

}  // namespace faultline::protocols::chain
