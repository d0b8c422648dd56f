// tendermint-kv: the lin-kv service on Tendermint (protocols/tendermint) under
// the lin-kv workload and the Byzantine nemesis: `byzantine` validators
// (default 1) run a Byzantine wrapper around the correct core, chosen with its
// behaviour from the seed. Blocks carry client commands, applied on commit; a
// validator answers the clients that asked it. Checked: linearizability;
// agreement after every step (no two correct validators decide different
// blocks at one height); validity (a decided block holds only commands clients
// issued and was proposed by a proposer of its height); termination (every
// correct validator up at the end decided every height decided before the
// faults healed, and more were decided since); block time strictly increasing
// per validator; accountability (the duplicate-vote evidence correct
// validators hold, and what the commits of the two sides of a fork prove,
// never name a correct one, and after a fork name validators holding at
// least 1/3 of the power).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "nemesis/byzantine.h"
#include "protocols/kv/messages.h"
#include "protocols/tendermint/byzantine.h"
#include "protocols/tendermint/validator.h"
#include "runner/system.h"
#include "systems/lin_kv.h"
#include "systems/tendermint_checks.h"
#include "workload/kv_workload.h"

namespace faultline::systems {

namespace {

using protocols::tendermint::Behaviour;
using protocols::tendermint::BlockId;
using protocols::tendermint::ByzantineValidator;
using protocols::tendermint::Height;
using protocols::tendermint::TendermintOptions;
using protocols::tendermint::Validator;
using runner::CheckOutcome;
using runner::RunConfig;
using runner::Verdict;

// The lin-kv codec, which also remembers every command a client issued (the
// validity check's reference).
class RecordingCodec final : public workload::ClientCodec {
  public:
    explicit RecordingCodec(std::uint32_t value_bytes) : kv_(value_bytes) {}
    MessagePtr encode(const workload::OpRequest& op, const workload::RequestIds& ids) const override {
        MessagePtr message = kv_.encode(op, ids);
        const auto* request = message_as<protocols::kv::KvRequest>(*message);
        FL_ASSERT(request != nullptr);
        issued_.insert(request->command.encode());
        return message;
    }
    std::optional<workload::DecodedReply> decode(const Message& message) const override { return kv_.decode(message); }
    bool timeout_is_failure(const std::string& f) const override { return kv_.timeout_is_failure(f); }
    bool issued(const protocols::kv::KvCommand& command) const { return issued_.contains(command.encode()); }

  private:
    KvCodec kv_;
    mutable std::set<std::string> issued_;
};

class TendermintKvSystem final : public runner::System {
  public:
    TendermintKvSystem(TendermintOptions options, std::uint32_t value_bytes,
                       std::vector<nemesis::ByzantineServer> byzantine)
        : options_(std::move(options)),
          byzantine_(std::move(byzantine)),
          codec_(std::make_shared<RecordingCodec>(value_bytes)) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        healed_at_ = config.time_limit;
        std::vector<std::uint32_t> colluders;
        for (const auto& each : byzantine_) {
            if (protocols::tendermint::kBehaviours[each.behaviour] == Behaviour::fork) {
                colluders.push_back(static_cast<std::uint32_t>(each.node));
            }
        }
        for (int i = 0; i < config.nodes; ++i) {
            const TendermintOptions options = options_;
            std::optional<Behaviour> behaviour;
            for (const auto& each : byzantine_) {
                if (each.node == i) behaviour = protocols::tendermint::kBehaviours[each.behaviour];
            }
            if (behaviour) {
                const Behaviour chosen = *behaviour;
                simulation.add_server(fmt::format("n{}", i), [options, chosen, colluders] {
                    return std::make_unique<ByzantineValidator>(options, chosen, colluders);
                });
            } else {
                simulation.add_server(fmt::format("n{}", i),
                                      [options] { return std::make_unique<Validator>(options); });
            }
            behaviours_.push_back(behaviour);
        }
        seen_.assign(static_cast<std::size_t>(config.nodes), 0);
    }

    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override { return generator_.next(random); }
    void shape_workload(const workload::WorkloadShape& shape) override {
        generator_ = workload::LinKvGenerator(lin_kv_options_for(shape));
    }
    std::vector<workload::OpRequest> final_ops() override { return lin_kv_final_reads(generator_); }
    bool served(const check::Operation& completion) const override { return lin_kv_served(completion); }

    void after_step(sim::Simulation& simulation) override {
        ++steps_;
        if (!heal_height_ && simulation.now() >= healed_at_) heal_height_ = agreement_.heights();
        for (std::size_t i = 0; i < behaviours_.size(); ++i) {
            const Validator* validator = correct_at(simulation, i);
            if (validator == nullptr) continue;
            const auto& decisions = validator->decisions();
            if (decisions.size() < seen_[i]) {  // restarted: a new incarnation
                seen_[i] = 0;
                block_time_.restart(i);
            }
            for (; seen_[i] < decisions.size(); ++seen_[i]) observe(simulation, i, *validator, seen_[i] + 1);
        }
        // After a fork the run goes on a little, for the evidence to spread.
        if (violation_ && !stopped_ && simulation.now() >= violation_at_ + seconds(2)) {
            stopped_ = true;
            simulation.stop(fmt::format("agreement: {}", *violation_));
        }
    }

    std::optional<int> leader(sim::Simulation& simulation) override {
        // The proposer of the current round of the most advanced correct validator.
        const Validator* best = nullptr;
        for (std::size_t i = 0; i < behaviours_.size(); ++i) {
            const Validator* validator = correct_at(simulation, i);
            if (validator != nullptr && (best == nullptr || std::make_pair(validator->height(), validator->round()) >
                                                                std::make_pair(best->height(), best->round()))) {
                best = validator;
            }
        }
        if (best == nullptr) return std::nullopt;
        return static_cast<int>(best->proposer_of(best->height(), best->round()));
    }

    std::optional<int> node_in_role(sim::Simulation& simulation, nemesis::TargetRole role) override {
        if (role == nemesis::TargetRole::leader || role == nemesis::TargetRole::fresh_leader) return leader(simulation);
        return std::nullopt;
    }

    std::string role_at(std::string_view node, Nanos at, std::string* now_leading) const override {
        (void)at;
        (void)now_leading;
        for (std::size_t i = 0; i < behaviours_.size(); ++i) {
            if (fmt::format("n{}", i) == node && behaviours_[i]) {
                return fmt::format("Byzantine ({})", protocols::tendermint::behaviour_name(*behaviours_[i]));
            }
        }
        return "";
    }

    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation& simulation) override {
        std::vector<CheckOutcome> outcomes;
        outcomes.push_back(check_lin_kv(history));
        Json byzantine = Json::array();
        std::uint64_t lies = 0, against_lock = 0;
        for (std::size_t i = 0; i < behaviours_.size(); ++i) {
            if (!behaviours_[i]) continue;
            byzantine.push_back(Json{{"node", fmt::format("n{}", i)},
                                     {"behaviour", protocols::tendermint::behaviour_name(*behaviours_[i])}});
            if (Node* node = simulation.node(NodeId(static_cast<std::uint32_t>(i)))) {
                lies += static_cast<const ByzantineValidator*>(node)->lies();
                against_lock += static_cast<const ByzantineValidator*>(node)->against_lock();
            }
        }
        const std::string who = byzantine.empty() ? "none" : byzantine.dump();
        if (violation_) {
            outcomes.push_back(CheckOutcome{"agreement", Verdict::invalid, *violation_, Json{{"byzantine", byzantine}},
                                            violation_at_});
        } else {
            outcomes.push_back(CheckOutcome{
                "agreement", Verdict::valid,
                fmt::format("held after each of {} steps ({} heights decided; Byzantine: {}, {} messages altered, {} "
                            "prevotes against a lock)",
                            steps_, agreement_.heights(), who, lies, against_lock),
                Json{{"steps", steps_},
                     {"heights", agreement_.heights()},
                     {"byzantine", byzantine},
                     {"lies", lies},
                     {"against_lock", against_lock}}});
        }
        outcomes.push_back(invalid_block_ ? CheckOutcome{"validity", Verdict::invalid, *invalid_block_, Json::object()}
                                          : CheckOutcome{"validity", Verdict::valid,
                                                         fmt::format("all {} decided blocks hold only commands clients "
                                                                     "issued and came from a proposer of their height",
                                                                     agreement_.heights()),
                                                         Json::object()});
        outcomes.push_back(
            time_violation_ ? CheckOutcome{"block-time", Verdict::invalid, *time_violation_, Json::object()}
                            : CheckOutcome{"block-time", Verdict::valid,
                                           "each correct validator's block times strictly increase", Json::object()});
        outcomes.push_back(termination(simulation));
        outcomes.push_back(accountability(simulation));
        return outcomes;
    }

  private:
    // Height h decided by correct validator i: agreement, validity, time.
    void observe(sim::Simulation& simulation, std::size_t i, const Validator& validator, Height height) {
        const auto& decision = validator.decisions()[height - 1];
        commits_[height].emplace(decision.block->id(), decision.commit);
        if (auto violation = agreement_.observe(i, height, decision.block->id()); violation && !violation_) {
            violation_ = std::move(violation);
            violation_at_ = simulation.now();
        }
        if (!invalid_block_) {
            bool proposer_ok = false;
            for (protocols::tendermint::Round r = 0; r <= decision.round && !proposer_ok; ++r) {
                proposer_ok = validator.proposer_of(height, r) == decision.block->proposer;
            }
            if (!proposer_ok) {
                invalid_block_ = fmt::format("n{} decided at height {} a block from n{}, no proposer of rounds 0-{}", i,
                                             height, decision.block->proposer, decision.round);
            }
            for (const auto& command : decision.block->commands) {
                if (!invalid_block_ && !codec_->issued(command)) {
                    invalid_block_ = fmt::format("n{} decided at height {} a command no client issued (key {})", i,
                                                 height, command.key);
                }
            }
        }
        if (auto violation = block_time_.observe(i, height, decision.time); violation && !time_violation_) {
            time_violation_ = std::move(violation);
        }
    }

    CheckOutcome termination(sim::Simulation& simulation) const {
        const std::size_t healed = heal_height_.value_or(agreement_.heights());
        if (violation_) {
            return CheckOutcome{"termination", Verdict::unknown, "not judged after a fork", Json::object()};
        }
        for (std::size_t i = 0; i < behaviours_.size(); ++i) {
            const Validator* validator = correct_at(simulation, i);
            if (validator != nullptr && validator->decisions().size() < healed) {
                return CheckOutcome{"termination", Verdict::invalid,
                                    fmt::format("n{} decided {} heights, but {} were decided when the faults healed", i,
                                                validator->decisions().size(), healed),
                                    Json::object()};
            }
        }
        if (agreement_.heights() <= healed) {
            return CheckOutcome{"termination", Verdict::invalid,
                                fmt::format("no height was decided after the faults healed (at height {})", healed),
                                Json::object()};
        }
        return CheckOutcome{"termination", Verdict::valid,
                            fmt::format("every correct validator up at the end decided the {} heights decided when the "
                                        "faults healed; {} were decided in all",
                                        healed, agreement_.heights()),
                            Json::object()};
    }

    CheckOutcome accountability(sim::Simulation& simulation) const {
        std::vector<protocols::tendermint::Evidence> evidence;
        std::vector<bool> byzantine;
        std::vector<std::uint64_t> powers;
        for (std::size_t i = 0; i < behaviours_.size(); ++i) {
            byzantine.push_back(behaviours_[i].has_value());
            const Validator* validator = correct_at(simulation, i);
            if (validator == nullptr) continue;
            evidence.insert(evidence.end(), validator->evidence().begin(), validator->evidence().end());
            powers.clear();
            for (std::uint32_t v = 0; v < behaviours_.size(); ++v) powers.push_back(validator->power_of(v));
        }
        // The commits each side of a fork decided by convict those that
        // precommitted on both sides (kept as decided: a validator down at the
        // end has them on disk, but its evidence is gone with its memory).
        for (const auto& [height, commits] : commits_) {
            for (auto one = commits.begin(); one != commits.end(); ++one) {
                for (auto other = std::next(one); other != commits.end(); ++other) {
                    const auto found = commit_evidence(one->second, other->second);
                    evidence.insert(evidence.end(), found.begin(), found.end());
                }
            }
        }
        if (powers.empty()) powers.assign(behaviours_.size(), 1);
        return check_accountability(evidence, byzantine, powers, agreement_.forked());
    }

    const Validator* correct_at(sim::Simulation& simulation, std::size_t i) const {
        Node* node = simulation.node(NodeId(static_cast<std::uint32_t>(i)));
        return node == nullptr || behaviours_[i] ? nullptr : static_cast<const Validator*>(node);
    }

    TendermintOptions options_;
    std::vector<nemesis::ByzantineServer> byzantine_;
    std::shared_ptr<const RecordingCodec> codec_;
    workload::LinKvGenerator generator_;
    std::vector<std::optional<Behaviour>> behaviours_;
    std::vector<std::size_t> seen_;  // per validator: decisions checked
    // Per height, the commit of each block a correct validator decided there.
    std::map<Height, std::map<protocols::tendermint::BlockId, std::vector<protocols::tendermint::VotePtr>>> commits_;
    AgreementCheck agreement_;
    BlockTimeCheck block_time_;
    std::optional<std::string> violation_, invalid_block_, time_violation_;
    bool stopped_ = false;
    Nanos violation_at_ = 0;
    Nanos healed_at_ = 0;
    std::optional<std::size_t> heal_height_;
    std::uint64_t steps_ = 0;
};

struct TendermintKvOptions {
    std::uint32_t value_bytes = 0;
    Nanos timeout_propose = TendermintOptions{}.timeout_propose;
    Nanos timeout_delta = TendermintOptions{}.timeout_delta;
    Nanos timeout_commit = TendermintOptions{}.timeout_commit;
    Nanos gossip_interval = TendermintOptions{}.gossip_interval;
    int byzantine = 1;
    std::string byzantine_behaviour = "random";
};

const runner::OptionTable<TendermintKvOptions>& tendermint_kv_options() {
    static const auto table = [] {
        using O = TendermintKvOptions;
        runner::OptionTable<O> t;
        t.add("value_bytes", &O::value_bytes, "Payload bytes per written value").range(0, 1 << 24);
        t.duration("timeout_propose", &O::timeout_propose, milliseconds(1),
                   "How long a validator waits for the round's proposal before it prevotes nil (the prevote and "
                   "precommit timeouts are a third of it)")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.duration("timeout_delta", &O::timeout_delta, milliseconds(1), "What each timeout grows by per round")
            .range(0, runner::kWindowMax);
        t.duration("timeout_commit", &O::timeout_commit, milliseconds(1),
                   "The pause after a decision before the next height starts")
            .range(0, runner::kWindowMax);
        t.duration("gossip_interval", &O::gossip_interval, milliseconds(1),
                   "How often a validator resends its height, its votes and its proposal of the current round")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.add("byzantine", &O::byzantine, "Validators that turn Byzantine, chosen from the seed (1 = f for four)")
            .range(0, 64);
        t.add("byzantine_behaviour", &O::byzantine_behaviour,
              "What the Byzantine validators do: random (each its own, from the seed), double-sign, amnesia or fork")
            .choices({"random", "double-sign", "amnesia", "fork"});
        return t;
    }();
    return table;
}

Result<std::unique_ptr<runner::System>> make_tendermint_kv(const RunConfig& config) {
    auto own = runner::system_options(config, tendermint_kv_options());
    if (!own) return own.error();
    if (config.nodes < 4) {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("tendermint-kv needs at least 4 validators (n >= 3f + 1 with f >= 1), not {}", config.nodes));
    }
    if (own->gossip_interval >= own->timeout_propose) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("gossip_interval ({}) must be shorter than timeout_propose ({})",
                                      format_duration(own->gossip_interval), format_duration(own->timeout_propose)));
    }
    if (own->byzantine >= config.nodes && own->byzantine > 0) {
        return make_error(ErrorCode::invalid_argument, fmt::format("--byzantine {} leaves no correct validator of {}",
                                                                   own->byzantine, config.nodes));
    }
    TendermintOptions options;
    options.timeout_propose = own->timeout_propose;
    options.timeout_prevote = own->timeout_propose / 3;
    options.timeout_precommit = own->timeout_propose / 3;
    options.timeout_delta = own->timeout_delta;
    options.timeout_commit = own->timeout_commit;
    options.gossip_interval = own->gossip_interval;
    options.quorum_half = config.bug == "quorum-half";
    std::optional<std::size_t> fixed;
    for (std::size_t i = 0; i < std::size(protocols::tendermint::kBehaviours); ++i) {
        if (own->byzantine_behaviour == protocols::tendermint::behaviour_name(protocols::tendermint::kBehaviours[i])) {
            fixed = i;
        }
    }
    auto byzantine = nemesis::pick_byzantine(config.seed, config.nodes, own->byzantine,
                                             std::size(protocols::tendermint::kBehaviours), fixed);
    return runner::new_system<TendermintKvSystem>(options, own->value_bytes, std::move(byzantine));
}

const runner::SystemRegistration registration{{
    .name = "tendermint-kv",
    .summary = "a linearizable key-value store on Tendermint (heights, rounds, locks, BFT time), with Byzantine "
               "validators from the seed, agreement checked after every step and duplicate-vote evidence checked "
               "for accountability",
    .options = &tendermint_kv_options(),
    .bugs = {"quorum-half"},
    .checks = {"linearizability", "agreement", "validity", "block-time", "termination", "accountability"},
    .roles = {nemesis::TargetRole::leader},
    .make = make_tendermint_kv,
}};

}  // namespace

}  // namespace faultline::systems
