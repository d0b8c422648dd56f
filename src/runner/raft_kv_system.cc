// raft-kv: the Raft KV (protocols/kv on protocols/raft) under the lin-kv workload,
// with Raft's safety invariants checked after every simulated step.
#include <fmt/format.h>

#include "check/linearizability/checker.h"
#include "protocols/kv/kv_server.h"
#include "protocols/raft/invariants.h"
#include "runner/system.h"
#include "workload/kv_workload.h"

namespace faultline::runner {

namespace {

using protocols::kv::KvServer;
using protocols::raft::RaftInvariants;

struct BugSwitch {
    const char* name;
    bool protocols::raft::Bugs::*flag;
};

constexpr BugSwitch bug_switches[] = {
    {"commit-old-term", &protocols::raft::Bugs::commit_old_term},
    {"forget-vote", &protocols::raft::Bugs::forget_vote},
    {"stale-read", &protocols::raft::Bugs::stale_read},
    {"no-dedup", &protocols::raft::Bugs::no_dedup},
    {"early-ack", &protocols::raft::Bugs::early_ack},
};

class RaftKvSystem final : public System {
public:
    RaftKvSystem(protocols::raft::RaftOptions options, std::uint32_t value_bytes)
        : options_(options), codec_(std::make_shared<workload::KvCodec>(value_bytes)) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        for (int i = 0; i < config.nodes; ++i) {
            const protocols::raft::RaftOptions options = options_;
            const NodeId id = simulation.add_server(fmt::format("n{}", i), [options] {
                return std::make_unique<KvServer>(options);
            });
            views_.push_back(protocols::raft::NodeView{simulation.name(id), nullptr});
        }
        invariants_ = std::make_unique<RaftInvariants>(views_.size());
        last_roles_.assign(views_.size(), std::nullopt);
    }

    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override { return generator_.next(random); }

    void after_step(sim::Simulation& simulation) override {
        if (violation_) return;
        for (std::size_t i = 0; i < views_.size(); ++i) {
            const NodeId id(static_cast<std::uint32_t>(i));
            Node* node = simulation.node(id);
            views_[i].raft = node == nullptr ? nullptr : &static_cast<KvServer*>(node)->raft();
            views_[i].incarnation = simulation.incarnation(id);
            record_role(i, simulation.now());
        }
        violation_ = invariants_->check(views_);
        if (violation_) {
            violated_at_ = simulation.now();
            simulation.stop(fmt::format("{}: {}", violation_->invariant, violation_->detail));
        }
    }

    std::optional<int> leader(sim::Simulation& simulation) override {
        std::optional<int> leader;
        Term best;
        for (std::size_t i = 0; i < views_.size(); ++i) {
            Node* node = simulation.node(NodeId(static_cast<std::uint32_t>(i)));
            if (node == nullptr) continue;
            const auto& raft = static_cast<KvServer*>(node)->raft();
            if (raft.role() == protocols::raft::Role::leader && raft.term() >= best) {
                best = raft.term();
                leader = static_cast<int>(i);
            }
        }
        return leader;
    }

    std::vector<workload::OpRequest> final_ops() override { return lin_kv_final_reads(generator_); }

    std::string role_at(std::string_view node, Nanos at, std::string* now_leading) const override {
        // The last change of each node at or before `at`.
        std::optional<RoleChange> mine;
        std::optional<RoleChange> newest_leader;
        for (const RoleChange& change : timeline_) {
            if (change.time > at) break;
            if (views_[change.node].name == node) mine = change;
            if (change.up && change.role == protocols::raft::Role::leader &&
                (!newest_leader || change.term >= newest_leader->term)) {
                newest_leader = change;
            }
        }
        if (now_leading != nullptr && newest_leader && views_[newest_leader->node].name != node &&
            (!mine || newest_leader->term > mine->term)) {
            *now_leading = fmt::format("{} had led term {} since {}", views_[newest_leader->node].name,
                                       newest_leader->term.value, format_duration(newest_leader->time));
        }
        if (!mine) return "";
        if (!mine->up) return "down";
        switch (mine->role) {
            case protocols::raft::Role::leader: return fmt::format("the term-{} leader", mine->term.value);
            case protocols::raft::Role::follower: return fmt::format("a follower in term {}", mine->term.value);
            default: return fmt::format("a candidate in term {}", mine->term.value);
        }
    }

    bool served(const check::Operation& completion) const override { return lin_kv_served(completion); }

    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation&) override {
        std::vector<CheckOutcome> outcomes;
        outcomes.push_back(check_lin_kv(history));
        if (violation_) {
            outcomes.push_back(CheckOutcome{violation_->invariant, Verdict::invalid, violation_->detail,
                                            Json{{"nodes", violation_->nodes}}, violated_at_});
        } else {
            outcomes.push_back(CheckOutcome{"raft-invariants", Verdict::valid,
                                            fmt::format("held after each of {} steps", invariants_->checks()),
                                            Json{{"steps", invariants_->checks()}}});
        }
        return outcomes;
    }

private:
    // Each node's role and term over time, for counterexamples in words.
    struct RoleChange {
        Nanos time = 0;
        std::size_t node = 0;
        bool up = false;
        protocols::raft::Role role = protocols::raft::Role::follower;
        Term term;
        bool operator==(const RoleChange& other) const {
            return up == other.up && role == other.role && term == other.term;
        }
    };

    // Notes node i's role and term if they changed (runs after every step).
    void record_role(std::size_t i, Nanos now) {
        const protocols::raft::Raft* raft = views_[i].raft;
        RoleChange change{now, i, raft != nullptr, raft ? raft->role() : protocols::raft::Role::follower,
                          raft ? raft->term() : Term()};
        if (last_roles_[i] && *last_roles_[i] == change) return;
        last_roles_[i] = change;
        timeline_.push_back(change);
    }

    std::vector<RoleChange> timeline_;
    std::vector<std::optional<RoleChange>> last_roles_;
    protocols::raft::RaftOptions options_;
    std::shared_ptr<const workload::ClientCodec> codec_;
    workload::LinKvGenerator generator_;
    std::vector<protocols::raft::NodeView> views_;
    std::unique_ptr<RaftInvariants> invariants_;
    std::optional<protocols::raft::InvariantViolation> violation_;
    Nanos violated_at_ = 0;
};

}  // namespace

std::vector<workload::OpRequest> lin_kv_final_reads(const workload::LinKvGenerator& generator) {
    std::vector<workload::OpRequest> reads;
    for (std::int64_t key : generator.keys_used()) reads.push_back(workload::OpRequest{"read", Json(key), Json()});
    return reads;
}

bool lin_kv_served(const check::Operation& completion) {
    if (completion.type == check::OpType::ok) return true;
    return completion.type == check::OpType::fail && completion.error.is_number_integer() &&
           (completion.error.get<int>() == protocols::kv::error_key_missing ||
            completion.error.get<int>() == protocols::kv::error_precondition);
}

CheckOutcome check_lin_kv(const check::History& history) {
    check::LinearizabilityOptions options;
    options.model = check::models::ModelKind::kv;
    options.semantics = check::models::faultline_history_semantics();
    // Half the checker's default work budget (about 30 s of hard search): one
    // seed of a sweep should not take a minute. Work, not time, so that a
    // seed's verdict never depends on the machine's load.
    options.configs_max = check::LinearizabilityOptions::kConfigsMaxDefault / 2;
    auto result = check::check_linearizability(history, options);
    if (!result) {
        return CheckOutcome{"linearizability", Verdict::unknown, "cannot check: " + result.error().message, Json()};
    }
    Json details = check::linearizability_result_to_json(*result);
    switch (result->verdict) {
        case check::Verdict::linearizable:
            return CheckOutcome{"linearizability", Verdict::valid,
                                fmt::format("{} operations on {} keys", result->checked_ops, result->partitions.size()),
                                details};
        case check::Verdict::not_linearizable: {
            std::string summary = "not linearizable";
            std::optional<Nanos> failed_at;
            if (const auto& counterexample = result->counterexample) {
                summary = fmt::format("not linearizable: key {}\n{}", counterexample->key.dump(),
                                      counterexample->to_text("               "));
                // The text is shared with `faultline check`, whose --json a run
                // does not have: a run keeps the whole counterexample in results.json.
                for (std::size_t at = summary.find("(see --json)"); at != std::string::npos;
                     at = summary.find("(see --json)", at)) {
                    summary.replace(at, 12, "(see results.json)");
                }
                // Complete once the op that cannot be placed, and the window of
                // ops it cannot be ordered with, have all returned.
                std::vector<std::size_t> involved = counterexample->window;
                if (counterexample->op) involved.push_back(*counterexample->op);
                Json history_indexes = Json::array();
                for (std::size_t position : involved) {
                    const auto& op = counterexample->ops.at(position);
                    const Nanos at = op.completed ? op.complete_time : op.invoke_time;
                    failed_at = std::max(failed_at.value_or(0), at);
                    history_indexes.push_back(op.index);
                }
                details["involved_ops"] = history_indexes;
            }
            return CheckOutcome{"linearizability", Verdict::invalid, summary, details, failed_at};
        }
        case check::Verdict::unknown:
            return CheckOutcome{"linearizability", Verdict::unknown, "gave up: " + result->unknown_reason, details};
    }
    FL_UNREACHABLE();
}

std::vector<std::string> bug_names() {
    std::vector<std::string> names;
    for (const BugSwitch& bug : bug_switches) names.emplace_back(bug.name);
    return names;
}

Result<std::unique_ptr<System>> make_raft_kv_system(const RunConfig& config) {
    protocols::raft::RaftOptions options;
    options.pre_vote = config.pre_vote;
    options.check_quorum = config.check_quorum;
    options.authenticate = config.authenticate;
    options.step_down_when_slow = config.step_down_when_slow;
    options.flow_control = config.flow_control;
    options.lease_reads = config.lease_reads;
    options.clock_drift_bound = config.clock_drift_bound;
    if (config.inflight_appends_max > 0) options.inflight_appends_max = config.inflight_appends_max;
    if (config.append_bytes_max > 0) options.append_bytes_max = config.append_bytes_max;
    if (config.election_timeout_min > 0) {
        options.election_timeout_min = config.election_timeout_min;
        options.election_timeout_max = config.election_timeout_max;
    }
    if (config.heartbeat_interval > 0) options.heartbeat_interval = config.heartbeat_interval;
    if (options.heartbeat_interval >= options.election_timeout_min) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("the heartbeat ({}) must be shorter than the election timeout ({})",
                                      format_duration(options.heartbeat_interval),
                                      format_duration(options.election_timeout_min)));
    }
    if (!config.bug.empty()) {
        bool known = false;
        for (const BugSwitch& bug : bug_switches) {
            if (config.bug == bug.name) {
                options.bugs.*bug.flag = true;
                known = true;
            }
        }
        if (!known) {
            std::string names;
            for (const auto& name : bug_names()) names += (names.empty() ? "" : ", ") + name;
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("unknown bug '{}' (known: {})", config.bug, names));
        }
    }
    return std::unique_ptr<System>(std::make_unique<RaftKvSystem>(options, config.value_bytes));
}

}  // namespace faultline::runner
