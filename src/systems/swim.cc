// swim: every server runs SWIM (protocols/swim/swim.h), with or without
// Lifeguard, and the membership checks (check/membership_checks.h) hold the
// members' views against who was really down. No clients.
//
// Two conditions of the network, for the scenarios, beside the nemesis:
// `cut_link` drops every message between two members for the whole run (one
// bad link: the indirect probes route around it), and `slow_member` names a
// member whose inbound messages all take `slow_member_latency` (a starved
// receive path: its timers still run on time, so without Lifeguard it
// accuses healthy members it simply has not heard yet).
#include "protocols/swim/swim.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "check/membership_checks.h"
#include "runner/system.h"

namespace faultline::systems {

namespace {

using protocols::swim::MemberState;
using protocols::swim::SwimNode;
using protocols::swim::SwimOptions;
using protocols::swim::Update;
using runner::CheckOutcome;
using runner::RunConfig;

struct SwimSystemOptions {
    SwimOptions swim;
    bool lifeguard = true;
    std::string cut_link;  // "A-B", server indexes
    int slow_member = -1;
    std::string slow_member_latency = "3s";
    Nanos detection_time_max = 0;      // 0: from the configuration (bounds() below)
    Nanos dissemination_time_max = 0;  // 0: likewise
    std::int64_t false_deaths_max = 0;
    std::int64_t suspicions_max = -1;
};

Result<std::pair<int, int>> parse_link(const std::string& text) {
    const auto dash = text.find('-');
    int a = -1, b = -1;
    if (dash == std::string::npos || std::sscanf(text.c_str(), "%d-%d", &a, &b) != 2 || a < 0 || b < 0 || a == b) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("cut_link: '{}' is not two different server indexes like 0-1", text));
    }
    return std::pair(a, b);
}

const runner::OptionTable<SwimSystemOptions>& swim_options() {
    static const auto table = [] {
        using O = SwimSystemOptions;
        runner::OptionTable<O> t;
        auto core = [](auto member) { return std::function([member](O & o) -> auto& { return o.swim.*member; }); };
        t.duration("probe_interval", core(&SwimOptions::probe_interval), milliseconds(1),
                   "Protocol period: one member probed per period (memberlist: 1s)")
            .range(milliseconds(10), seconds(600));
        t.duration("probe_timeout", core(&SwimOptions::probe_timeout), milliseconds(1),
                   "Wait for a direct ack before asking others (memberlist: 500ms; at most the interval)")
            .range(runner::kTimerIntervalMin, seconds(600));
        t.add<int>("indirect_checks", core(&SwimOptions::indirect_checks),
                   "Members asked to probe for us when a direct ack is late, k (memberlist: 3)")
            .range(0, 16);
        t.add<int>("suspicion_mult", core(&SwimOptions::suspicion_mult),
                   "Suspicion timeout = this x max(1, log10 N) x probe interval (memberlist: 4)")
            .range(1, 100);
        t.add<int>("suspicion_max_timeout_mult", core(&SwimOptions::suspicion_max_timeout_mult),
                   "Lifeguard's longest suspicion timeout, as a multiple of the shortest (memberlist: 6)")
            .range(1, 100);
        t.add<int>("retransmit_mult", core(&SwimOptions::retransmit_mult),
                   "Each update is piggy-backed this x ceil(log10(N+1)) times (memberlist: 4)")
            .range(1, 100);
        t.add<int>("awareness_max_multiplier", core(&SwimOptions::awareness_max_multiplier),
                   "Lifeguard's local health: the most a slow member stretches its probes (memberlist: 8)")
            .range(1, 64);
        t.add<int>("piggyback_max", core(&SwimOptions::piggyback_max), "Updates one message may carry at most")
            .range(0, 256);
        t.duration("push_pull_interval", core(&SwimOptions::push_pull_interval), seconds(1),
                   "Full table exchange with a random member (memberlist: 30s; 0: only after a restart)")
            .range(0, runner::kWindowMax);
        t.add("lifeguard", &O::lifeguard,
              "Lifeguard's refinements: local health, dynamic suspicion (dogpile), buddy system");
        t.add("cut_link", &O::cut_link, "Drop every message between two servers all run long: A-B (empty: none)")
            .check([](const Json& value) -> Status {
                if (value.get<std::string>().empty()) return ok_status();
                auto link = parse_link(value.get<std::string>());
                if (!link) return link.error();
                return ok_status();
            });
        t.add("slow_member", &O::slow_member, "A server whose inbound messages are slow all run long (-1: none)")
            .range(-1, 10000);
        t.add("slow_member_latency", &O::slow_member_latency, "The latency of every message to the slow member")
            .check([](const Json& value) -> Status {
                auto model = sim::LatencyModel::parse(value.get<std::string>());
                if (!model) return model.error();
                return ok_status();
            });
        t.duration("detection_time_max", &O::detection_time_max, seconds(1),
                   "Completeness bound (0: the longest suspicion timeout plus 4 + 2 log2 N probe periods)")
            .range(0, runner::kTimeLimitMax);
        t.duration("dissemination_time_max", &O::dissemination_time_max, seconds(1),
                   "First to last member's declaration of a death (0: 2 + 2 log2 N probe periods)")
            .range(0, runner::kTimeLimitMax);
        t.add("false_deaths_max", &O::false_deaths_max, "Live members declared dead that the accuracy check allows")
            .range(0, 1000000);
        t.add("suspicions_max", &O::suspicions_max,
              "Suspicions of live members that the accuracy check allows (-1: counted, not judged)")
            .range(-1, 1000000);
        return t;
    }();
    return table;
}

// The checks' bounds when not given: memberlist's suspicion timeout (its
// longest, with Lifeguard) plus the periods to detect and to spread the news.
check::MembershipBounds bounds(const SwimSystemOptions& options, int nodes) {
    const Nanos period = options.swim.probe_interval;
    const Nanos min =
        protocols::swim::suspicion_timeout_min(options.swim.suspicion_mult, static_cast<std::size_t>(nodes), period);
    const Nanos suspicion = options.lifeguard ? min * options.swim.suspicion_max_timeout_mult : min;
    const auto log_n = static_cast<Nanos>(std::ceil(std::log2(std::max(2, nodes))));
    check::MembershipBounds out;
    out.detection_time_max =
        options.detection_time_max > 0 ? options.detection_time_max : suspicion + period * (4 + 2 * log_n);
    out.dissemination_time_max =
        options.dissemination_time_max > 0 ? options.dissemination_time_max : period * (2 + 2 * log_n);
    out.false_deaths_max = options.false_deaths_max;
    out.suspicions_max = options.suspicions_max;
    return out;
}

class SwimSystem final : public runner::System, public protocols::swim::SwimObserver {
  public:
    explicit SwimSystem(SwimSystemOptions options) : options_(std::move(options)) {
        options_.swim.local_health = options_.swim.dynamic_suspicion = options_.swim.buddy = options_.lifeguard;
    }

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        simulation_ = &simulation;
        const SwimOptions swim = options_.swim;
        SwimObserver* observer = this;
        for (int i = 0; i < config.nodes; ++i) {
            members_.push_back(simulation.add_server(
                fmt::format("n{}", i), [swim, observer] { return std::make_unique<SwimNode>(swim, observer); }));
        }
        index_.assign(simulation.node_count(), -1);
        for (std::size_t i = 0; i < members_.size(); ++i) index_[members_[i].value] = static_cast<int>(i);
        up_.assign(members_.size(), 1);
        down_since_.assign(members_.size(), 0);
        downs_.assign(members_.size(), {});
        paused_.assign(members_.size(), 0);
        paused_since_.assign(members_.size(), 0);
        pauses_.assign(members_.size(), {});
        if (!options_.cut_link.empty()) {
            const auto [a, b] = *parse_link(options_.cut_link);
            simulation.network().block(members_[a], members_[b]);
            simulation.network().block(members_[b], members_[a]);
        }
        if (options_.slow_member >= 0) {
            sim::LinkConfig slow = *config.link_config();
            slow.latency = *sim::LatencyModel::parse(options_.slow_member_latency);
            const auto slow_class = simulation.network().define_class("slow-inbound", slow);
            for (NodeId member : members_) {
                if (member != members_[options_.slow_member]) {
                    simulation.network().assign_class(member, members_[options_.slow_member], slow_class);
                }
            }
        }
    }

    std::shared_ptr<const workload::ClientCodec> codec() const override { return nullptr; }
    workload::OpRequest next_op(Prng&) override { FL_UNREACHABLE(); }

    void changed(NodeId observer, const Update& now) override {
        const auto state = now.state == MemberState::dead      ? check::ViewState::dead
                           : now.state == MemberState::suspect ? check::ViewState::suspect
                                                               : check::ViewState::alive;
        changes_.push_back(check::ViewChange{simulation_->now(), index_.at(observer.value), index_.at(now.member.value),
                                             state, now.incarnation});
    }

    void after_step(sim::Simulation& simulation) override {
        for (std::size_t i = 0; i < members_.size(); ++i) {
            const bool paused = simulation.is_paused(members_[i]);
            if (paused != (paused_[i] != 0)) {
                paused_[i] = paused ? 1 : 0;
                if (paused) paused_since_[i] = simulation.now();
                if (!paused) pauses_[i].push_back({paused_since_[i], simulation.now()});
            }
            const bool up = simulation.is_up(members_[i]);
            if (up == (up_[i] != 0)) continue;
            up_[i] = up ? 1 : 0;
            if (!up) down_since_[i] = simulation.now();
            if (up) downs_[i].push_back({down_since_[i], simulation.now()});
        }
    }

    std::vector<CheckOutcome> check(const check::History&, sim::Simulation& simulation) override {
        check::MembershipTruth truth;
        truth.end = simulation.now();
        truth.downs = downs_;
        truth.pauses = pauses_;
        truth.impaired.assign(members_.size(), false);
        if (options_.slow_member >= 0) truth.impaired[options_.slow_member] = true;
        for (std::size_t i = 0; i < members_.size(); ++i) {
            truth.names.push_back(simulation.name(members_[i]));
            if (up_[i] == 0) truth.downs[i].push_back({down_since_[i], simulation.now()});
            if (paused_[i] != 0) truth.pauses[i].push_back({paused_since_[i], simulation.now()});
        }
        auto outcomes = check::check_membership(changes_, truth, bounds(options_, static_cast<int>(members_.size())));
        // The cost, for comparisons: messages per member per second.
        const double per_member = static_cast<double>(simulation.stats().server_messages) /
                                  static_cast<double>(members_.size()) / (static_cast<double>(truth.end) / 1e9);
        for (CheckOutcome& outcome : outcomes) {
            if (outcome.name == "completeness") {
                outcome.details["msgs_per_member_second"] = per_member;
                outcome.summary += fmt::format(", at a cost of {:.2f} messages per member per second", per_member);
            }
        }
        return outcomes;
    }

  private:
    SwimSystemOptions options_;
    sim::Simulation* simulation_ = nullptr;
    std::vector<NodeId> members_;
    std::vector<int> index_;  // NodeId value -> member index
    std::vector<std::uint8_t> up_;
    std::vector<Nanos> down_since_;
    std::vector<std::vector<check::Interval>> downs_;
    std::vector<std::uint8_t> paused_;
    std::vector<Nanos> paused_since_;
    std::vector<std::vector<check::Interval>> pauses_;  // the observers a completeness deadline spares
    std::vector<check::ViewChange> changes_;
};

Result<std::unique_ptr<runner::System>> make_swim(const RunConfig& config) {
    auto options = runner::system_options(config, swim_options());
    if (!options) return options.error();
    if (config.nodes < 2) return make_error(ErrorCode::invalid_argument, "swim needs at least 2 nodes");
    if (options->swim.probe_timeout > options->swim.probe_interval) {
        return make_error(ErrorCode::invalid_argument, "swim: the probe timeout must be at most the probe interval");
    }
    if (!options->cut_link.empty()) {
        const auto [a, b] = *parse_link(options->cut_link);
        if (std::max(a, b) >= config.nodes) {
            return make_error(ErrorCode::invalid_argument, fmt::format("cut_link {} names a server beyond the {} nodes",
                                                                       options->cut_link, config.nodes));
        }
    }
    if (options->slow_member >= config.nodes) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("slow_member {} is beyond the {} nodes", options->slow_member, config.nodes));
    }
    return runner::new_system<SwimSystem>(std::move(*options));
}

const runner::SystemRegistration registration{{
    .name = "swim",
    .summary = "SWIM membership with Lifeguard (memberlist's defaults): completeness, accuracy and dissemination "
               "of deaths against who was down (no clients)",
    .options = &swim_options(),
    .checks = {"completeness", "accuracy", "dissemination"},
    .make = make_swim,
}};

}  // namespace

}  // namespace faultline::systems
