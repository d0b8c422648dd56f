// raft-kv: the Raft KV (protocols/kv on protocols/raft) under the lin-kv workload,
// with Raft's safety invariants checked after every simulated step, and the
// replicas' key-value states compared wherever they applied the same index.
#include <fmt/format.h>

#include <array>
#include <limits>

#include "base/hash.h"
#include "nemesis/byzantine.h"
#include "protocols/kv/byzantine.h"
#include "protocols/kv/kv_server.h"
#include "protocols/raft/invariants.h"
#include "runner/system.h"
#include "systems/lin_kv.h"
#include "workload/kv_workload.h"

namespace faultline::systems {

namespace {

using protocols::kv::ByzantineKvServer;
using protocols::kv::KvServer;
using protocols::kv::RaftByzantine;
using protocols::raft::RaftInvariants;
using runner::CheckOutcome;
using runner::RunConfig;
using runner::Verdict;

class RaftKvSystem final : public runner::System {
  public:
    RaftKvSystem(protocols::raft::RaftOptions options, std::uint32_t value_bytes,
                 std::vector<nemesis::ByzantineServer> byzantine)
        : options_(options), codec_(std::make_shared<KvCodec>(value_bytes)), byzantine_(std::move(byzantine)) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        for (int i = 0; i < config.nodes; ++i) {
            const protocols::raft::RaftOptions options = options_;
            std::optional<RaftByzantine> behaviour;
            for (const auto& each : byzantine_) {
                if (each.node == i) behaviour = protocols::kv::kRaftByzantine[each.behaviour];
            }
            NodeId id;
            if (behaviour) {
                const RaftByzantine chosen = *behaviour;
                id = simulation.add_server(fmt::format("n{}", i), [options, chosen] {
                    return std::make_unique<ByzantineKvServer>(options, chosen);
                });
            } else {
                id = simulation.add_server(fmt::format("n{}", i),
                                           [options] { return std::make_unique<KvServer>(options); });
            }
            behaviours_.push_back(behaviour);
            views_.push_back(protocols::raft::NodeView{simulation.name(id), nullptr});
        }
        invariants_ = std::make_unique<RaftInvariants>(views_.size());
        last_roles_.assign(views_.size(), std::nullopt);
        versions_.assign(views_.size(), 0);
        last_votes_.assign(views_.size(), {});
        // Not yet seen: no node is at incarnation max() with nothing applied.
        applied_seen_.assign(views_.size(), {LogIndex(0), std::numeric_limits<std::uint32_t>::max()});
    }

    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override { return generator_.next(random); }
    void shape_workload(const workload::WorkloadShape& shape) override {
        generator_ = workload::LinKvGenerator(lin_kv_options_for(shape));
    }

    void after_step(sim::Simulation& simulation) override {
        if (violation_) return;
        just_voted_.reset();
        changed_.clear();
        for (std::size_t i = 0; i < views_.size(); ++i) {
            const NodeId id(static_cast<std::uint32_t>(i));
            // A Byzantine node promises nothing: the invariants watch the others.
            if (behaviours_[i]) continue;
            Node* node = simulation.node(id);
            protocols::raft::Raft* raft = node == nullptr ? nullptr : &static_cast<KvServer*>(node)->raft();
            const std::uint32_t incarnation = simulation.incarnation(id);
            const std::uint64_t version = raft == nullptr ? 0 : raft->version();
            // Most steps touch one node: a node with the same Raft, life and
            // version as last step has no new role to note.
            if (raft == views_[i].raft && incarnation == views_[i].incarnation && version == versions_[i]) continue;
            views_[i].raft = raft;
            views_[i].incarnation = incarnation;
            versions_[i] = version;
            record_role(i, simulation.now());
            note_vote(i);
            if (node != nullptr) changed_.push_back(i);
        }
        violation_ = invariants_->check(views_);
        if (!violation_) violation_ = check_replica_states(simulation);
        if (violation_) {
            violated_at_ = simulation.now();
            simulation.stop(fmt::format("{}: {}", violation_->invariant, violation_->detail));
        }
    }

    std::optional<int> leader(sim::Simulation& simulation) override {
        std::optional<int> leader;
        Term best;
        for (std::size_t i = 0; i < views_.size(); ++i) {
            const KvServer* server = server_at(simulation, i);
            if (server == nullptr) continue;
            const auto& raft = server->raft();
            if (raft.role() == protocols::raft::Role::leader && raft.term() >= best) {
                best = raft.term();
                leader = static_cast<int>(i);
            }
        }
        return leader;
    }

    std::optional<int> node_in_role(sim::Simulation& simulation, nemesis::TargetRole role) override {
        using nemesis::TargetRole;
        if (role == TargetRole::leader) return leader(simulation);
        if (role == TargetRole::just_voted) return just_voted_;
        std::optional<int> found;
        LogIndex longest;
        for (std::size_t i = 0; i < views_.size(); ++i) {
            const protocols::raft::Raft* raft = views_[i].raft;
            if (raft == nullptr || simulation.node(NodeId(static_cast<std::uint32_t>(i))) == nullptr) continue;
            const int index = static_cast<int>(i);
            switch (role) {
                case TargetRole::fresh_leader: {
                    // Its no-op, and everything after, not yet committed.
                    const std::optional<Term> committed_term = raft->log().term_at(raft->commit_index());
                    if (raft->role() == protocols::raft::Role::leader && committed_term &&
                        *committed_term < raft->term()) {
                        return index;
                    }
                    break;
                }
                case TargetRole::candidate:
                    if (raft->role() == protocols::raft::Role::candidate) return index;
                    break;
                case TargetRole::longest_log:
                    if (!found || raft->log().last_index() > longest) {
                        found = index;
                        longest = raft->log().last_index();
                    }
                    break;
                default:
                    break;
            }
        }
        return found;
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
            case protocols::raft::Role::leader:
                return fmt::format("the term-{} leader", mine->term.value);
            case protocols::raft::Role::follower:
                return fmt::format("a follower in term {}", mine->term.value);
            default:
                return fmt::format("a candidate in term {}", mine->term.value);
        }
    }

    Json role_timeline() const override {
        Json timeline = Json::array();
        for (const RoleChange& change : timeline_) {
            timeline.push_back(Json{{"t", change.time},
                                    {"node", views_[change.node].name},
                                    {"role", change.up ? protocols::raft::role_name(change.role) : "down"},
                                    {"term", change.term.value}});
        }
        return timeline;
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

    // Each node's moves between roles (and up or down), with how far its term
    // moved, whichever node made them; and each change of the cluster's
    // census of roles from the one before (two leaders in different terms, a
    // candidate while a leader is down...). The node-by-node and cluster-wide
    // sequences of role and term transitions, abstracted from node names.
    void abstract_run(std::vector<std::uint64_t>& features) const override {
        struct Last {
            bool known = false;
            bool up = false;
            protocols::raft::Role role = protocols::raft::Role::follower;
            Term term;
        };
        std::vector<Last> last(views_.size());
        auto state_of = [](bool up, protocols::raft::Role role) {
            return up ? static_cast<std::uint64_t>(role) + 1 : 0;  // 0: down
        };
        std::uint64_t previous_census = 0;
        for (const RoleChange& change : timeline_) {
            Last& node = last[change.node];
            const std::uint64_t to = state_of(change.up, change.role);
            if (node.known) {
                const std::uint64_t from = state_of(node.up, node.role);
                const std::uint64_t jump =
                    change.term.value > node.term.value + 1 ? 2 : change.term.value - node.term.value;
                features.push_back(hash_words({0x52, from, to, std::min<std::uint64_t>(jump, 2)}));
            }
            node = Last{true, change.up, change.role, change.term};
            // The census: how many nodes in each state, and how many leaders.
            std::array<std::uint64_t, 5> counts{};
            for (const Last& each : last) {
                if (each.known) ++counts[state_of(each.up, each.role)];
            }
            std::uint64_t census = 0;
            for (std::uint64_t count : counts) census = census * 8 + count;
            if (census != previous_census) features.push_back(hash_words({0x43, previous_census, census}));
            previous_census = census;
        }
    }

  private:
    // The correct server at node i, or the one inside its Byzantine wrapper.
    const KvServer* server_at(sim::Simulation& simulation, std::size_t i) const {
        Node* node = simulation.node(NodeId(static_cast<std::uint32_t>(i)));
        if (node == nullptr) return nullptr;
        if (behaviours_[i]) return &static_cast<const ByzantineKvServer*>(node)->inner();
        return static_cast<const KvServer*>(node);
    }

    // Replicas that applied the same index hold the same key-value state (data,
    // client sessions, applied count): the store is a deterministic state
    // machine, and a snapshot restores exactly the state it was taken from.
    // Raft's invariants watch the logs; this watches what the servers made of
    // them, snapshots and sessions included. Checked for the nodes that changed.
    std::optional<protocols::raft::InvariantViolation> check_replica_states(sim::Simulation& simulation) {
        for (std::size_t i : changed_) {
            const auto* server = static_cast<const KvServer*>(simulation.node(NodeId(static_cast<std::uint32_t>(i))));
            const LogIndex applied = server->raft().last_applied();
            if (applied_seen_[i] == std::make_pair(applied, views_[i].incarnation)) continue;
            applied_seen_[i] = {applied, views_[i].incarnation};
            if (applied.value >= states_.size()) states_.resize(applied.value + 1);
            StateAt& state = states_[applied.value];
            const std::uint64_t fingerprint = server->store().fingerprint();
            if (!state.first_node) {
                state = StateAt{fingerprint, i};
            } else if (state.fingerprint != fingerprint) {
                const std::string& mine = views_[i].name;
                const std::string& theirs = views_[*state.first_node].name;
                // The first to apply that index may be this node itself, before
                // a restart that rebuilt its state differently.
                const std::string other =
                    *state.first_node == i ? fmt::format("what {} held there before", theirs) : theirs + "'s there";
                return protocols::raft::InvariantViolation{
                    "replica-state-agreement",
                    fmt::format("{} applied through index {} but its key-value state (data or client sessions) "
                                "differs from {}",
                                mine, applied.value, other),
                    {mine, theirs}};
            }
        }
        return std::nullopt;
    }

    // Each node's role and term over time, for counterexamples in words.
    struct RoleChange {
        Nanos time = 0;
        std::size_t node = 0;
        bool up = false;
        protocols::raft::Role role = protocols::raft::Role::follower;
        Term term;
    };

    // Notes node i's role and term if they changed (runs after every step).
    void record_role(std::size_t i, Nanos now) {
        const protocols::raft::Raft* raft = views_[i].raft;
        const bool up = raft != nullptr;
        const protocols::raft::Role role = up ? raft->role() : protocols::raft::Role::follower;
        const Term term = up ? raft->term() : Term();
        // Compared field by field, before a RoleChange is built: comparing a
        // freshly built one let GCC read its two one-byte fields back as one
        // word before the stores retired, a stall on every step.
        const std::optional<RoleChange>& last = last_roles_[i];
        if (last && last->up == up && last->role == role && last->term == term) return;
        last_roles_[i] = RoleChange{now, i, up, role, term};
        timeline_.push_back(*last_roles_[i]);
    }

    // Notes whether node i has just voted for another node (its vote changed
    // this step): the moment a crash that forgets the vote does harm.
    void note_vote(std::size_t i) {
        const protocols::raft::Raft* raft = views_[i].raft;
        if (raft == nullptr) return;
        const std::pair<Term, std::optional<NodeId>> vote{raft->term(), raft->voted_for()};
        if (vote == last_votes_[i]) return;
        last_votes_[i] = vote;
        if (vote.second && *vote.second != NodeId(static_cast<std::uint32_t>(i))) just_voted_ = static_cast<int>(i);
    }

    std::vector<RoleChange> timeline_;
    std::vector<std::pair<Term, std::optional<NodeId>>> last_votes_;
    std::optional<int> just_voted_;  // a node that voted for another in the last step
    std::vector<std::optional<RoleChange>> last_roles_;
    std::vector<std::uint64_t> versions_;  // each node's Raft version at the last step
    std::vector<std::size_t> changed_;     // the nodes whose Raft changed in this step
    // The state each applied index left, as the first node to apply it saw it.
    struct StateAt {
        std::uint64_t fingerprint = 0;
        std::optional<std::size_t> first_node;
    };
    std::vector<StateAt> states_;
    std::vector<std::pair<LogIndex, std::uint32_t>> applied_seen_;  // (last applied, incarnation) per node
    protocols::raft::RaftOptions options_;
    std::shared_ptr<const workload::ClientCodec> codec_;
    workload::LinKvGenerator generator_;
    std::vector<protocols::raft::NodeView> views_;
    std::unique_ptr<RaftInvariants> invariants_;
    std::optional<protocols::raft::InvariantViolation> violation_;
    Nanos violated_at_ = 0;
    std::vector<nemesis::ByzantineServer> byzantine_;
    std::vector<std::optional<RaftByzantine>> behaviours_;
};

// raft-kv's options: Raft's switches and timing, and the workload's value size.
struct RaftKvOptions {
    bool pre_vote = protocols::raft::RaftOptions{}.pre_vote;
    bool check_quorum = protocols::raft::RaftOptions{}.check_quorum;
    bool authenticate = false;
    bool step_down_when_slow = false;
    bool flow_control = protocols::raft::RaftOptions{}.flow_control;
    bool lease_reads = false;
    double clock_drift_bound = protocols::raft::RaftOptions{}.clock_drift_bound;
    std::uint32_t value_bytes = 0;
    std::uint32_t inflight_appends_max = protocols::raft::RaftOptions{}.inflight_appends_max;
    std::uint32_t append_bytes_max = protocols::raft::RaftOptions{}.append_bytes_max;
    std::uint64_t snapshot_interval_entries = protocols::raft::RaftOptions{}.snapshot_interval_entries;
    Nanos election_timeout_min = protocols::raft::RaftOptions{}.election_timeout_min;
    Nanos election_timeout_max = protocols::raft::RaftOptions{}.election_timeout_max;
    Nanos heartbeat_interval = protocols::raft::RaftOptions{}.heartbeat_interval;
    int byzantine = 0;
    std::string byzantine_behaviour = "random";
};

const runner::OptionTable<RaftKvOptions>& raft_kv_options() {
    static const auto table = [] {
        using O = RaftKvOptions;
        runner::OptionTable<O> t;
        t.add("pre_vote", &O::pre_vote, "PreVote: a candidate first asks whether it could win");
        t.add("check_quorum", &O::check_quorum, "CheckQuorum: a leader that hears from no majority steps down");
        t.add("flow_control", &O::flow_control,
              "Replication flow control (off: every append resends all a follower lacks)");
        t.add("authenticate", &O::authenticate, "HMAC-authenticate replicated entries (altered messages are dropped)");
        t.add("step_down_when_slow", &O::step_down_when_slow,
              "A leader whose own timers run late hands leadership to a follower");
        t.add("lease_reads", &O::lease_reads, "Serve reads under a leader lease, not ReadIndex");
        t.add("clock_drift_bound", &O::clock_drift_bound,
              "The clock drift a lease allows for (its length: election timeout x (1 - bound))")
            .range(0, 0.99);
        t.add("value_bytes", &O::value_bytes, "Payload bytes per written value").range(0, 1 << 24);
        t.add("inflight_appends_max", &O::inflight_appends_max, "Appends in flight per follower")
            .range(1, 1 << 16)
            .alias("--inflight-appends");
        t.add("append_bytes_max", &O::append_bytes_max, "Bytes of entries per append")
            .range(1, 1 << 30)
            .alias("--append-bytes");
        t.add("snapshot_interval_entries", &O::snapshot_interval_entries,
              "Snapshot and compact the log after this many applied entries (0: never)")
            .range(0, 10'000'000);
        t.duration("election_timeout_min", &O::election_timeout_min, milliseconds(1),
                   "Shortest election timeout (a follower's wait for a leader)")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.duration("election_timeout_max", &O::election_timeout_max, milliseconds(1), "Longest election timeout")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.duration("heartbeat_interval", &O::heartbeat_interval, milliseconds(1), "Leader heartbeat interval")
            .range(runner::kTimerIntervalMin, runner::kWindowMax)
            .alias("--heartbeat");
        t.add("byzantine", &O::byzantine,
              "Nodes that turn Byzantine, chosen from the seed (Raft tolerates crash faults only: one breaks it)")
            .range(0, 64);
        t.add("byzantine_behaviour", &O::byzantine_behaviour,
              "What the Byzantine nodes do: random (each its own, from the seed), forged-append, double-vote or "
              "log-lie")
            .choices({"random", "forged-append", "double-vote", "log-lie"});
        return t;
    }();
    return table;
}

std::vector<std::string> bug_names() {
    std::vector<std::string> names;
    for (unsigned i = 0; i < static_cast<unsigned>(protocols::raft::Bug::count); ++i) {
        names.emplace_back(protocols::raft::bug_name(static_cast<protocols::raft::Bug>(i)));
    }
    return names;
}

Result<std::unique_ptr<runner::System>> make_raft_kv(const RunConfig& config) {
    auto own = runner::system_options(config, raft_kv_options());
    if (!own) return own.error();
    protocols::raft::RaftOptions options;
    options.pre_vote = own->pre_vote;
    options.check_quorum = own->check_quorum;
    options.authenticate = own->authenticate;
    options.step_down_when_slow = own->step_down_when_slow;
    options.flow_control = own->flow_control;
    options.lease_reads = own->lease_reads;
    options.clock_drift_bound = own->clock_drift_bound;
    options.inflight_appends_max = own->inflight_appends_max;
    options.append_bytes_max = own->append_bytes_max;
    options.snapshot_interval_entries = own->snapshot_interval_entries;
    options.election_timeout_min = own->election_timeout_min;
    options.election_timeout_max = own->election_timeout_max;
    options.heartbeat_interval = own->heartbeat_interval;
    if (options.election_timeout_min > options.election_timeout_max) {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("election_timeout_min ({}) must be at most election_timeout_max ({})",
                        format_duration(options.election_timeout_min), format_duration(options.election_timeout_max)));
    }
    if (options.heartbeat_interval >= options.election_timeout_min) {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("the heartbeat ({}) must be shorter than the election timeout ({})",
                        format_duration(options.heartbeat_interval), format_duration(options.election_timeout_min)));
    }
    // A lease is safe only if followers refuse to elect anyone while they
    // still hear from the leader, which is what CheckQuorum makes them do
    // (etcd refuses lease-based reads without it too).
    if (options.lease_reads && !options.check_quorum) {
        return make_error(ErrorCode::invalid_argument,
                          "lease reads need check_quorum: without it a new leader can be elected within an old "
                          "leader's lease");
    }
    if (!config.bug.empty()) {
        const auto bug = protocols::raft::bug_named(config.bug);
        if (!bug) return make_error(ErrorCode::invalid_argument, fmt::format("unknown bug '{}'", config.bug));
        options.bugs.set(*bug);
    }
    if (own->byzantine > 0 && own->byzantine >= config.nodes) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("--byzantine {} leaves no correct node of {}", own->byzantine, config.nodes));
    }
    options.byzantine_peers = own->byzantine > 0;
    std::optional<std::size_t> fixed;
    for (std::size_t i = 0; i < std::size(protocols::kv::kRaftByzantine); ++i) {
        if (own->byzantine_behaviour == protocols::kv::raft_byzantine_name(protocols::kv::kRaftByzantine[i])) fixed = i;
    }
    auto byzantine = nemesis::pick_byzantine(config.seed, config.nodes, own->byzantine,
                                             std::size(protocols::kv::kRaftByzantine), fixed);
    return runner::new_system<RaftKvSystem>(options, own->value_bytes, std::move(byzantine));
}

const runner::SystemRegistration registration{{
    .name = "raft-kv",
    .summary = "a linearizable key-value store on Raft, with its safety invariants checked after every step",
    .options = &raft_kv_options(),
    .bugs = bug_names(),
    // The lease bugs live in the lease-read path, which ReadIndex reads never take.
    .bug_needs = {{"lease-no-drift", Json{{"lease_reads", true}}},
                  {"lease-renewed-on-send", Json{{"lease_reads", true}}}},
    .checks = {"linearizability", "raft-invariants", "election-safety", "one-vote-per-term", "term-monotonic",
               "commit-monotonic", "applied-within-commit", "leader-append-only", "leader-completeness", "log-matching",
               "no-truncation-below-commit", "state-machine-safety", "replica-state-agreement"},
    .knobs = {"pre_vote", "check_quorum"},
    // A snapshot after a handful of entries in place of 2,000: a bug in the
    // snapshot path then fails in a few operations, not thousands.
    .scale_downs = {{"snapshot_interval_entries", {4, 16, 64, 256}}},
    .roles = nemesis::target_roles(),
    .make = make_raft_kv,
}};

}  // namespace

}  // namespace faultline::systems
