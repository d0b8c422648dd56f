// The longest-chain checks: is a confirmation final, and does every
// producer get the share of the chain its power earns.
//
// A history (god's view, from the nodes' reports) holds every block mined,
// withheld ones included, with its parent, height and miner; every
// reorganisation of a node's chain (how many blocks it dropped); each
// node's share of the production power; and the final chain's head: after
// the heal and a settle time, the highest head among the nodes up at the
// end (ties: the head most of them hold, then the smaller id).
//
//   finality    every payment a node reported "confirmed at depth k" (an ok
//               completion of `pay` whose value names the block) is in that
//               block on the final chain. A confirmed block that left the
//               chain is a reverted confirmation; the counterexample names
//               the payment, the node that confirmed it and at what depth,
//               and the fork: the final chain's block at that height, the
//               height where the branches meet, and where the payment ended
//               up (mined again later, or nowhere: its coin was spent twice)
//   fair-share  no producer's share of the final chain's blocks exceeds p,
//               its share of all the blocks found (withheld and stale ones
//               included), by more than `tolerance` + 5 sigma, sigma =
//               sqrt(p (1 - p) / n) over the n blocks of the final chain (a
//               producer's blocks are close to binomial: five standard
//               deviations keep an honest run's false alarms below one in
//               a million a node). p is the power a producer used, not its
//               nominal share: a node down or paused found fewer blocks, and
//               is owed fewer. Selfish mining gets a minority more than p:
//               the honest blocks it orphans are found but not kept.
//
// The finality outcome's details also carry the fork and reorganisation
// statistics of the run (chain_stats): blocks mined, stale blocks (mined,
// not on the final chain), the fork rate (stale / mined), reorganisations
// and their depths, and each producer's share.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/json.h"
#include "base/time.h"
#include "check/history.h"
#include "check/outcome.h"

namespace faultline::check {

struct ChainBlock {
    std::uint64_t id = 0;
    std::uint64_t parent = 0;
    std::int64_t height = 0;
    int miner = 0;  // node index
    Nanos mined_at = 0;
    std::vector<std::int64_t> txs;
};

struct ChainReorg {
    int node = 0;
    Nanos at = 0;
    std::int64_t depth = 0;  // blocks dropped from the node's chain
};

struct ChainHistory {
    std::vector<std::string> names;  // by node
    std::vector<double> power;       // by node, summing to 1
    std::vector<ChainBlock> blocks;  // genesis (id 0) is implied
    std::vector<ChainReorg> reorgs;
    std::uint64_t head_changes = 0;
    std::uint64_t final_head = 0;

    int nodes() const { return static_cast<int>(names.size()); }
    void add_node(std::string name, double share);
    ChainBlock& add_block(std::uint64_t id, std::uint64_t parent, int miner, Nanos at, std::vector<std::int64_t> txs);
    // Null for an id never mined (genesis included).
    const ChainBlock* find(std::uint64_t id) const;

  private:
    std::unordered_map<std::uint64_t, std::size_t> index_;
};

// Fork and reorganisation statistics (see above).
Json chain_stats(const ChainHistory& chain);

Outcome check_finality(const History& history, const ChainHistory& chain);
Outcome check_fair_share(const ChainHistory& chain, double tolerance);

}  // namespace faultline::check
