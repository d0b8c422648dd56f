// echo: every node answers a request with its own body. The smallest system
// there is: a first check that messages get through, and the one to copy.
#include <fmt/format.h>

#include "check/echo_checker.h"
#include "protocols/echo/echo.h"
#include "runner/system.h"
#include "workload/echo_workload.h"

namespace faultline::systems {

namespace {

using runner::CheckOutcome;
using runner::RunConfig;
using runner::Verdict;

class EchoSystem final : public runner::System {
public:
    void build(sim::Simulation& simulation, const RunConfig& config) override {
        for (int i = 0; i < config.nodes; ++i) {
            simulation.add_server(fmt::format("n{}", i), [] {
                return std::make_unique<protocols::echo::EchoServer>();
            });
        }
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override {
        return workload::next_echo_request(random);
    }
    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation&) override {
        return {check::outcome_of(check::check_echo(history))};
    }

private:
    std::shared_ptr<const workload::ClientCodec> codec_ = std::make_shared<workload::EchoCodec>();
};

const runner::SystemRegistration registration{{
    .name = "echo",
    .summary = "every node echoes each request back (a first check that messages get through)",
    .checks = {"echo"},
    .make = [](const RunConfig&) -> Result<std::unique_ptr<runner::System>> { return runner::new_system<EchoSystem>(); },
}};

}  // namespace

}  // namespace faultline::systems
