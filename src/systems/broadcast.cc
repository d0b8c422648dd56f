// broadcast: every value a client adds reaches every node. With `level
// maelstrom` (the default), by a spanning tree or by flooding, and final reads
// of every node must hold every acknowledged value (the set check). With a
// level of the broadcast hierarchy (best-effort ... total), see
// systems/broadcast_levels.h: the delivery checks judge every node's deliveries.
#include "protocols/broadcast/broadcast.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "check/service_checks.h"
#include "check/set_checker.h"
#include "runner/system.h"
#include "systems/broadcast_levels.h"
#include "workload/set_workload.h"

namespace faultline::systems {

namespace {

using runner::CheckOutcome;
using runner::RunConfig;
using runner::Verdict;

class BroadcastCodec final : public workload::ClientCodec {
  public:
    MessagePtr encode(const workload::OpRequest& op, const workload::RequestIds& ids) const override;
    std::optional<workload::DecodedReply> decode(const Message& message) const override;
    bool timeout_is_failure(const std::string& f) const override { return f == "read"; }
};

using protocols::broadcast::BroadcastReply;
using protocols::broadcast::BroadcastRequest;

MessagePtr BroadcastCodec::encode(const workload::OpRequest& op, const workload::RequestIds& ids) const {
    auto request = std::make_shared<BroadcastRequest>();
    request->msg_id = ids.msg_id;
    request->read = op.f == "read";
    if (!request->read) request->value = op.value.get<std::int64_t>();
    return request;
}

std::optional<workload::DecodedReply> BroadcastCodec::decode(const Message& message) const {
    const auto* reply = message_as<BroadcastReply>(message);
    if (reply == nullptr) return std::nullopt;
    workload::Completion completion{.kind = workload::Completion::Kind::ok};
    // A node's values, ascending (its set), recorded as ranges: thousands of
    // values a read, nearly all in a few runs (check/set_checker.h).
    if (reply->read) completion.value = check::compact_set(reply->values);
    return workload::DecodedReply{reply->in_reply_to, completion};
}

struct BroadcastOptions {
    std::string level = "maelstrom";
    std::string claim;
    std::string topology = "tree";
    double msgs_per_op_max = 0;
    Nanos resend_interval = 0;
    Nanos heartbeat_interval = milliseconds(100);
    Nanos suspect_after = milliseconds(500);
};

std::vector<std::string> level_choices() {
    std::vector<std::string> choices{"maelstrom"};
    for (const std::string& name : protocols::broadcast::level_names()) choices.push_back(name);
    return choices;
}

// The level's links resend every resend_interval, or every 100 ms when it is 0.
constexpr Nanos kLevelResendDefault = milliseconds(100);

const runner::OptionTable<BroadcastOptions>& broadcast_options() {
    static const auto table = [] {
        runner::OptionTable<BroadcastOptions> t;
        t.add("level", &BroadcastOptions::level,
              "maelstrom: values spread by `topology`, final reads checked as a set; or a level of the "
              "broadcast hierarchy, its deliveries checked (docs/broadcast.md)")
            .choices(level_choices());
        t.add("claim", &BroadcastOptions::claim,
              "The guarantee the delivery checks hold a level to (default: the level's own): " +
                  fmt::format("{}", fmt::join(guarantee_names(), ", ")))
            .check([](const Json& value) -> Status {
                const auto name = value.get<std::string>();
                const auto names = guarantee_names();
                if (name.empty() || std::find(names.begin(), names.end(), name) != names.end()) return ok_status();
                return make_error(ErrorCode::invalid_argument,
                                  fmt::format("claim: unknown guarantee '{}' ({})", name, fmt::join(names, ", ")));
            });
        t.add("topology", &BroadcastOptions::topology, "How values spread (level maelstrom)")
            .choices({"tree", "flood"});
        t.add("msgs_per_op_max", &BroadcastOptions::msgs_per_op_max,
              "The most server messages per client operation (0: no check)")
            .range(0, 1e9);
        t.duration("resend_interval", &BroadcastOptions::resend_interval, milliseconds(1),
                   "Resend unacknowledged values to neighbours this often (0: never; a lossy or partitioned "
                   "network needs it). The levels always resend, every 100ms when this is 0")
            .range(0, runner::kWindowMax)
            .check([](const Json& value) {
                return value.get<Nanos>() == 0 ? ok_status() : runner::check_timer_interval(value);
            });
        t.duration("heartbeat_interval", &BroadcastOptions::heartbeat_interval, milliseconds(1),
                   "Level reliable-lazy: how often each node says it is alive")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.duration("suspect_after", &BroadcastOptions::suspect_after, milliseconds(1),
                   "Level reliable-lazy: the silence after which a node suspects an origin and relays its messages")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        return t;
    }();
    return table;
}

class BroadcastSystem final : public runner::System {
  public:
    BroadcastSystem(protocols::broadcast::Topology topology, double msgs_per_op_max, Nanos resend_interval)
        : topology_(topology), msgs_per_op_max_(msgs_per_op_max), resend_interval_(resend_interval) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        for (int i = 0; i < config.nodes; ++i) {
            const auto topology = topology_;
            const Nanos resend_interval = resend_interval_;
            const NodeId id = simulation.add_server(fmt::format("n{}", i), [topology, resend_interval] {
                return std::make_unique<protocols::broadcast::BroadcastNode>(topology, resend_interval);
            });
            servers_.push_back(id);
        }
        finals_from_ = config.time_limit + config.recovery;
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override { return generator_.next(random); }
    // A final read of every node.
    std::vector<workload::OpRequest> final_ops() override {
        std::vector<workload::OpRequest> reads;
        for (NodeId server : servers_) reads.push_back(workload::OpRequest{"read", Json(), Json(), server});
        return reads;
    }
    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation& simulation) override {
        std::vector<CheckOutcome> outcomes;
        outcomes.push_back(check::outcome_of(check::check_set(history, finals_from_)));
        if (msgs_per_op_max_ > 0) {
            outcomes.push_back(check::check_msgs_per_op(history, simulation.stats().server_messages, msgs_per_op_max_));
        }
        return outcomes;
    }

  private:
    protocols::broadcast::Topology topology_;
    double msgs_per_op_max_;
    Nanos resend_interval_;
    std::shared_ptr<const workload::ClientCodec> codec_ = std::make_shared<BroadcastCodec>();
    workload::SetGenerator generator_;
    std::vector<NodeId> servers_;
    Nanos finals_from_ = 0;
};

const runner::SystemRegistration registration{{
    .name = "broadcast",
    .summary = "values broadcast to every node: by tree or flood (no acknowledged value may be lost), or by a "
               "level of the broadcast hierarchy (best-effort to total order), its deliveries checked",
    .options = &broadcast_options(),
    .checks =
        [] {
            std::vector<std::string> checks{"set", "msgs-per-op"};
            for (std::string& name : broadcast_level_checks()) checks.push_back(std::move(name));
            return checks;
        }(),
    .make = [](const RunConfig& config) -> Result<std::unique_ptr<runner::System>> {
        auto options = runner::system_options(config, broadcast_options());
        if (!options) return options.error();
        if (options->level != "maelstrom") {
            BroadcastLevelOptions levels;
            levels.level.level = *protocols::broadcast::parse_level(options->level);
            levels.level.resend_interval =
                options->resend_interval > 0 ? options->resend_interval : kLevelResendDefault;
            levels.level.heartbeat_interval = options->heartbeat_interval;
            levels.level.suspect_after = options->suspect_after;
            levels.claim = options->claim;
            levels.msgs_per_op_max = options->msgs_per_op_max;
            return make_broadcast_levels(levels);
        }
        if (!options->claim.empty()) {
            return make_error(ErrorCode::invalid_argument, "claim applies to the levels: give --level too");
        }
        return runner::new_system<BroadcastSystem>(
            options->topology == "flood" ? protocols::broadcast::Topology::flood : protocols::broadcast::Topology::tree,
            options->msgs_per_op_max, options->resend_interval);
    },
}};

}  // namespace

}  // namespace faultline::systems
