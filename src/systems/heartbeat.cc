// heartbeat: every node heartbeats every other and suspects the silent ones;
// the final view must match who is down.
#include "protocols/detect/heartbeat.h"

#include <fmt/format.h>

#include "check/detector_checks.h"
#include "runner/system.h"

namespace faultline::systems {

namespace {

using runner::CheckOutcome;
using runner::RunConfig;
using runner::Verdict;

class HeartbeatSystem final : public runner::System {
  public:
    void build(sim::Simulation& simulation, const RunConfig& config) override {
        for (int i = 0; i < config.nodes; ++i) {
            simulation.add_server(fmt::format("n{}", i), [] {
                return std::make_unique<protocols::detect::HeartbeatNode>(protocols::detect::HeartbeatOptions{});
            });
        }
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return nullptr; }
    workload::OpRequest next_op(Prng&) override { FL_UNREACHABLE(); }
    std::vector<CheckOutcome> check(const check::History&, sim::Simulation& simulation) override {
        // The detector's final view of every live node, against the truth.
        std::int64_t suspicions = 0;
        std::vector<check::PeerView> views;
        for (NodeId id : simulation.servers()) {
            auto* node = simulation.node_as<protocols::detect::HeartbeatNode>(id);
            if (node == nullptr) continue;
            for (const auto& change : node->changes()) suspicions += change.suspected ? 1 : 0;
            for (NodeId peer : simulation.servers()) {
                if (peer == id) continue;
                views.push_back({std::string(simulation.name(id)), std::string(simulation.name(peer)),
                                 node->suspects(peer), !simulation.is_up(peer)});
            }
        }
        return {check::check_final_view(views, suspicions)};
    }
};

const runner::SystemRegistration registration{{
    .name = "heartbeat",
    .summary = "all-to-all heartbeats; every live node's final view must be exact (no clients)",
    .checks = {"detector-final-view"},
    .make = [](const RunConfig&) -> Result<std::unique_ptr<runner::System>> {
        return runner::new_system<HeartbeatSystem>();
    },
}};

}  // namespace

}  // namespace faultline::systems
