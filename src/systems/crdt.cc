// crdt: replicas of one CRDT (protocols/crdt/replica.h), updated and read by
// clients at any replica, converging by state or op delivery. The replicas
// report every update and every change of state; the strong-eventual-
// consistency checks (check/sec_checker.h) judge that history: equal updates
// give equal values, and after the heal every correct replica holds every
// update and the value the type's specification gives them.
#include <fmt/format.h>

#include <unordered_map>

#include "check/sec_checker.h"
#include "protocols/crdt/replica.h"
#include "runner/system.h"

namespace faultline::systems {

namespace {

using protocols::crdt::CrdtReply;
using protocols::crdt::CrdtRequest;
using protocols::crdt::OpKind;
using protocols::crdt::Type;
using runner::CheckOutcome;
using runner::RunConfig;

struct CrdtOptions {
    std::string type = "g-counter";
    std::string delivery = "state";
    Nanos sync_interval = milliseconds(100);
    int elements = 4;
};

const runner::OptionTable<CrdtOptions>& crdt_options() {
    static const auto table = [] {
        runner::OptionTable<CrdtOptions> t;
        t.add("type", &CrdtOptions::type, "The replicated type").choices(protocols::crdt::type_names());
        t.add("delivery", &CrdtOptions::delivery,
              "state: replicas send whole states to random peers, which merge them; op: updates go to every "
              "replica as operations, delivered causally and exactly once")
            .choices({"state", "op"});
        t.duration("sync_interval", &CrdtOptions::sync_interval, milliseconds(1),
                   "How often a replica sends a random peer its state (state) or its version vector (op)")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.add("elements", &CrdtOptions::elements,
              "or-set: clients add and remove elements 0..elements-1 (few: adds and removes of one element meet)")
            .range(1, 1'000'000);
        return t;
    }();
    return table;
}

class CrdtCodec final : public workload::ClientCodec {
  public:
    MessagePtr encode(const workload::OpRequest& op, const workload::RequestIds& ids) const override {
        auto request = std::make_shared<CrdtRequest>();
        request->msg_id = ids.msg_id;
        request->op = op.f == "add"      ? OpKind::add
                      : op.f == "remove" ? OpKind::remove
                      : op.f == "write"  ? OpKind::write
                                         : OpKind::read;
        if (request->op != OpKind::read) request->value = op.value.get<std::int64_t>();
        return request;
    }
    std::optional<workload::DecodedReply> decode(const Message& message) const override {
        const auto* reply = message_as<CrdtReply>(message);
        if (reply == nullptr) return std::nullopt;
        if (reply->refused) {
            return workload::DecodedReply{reply->in_reply_to, {.kind = workload::Completion::Kind::retry}};
        }
        if (reply->rejected)
            return workload::DecodedReply{reply->in_reply_to, {.kind = workload::Completion::Kind::fail}};
        workload::Completion completion{.kind = workload::Completion::Kind::ok};
        completion.value = reply->value;
        return workload::DecodedReply{reply->in_reply_to, completion};
    }
    bool timeout_is_failure(const std::string& f) const override { return f == "read"; }
};

// What the replicas report, stamped with true time.
class Recorder final : public protocols::crdt::CrdtSink {
  public:
    void attach(sim::Simulation& simulation) { simulation_ = &simulation; }
    void add_replica(NodeId node, std::string name) {
        index_[node.value] = history_.replicas();
        history_.names.push_back(std::move(name));
        history_.correct.push_back(true);
    }
    void updated(NodeId node, const protocols::crdt::Operation& op) override {
        const int origin = index_.at(node.value);
        FL_ASSERT_EQ(static_cast<std::uint32_t>(origin), op.dot.replica);
        history_.updates.push_back(check::SecUpdate{.origin = origin,
                                                    .seq = op.dot.seq,
                                                    .op = protocols::crdt::op_name(op.kind),
                                                    .arg = op.arg,
                                                    .deps = op.deps,
                                                    .at = simulation_->now()});
    }
    void changed(NodeId node, const std::vector<std::uint64_t>& version, const Json& value) override {
        history_.states.push_back(check::SecState{index_.at(node.value), simulation_->now(), version, value});
    }
    check::SecHistory& history() { return history_; }

  private:
    sim::Simulation* simulation_ = nullptr;
    std::unordered_map<std::uint32_t, int> index_;
    check::SecHistory history_;
};

class CrdtSystem final : public runner::System {
  public:
    CrdtSystem(protocols::crdt::ReplicaOptions options, int elements) : options_(options), elements_(elements) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        recorder_.attach(simulation);
        recorder_.history().type = protocols::crdt::type_name(options_.type);
        for (int i = 0; i < config.nodes; ++i) {
            const auto options = options_;
            auto* recorder = &recorder_;
            const std::string name = fmt::format("n{}", i);
            const NodeId id = simulation.add_server(
                name, [options, recorder] { return std::make_unique<protocols::crdt::Replica>(options, recorder); });
            recorder_.add_replica(id, name);
            servers_.push_back(id);
        }
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override {
        const std::uint64_t roll = random.below(100);
        if (roll < 20) return workload::OpRequest{"read", Json(), Json()};
        switch (options_.type) {
            case Type::g_counter:
                return workload::OpRequest{"add", Json(), Json(random.between(1, 5))};
            case Type::pn_counter: {
                const std::int64_t delta = random.between(1, 5);
                return workload::OpRequest{"add", Json(), Json(random.chance(0.5) ? delta : -delta)};
            }
            case Type::or_set:
                return workload::OpRequest{roll < 60 ? "add" : "remove", Json(),
                                           Json(random.between(0, elements_ - 1))};
            case Type::lww_register:
                return workload::OpRequest{"write", Json(), Json(next_value_++)};
        }
        FL_UNREACHABLE();
    }
    // A final read of every replica.
    std::vector<workload::OpRequest> final_ops() override {
        std::vector<workload::OpRequest> reads;
        for (NodeId server : servers_) reads.push_back(workload::OpRequest{"read", Json(), Json(), server});
        return reads;
    }
    std::vector<CheckOutcome> check(const check::History&, sim::Simulation& simulation) override {
        check::SecHistory& history = recorder_.history();
        history.finals.clear();
        for (std::size_t i = 0; i < servers_.size(); ++i) {
            history.correct[i] = simulation.incarnation(servers_[i]) == 0 && simulation.is_up(servers_[i]);
            if (!history.correct[i]) continue;
            const auto* replica = simulation.node_as<protocols::crdt::Replica>(servers_[i]);
            FL_ASSERT(replica != nullptr);
            history.finals.push_back(
                check::SecState{static_cast<int>(i), simulation.now(), replica->version(), replica->object().value()});
        }
        return {check::check_strong_convergence(history), check::check_eventual_convergence(history)};
    }

  private:
    protocols::crdt::ReplicaOptions options_;
    int elements_;
    Recorder recorder_;
    std::shared_ptr<const workload::ClientCodec> codec_ = std::make_shared<CrdtCodec>();
    std::int64_t next_value_ = 1;
    std::vector<NodeId> servers_;
};

const runner::SystemRegistration registration{{
    .name = "crdt",
    .summary = "replicas of a CRDT (g-counter, pn-counter, or-set, lww-register) by state or op delivery, held to "
               "strong eventual consistency",
    .options = &crdt_options(),
    .bugs = {"sum-deltas", "remove-deletes"},
    .bug_needs = {{"sum-deltas", Json{{"delivery", "op"}}},
                  {"remove-deletes", Json{{"delivery", "op"}, {"type", "or-set"}}}},
    .checks = {"strong-convergence", "eventual-convergence"},
    .make = [](const RunConfig& config) -> Result<std::unique_ptr<runner::System>> {
        auto own = runner::system_options(config, crdt_options());
        if (!own) return own.error();
        protocols::crdt::ReplicaOptions options;
        options.type = *protocols::crdt::parse_type(own->type);
        options.delivery = own->delivery == "op" ? protocols::crdt::Delivery::op : protocols::crdt::Delivery::state;
        options.sync_interval = own->sync_interval;
        const bool counter = options.type == Type::g_counter || options.type == Type::pn_counter;
        // make_system has checked bug_needs (op delivery; an or-set for
        // remove-deletes); sum-deltas also needs one of the two counters.
        if (config.bug == "sum-deltas") {
            if (!counter) {
                return make_error(ErrorCode::invalid_argument,
                                  "--bug sum-deltas needs a counter (--type g-counter or pn-counter): it is how op "
                                  "delivery applies an increment");
            }
            options.sum_deltas = true;
        } else if (config.bug == "remove-deletes") {
            options.remove_deletes = true;
        } else if (!config.bug.empty()) {
            return make_error(ErrorCode::invalid_argument, fmt::format("unknown bug '{}'", config.bug));
        }
        return runner::new_system<CrdtSystem>(options, own->elements);
    },
}};

}  // namespace

}  // namespace faultline::systems
