// abd: the ABD register store (protocols/abd) under the lin-kv workload
// without cas (ABD cannot express it), checked for linearizability.
#include <fmt/format.h>

#include "protocols/abd/abd_server.h"
#include "runner/system.h"
#include "systems/lin_kv.h"
#include "workload/kv_workload.h"

namespace faultline::systems {

namespace {

using protocols::abd::AbdOptions;
using protocols::abd::AbdServer;
using runner::CheckOutcome;
using runner::RunConfig;

// Reads and writes only: a cas would be refused, and a refused operation
// teaches nothing about the register.
workload::LinKvOptions abd_workload(const workload::WorkloadShape* shape) {
    workload::LinKvOptions options;
    if (shape != nullptr) options = lin_kv_options_for(*shape);
    if (shape == nullptr || !shape->read_percent) options.read_percent = 50;
    options.write_percent = 100 - options.read_percent;
    return options;
}

class AbdSystem final : public runner::System {
  public:
    explicit AbdSystem(AbdOptions options) : options_(options), generator_(abd_workload(nullptr)) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        const AbdOptions options = options_;
        for (int i = 0; i < config.nodes; ++i) {
            simulation.add_server(fmt::format("n{}", i), [options] { return std::make_unique<AbdServer>(options); });
        }
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override { return generator_.next(random); }
    void shape_workload(const workload::WorkloadShape& shape) override {
        generator_ = workload::LinKvGenerator(abd_workload(&shape));
    }
    std::vector<workload::OpRequest> final_ops() override { return lin_kv_final_reads(generator_); }
    bool served(const check::Operation& completion) const override { return lin_kv_served(completion); }
    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation&) override {
        return {check_lin_kv(history)};
    }

  private:
    AbdOptions options_;
    std::shared_ptr<const workload::ClientCodec> codec_ = std::make_shared<KvCodec>();
    workload::LinKvGenerator generator_;
};

struct AbdSystemOptions {
    Nanos resend_interval = AbdOptions{}.resend_interval;
    Nanos give_up_after = AbdOptions{}.give_up_after;
};

const runner::OptionTable<AbdSystemOptions>& abd_options() {
    static const auto table = [] {
        using O = AbdSystemOptions;
        runner::OptionTable<O> t;
        t.duration("resend_interval", &O::resend_interval, milliseconds(1),
                   "How often a coordinator resends a phase's request to the replicas that have not answered")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.duration("give_up_after", &O::give_up_after, milliseconds(1),
                   "How long a coordinator keeps an unfinished operation before dropping it unanswered")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        return t;
    }();
    return table;
}

Result<std::unique_ptr<runner::System>> make_abd(const RunConfig& config) {
    auto own = runner::system_options(config, abd_options());
    if (!own) return own.error();
    AbdOptions options;
    options.resend_interval = own->resend_interval;
    options.give_up_after = own->give_up_after;
    options.skip_write_back = config.bug == "skip-write-back";
    return runner::new_system<AbdSystem>(options);
}

const runner::SystemRegistration registration{{
    .name = "abd",
    .summary = "a linearizable register per key on majority quorums (multi-writer ABD: reads write back); no cas",
    .options = &abd_options(),
    .bugs = {"skip-write-back"},
    .checks = {"linearizability"},
    .make = make_abd,
}};

}  // namespace

}  // namespace faultline::systems
