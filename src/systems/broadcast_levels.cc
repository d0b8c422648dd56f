// A run of one broadcast level: each node reports its broadcasts and
// deliveries to the recorder (stamped with true time, in the order they
// happen); the checks judge that history. A node that ever crashed is faulty
// (crash-stop: restarted, it keeps quiet). A run is judged by the guarantee
// its level promises, or by a stronger one it is held to (--claim), which is
// how the catalog shows where each level stops (scenarios/broadcast/).
#include "systems/broadcast_levels.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <unordered_map>

#include "check/delivery_checker.h"
#include "check/service_checks.h"
#include "protocols/broadcast/broadcast.h"

namespace faultline::systems {

namespace {

using check::DeliveryProperty;
using protocols::broadcast::Level;
using runner::CheckOutcome;
using runner::RunConfig;

enum class Guarantee : std::uint8_t { best_effort, reliable, uniform, fifo, causal, total };

constexpr struct {
    Guarantee guarantee;
    const char* name;
} kGuarantees[] = {
    {Guarantee::best_effort, "best-effort"}, {Guarantee::reliable, "reliable"},
    {Guarantee::uniform, "uniform"},         {Guarantee::fifo, "fifo"},
    {Guarantee::causal, "causal"},           {Guarantee::total, "total"},
};

std::optional<Guarantee> parse_guarantee(std::string_view name) {
    for (const auto& entry : kGuarantees) {
        if (name == entry.name) return entry.guarantee;
    }
    return std::nullopt;
}

// What each guarantee promises (spec/protocols.md §4.1).
std::vector<DeliveryProperty> properties(Guarantee guarantee) {
    std::vector<DeliveryProperty> out{DeliveryProperty::validity, DeliveryProperty::no_duplication,
                                      DeliveryProperty::no_creation};
    if (guarantee == Guarantee::best_effort) return out;
    out.push_back(DeliveryProperty::agreement);
    switch (guarantee) {
        case Guarantee::uniform:
            out.push_back(DeliveryProperty::uniform_agreement);
            break;
        case Guarantee::fifo:
            out.push_back(DeliveryProperty::fifo_order);
            break;
        case Guarantee::causal:
            out.push_back(DeliveryProperty::fifo_order);
            out.push_back(DeliveryProperty::causal_order);
            break;
        case Guarantee::total:
            out.push_back(DeliveryProperty::total_order);
            break;
        default:
            break;
    }
    return out;
}

Guarantee guarantee_of(Level level) {
    switch (level) {
        case Level::best_effort:
            return Guarantee::best_effort;
        case Level::reliable_eager:
        case Level::reliable_lazy:
            return Guarantee::reliable;
        case Level::uniform:
            return Guarantee::uniform;
        case Level::fifo:
            return Guarantee::fifo;
        case Level::causal:
            return Guarantee::causal;
        case Level::total:
        case Level::total_raft:
            return Guarantee::total;
    }
    FL_UNREACHABLE();
}

// Clients: the set workload's adds become broadcasts; a node that crashed
// before refuses, and the client tries another.
class LevelCodec final : public workload::ClientCodec {
  public:
    MessagePtr encode(const workload::OpRequest& op, const workload::RequestIds& ids) const override {
        auto request = std::make_shared<protocols::broadcast::BroadcastRequest>();
        request->msg_id = ids.msg_id;
        request->read = op.f == "read";
        if (!request->read) request->value = op.value.get<std::int64_t>();
        return request;
    }
    std::optional<workload::DecodedReply> decode(const Message& message) const override {
        const auto* reply = message_as<protocols::broadcast::BroadcastReply>(message);
        if (reply == nullptr) return std::nullopt;
        if (reply->refused) {
            return workload::DecodedReply{reply->in_reply_to, {.kind = workload::Completion::Kind::retry}};
        }
        workload::Completion completion{.kind = workload::Completion::Kind::ok};
        if (reply->read) completion.value = reply->values;
        return workload::DecodedReply{reply->in_reply_to, completion};
    }
    bool timeout_is_failure(const std::string& f) const override { return f == "read"; }
};

// The history of broadcasts and deliveries, as the nodes report them.
class Recorder final : public protocols::broadcast::DeliverySink {
  public:
    void attach(sim::Simulation& simulation) { simulation_ = &simulation; }
    void add_process(NodeId node, std::string name) {
        index_[node.value] = history_.processes();
        history_.names.push_back(std::move(name));
        history_.correct.push_back(true);
    }
    void broadcast(NodeId node, std::int64_t value) override {
        history_.add_broadcast(index_.at(node.value), value, simulation_->now());
    }
    void deliver(NodeId node, NodeId origin, std::int64_t value) override {
        history_.add_delivery(index_.at(node.value), index_.at(origin.value), value, simulation_->now());
    }
    check::DeliveryHistory& history() { return history_; }

  private:
    sim::Simulation* simulation_ = nullptr;
    std::unordered_map<std::uint32_t, int> index_;
    check::DeliveryHistory history_;
};

class BroadcastLevelsSystem final : public runner::System {
  public:
    BroadcastLevelsSystem(const BroadcastLevelOptions& options, Guarantee claim) : options_(options), claim_(claim) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        recorder_.attach(simulation);
        for (int i = 0; i < config.nodes; ++i) {
            const auto level = options_.level;
            auto* recorder = &recorder_;
            const std::string name = fmt::format("n{}", i);
            const NodeId id = simulation.add_server(
                name, [level, recorder] { return protocols::broadcast::make_level_node(level, recorder); });
            recorder_.add_process(id, name);
            servers_.push_back(id);
        }
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    // The sequencer of `total`, the Raft leader of the highest term of
    // `total-raft`: the target of faults aimed at the leader.
    std::optional<int> leader(sim::Simulation& simulation) override {
        std::optional<int> leader;
        Term best;
        for (std::size_t i = 0; i < servers_.size(); ++i) {
            const Node* node = simulation.node(servers_[i]);
            if (node == nullptr) continue;
            const auto term = protocols::broadcast::leadership(*node);
            if (term && (!leader || *term > best)) {
                best = *term;
                leader = static_cast<int>(i);
            }
        }
        return leader;
    }
    // Every operation a broadcast of a fresh value: the checks read the
    // recorded deliveries, so reads during the run would only cost (each
    // copies a node's whole delivery list into the history). A final read
    // of each node still shows its deliveries in the history.
    workload::OpRequest next_op(Prng&) override { return workload::OpRequest{"add", Json(), Json(next_value_++)}; }
    std::vector<workload::OpRequest> final_ops() override {
        std::vector<workload::OpRequest> reads;
        for (NodeId server : servers_) reads.push_back(workload::OpRequest{"read", Json(), Json(), server});
        return reads;
    }
    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation& simulation) override {
        check::DeliveryHistory& deliveries = recorder_.history();
        for (std::size_t i = 0; i < servers_.size(); ++i) {
            deliveries.correct[i] = simulation.incarnation(servers_[i]) == 0 && simulation.is_up(servers_[i]);
        }
        std::vector<CheckOutcome> outcomes;
        const auto claimed = properties(claim_);
        for (DeliveryProperty property : claimed) outcomes.push_back(check::check_delivery(deliveries, property));
        if (options_.msgs_per_op_max > 0) {
            outcomes.push_back(
                check::check_msgs_per_op(history, simulation.stats().server_messages, options_.msgs_per_op_max));
        }
        return outcomes;
    }

  private:
    BroadcastLevelOptions options_;
    Guarantee claim_;
    Recorder recorder_;
    std::shared_ptr<const workload::ClientCodec> codec_ = broadcast_client_codec();
    std::int64_t next_value_ = 0;
    std::vector<NodeId> servers_;
};

}  // namespace

std::shared_ptr<const workload::ClientCodec> broadcast_client_codec() {
    static const auto codec = std::make_shared<const LevelCodec>();
    return codec;
}

std::vector<std::string> guarantee_names() {
    std::vector<std::string> names;
    for (const auto& entry : kGuarantees) names.emplace_back(entry.name);
    return names;
}

std::vector<std::string> broadcast_level_checks() {
    std::vector<std::string> names;
    for (DeliveryProperty property : check::all_properties()) names.emplace_back(check::property_name(property));
    return names;
}

Result<std::unique_ptr<runner::System>> make_broadcast_levels(const BroadcastLevelOptions& options) {
    Guarantee claim = guarantee_of(options.level.level);
    if (!options.claim.empty()) {
        auto parsed = parse_guarantee(options.claim);
        if (!parsed) {
            return make_error(
                ErrorCode::invalid_argument,
                fmt::format("claim: unknown guarantee '{}' ({})", options.claim, fmt::join(guarantee_names(), ", ")));
        }
        claim = *parsed;
    }
    return runner::new_system<BroadcastLevelsSystem>(options, claim);
}

}  // namespace faultline::systems
