// counter: a grow-only counter service on one server; reads must fall between
// the adds known to have happened and those that may have.
#include <fmt/format.h>

#include "check/counter_checker.h"
#include "protocols/counter/counter.h"
#include "runner/system.h"
#include "workload/counter_workload.h"

namespace faultline::systems {

namespace {

using runner::CheckOutcome;
using runner::RunConfig;
using runner::Verdict;

class CounterSystem final : public runner::System {
public:
    explicit CounterSystem(bool idempotency_keys)
        : idempotency_keys_(idempotency_keys), codec_(std::make_shared<workload::CounterCodec>(idempotency_keys)) {}

    void build(sim::Simulation& simulation, const RunConfig&) override {
        const protocols::counter::CounterOptions options{.deduplicate = idempotency_keys_};
        simulation.add_server("n0", [options] { return std::make_unique<protocols::counter::CounterServer>(options); });
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override { return workload::next_counter_request(random); }
    std::vector<workload::OpRequest> final_ops() override { return {workload::OpRequest{"read", Json(), Json()}}; }
    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation&) override {
        return {check::outcome_of(check::check_counter(history))};
    }

private:
    bool idempotency_keys_;
    std::shared_ptr<const workload::ClientCodec> codec_;
};

const runner::SystemRegistration registration{{
    .name = "counter",
    .summary = "a counter service on one server (--nodes 1); retries show what idempotency keys buy",
    .checks = {"counter"},
    .make = [](const RunConfig& config) -> Result<std::unique_ptr<runner::System>> {
        if (config.nodes != 1) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("the counter service runs on one server: use --nodes 1 (got {})",
                                          config.nodes));
        }
        return runner::new_system<CounterSystem>(config.idempotency_keys);
    },
}};

}  // namespace

}  // namespace faultline::systems
