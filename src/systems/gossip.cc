// gossip: rumours given to nodes by clients spread by push, pull or
// push-pull gossip (protocols/gossip/gossip.h). The nodes report what they
// learn and what each message carried; the checks (check/gossip_checks.h)
// judge that every rumour reached every node after the heal
// (dissemination), and how many rounds it took against log2 N + ln N
// (gossip-rounds), with the cost in messages per rumour beside it.
#include "protocols/gossip/gossip.h"

#include <fmt/format.h>

#include <unordered_map>

#include "check/gossip_checks.h"
#include "runner/system.h"
#include "systems/broadcast_levels.h"

namespace faultline::systems {

namespace {

using protocols::gossip::GossipOptions;
using runner::CheckOutcome;
using runner::RunConfig;

struct GossipSystemOptions {
    std::string mode = "push-pull";
    int fanout = 1;
    Nanos round_interval = milliseconds(100);
    int hot_rounds = 10;
    Nanos anti_entropy_interval = seconds(1);
    double rounds_factor = 1.0;
};

const runner::OptionTable<GossipSystemOptions>& gossip_options() {
    static const auto table = [] {
        using O = GossipSystemOptions;
        runner::OptionTable<O> t;
        t.add("mode", &O::mode, "push: send hot rumours; pull: ask for them; push-pull: both in one exchange")
            .choices({"push", "pull", "push-pull"});
        t.add("fanout", &O::fanout, "Peers each node calls every round").range(1, protocols::gossip::kFanoutMax);
        t.duration("round_interval", &O::round_interval, milliseconds(1), "The length of a gossip round")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.add("hot_rounds", &O::hot_rounds, "Rounds a node spreads a rumour after learning it")
            .range(1, protocols::gossip::kHotRoundsMax);
        t.duration("anti_entropy_interval", &O::anti_entropy_interval, milliseconds(1),
                   "How often a node sends a random peer a digest of what it knows and gets what it lacks "
                   "(0: never, and rumours that cooled before reaching a node never will)")
            .range(0, runner::kWindowMax)
            .check([](const Json& value) {
                return value.get<Nanos>() == 0 ? ok_status() : runner::check_timer_interval(value);
            });
        t.add("rounds_factor", &O::rounds_factor,
              "The gossip-rounds check: the median rounds to reach every node must be at most this times "
              "log2 N + ln N")
            .range(0.01, 1000);
        return t;
    }();
    return table;
}

// What the nodes report, stamped with true time.
class Recorder final : public protocols::gossip::GossipSink {
  public:
    void attach(sim::Simulation& simulation) { simulation_ = &simulation; }
    void add_node(NodeId node, std::string name) {
        index_[node.value] = history_.nodes();
        history_.add_node(std::move(name));
    }
    void learnt(NodeId node, std::int64_t rumour, bool from_client) override {
        const int n = index_.at(node.value);
        auto found = rumours_.find(rumour);
        if (found == rumours_.end()) {
            FL_ASSERT_MSG(from_client, "a node learnt a rumour no client gave");
            rumours_.emplace(rumour, history_.rumours.size());
            history_.add_rumour(rumour, n, simulation_->now());
            return;
        }
        Nanos& at = history_.rumours[found->second].learnt_at[static_cast<std::size_t>(n)];
        if (at < 0) at = simulation_->now();
    }
    void carried(NodeId, const std::vector<std::int64_t>& rumours) override {
        for (std::int64_t rumour : rumours) ++history_.rumours[rumours_.at(rumour)].copies;
    }
    check::GossipHistory& history() { return history_; }

  private:
    sim::Simulation* simulation_ = nullptr;
    std::unordered_map<std::uint32_t, int> index_;
    std::unordered_map<std::int64_t, std::size_t> rumours_;  // id -> index in history_.rumours
    check::GossipHistory history_;
};

class GossipSystem final : public runner::System {
  public:
    GossipSystem(GossipOptions options, double rounds_factor) : options_(options), rounds_factor_(rounds_factor) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        recorder_.attach(simulation);
        recorder_.history().round_interval = options_.round_interval;
        recorder_.history().timed_until = config.time_limit;
        for (int i = 0; i < config.nodes; ++i) {
            const GossipOptions options = options_;
            auto* recorder = &recorder_;
            const std::string name = fmt::format("n{}", i);
            const NodeId id = simulation.add_server(name, [options, recorder] {
                return std::make_unique<protocols::gossip::GossipNode>(options, recorder);
            });
            recorder_.add_node(id, name);
            servers_.push_back(id);
        }
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return broadcast_client_codec(); }
    // Every operation gives a fresh rumour: the checks read the nodes'
    // reports, and reads would only copy whole sets into the history.
    workload::OpRequest next_op(Prng&) override { return workload::OpRequest{"add", Json(), Json(next_rumour_++)}; }
    std::vector<CheckOutcome> check(const check::History&, sim::Simulation& simulation) override {
        check::GossipHistory& history = recorder_.history();
        for (std::size_t i = 0; i < servers_.size(); ++i) {
            history.steady[i] = simulation.incarnation(servers_[i]) == 0 && simulation.is_up(servers_[i]);
            history.up_at_end[i] = simulation.is_up(servers_[i]);
            if (const auto* node = simulation.node_as<protocols::gossip::GossipNode>(servers_[i])) {
                history.known_at_end[i] = node->known().ids();
            }
        }
        history.server_messages = simulation.stats().server_messages;
        return {check::check_dissemination(history), check::check_gossip_rounds(history, rounds_factor_)};
    }

  private:
    GossipOptions options_;
    double rounds_factor_;
    Recorder recorder_;
    std::int64_t next_rumour_ = 0;
    std::vector<NodeId> servers_;
};

const runner::SystemRegistration registration{{
    .name = "gossip",
    .summary = "rumours spread by push, pull or push-pull gossip with a fan-out; every node must learn each one, "
               "in about log N rounds",
    .options = &gossip_options(),
    .checks = {"dissemination", "gossip-rounds"},
    .make = [](const RunConfig& config) -> Result<std::unique_ptr<runner::System>> {
        auto own = runner::system_options(config, gossip_options());
        if (!own) return own.error();
        if (config.nodes < 2) return make_error(ErrorCode::invalid_argument, "gossip needs at least 2 nodes");
        GossipOptions options;
        options.mode = *protocols::gossip::parse_mode(own->mode);
        options.fanout = own->fanout;
        options.round_interval = own->round_interval;
        options.hot_rounds = own->hot_rounds;
        options.anti_entropy_interval = own->anti_entropy_interval;
        return runner::new_system<GossipSystem>(options, own->rounds_factor);
    },
}};

}  // namespace

}  // namespace faultline::systems
