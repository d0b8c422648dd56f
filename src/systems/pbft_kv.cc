// pbft-kv: the lin-kv service on PBFT (protocols/pbft) under the lin-kv
// workload and the Byzantine nemesis: `byzantine` replicas (default 1) run a
// Byzantine wrapper around the correct core, chosen with its behaviour from the
// seed. Checked: linearizability of what clients accepted (f + 1 matching
// replies), and agreement after every step (no two correct replicas execute
// different requests at one sequence number).
#include <fmt/format.h>

#include <map>

#include "nemesis/byzantine.h"
#include "protocols/kv/messages.h"
#include "protocols/pbft/byzantine.h"
#include "protocols/pbft/replica.h"
#include "runner/system.h"
#include "systems/lin_kv.h"
#include "workload/kv_workload.h"

namespace faultline::systems {

namespace {

using protocols::pbft::Behaviour;
using protocols::pbft::ByzantineReplica;
using protocols::pbft::Digest;
using protocols::pbft::PbftOptions;
using protocols::pbft::PbftReplica;
using protocols::pbft::Seq;
using runner::CheckOutcome;
using runner::RunConfig;
using runner::Verdict;

// The PBFT client: requests signed by the client's session key; a result is
// accepted once f + 1 replicas, distinct and each with a valid signature,
// sent the same one for the outstanding attempt. Replies come one by one, so
// the codec keeps the tallies (one per attempt, dropped when it completes).
class PbftCodec final : public workload::ClientCodec {
  public:
    PbftCodec(std::uint32_t value_bytes, std::size_t f, std::size_t replicas)
        : kv_(value_bytes), f_(f), replicas_(replicas) {}

    MessagePtr encode(const workload::OpRequest& op, const workload::RequestIds& ids) const override {
        const MessagePtr plain = kv_.encode(op, ids);
        const auto* kv_request = message_as<protocols::kv::KvRequest>(*plain);
        FL_ASSERT(kv_request != nullptr);
        auto message = std::make_shared<protocols::pbft::RequestMessage>();
        message->request.command = kv_request->command;
        message->request.msg_id = ids.msg_id;
        message->request.signature = protocols::pbft::sign_as_client(ids.client, message->request.digest());
        return message;
    }

    std::optional<workload::DecodedReply> decode(const Message& message) const override {
        const auto* reply = message_as<protocols::pbft::Reply>(message);
        if (reply == nullptr || reply->replica >= replicas_ || !reply->verify()) return std::nullopt;
        Tally& tally = tallies_[{reply->client, reply->msg_id}];
        tally.votes[reply->replica] = {reply->result.code, reply->result.value};
        std::size_t matching = 0;
        for (const auto& [replica, result] : tally.votes) {
            if (result == tally.votes.at(reply->replica)) ++matching;
        }
        if (matching < f_ + 1) return std::nullopt;
        // Attempts of this client up to this one are over.
        tallies_.erase(tallies_.lower_bound({reply->client, 0}), tallies_.upper_bound({reply->client, reply->msg_id}));
        protocols::kv::KvReply plain;
        plain.in_reply_to = reply->msg_id;
        plain.op = reply->op;
        plain.code = reply->result.code;
        plain.value = reply->result.value;
        return kv_.decode(plain);
    }

    bool timeout_is_failure(const std::string& f) const override { return kv_.timeout_is_failure(f); }

  private:
    struct Tally {
        std::map<std::uint32_t, std::pair<int, std::int64_t>> votes;  // replica -> (code, value)
    };
    KvCodec kv_;
    std::size_t f_;
    std::size_t replicas_;
    mutable std::map<std::pair<std::uint64_t, std::uint64_t>, Tally> tallies_;  // (client, msg_id)
};

class PbftKvSystem final : public runner::System {
  public:
    PbftKvSystem(PbftOptions options, std::uint32_t value_bytes, std::vector<nemesis::ByzantineServer> byzantine,
                 std::size_t nodes)
        : options_(options),
          byzantine_(std::move(byzantine)),
          codec_(std::make_shared<PbftCodec>(value_bytes, (nodes - 1) / 3, nodes)) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        for (int i = 0; i < config.nodes; ++i) {
            const PbftOptions options = options_;
            std::optional<Behaviour> behaviour;
            for (const auto& each : byzantine_) {
                if (each.node == i) behaviour = protocols::pbft::kBehaviours[each.behaviour];
            }
            if (behaviour) {
                const Behaviour chosen = *behaviour;
                simulation.add_server(fmt::format("n{}", i), [options, chosen] {
                    return std::make_unique<ByzantineReplica>(options, chosen);
                });
            } else {
                simulation.add_server(fmt::format("n{}", i),
                                      [options] { return std::make_unique<PbftReplica>(options); });
            }
            behaviours_.push_back(behaviour);
        }
        seen_.assign(static_cast<std::size_t>(config.nodes), 0);
    }

    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    // PBFT's client sends a request again, to another replica, when its replies
    // are late: the first may have gone to a faulty one that never relays it.
    workload::ClientOptions client_options(const RunConfig& config) const override {
        workload::ClientOptions options = System::client_options(config);
        options.timeout_retries_max = std::max(options.timeout_retries_max, 2);
        return options;
    }
    workload::OpRequest next_op(Prng& random) override { return generator_.next(random); }
    void shape_workload(const workload::WorkloadShape& shape) override {
        generator_ = workload::LinKvGenerator(lin_kv_options_for(shape));
    }
    std::vector<workload::OpRequest> final_ops() override { return lin_kv_final_reads(generator_); }
    bool served(const check::Operation& completion) const override { return lin_kv_served(completion); }

    void after_step(sim::Simulation& simulation) override {
        ++steps_;
        for (std::size_t i = 0; i < behaviours_.size(); ++i) {
            if (behaviours_[i]) continue;  // a Byzantine replica promises nothing
            const PbftReplica* replica = correct_at(simulation, i);
            if (replica == nullptr) continue;
            max_log_ = std::max(max_log_, replica->log_size());
            const auto& executed = replica->executed_log();
            if (executed.size() < seen_[i]) seen_[i] = 0;  // restarted: a new incarnation
            for (; seen_[i] < executed.size(); ++seen_[i]) {
                const auto [seq, digest] = executed[seen_[i]];
                auto [first, inserted] = executed_.emplace(seq, std::make_pair(digest, i));
                if (inserted || first->second.first == digest || violation_) continue;
                violation_ = fmt::format(
                    "n{} and n{} (both correct) executed different requests at sequence number {} ({} and {})",
                    first->second.second, i, seq, describe(first->second.first), describe(digest));
                violation_at_ = simulation.now();
                simulation.stop(fmt::format("agreement: {}", *violation_));
            }
        }
    }

    std::optional<int> leader(sim::Simulation& simulation) override {
        // The primary of the highest view a correct replica is in.
        std::optional<int> found;
        protocols::pbft::View best = 0;
        for (std::size_t i = 0; i < behaviours_.size(); ++i) {
            const PbftReplica* replica = any_at(simulation, i);
            if (replica == nullptr || replica->in_view_change()) continue;
            if (!found || replica->view() > best) {
                best = replica->view();
                found = static_cast<int>(replica->primary_of(best));
            }
        }
        return found;
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
                return fmt::format("Byzantine ({})", protocols::pbft::behaviour_name(*behaviours_[i]));
            }
        }
        return "";
    }

    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation&) override {
        std::vector<CheckOutcome> outcomes;
        outcomes.push_back(check_lin_kv(history));
        Json byzantine = Json::array();
        for (std::size_t i = 0; i < behaviours_.size(); ++i) {
            if (behaviours_[i]) {
                byzantine.push_back(Json{{"node", fmt::format("n{}", i)},
                                         {"behaviour", protocols::pbft::behaviour_name(*behaviours_[i])}});
            }
        }
        if (violation_) {
            outcomes.push_back(CheckOutcome{"agreement", Verdict::invalid, *violation_, Json{{"byzantine", byzantine}},
                                            violation_at_});
        } else {
            outcomes.push_back(CheckOutcome{
                "agreement", Verdict::valid,
                fmt::format("held after each of {} steps ({} sequence numbers executed; the log held at most {} "
                            "entries; Byzantine: {})",
                            steps_, executed_.size(), max_log_, byzantine.empty() ? "none" : byzantine.dump()),
                Json{{"steps", steps_}, {"byzantine", byzantine}, {"max_log", max_log_}}});
        }
        return outcomes;
    }

  private:
    static std::string describe(Digest digest) {
        return digest == protocols::pbft::kNullDigest ? "the null request" : fmt::format("request {:016x}", digest);
    }
    const PbftReplica* correct_at(sim::Simulation& simulation, std::size_t i) const {
        Node* node = simulation.node(NodeId(static_cast<std::uint32_t>(i)));
        return node == nullptr || behaviours_[i] ? nullptr : static_cast<const PbftReplica*>(node);
    }
    const PbftReplica* any_at(sim::Simulation& simulation, std::size_t i) const {
        Node* node = simulation.node(NodeId(static_cast<std::uint32_t>(i)));
        if (node == nullptr) return nullptr;
        if (behaviours_[i]) return &static_cast<const ByzantineReplica*>(node)->inner();
        return static_cast<const PbftReplica*>(node);
    }

    PbftOptions options_;
    std::vector<nemesis::ByzantineServer> byzantine_;
    std::shared_ptr<const PbftCodec> codec_;
    workload::LinKvGenerator generator_;
    std::vector<std::optional<Behaviour>> behaviours_;
    std::vector<std::size_t> seen_;                           // per replica: executed_log entries checked
    std::map<Seq, std::pair<Digest, std::size_t>> executed_;  // seq -> (digest, first correct replica)
    std::optional<std::string> violation_;
    Nanos violation_at_ = 0;
    std::uint64_t steps_ = 0;
    std::size_t max_log_ = 0;
};

struct PbftKvOptions {
    std::uint32_t value_bytes = 0;
    std::uint64_t checkpoint_interval = PbftOptions{}.checkpoint_interval;
    std::uint64_t log_window = PbftOptions{}.log_window;
    Nanos view_change_timeout = PbftOptions{}.view_change_timeout;
    Nanos status_interval = PbftOptions{}.status_interval;
    int byzantine = 1;
    std::string byzantine_behaviour = "random";
};

const runner::OptionTable<PbftKvOptions>& pbft_kv_options() {
    static const auto table = [] {
        using O = PbftKvOptions;
        runner::OptionTable<O> t;
        t.add("value_bytes", &O::value_bytes, "Payload bytes per written value").range(0, 1 << 24);
        t.add("checkpoint_interval", &O::checkpoint_interval,
              "Sequence numbers between checkpoints (K); a stable checkpoint discards the log below it")
            .range(1, 4096);
        t.add("log_window", &O::log_window,
              "Sequence numbers the primary may run ahead of the last stable checkpoint (L, the high watermark)")
            .range(2, 65536);
        t.duration("view_change_timeout", &O::view_change_timeout, milliseconds(1),
                   "How long a backup waits for a request to execute before it asks for a new primary (doubles "
                   "with each failed view change)")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.duration("status_interval", &O::status_interval, milliseconds(1),
                   "How often a replica tells the others how far it got (they resend what it missed)")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.add("byzantine", &O::byzantine,
              "Replicas that turn Byzantine, chosen from the seed (1 = f for four replicas)")
            .range(0, 64);
        t.add("byzantine_behaviour", &O::byzantine_behaviour,
              "What the Byzantine replicas do: random (each its own, from the seed), silent, equivocate, "
              "conflicting or tamper")
            .choices({"random", "silent", "equivocate", "conflicting", "tamper"});
        return t;
    }();
    return table;
}

Result<std::unique_ptr<runner::System>> make_pbft_kv(const RunConfig& config) {
    auto own = runner::system_options(config, pbft_kv_options());
    if (!own) return own.error();
    PbftOptions options;
    options.checkpoint_interval = own->checkpoint_interval;
    options.log_window = own->log_window;
    options.view_change_timeout = own->view_change_timeout;
    options.status_interval = own->status_interval;
    options.quorum_2f = config.bug == "quorum-2f";
    if (options.log_window < 2 * options.checkpoint_interval || options.log_window % options.checkpoint_interval != 0) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("log_window ({}) must be a multiple of checkpoint_interval ({}) and at least "
                                      "twice it, so the primary can go on while a checkpoint becomes stable",
                                      options.log_window, options.checkpoint_interval));
    }
    if (options.status_interval >= options.view_change_timeout) {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("status_interval ({}) must be shorter than view_change_timeout ({})",
                        format_duration(options.status_interval), format_duration(options.view_change_timeout)));
    }
    if (own->byzantine >= config.nodes && own->byzantine > 0) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("--byzantine {} leaves no correct replica of {}", own->byzantine, config.nodes));
    }
    std::optional<std::size_t> fixed;
    for (std::size_t i = 0; i < std::size(protocols::pbft::kBehaviours); ++i) {
        if (own->byzantine_behaviour == protocols::pbft::behaviour_name(protocols::pbft::kBehaviours[i])) fixed = i;
    }
    auto byzantine = nemesis::pick_byzantine(config.seed, config.nodes, own->byzantine,
                                             std::size(protocols::pbft::kBehaviours), fixed);
    return runner::new_system<PbftKvSystem>(options, own->value_bytes, std::move(byzantine),
                                            static_cast<std::size_t>(config.nodes));
}

const runner::SystemRegistration registration{{
    .name = "pbft-kv",
    .summary = "a linearizable key-value store on PBFT (n = 3f + 1), with Byzantine replicas from the seed and "
               "agreement checked after every step",
    .options = &pbft_kv_options(),
    .bugs = {"quorum-2f"},
    .checks = {"linearizability", "agreement"},
    .roles = {nemesis::TargetRole::leader},
    .make = make_pbft_kv,
}};

}  // namespace

}  // namespace faultline::systems
