// paxos-kv: the lin-kv service on Multi-Paxos (protocols/paxos) under the
// lin-kv workload, with one-value-per-slot and promise-kept checked after
// every simulated step.
#include <fmt/format.h>

#include "protocols/paxos/invariants.h"
#include "protocols/paxos/kv_server.h"
#include "runner/system.h"
#include "systems/lin_kv.h"
#include "workload/kv_workload.h"

namespace faultline::systems {

namespace {

using protocols::paxos::AcceptorView;
using protocols::paxos::InvariantViolation;
using protocols::paxos::PaxosInvariants;
using protocols::paxos::PaxosKvServer;
using protocols::paxos::PaxosOptions;
using protocols::paxos::Role;
using runner::CheckOutcome;
using runner::RunConfig;
using runner::Verdict;

struct BugSwitch {
    const char* name;
    bool protocols::paxos::Bugs::*flag;
};

constexpr BugSwitch bug_switches[] = {
    {"acceptor-forgets-promise", &protocols::paxos::Bugs::forget_promise},
    {"ignore-accepted", &protocols::paxos::Bugs::ignore_accepted},
};

const std::vector<std::string> invariant_names = {"one-value-per-slot", "promise-kept"};

class PaxosKvSystem final : public runner::System {
  public:
    PaxosKvSystem(PaxosOptions options, std::uint32_t value_bytes)
        : options_(options), codec_(std::make_shared<KvCodec>(value_bytes)) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        for (int i = 0; i < config.nodes; ++i) {
            const PaxosOptions options = options_;
            const NodeId id = simulation.add_server(fmt::format("n{}", i),
                                                    [options] { return std::make_unique<PaxosKvServer>(options); });
            views_.push_back(AcceptorView{std::string(simulation.name(id)), nullptr, 0});
        }
        invariants_ = std::make_unique<PaxosInvariants>(views_.size());
        last_roles_.assign(views_.size(), std::nullopt);
        promised_.assign(views_.size(), {});
    }

    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override { return generator_.next(random); }
    void shape_workload(const workload::WorkloadShape& shape) override {
        generator_ = workload::LinKvGenerator(lin_kv_options_for(shape));
    }
    std::vector<workload::OpRequest> final_ops() override { return lin_kv_final_reads(generator_); }
    bool served(const check::Operation& completion) const override { return lin_kv_served(completion); }

    void after_step(sim::Simulation& simulation) override {
        just_promised_.reset();
        for (std::size_t i = 0; i < views_.size(); ++i) {
            const PaxosKvServer* server = server_at(simulation, i);
            views_[i].acceptor = server == nullptr ? nullptr : &server->paxos().acceptor();
            views_[i].incarnation = simulation.incarnation(NodeId(static_cast<std::uint32_t>(i)));
            note_role(i, server, simulation.now());
        }
        for (InvariantViolation& violation : invariants_->check(views_)) {
            // The first violation of each invariant is kept; two values chosen
            // ends the run (nothing after it means anything), a broken promise
            // does not (the run goes on to show what it leads to).
            const bool fatal = violation.invariant == "one-value-per-slot";
            violations_.push_back(Found{std::move(violation), simulation.now()});
            if (fatal)
                simulation.stop(
                    fmt::format("{}: {}", violations_.back().violation.invariant, violations_.back().violation.detail));
        }
    }

    std::optional<int> leader(sim::Simulation& simulation) override {
        std::optional<int> found;
        protocols::paxos::Ballot best;
        for (std::size_t i = 0; i < views_.size(); ++i) {
            const PaxosKvServer* server = server_at(simulation, i);
            if (server == nullptr || server->paxos().role() != Role::leader) continue;
            if (!found || server->paxos().ballot() > best) {
                best = server->paxos().ballot();
                found = static_cast<int>(i);
            }
        }
        return found;
    }

    std::optional<int> node_in_role(sim::Simulation& simulation, nemesis::TargetRole role) override {
        using nemesis::TargetRole;
        if (role == TargetRole::leader) return leader(simulation);
        if (role == TargetRole::just_voted) return just_promised_;
        std::optional<int> found;
        std::uint64_t longest = 0;
        for (std::size_t i = 0; i < views_.size(); ++i) {
            const PaxosKvServer* server = server_at(simulation, i);
            if (server == nullptr) continue;
            const auto& paxos = server->paxos();
            const int index = static_cast<int>(i);
            if (role == TargetRole::fresh_leader && paxos.role() == Role::leader && !paxos.leader_has_chosen()) {
                return index;
            }
            if (role == TargetRole::candidate && paxos.role() == Role::candidate) return index;
            if (role == TargetRole::longest_log) {
                const auto& accepted = paxos.acceptor().accepted();
                const std::uint64_t length = accepted.empty() ? 0 : accepted.rbegin()->first + 1;
                if (!found || length > longest) {
                    found = index;
                    longest = length;
                }
            }
        }
        return found;
    }

    std::string role_at(std::string_view node, Nanos at, std::string* now_leading) const override {
        std::optional<RoleChange> mine;
        std::optional<RoleChange> newest_leader;
        for (const RoleChange& change : timeline_) {
            if (change.time > at) break;
            if (views_[change.node].name == node) mine = change;
            if (change.up && change.role == Role::leader && (!newest_leader || change.round >= newest_leader->round)) {
                newest_leader = change;
            }
        }
        if (now_leading != nullptr && newest_leader && views_[newest_leader->node].name != node &&
            (!mine || newest_leader->round > mine->round)) {
            *now_leading = fmt::format("{} had led ballot round {} since {}", views_[newest_leader->node].name,
                                       newest_leader->round, format_duration(newest_leader->time));
        }
        if (!mine) return "";
        if (!mine->up) return "down";
        return fmt::format("a {} in ballot round {}", protocols::paxos::role_name(mine->role), mine->round);
    }

    Json role_timeline() const override {
        Json timeline = Json::array();
        for (const RoleChange& change : timeline_) {
            timeline.push_back(Json{{"t", change.time},
                                    {"node", views_[change.node].name},
                                    {"role", change.up ? protocols::paxos::role_name(change.role) : "down"},
                                    {"term", change.round}});
        }
        return timeline;
    }

    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation&) override {
        std::vector<CheckOutcome> outcomes;
        outcomes.push_back(check_lin_kv(history));
        for (const std::string& name : invariant_names) {
            const Found* found = nullptr;
            for (const Found& each : violations_) {
                if (each.violation.invariant == name) found = &each;
            }
            if (found != nullptr) {
                outcomes.push_back(CheckOutcome{name, Verdict::invalid, found->violation.detail,
                                                Json{{"nodes", found->violation.nodes}}, found->at});
            } else {
                outcomes.push_back(CheckOutcome{name, Verdict::valid,
                                                fmt::format("held after each of {} steps ({} slots chosen)",
                                                            invariants_->checks(), invariants_->chosen_slots()),
                                                Json{{"steps", invariants_->checks()}}});
            }
        }
        return outcomes;
    }

  private:
    struct RoleChange {
        Nanos time = 0;
        std::size_t node = 0;
        bool up = false;
        Role role = Role::follower;
        std::uint64_t round = 0;
        bool operator==(const RoleChange& other) const {
            return up == other.up && role == other.role && round == other.round;
        }
    };
    struct Found {
        InvariantViolation violation;
        Nanos at = 0;
    };

    static const PaxosKvServer* server_at(sim::Simulation& simulation, std::size_t i) {
        Node* node = simulation.node(NodeId(static_cast<std::uint32_t>(i)));
        return node == nullptr ? nullptr : static_cast<const PaxosKvServer*>(node);
    }

    // Notes node i's role (and whether it just promised another's ballot).
    void note_role(std::size_t i, const PaxosKvServer* server, Nanos now) {
        RoleChange change{now, i, server != nullptr, Role::follower, 0};
        if (server != nullptr) {
            const auto& paxos = server->paxos();
            change.role = paxos.role();
            change.round = paxos.role() == Role::follower ? paxos.acceptor().promised().round : paxos.ballot().round;
            const protocols::paxos::Ballot promised = paxos.acceptor().promised();
            if (promised != promised_[i]) {
                promised_[i] = promised;
                if (promised.node != i && !promised.is_zero()) just_promised_ = static_cast<int>(i);
            }
        }
        if (last_roles_[i] && *last_roles_[i] == change) return;
        last_roles_[i] = change;
        timeline_.push_back(change);
    }

    PaxosOptions options_;
    std::shared_ptr<const workload::ClientCodec> codec_;
    workload::LinKvGenerator generator_;
    std::vector<AcceptorView> views_;
    std::unique_ptr<PaxosInvariants> invariants_;
    std::vector<Found> violations_;
    std::vector<RoleChange> timeline_;
    std::vector<std::optional<RoleChange>> last_roles_;
    std::vector<protocols::paxos::Ballot> promised_;
    std::optional<int> just_promised_;  // a node that promised another's ballot in the last step
};

// paxos-kv's options: the timing of elections and back-off, and the value size.
struct PaxosKvOptions {
    std::string backoff = "random";
    std::uint32_t value_bytes = 0;
    Nanos election_timeout_min = PaxosOptions{}.election_timeout_min;
    Nanos election_timeout_max = PaxosOptions{}.election_timeout_max;
    Nanos heartbeat_interval = PaxosOptions{}.heartbeat_interval;
    Nanos backoff_min = PaxosOptions{}.backoff_min;
    Nanos backoff_max = PaxosOptions{}.backoff_max;
};

const runner::OptionTable<PaxosKvOptions>& paxos_kv_options() {
    static const auto table = [] {
        using O = PaxosKvOptions;
        runner::OptionTable<O> t;
        t.add("backoff", &O::backoff,
              "How a preempted proposer waits before its next ballot: random (from backoff_min to backoff_max) or "
              "fixed (backoff_min)")
            .choices({"random", "fixed"});
        t.add("value_bytes", &O::value_bytes, "Payload bytes per written value").range(0, 1 << 24);
        t.duration("election_timeout_min", &O::election_timeout_min, milliseconds(1),
                   "Shortest election timeout (a follower's wait for a leader)")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.duration("election_timeout_max", &O::election_timeout_max, milliseconds(1), "Longest election timeout")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.duration("heartbeat_interval", &O::heartbeat_interval, milliseconds(1), "Leader heartbeat interval")
            .range(runner::kTimerIntervalMin, runner::kWindowMax)
            .alias("--heartbeat");
        t.duration("backoff_min", &O::backoff_min, milliseconds(1), "Shortest back-off after a preemption")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.duration("backoff_max", &O::backoff_max, milliseconds(1), "Longest back-off after a preemption")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        return t;
    }();
    return table;
}

std::vector<std::string> bug_names() {
    std::vector<std::string> names;
    for (const BugSwitch& bug : bug_switches) names.emplace_back(bug.name);
    return names;
}

Result<std::unique_ptr<runner::System>> make_paxos_kv(const RunConfig& config) {
    auto own = runner::system_options(config, paxos_kv_options());
    if (!own) return own.error();
    PaxosOptions options;
    options.election_timeout_min = own->election_timeout_min;
    options.election_timeout_max = own->election_timeout_max;
    options.heartbeat_interval = own->heartbeat_interval;
    options.backoff_min = own->backoff_min;
    options.backoff_max = own->backoff_max;
    options.random_backoff = own->backoff == "random";
    if (options.election_timeout_min > options.election_timeout_max) {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("election_timeout_min ({}) must be at most election_timeout_max ({})",
                        format_duration(options.election_timeout_min), format_duration(options.election_timeout_max)));
    }
    if (options.backoff_min > options.backoff_max) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("backoff_min ({}) must be at most backoff_max ({})",
                                      format_duration(options.backoff_min), format_duration(options.backoff_max)));
    }
    if (options.heartbeat_interval >= options.election_timeout_min) {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("the heartbeat ({}) must be shorter than the election timeout ({})",
                        format_duration(options.heartbeat_interval), format_duration(options.election_timeout_min)));
    }
    for (const BugSwitch& bug : bug_switches) {
        if (config.bug == bug.name) options.bugs.*bug.flag = true;
    }
    return runner::new_system<PaxosKvSystem>(options, own->value_bytes);
}

const runner::SystemRegistration registration{{
    .name = "paxos-kv",
    .summary = "a linearizable key-value store on Multi-Paxos, with one value per slot checked after every step",
    .options = &paxos_kv_options(),
    .bugs = bug_names(),
    .checks = {"linearizability", "one-value-per-slot", "promise-kept"},
    .roles = nemesis::target_roles(),
    .make = make_paxos_kv,
}};

}  // namespace

}  // namespace faultline::systems
