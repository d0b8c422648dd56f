// BlockTree: one node's view of a longest-chain (Nakamoto) ledger: every
// block it holds, and the chain its fork choice follows.
//
// A block names its parent; the blocks form a tree rooted at the genesis block
// (id 0, height 0). The node follows the heaviest chain: every block weighs
// the same, so the heaviest chain is the longest, the path from genesis to the
// highest block. Ties between tips of equal height are broken by `TieBreak`:
//
//   first-seen  keep the current head (Bitcoin Core: a node never switches to
//               a chain of equal work, which favours the block that arrived
//               first)
//   newest      switch to the tip that arrived last (how Eyal and Sirer's
//               gamma is set: the share of honest power that mines on the
//               selfish miner's block in a race, docs/chain.md)
//
// Transactions are transfers: each spends one coin, and a coin may be spent
// once on a chain. A block is valid on its parent when none of its coins is
// spent on the chain that ends at the parent, nor twice in the block; two
// branches may spend one coin differently (a double-spend), and only the one
// the fork choice keeps counts. The tree indexes the followed chain (which
// height holds a transaction, where a coin was spent) and keeps the index
// right across a reorganisation, so questions about the head cost O(1) and
// questions about a side branch cost its length.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/types.h"

namespace faultline::protocols::chain {

using BlockId = std::uint64_t;
inline constexpr BlockId kGenesis = 0;

struct Tx {
    std::int64_t id = 0;
    std::int64_t coin = 0;  // what it spends; a client's payment spends the coin of its own id
    friend bool operator==(const Tx&, const Tx&) = default;
};

struct Block {
    BlockId id = kGenesis;
    BlockId parent = kGenesis;
    std::int64_t height = 0;
    NodeId miner{0};
    std::vector<Tx> txs;
};

using BlockPtr = std::shared_ptr<const Block>;

enum class TieBreak : std::uint8_t { first_seen, newest };

// The head moved. `dropped` blocks (old head down to, not including, the
// fork point) left the chain and `added` ones (fork point upwards) joined it;
// a plain extension drops none.
struct HeadChange {
    BlockId from = kGenesis;
    BlockId to = kGenesis;
    std::int64_t fork_height = 0;
    std::vector<BlockPtr> dropped;
    std::vector<BlockPtr> added;
};

class BlockTree {
  public:
    BlockTree();

    bool contains(BlockId id) const { return blocks_.contains(id); }
    // Null if the tree lacks it.
    const BlockPtr* find(BlockId id) const;
    const BlockPtr& head() const { return blocks_.at(chain_.back()); }
    std::int64_t height() const { return static_cast<std::int64_t>(chain_.size()) - 1; }
    // The followed chain, by height (chain()[0] is genesis).
    const std::vector<BlockId>& chain() const { return chain_; }
    bool on_chain(const Block& block) const;

    // Whether `txs` may extend the chain that ends at `parent` (in the tree).
    bool valid_on(BlockId parent, const std::vector<Tx>& txs) const;
    // The candidates that may extend `parent` with the blocks `above` on top
    // of it (an attacker's withheld blocks, not in the tree), in order, at most
    // `max` of them (a block builder's choice: each is checked against the
    // earlier picks too).
    std::vector<Tx> select(BlockId parent, const std::vector<BlockPtr>& above, const std::vector<Tx>& candidates,
                           std::size_t max) const;

    // Adds a block whose parent is in the tree and that is valid on it, then
    // runs the fork choice. Returns the head change, if the head moved. A block
    // already held changes nothing.
    std::optional<HeadChange> add(BlockPtr block, TieBreak tie_break);

    // The height of the followed chain's block that holds transaction `tx`.
    std::optional<std::int64_t> tx_height(std::int64_t tx) const;
    // Blocks on top of (and including) the one at `height`: 1 for the head.
    std::int64_t depth_of(std::int64_t height) const { return this->height() - height + 1; }

  private:
    // What the chain ending at `parent` spends: the side branch's coins and
    // transactions, and the height where it meets the followed chain.
    struct Branch {
        std::unordered_set<std::int64_t> coins;
        std::unordered_set<std::int64_t> txs;
        std::int64_t fork_height = 0;
    };
    Branch branch_to(BlockId parent) const;
    bool spent_on(const Branch& branch, const Tx& tx) const;
    void index(const Block& block);
    void unindex(const Block& block);
    HeadChange switch_to(const BlockPtr& tip);

    std::unordered_map<BlockId, BlockPtr> blocks_;
    std::vector<BlockId> chain_;
    std::unordered_map<std::int64_t, std::int64_t> tx_height_;    // tx -> height, on the followed chain
    std::unordered_map<std::int64_t, std::int64_t> coin_height_;  // coin -> height where it was spent
};

}  // namespace faultline::protocols::chain
