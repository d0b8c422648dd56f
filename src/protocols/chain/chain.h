// Longest-chain (Nakamoto) consensus: each node produces blocks at random,
// spreads them by gossip, and follows the heaviest chain (block_tree.h). A
// client's payment is answered "confirmed at depth k" once the block holding
// it has k - 1 blocks on top on the answering node's chain: a promise that
// is only probable (docs/chain.md).
//
// Block production is a Poisson process in virtual time: a node with share s
// of the production power, in a cluster whose blocks come every
// `block_interval` on average, finds its next block after an exponential
// delay of mean block_interval / s, drawn from its own seeded stream. The
// process is memoryless, so a node that changes heads keeps its timer.
//
// Spreading is gossip (protocols/gossip): a node pushes a block it newly
// learnt to `fanout` random peers; a block whose parent is missing is held
// and the parent is asked of the sender; every `sync_interval` a node tells
// one random peer its head, and a peer lacking it asks for it (anti-entropy,
// which joins the two sides of a healed partition). A payment a client gives
// a node is sent to every peer at once and waits in each mempool.
//
// A node keeps nothing on disk: restarted, it knows only genesis and catches
// up by anti-entropy.
//
// One node (n0) may be an attacker (`Attack`):
//   double-spend  when it first hears of a payment it forks privately from
//                 its head, mines a conflicting payment of the same coin to
//                 itself, and withholds its branch until the payment is k
//                 deep on the public chain and its own branch is longer; then
//                 it releases the branch (the honest nodes reorganise and the
//                 payment can never be mined again) and mines honestly
//   selfish       Eyal and Sirer's selfish mining (Algorithm 1 of "Majority
//                 is not enough", 2014): it withholds the blocks it finds and
//                 releases them to overtake or race the honest ones
// An attacker sends its released blocks to every node at once.
//
// Every block mined and every head change is reported to a ChainSink (the
// checks' god's view), which never feeds anything back.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "node/node.h"
#include "protocols/chain/block_tree.h"

namespace faultline::protocols::chain {

enum class Attack : std::uint8_t { none, double_spend, selfish };

const char* attack_name(Attack attack);
std::optional<Attack> parse_attack(std::string_view name);

inline constexpr int kFanoutMax = 64;
inline constexpr int kConfirmationsMax = 1000;
inline constexpr std::size_t kBlockTxsMax = 1000;  // payments in one block
inline constexpr std::size_t kFetchBatch = 64;     // ancestors sent with a block asked for

struct ChainOptions {
    Nanos block_interval = milliseconds(100);  // the cluster's mean time between blocks
    double share = 1.0;                        // this node's share of the production power, (0, 1]
    int confirmations = 3;                     // k: answer a payment once k deep
    int fanout = 4;                            // peers a new block is pushed to
    Nanos sync_interval = seconds(1);          // head announcements to a random peer
    TieBreak tie_break = TieBreak::first_seen;
    Attack attack = Attack::none;
};

// The checks' view of a run.
class ChainSink {
  public:
    virtual ~ChainSink() = default;
    // `block` was found by its miner (withheld or not).
    virtual void mined(const BlockPtr& block) = 0;
    // `node`'s head moved; a reorganisation drops blocks.
    virtual void head_changed(NodeId node, const HeadChange& change) = 0;
};

// A client's payment, and the answer once it is confirmed.
struct PayRequest final : Message {
    std::uint64_t msg_id = 0;
    std::int64_t tx = 0;

    std::string_view type() const override { return "pay"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 32; }
    std::uint64_t digest() const override;
};

struct PayConfirmed final : Message {
    std::uint64_t in_reply_to = 0;
    std::int64_t tx = 0;
    BlockId block = kGenesis;
    std::int64_t height = 0;
    std::int64_t depth = 0;

    std::string_view type() const override { return "pay_confirmed"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 48; }
    std::uint64_t digest() const override;
};

// A payment spread to the mempools.
struct TxAnnounce final : Message {
    Tx tx;

    std::string_view type() const override { return "tx"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 24; }
    std::uint64_t digest() const override;
};

// Blocks on the wire: a new block pushed (`relay`: pass it on), or blocks
// asked for (the one asked and up to kFetchBatch - 1 of its ancestors,
// highest first; not passed on).
struct Blocks final : Message {
    std::vector<BlockPtr> blocks;
    bool relay = false;

    std::string_view type() const override { return relay ? "block" : "blocks"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override;
    std::uint64_t digest() const override;
};

struct GetBlock final : Message {
    BlockId id = kGenesis;

    std::string_view type() const override { return "get_block"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16; }
    std::uint64_t digest() const override;
};

struct HeadAnnounce final : Message {
    BlockId head = kGenesis;
    std::int64_t height = 0;

    std::string_view type() const override { return "head"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 24; }
    std::uint64_t digest() const override;
};

class ChainNode final : public Node {
  public:
    // `sink` must outlive the node.
    ChainNode(const ChainOptions& options, ChainSink* sink);

    void start(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    const BlockTree& tree() const { return tree_; }
    // Blocks the attacker found and has not released.
    std::size_t withheld() const { return branch_.size() - released_; }

  private:
    void schedule_mining(Context& ctx);
    void mine(Context& ctx);
    // The block to build on: the head, or an attacker's private tip.
    BlockId mining_parent() const;
    std::int64_t mining_height() const;
    // Adds a block (and any held children) to the tree; pushes what is new
    // to `fanout` peers when `relay`. Asks `from` for a missing parent.
    void receive(Context& ctx, const BlockPtr& block, std::optional<NodeId> from, bool relay);
    void accept(Context& ctx, const BlockPtr& block, bool relay);
    void on_head_change(Context& ctx, const HeadChange& change);
    void answer_clients(Context& ctx);
    void push(Context& ctx, const BlockPtr& block);
    void send_to_all(Context& ctx, MessagePtr message);
    void add_to_mempool(const Tx& tx);

    // Attacks.
    // After the attacker found `block` (the last of branch_).
    void attack_after_mining(Context& ctx, const BlockPtr& block);
    // After the public chain grew by others' blocks.
    void attack_after_public_growth(Context& ctx);
    void maybe_release_double_spend(Context& ctx);
    // Sends branch_[released_, up_to) to every node and adds it to the tree.
    void release(Context& ctx, std::size_t up_to);
    void start_double_spend(const Tx& victim);
    std::int64_t block_height_of(BlockId id) const;

    ChainOptions options_;
    ChainSink* sink_;
    BlockTree tree_;
    std::map<std::int64_t, Tx> mempool_;        // tx id -> tx, not on the followed chain
    std::multimap<BlockId, BlockPtr> orphans_;  // parent id -> blocks waiting for it
    std::unordered_set<BlockId> held_;          // the ids in orphans_
    std::map<std::int64_t, std::vector<std::pair<NodeId, std::uint64_t>>> waiting_;  // tx -> clients to answer
    bool attacking_ = false;
    std::vector<BlockPtr> branch_;  // the attacker's blocks since it last adopted the public chain
    std::size_t released_ = 0;      // how many of branch_ the others have
    std::optional<Tx> victim_;      // double-spend: the payment it means to revert
    BlockId fork_base_ = kGenesis;  // double-spend: the head when it heard of the victim
    bool attack_done_ = false;
};

}  // namespace faultline::protocols::chain
