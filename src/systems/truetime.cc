// truetime: shards that timestamp commits with TrueTime, with or without
// commit wait (protocols/clocks/truetime.h), and one transaction client, the
// last server, that runs transactions back to back on shards at random. The
// shards' clocks are spread evenly across +-`clock_error` (by default 90% of
// epsilon, so TrueTime's assumption holds): the first runs furthest ahead,
// the last furthest behind, the worst case the assumption allows.
// The check: external consistency (check/physical_clock_checks.h).
#include "protocols/clocks/truetime.h"

#include <fmt/format.h>

#include "check/physical_clock_checks.h"
#include "runner/system.h"

namespace faultline::systems {

namespace {

using runner::CheckOutcome;
using runner::RunConfig;

struct TrueTimeOptions {
    Nanos epsilon = milliseconds(4);
    bool commit_wait = true;
    Nanos clock_error = 0;  // 0: 90% of epsilon
    Nanos think_max = milliseconds(2);
};

const runner::OptionTable<TrueTimeOptions>& truetime_options() {
    static const auto table = [] {
        using O = TrueTimeOptions;
        runner::OptionTable<O> t;
        t.duration("epsilon", &O::epsilon, milliseconds(1), "TrueTime's uncertainty: TT.now() = clock +- epsilon")
            .range(0, seconds(60));
        t.add("commit_wait", &O::commit_wait, "Answer a commit only once TT.now().earliest passed its timestamp");
        t.duration("clock_error", &O::clock_error, milliseconds(1),
                   "Each shard's clock is off by up to this (0: 90% of epsilon)")
            .range(0, seconds(60));
        t.duration("think_max", &O::think_max, milliseconds(1), "The client's pause between transactions, at most")
            .range(0, seconds(60));
        return t;
    }();
    return table;
}

class TrueTimeSystem final : public runner::System, public protocols::clocks::CommitObserver {
  public:
    explicit TrueTimeSystem(TrueTimeOptions options) : options_(options) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        simulation_ = &simulation;
        const Nanos error = options_.clock_error > 0 ? options_.clock_error : options_.epsilon * 9 / 10;
        std::vector<NodeId> shards;
        for (int i = 0; i + 1 < config.nodes; ++i) {
            const Nanos epsilon = options_.epsilon;
            const bool wait = options_.commit_wait;
            shards.push_back(simulation.add_server(fmt::format("n{}", i), [epsilon, wait] {
                return std::make_unique<protocols::clocks::TrueTimeShard>(epsilon, wait);
            }));
            const int last = config.nodes - 2;
            simulation.clock(shards.back()).set_offset(0, error - 2 * error * i / last);
        }
        const Nanos think = options_.think_max;
        protocols::clocks::CommitObserver* observer = this;
        simulation.add_server(fmt::format("n{}", config.nodes - 1), [shards, think, observer] {
            return std::make_unique<protocols::clocks::TxnClient>(shards, think, observer);
        });
    }

    std::shared_ptr<const workload::ClientCodec> codec() const override { return nullptr; }
    workload::OpRequest next_op(Prng&) override { FL_UNREACHABLE(); }

    void started(std::uint64_t sequence, NodeId shard) override {
        // A restarted client numbers from 1 again: its commits start a new list.
        if (sequence == 1 && !open_.empty()) flush();
        open_.push_back({simulation_->now(), -1, 0, simulation_->name(shard)});
    }
    void answered(std::uint64_t sequence, Nanos timestamp) override {
        if (sequence == 0 || sequence > open_.size()) return;
        open_[sequence - 1].answered = simulation_->now();
        open_[sequence - 1].timestamp = timestamp;
    }

    std::vector<CheckOutcome> check(const check::History&, sim::Simulation&) override {
        flush();
        return {check::check_external_consistency(commits_)};
    }

  private:
    // Unanswered commits are left out: nothing was promised about them.
    void flush() {
        for (const check::CommitRecord& commit : open_) {
            if (commit.answered >= 0) commits_.push_back(commit);
        }
        open_.clear();
    }

    TrueTimeOptions options_;
    sim::Simulation* simulation_ = nullptr;
    std::vector<check::CommitRecord> open_;
    std::vector<check::CommitRecord> commits_;
};

const runner::SystemRegistration registration{{
    .name = "truetime",
    .summary = "shards timestamp commits with TrueTime, with or without commit wait; external consistency checked "
               "(the last server is the transaction client; no workload clients)",
    .options = &truetime_options(),
    .checks = {"external-consistency"},
    .make = [](const RunConfig& config) -> Result<std::unique_ptr<runner::System>> {
        auto options = runner::system_options(config, truetime_options());
        if (!options) return options.error();
        if (config.nodes < 3) {
            return make_error(ErrorCode::invalid_argument,
                              "truetime needs two shards and the client: --nodes 3 or more");
        }
        return runner::new_system<TrueTimeSystem>(*options);
    },
}};

}  // namespace

}  // namespace faultline::systems
