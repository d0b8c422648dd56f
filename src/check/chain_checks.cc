#include "check/chain_checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <unordered_set>

#include "base/assert.h"

namespace faultline::check {

namespace {

// The final chain: ids from the head down, and the block at each height.
struct FinalChain {
    std::unordered_set<std::uint64_t> ids;
    std::vector<const ChainBlock*> by_height;  // [0] is genesis (null)
};

FinalChain final_chain(const ChainHistory& chain) {
    FinalChain out;
    std::vector<const ChainBlock*> down;
    for (const ChainBlock* block = chain.find(chain.final_head); block != nullptr; block = chain.find(block->parent)) {
        down.push_back(block);
        out.ids.insert(block->id);
    }
    out.by_height.push_back(nullptr);
    out.by_height.insert(out.by_height.end(), down.rbegin(), down.rend());
    for (std::size_t h = 1; h < out.by_height.size(); ++h) FL_ASSERT_EQ(out.by_height[h]->height, std::int64_t(h));
    return out;
}

std::string block_name(const ChainHistory& chain, const ChainBlock* block) {
    if (block == nullptr) return "genesis";
    return fmt::format("block {:08x} (height {}, mined by {})", block->id & 0xffffffffu, block->height,
                       chain.names.at(static_cast<std::size_t>(block->miner)));
}

std::optional<std::uint64_t> json_id(const Json& value, const char* key) {
    if (!value.is_object() || !value.contains(key) || !value[key].is_number_unsigned()) return std::nullopt;
    return value[key].get<std::uint64_t>();
}

}  // namespace

void ChainHistory::add_node(std::string name, double share) {
    FL_ASSERT(blocks.empty());
    FL_ASSERT(share >= 0 && share <= 1);
    names.push_back(std::move(name));
    power.push_back(share);
}

ChainBlock& ChainHistory::add_block(std::uint64_t id, std::uint64_t parent, int miner, Nanos at,
                                    std::vector<std::int64_t> txs) {
    FL_ASSERT_NE(id, 0u);
    FL_ASSERT(miner >= 0 && miner < nodes());
    FL_ASSERT(!index_.contains(id));
    const ChainBlock* above = find(parent);
    FL_ASSERT_MSG(parent == 0 || above != nullptr, "a block mined on a parent never mined");
    index_.emplace(id, blocks.size());
    return blocks.emplace_back(ChainBlock{.id = id,
                                          .parent = parent,
                                          .height = above == nullptr ? 1 : above->height + 1,
                                          .miner = miner,
                                          .mined_at = at,
                                          .txs = std::move(txs)});
}

const ChainBlock* ChainHistory::find(std::uint64_t id) const {
    auto found = index_.find(id);
    return found == index_.end() ? nullptr : &blocks[found->second];
}

Json chain_stats(const ChainHistory& chain) {
    const FinalChain final = final_chain(chain);
    const auto length = static_cast<std::int64_t>(final.by_height.size()) - 1;
    const auto mined = static_cast<std::int64_t>(chain.blocks.size());
    std::int64_t deepest = 0, dropped = 0;
    for (const ChainReorg& reorg : chain.reorgs) {
        deepest = std::max(deepest, reorg.depth);
        dropped += reorg.depth;
    }
    std::vector<std::int64_t> by_miner(chain.names.size(), 0);
    for (std::size_t h = 1; h < final.by_height.size(); ++h) ++by_miner[final.by_height[h]->miner];
    Json shares = Json::object();
    for (int n = 0; n < chain.nodes(); ++n) {
        shares[chain.names[n]] =
            Json{{"power", chain.power[n]},
                 {"blocks", by_miner[n]},
                 {"share", length == 0 ? 0.0 : static_cast<double>(by_miner[n]) / static_cast<double>(length)}};
    }
    const auto reorgs = static_cast<std::int64_t>(chain.reorgs.size());
    return Json{{"mined", mined},
                {"final_length", length},
                {"stale", mined - length},
                {"fork_rate", mined == 0 ? 0.0 : static_cast<double>(mined - length) / static_cast<double>(mined)},
                {"head_changes", chain.head_changes},
                {"reorgs", reorgs},
                {"reorg_depth_max", deepest},
                {"reorg_depth_mean", reorgs == 0 ? 0.0 : static_cast<double>(dropped) / static_cast<double>(reorgs)},
                {"shares", std::move(shares)}};
}

Outcome check_finality(const History& history, const ChainHistory& chain) {
    Outcome outcome{.name = "finality"};
    const FinalChain final = final_chain(chain);
    std::map<std::int64_t, std::int64_t> final_tx_height;  // tx -> height on the final chain
    for (std::size_t h = 1; h < final.by_height.size(); ++h) {
        for (std::int64_t tx : final.by_height[h]->txs) final_tx_height.emplace(tx, static_cast<std::int64_t>(h));
    }
    std::int64_t confirmed = 0, reverted = 0;
    Json counterexample;
    // The counterexample is the first reverted confirmation, or better the
    // first whose payment is nowhere on the final chain (a double-spend)
    // rather than mined again.
    bool lost = false;
    for (const Operation& op : history) {
        if (op.type != OpType::ok || op.f != "pay") continue;
        ++confirmed;
        const auto id = json_id(op.value, "block");
        const ChainBlock* block = id ? chain.find(*id) : nullptr;
        const bool holds = block != nullptr && op.key.is_number_integer() &&
                           std::count(block->txs.begin(), block->txs.end(), op.key.get<std::int64_t>()) > 0;
        if (holds && final.ids.contains(block->id)) continue;
        ++reverted;
        const bool gone = !holds || !final_tx_height.contains(op.key.get<std::int64_t>());
        if (reverted > 1 && (lost || !gone)) continue;
        lost = gone;
        const std::int64_t depth = op.value.is_object() ? op.value.value("depth", std::int64_t{0}) : 0;
        const std::string tx = op.key.dump();
        if (!holds) {
            outcome.summary = fmt::format("{} reported payment {} confirmed in a block that does not hold it",
                                          op.node.empty() ? "a node" : op.node, tx);
            counterexample = Json{{"tx", op.key}, {"node", op.node}, {"depth", depth}};
            outcome.details["involved_ops"] = Json::array({op.index});
            continue;
        }
        // Where the confirmed branch meets the final chain.
        const ChainBlock* fork = block;
        while (fork != nullptr && !final.ids.contains(fork->id)) fork = chain.find(fork->parent);
        const std::int64_t fork_height = fork == nullptr ? 0 : fork->height;
        const auto height = static_cast<std::size_t>(block->height);
        const ChainBlock* instead = height < final.by_height.size() ? final.by_height[height] : nullptr;
        auto again = final_tx_height.find(op.key.get<std::int64_t>());
        const std::string fate = again == final_tx_height.end()
                                     ? "it is not on the final chain"
                                     : fmt::format("it was mined again at height {}", again->second);
        outcome.summary = fmt::format(
            "payment {} was confirmed at depth {} by {} in {}, then reverted: the final chain holds {} at that "
            "height, and the two branches split above height {}; {}",
            tx, depth, op.node, block_name(chain, block), instead == nullptr ? "nothing" : block_name(chain, instead),
            fork_height, fate);
        counterexample = Json{{"tx", op.key},
                              {"node", op.node},
                              {"depth", depth},
                              {"confirmed_at", op.time},
                              {"block", block->id},
                              {"height", block->height},
                              {"final_block_at_height", instead == nullptr ? Json() : Json(instead->id)},
                              {"fork_height", fork_height},
                              {"on_final_chain_at", again == final_tx_height.end() ? Json() : Json(again->second)}};
        outcome.details["involved_ops"] = Json::array({op.index});
    }
    outcome.details["confirmed"] = confirmed;
    outcome.details["reverted"] = reverted;
    outcome.details["forks"] = chain_stats(chain);
    if (reverted == 0) {
        outcome.summary = fmt::format("all {} confirmed payments are on the final chain (height {})", confirmed,
                                      final.by_height.size() - 1);
        return outcome;
    }
    outcome.verdict = Verdict::invalid;
    outcome.details["counterexample"] = std::move(counterexample);
    if (reverted > 1) outcome.summary += fmt::format(" ({} of {} confirmations reverted)", reverted, confirmed);
    return outcome;
}

Outcome check_fair_share(const ChainHistory& chain, double tolerance) {
    Outcome outcome{.name = "fair-share"};
    const FinalChain final = final_chain(chain);
    const auto length = static_cast<double>(final.by_height.size() - 1);
    if (length == 0) {
        outcome.verdict = Verdict::unknown;
        outcome.summary = "the final chain holds no block: no shares to judge";
        return outcome;
    }
    std::vector<double> kept(chain.names.size(), 0), mined(chain.names.size(), 0);
    for (std::size_t h = 1; h < final.by_height.size(); ++h) ++kept[final.by_height[h]->miner];
    for (const ChainBlock& block : chain.blocks) ++mined[block.miner];
    const auto all = static_cast<double>(chain.blocks.size());
    int worst = -1;
    double worst_excess = -1e9, worst_bound = 0;
    for (int n = 0; n < chain.nodes(); ++n) {
        // The power a producer used is its share of every block found: a
        // node that was down or cut off found fewer, whatever its nominal power.
        const double p = mined[n] / all;
        const double bound = p + tolerance + 5 * std::sqrt(p * (1 - p) / length);
        const double excess = kept[n] / length - bound;
        if (excess > worst_excess) {
            worst = n;
            worst_excess = excess;
            worst_bound = bound;
        }
    }
    FL_ASSERT_GE(worst, 0);
    const double share = kept[worst] / length;
    outcome.details = Json{
        {"node", chain.names[worst]}, {"power", chain.power[worst]}, {"found", mined[worst] / all}, {"share", share},
        {"bound", worst_bound},       {"blocks", kept[worst]},       {"final_length", length}};
    const std::string figures = fmt::format(
        "{} mined {} of the final chain's {} blocks ({:.1f}%), having found {:.1f}% of all {} blocks (power {:.1f}%)",
        chain.names[worst], kept[worst], length, 100 * share, 100 * mined[worst] / all, all, 100 * chain.power[worst]);
    if (worst_excess <= 0) {
        outcome.summary =
            fmt::format("no producer beyond its share; closest: {} (bound {:.1f}%)", figures, 100 * worst_bound);
        return outcome;
    }
    outcome.verdict = Verdict::invalid;
    outcome.summary = fmt::format("{}: more than the bound of {:.1f}%", figures, 100 * worst_bound);
    return outcome;
}

}  // namespace faultline::check
