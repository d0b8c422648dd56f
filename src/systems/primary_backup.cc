// primary-backup: the quorum-less primary-backup KV under the lin-kv workload,
// checked for linearizability like raft-kv.
#include "protocols/pb/primary_backup.h"

#include <fmt/format.h>

#include "protocols/kv/kv_store.h"
#include "runner/system.h"
#include "systems/lin_kv.h"
#include "workload/kv_workload.h"

namespace faultline::systems {

namespace {

using runner::CheckOutcome;
using runner::RunConfig;

class PrimaryBackupSystem final : public runner::System {
  public:
    void build(sim::Simulation& simulation, const RunConfig& config) override {
        for (int i = 0; i < config.nodes; ++i) {
            simulation.add_server(fmt::format("n{}", i), [] {
                return std::make_unique<protocols::pb::PrimaryBackupNode>(protocols::pb::PrimaryBackupOptions{});
            });
        }
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override { return generator_.next(random); }
    void shape_workload(const workload::WorkloadShape& shape) override {
        generator_ = workload::LinKvGenerator(lin_kv_options_for(shape));
    }
    std::optional<int> leader(sim::Simulation& simulation) override {
        for (std::uint32_t i = 0; i < simulation.servers().size(); ++i) {
            auto* node = simulation.node_as<protocols::pb::PrimaryBackupNode>(NodeId(i));
            if (node != nullptr && node->primary()) return static_cast<int>(i);
        }
        return std::nullopt;
    }
    std::vector<workload::OpRequest> final_ops() override { return lin_kv_final_reads(generator_); }
    bool served(const check::Operation& completion) const override { return lin_kv_served(completion); }
    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation&) override {
        return {check_lin_kv(history)};
    }

  private:
    std::shared_ptr<const workload::ClientCodec> codec_ = std::make_shared<KvCodec>();
    workload::LinKvGenerator generator_;
};

const runner::SystemRegistration registration{{
    .name = "primary-backup",
    .summary = "a primary copies writes to backups without quorums: fast, and wrong under partitions",
    .checks = {"linearizability"},
    .make = [](const RunConfig& config) -> Result<std::unique_ptr<runner::System>> {
        if (config.nodes < 2) {
            return make_error(ErrorCode::invalid_argument, "primary-backup needs at least 2 nodes (--nodes 2)");
        }
        return runner::new_system<PrimaryBackupSystem>();
    },
}};

}  // namespace

}  // namespace faultline::systems
