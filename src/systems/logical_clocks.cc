// logical-clocks: nodes that stamp their events with a Lamport or a vector
// clock and exchange messages at random (spec/protocols.md scenarios 7 and 8).
// No clients. The recorder keeps every event with its stamp, and which send
// each receive received; the clock checks (check/clock_checker.h) rebuild
// happens-before from that and hold the stamps to it: the clock condition,
// and, when claimed (by default for vector clocks), exactness.
#include <fmt/format.h>

#include <unordered_map>

#include "check/clock_checker.h"
#include "protocols/clocks/clock_node.h"
#include "runner/system.h"

namespace faultline::systems {

namespace {

using protocols::clocks::ClockKind;
using runner::CheckOutcome;
using runner::RunConfig;

struct LogicalClocksOptions {
    std::string clock = "vector";
    std::string claim;  // "condition" or "exact"; empty: what the clock promises
    Nanos event_interval = milliseconds(50);
};

const runner::OptionTable<LogicalClocksOptions>& logical_clocks_options() {
    static const auto table = [] {
        using O = LogicalClocksOptions;
        runner::OptionTable<O> t;
        t.add("clock", &O::clock, "The clock that stamps events").choices({"lamport", "vector"});
        t.add("claim", &O::claim,
              "What the checks hold the clock to: condition (a -> b implies C(a) < C(b)) or exact (and the "
              "converse); default: condition for lamport, exact for vector")
            .choices({"", "condition", "exact"});
        t.duration("event_interval", &O::event_interval, milliseconds(1),
                   "Each node's mean time between events (half of them sends)")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        return t;
    }();
    return table;
}

// Every event, in the order it happened, as the clock checks read it.
class Recorder final : public protocols::clocks::ClockSink {
  public:
    void attach(sim::Simulation& simulation) { simulation_ = &simulation; }
    void add_process(NodeId node, std::string name) {
        index_[node.value] = static_cast<int>(history_.names.size());
        history_.names.push_back(std::move(name));
    }
    void event(NodeId node, std::uint64_t sent, std::uint64_t received,
               const std::vector<std::uint64_t>& stamp) override {
        const int process = index_.at(node.value);
        const Nanos now = simulation_->now();
        if (received != 0) {
            history_.add_receive(process, sends_.at(received), stamp, now);
            return;
        }
        const std::size_t at = history_.add(process, stamp, now);
        if (sent != 0) {
            const bool fresh = sends_.emplace(sent, at).second;
            FL_ASSERT_MSG(fresh, "two messages share an id");
        }
    }
    const check::ClockHistory& history() const { return history_; }

  private:
    sim::Simulation* simulation_ = nullptr;
    std::unordered_map<std::uint32_t, int> index_;
    std::unordered_map<std::uint64_t, std::size_t> sends_;  // message id -> its send event
    check::ClockHistory history_;
};

class LogicalClocksSystem final : public runner::System {
  public:
    LogicalClocksSystem(protocols::clocks::ClockNodeOptions options, bool exact) : options_(options), exact_(exact) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        recorder_.attach(simulation);
        for (int i = 0; i < config.nodes; ++i) {
            const auto options = options_;
            auto* recorder = &recorder_;
            const std::string name = fmt::format("n{}", i);
            const NodeId id = simulation.add_server(name, [options, recorder] {
                return std::make_unique<protocols::clocks::ClockNode>(options, recorder);
            });
            recorder_.add_process(id, name);
        }
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return nullptr; }
    workload::OpRequest next_op(Prng&) override { FL_UNREACHABLE(); }
    std::vector<CheckOutcome> check(const check::History&, sim::Simulation&) override {
        const auto order = options_.kind == ClockKind::lamport ? check::StampOrder::scalar : check::StampOrder::vector;
        std::vector<CheckOutcome> outcomes{check::check_clock_condition(recorder_.history(), order)};
        if (exact_) outcomes.push_back(check::check_clock_exactness(recorder_.history(), order));
        return outcomes;
    }

  private:
    protocols::clocks::ClockNodeOptions options_;
    bool exact_;
    Recorder recorder_;
};

const runner::SystemRegistration registration{{
    .name = "logical-clocks",
    .summary = "Lamport or vector clocks stamping random message exchanges, held to happens-before",
    .options = &logical_clocks_options(),
    .bugs = {"no-max-on-receive"},
    .checks = {"clock-condition", "clock-exactness"},
    .make = [](const RunConfig& config) -> Result<std::unique_ptr<runner::System>> {
        auto own = runner::system_options(config, logical_clocks_options());
        if (!own) return own.error();
        protocols::clocks::ClockNodeOptions options;
        options.kind = own->clock == "lamport" ? ClockKind::lamport : ClockKind::vector;
        options.event_interval = own->event_interval;
        options.max_on_receive = config.bug != "no-max-on-receive";
        const bool exact = own->claim.empty() ? options.kind == ClockKind::vector : own->claim == "exact";
        return runner::new_system<LogicalClocksSystem>(options, exact);
    },
}};

}  // namespace

}  // namespace faultline::systems
