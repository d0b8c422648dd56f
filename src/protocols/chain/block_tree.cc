#include "protocols/chain/block_tree.h"

#include <algorithm>

#include "base/assert.h"

namespace faultline::protocols::chain {

BlockTree::BlockTree() {
    auto genesis = std::make_shared<Block>();
    blocks_.emplace(kGenesis, std::move(genesis));
    chain_.push_back(kGenesis);
}

const BlockPtr* BlockTree::find(BlockId id) const {
    auto found = blocks_.find(id);
    return found == blocks_.end() ? nullptr : &found->second;
}

bool BlockTree::on_chain(const Block& block) const {
    return block.height <= height() && chain_[static_cast<std::size_t>(block.height)] == block.id;
}

BlockTree::Branch BlockTree::branch_to(BlockId parent) const {
    Branch branch;
    const Block* block = blocks_.at(parent).get();
    while (!on_chain(*block)) {
        for (const Tx& tx : block->txs) {
            branch.coins.insert(tx.coin);
            branch.txs.insert(tx.id);
        }
        block = blocks_.at(block->parent).get();
    }
    branch.fork_height = block->height;
    return branch;
}

bool BlockTree::spent_on(const Branch& branch, const Tx& tx) const {
    if (branch.coins.contains(tx.coin) || branch.txs.contains(tx.id)) return true;
    // On the followed chain, only what lies at or below the fork point counts.
    auto coin = coin_height_.find(tx.coin);
    if (coin != coin_height_.end() && coin->second <= branch.fork_height) return true;
    auto held = tx_height_.find(tx.id);
    return held != tx_height_.end() && held->second <= branch.fork_height;
}

bool BlockTree::valid_on(BlockId parent, const std::vector<Tx>& txs) const {
    FL_ASSERT(contains(parent));
    Branch branch = branch_to(parent);
    for (const Tx& tx : txs) {
        if (spent_on(branch, tx)) return false;
        branch.coins.insert(tx.coin);
        branch.txs.insert(tx.id);
    }
    return true;
}

std::vector<Tx> BlockTree::select(BlockId parent, const std::vector<BlockPtr>& above, const std::vector<Tx>& candidates,
                                  std::size_t max) const {
    FL_ASSERT(contains(parent));
    Branch branch = branch_to(parent);
    BlockId below = parent;
    for (const BlockPtr& block : above) {
        FL_ASSERT_EQ(block->parent, below);
        below = block->id;
        for (const Tx& tx : block->txs) {
            branch.coins.insert(tx.coin);
            branch.txs.insert(tx.id);
        }
    }
    std::vector<Tx> picked;
    for (const Tx& tx : candidates) {
        if (picked.size() >= max) break;
        if (spent_on(branch, tx)) continue;
        branch.coins.insert(tx.coin);
        branch.txs.insert(tx.id);
        picked.push_back(tx);
    }
    if (above.empty()) FL_ASSERT(valid_on(parent, picked));
    return picked;
}

void BlockTree::index(const Block& block) {
    for (const Tx& tx : block.txs) {
        const bool new_tx = tx_height_.emplace(tx.id, block.height).second;
        const bool new_coin = coin_height_.emplace(tx.coin, block.height).second;
        FL_ASSERT_MSG(new_tx && new_coin, "a transaction or coin twice on the followed chain");
    }
}

void BlockTree::unindex(const Block& block) {
    for (const Tx& tx : block.txs) {
        FL_ASSERT_EQ(tx_height_.erase(tx.id), 1u);
        FL_ASSERT_EQ(coin_height_.erase(tx.coin), 1u);
    }
}

HeadChange BlockTree::switch_to(const BlockPtr& tip) {
    HeadChange change;
    change.from = chain_.back();
    change.to = tip->id;
    // The new branch, from the tip down to the fork point.
    const Block* block = tip.get();
    while (!on_chain(*block)) {
        change.added.push_back(blocks_.at(block->id));
        block = blocks_.at(block->parent).get();
    }
    change.fork_height = block->height;
    std::reverse(change.added.begin(), change.added.end());
    while (height() > change.fork_height) {
        const BlockPtr& top = blocks_.at(chain_.back());
        unindex(*top);
        change.dropped.push_back(top);
        chain_.pop_back();
    }
    for (const BlockPtr& added : change.added) {
        FL_ASSERT_EQ(added->height, height() + 1);
        FL_ASSERT_EQ(added->parent, chain_.back());
        index(*added);
        chain_.push_back(added->id);
    }
    FL_ASSERT_EQ(chain_.back(), tip->id);
    return change;
}

std::optional<HeadChange> BlockTree::add(BlockPtr block, TieBreak tie_break) {
    FL_ASSERT(block != nullptr);
    FL_ASSERT_NE(block->id, kGenesis);
    if (contains(block->id)) return std::nullopt;
    const BlockPtr* parent = find(block->parent);
    FL_ASSERT_MSG(parent != nullptr, "a block added before its parent");
    FL_ASSERT_EQ(block->height, (*parent)->height + 1);
    FL_ASSERT(valid_on(block->parent, block->txs));
    const BlockPtr& stored = blocks_.emplace(block->id, std::move(block)).first->second;
    // Heaviest chain first; between tips of equal height, the tie-break.
    const bool heavier = stored->height > height();
    const bool tie_won = stored->height == height() && tie_break == TieBreak::newest;
    if (!heavier && !tie_won) return std::nullopt;
    return switch_to(stored);
}

std::optional<std::int64_t> BlockTree::tx_height(std::int64_t tx) const {
    auto found = tx_height_.find(tx);
    if (found == tx_height_.end()) return std::nullopt;
    return found->second;
}

}  // namespace faultline::protocols::chain
