// chain: longest-chain (Nakamoto) consensus as a system
// (protocols/chain/chain.h). Clients pay (each payment spends a fresh coin)
// and a node answers once the payment is `confirmations` deep on its chain.
// The checks (check/chain_checks.h) judge that no confirmed payment was
// reverted (finality), with the run's fork and reorganisation figures
// beside, and, when asked (runs without partitions), that no producer kept
// more of the final chain than its share of the blocks found earns
// (fair-share).
#include "protocols/chain/chain.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>

#include "check/chain_checks.h"
#include "runner/system.h"

namespace faultline::systems {

namespace {

using protocols::chain::Attack;
using protocols::chain::ChainNode;
using protocols::chain::ChainOptions;
using runner::CheckOutcome;
using runner::RunConfig;

struct ChainSystemOptions {
    Nanos block_interval = milliseconds(100);
    int confirmations = 3;
    std::string shares;
    int fanout = 4;
    Nanos sync_interval = seconds(1);
    double gamma = 0;
    std::string attack = "none";
    double attacker_power = 0;
    bool fair_share = false;
    double share_tolerance = 0.1;
};

// "1,1,2" -> {1, 1, 2}; each a positive number.
Result<std::vector<double>> parse_shares(std::string_view text) {
    std::vector<double> shares;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        const std::string item(text.substr(start, comma - start));
        char* end = nullptr;
        const double value = item.empty() ? 0 : std::strtod(item.c_str(), &end);
        if (item.empty() || end != item.c_str() + item.size() || !std::isfinite(value) || value <= 0 || value > 1e9) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("shares: '{}' is not a positive number (a list such as 1,1,2)", item));
        }
        shares.push_back(value);
        start = comma + 1;
    }
    return shares;
}

const runner::OptionTable<ChainSystemOptions>& chain_options() {
    static const auto table = [] {
        using O = ChainSystemOptions;
        runner::OptionTable<O> t;
        t.duration("block_interval", &O::block_interval, milliseconds(1),
                   "The cluster's mean time between blocks (each node's share of it is its power)")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.add("confirmations", &O::confirmations,
              "k: a node answers a payment once the block holding it is k deep on its chain")
            .range(1, protocols::chain::kConfirmationsMax);
        t.add("shares", &O::shares,
              "Each node's share of the block-production power, comma-separated, one per node (empty: equal)")
            .check([](const Json& value) -> Status {
                if (value.get<std::string>().empty()) return ok_status();
                auto shares = parse_shares(value.get<std::string>());
                if (!shares) return shares.error();
                return ok_status();
            });
        t.add("fanout", &O::fanout, "Peers a node pushes a new block to").range(1, protocols::chain::kFanoutMax);
        t.duration("sync_interval", &O::sync_interval, milliseconds(1),
                   "How often a node tells a random peer its head (anti-entropy: the peer fetches what it lacks)")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.add("gamma", &O::gamma,
              "The share of honest nodes whose fork choice breaks a tie for the newest tip instead of the first "
              "seen (Eyal and Sirer's gamma)")
            .range(0, 1);
        t.add("attack", &O::attack,
              "n0 attacks: double-spend (withholds a branch that pays a victim's coin to itself) or selfish "
              "(selfish mining)")
            .choices({"none", "double-spend", "selfish"});
        t.add("attacker_power", &O::attacker_power,
              "The attacker's share of the power; the honest nodes share the rest equally (0: from --shares)")
            .range(0, 0.99);
        t.add("fair_share", &O::fair_share,
              "Run the fair-share check, for runs without partitions (the side that wins a partition keeps more "
              "of the chain than it found, attacker or not)");
        t.add("share_tolerance", &O::share_tolerance,
              "The fair-share check: a producer's share of the final chain may exceed its share of all the blocks "
              "found by this much (plus five standard deviations)")
            .range(0, 1);
        return t;
    }();
    return table;
}

class PayCodec final : public workload::ClientCodec {
  public:
    MessagePtr encode(const workload::OpRequest& op, const workload::RequestIds& ids) const override {
        auto request = std::make_shared<protocols::chain::PayRequest>();
        request->msg_id = ids.msg_id;
        request->tx = op.key.get<std::int64_t>();
        return request;
    }
    std::optional<workload::DecodedReply> decode(const Message& message) const override {
        const auto* reply = message_as<protocols::chain::PayConfirmed>(message);
        if (reply == nullptr) return std::nullopt;
        workload::Completion completion{.kind = workload::Completion::Kind::ok};
        completion.value = Json{{"block", reply->block}, {"height", reply->height}, {"depth", reply->depth}};
        return workload::DecodedReply{reply->in_reply_to, completion};
    }
};

// What the nodes report, stamped with true time.
class Recorder final : public protocols::chain::ChainSink {
  public:
    void attach(sim::Simulation& simulation) { simulation_ = &simulation; }
    void add_node(NodeId node, std::string name, double share) {
        index_[node.value] = history_.nodes();
        history_.add_node(std::move(name), share);
    }
    void mined(const protocols::chain::BlockPtr& block) override {
        std::vector<std::int64_t> txs;
        for (const protocols::chain::Tx& tx : block->txs) txs.push_back(tx.id);
        history_.add_block(block->id, block->parent, index_.at(block->miner.value), simulation_->now(), std::move(txs));
    }
    void head_changed(NodeId node, const protocols::chain::HeadChange& change) override {
        ++history_.head_changes;
        if (change.dropped.empty()) return;
        history_.reorgs.push_back(check::ChainReorg{.node = index_.at(node.value),
                                                    .at = simulation_->now(),
                                                    .depth = static_cast<std::int64_t>(change.dropped.size())});
    }
    check::ChainHistory& history() { return history_; }

  private:
    sim::Simulation* simulation_ = nullptr;
    std::unordered_map<std::uint32_t, int> index_;
    check::ChainHistory history_;
};

class ChainSystem final : public runner::System {
  public:
    // `tolerance`: the fair-share check's, which runs only when set.
    ChainSystem(std::vector<ChainOptions> per_node, std::optional<double> tolerance)
        : per_node_(std::move(per_node)), tolerance_(tolerance) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        FL_ASSERT_EQ(per_node_.size(), static_cast<std::size_t>(config.nodes));
        recorder_.attach(simulation);
        for (int i = 0; i < config.nodes; ++i) {
            const ChainOptions options = per_node_[static_cast<std::size_t>(i)];
            auto* recorder = &recorder_;
            const std::string name = fmt::format("n{}", i);
            const NodeId id = simulation.add_server(
                name, [options, recorder] { return std::make_unique<ChainNode>(options, recorder); });
            recorder_.add_node(id, name, options.share);
            servers_.push_back(id);
        }
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    // Every payment spends a fresh coin: only an attacker spends one twice.
    workload::OpRequest next_op(Prng&) override { return workload::OpRequest{"pay", Json(next_tx_++), Json()}; }
    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation& simulation) override {
        check::ChainHistory& chain = recorder_.history();
        // The final chain: the highest head among the nodes up at the end;
        // ties go to the head most of them hold, then to the smaller id.
        std::map<std::pair<std::int64_t, protocols::chain::BlockId>, int> heads;
        for (NodeId server : servers_) {
            if (!simulation.is_up(server)) continue;
            if (const auto* node = simulation.node_as<ChainNode>(server)) {
                ++heads[{node->tree().height(), node->tree().head()->id}];
            }
        }
        std::tuple<std::int64_t, int, std::uint64_t> best{-1, 0, 0};
        for (const auto& [head, holders] : heads) {
            const std::tuple<std::int64_t, int, std::uint64_t> candidate{head.first, holders, ~head.second};
            if (candidate > best) best = candidate;
        }
        chain.final_head = std::get<0>(best) < 0 ? 0 : ~std::get<2>(best);
        std::vector<CheckOutcome> outcomes{check::check_finality(history, chain)};
        if (tolerance_) outcomes.push_back(check::check_fair_share(chain, *tolerance_));
        return outcomes;
    }

  private:
    std::vector<ChainOptions> per_node_;
    std::optional<double> tolerance_;
    Recorder recorder_;
    std::shared_ptr<const workload::ClientCodec> codec_ = std::make_shared<PayCodec>();
    std::int64_t next_tx_ = 0;
    std::vector<NodeId> servers_;
};

Result<std::unique_ptr<runner::System>> make_chain(const RunConfig& config) {
    auto own = runner::system_options(config, chain_options());
    if (!own) return own.error();
    const int nodes = config.nodes;
    const Attack attack = *protocols::chain::parse_attack(own->attack);
    if (attack != Attack::none && nodes < 2) {
        return make_error(ErrorCode::invalid_argument, "an attack needs at least 2 nodes: n0 and an honest one");
    }
    std::vector<double> power(static_cast<std::size_t>(nodes), 1.0 / nodes);
    if (own->attacker_power > 0) {
        if (attack == Attack::none) {
            return make_error(ErrorCode::invalid_argument, "attacker_power needs an attack (--attack)");
        }
        if (!own->shares.empty()) {
            return make_error(ErrorCode::invalid_argument, "give either shares or attacker_power, not both");
        }
        power.assign(power.size(), (1 - own->attacker_power) / (nodes - 1));
        power[0] = own->attacker_power;
    } else if (!own->shares.empty()) {
        auto shares = parse_shares(own->shares);
        if (!shares) return shares.error();
        if (shares->size() != power.size()) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("shares: {} values for {} nodes (one per node)", shares->size(), nodes));
        }
        double total = 0;
        for (double share : *shares) total += share;
        for (std::size_t i = 0; i < power.size(); ++i) power[i] = (*shares)[i] / total;
    }
    // Gamma: that share of the honest nodes (the first ones) prefer the newest tip.
    const int honest = nodes - (attack == Attack::none ? 0 : 1);
    const int newest = static_cast<int>(std::lround(own->gamma * honest));
    std::vector<ChainOptions> per_node;
    for (int i = 0; i < nodes; ++i) {
        ChainOptions options;
        options.block_interval = own->block_interval;
        options.share = power[static_cast<std::size_t>(i)];
        options.confirmations = own->confirmations;
        options.fanout = own->fanout;
        options.sync_interval = own->sync_interval;
        const int honest_rank = i - (attack == Attack::none ? 0 : 1);
        options.tie_break = honest_rank >= 0 && honest_rank < newest ? protocols::chain::TieBreak::newest
                                                                     : protocols::chain::TieBreak::first_seen;
        options.attack = i == 0 ? attack : Attack::none;
        per_node.push_back(options);
    }
    return runner::new_system<ChainSystem>(
        std::move(per_node), own->fair_share ? std::optional<double>(own->share_tolerance) : std::nullopt);
}

const runner::SystemRegistration registration{{
    .name = "chain",
    .summary = "longest-chain (Nakamoto) consensus: blocks found at random by power, spread by gossip, payments "
               "confirmed at depth k; a confirmation must never be reverted",
    .options = &chain_options(),
    .checks = {"finality", "fair-share"},
    .make = make_chain,
}};

}  // namespace

}  // namespace faultline::systems
