// lww-kv: last-write-wins replicas stamping writes with physical or hybrid
// logical clocks; one register, unique written values, final reads of every
// replica, and the lost-write check.
#include <fmt/format.h>

#include "check/lost_write_checker.h"
#include "protocols/lww/lww_replica.h"
#include "runner/system.h"
#include "systems/lin_kv.h"
#include "workload/kv_workload.h"

namespace faultline::systems {

namespace {

using runner::CheckOutcome;
using runner::RunConfig;
using runner::Verdict;

struct LwwKvOptions {
    std::string timestamps = "hlc";
};

const runner::OptionTable<LwwKvOptions>& lww_kv_options() {
    static const auto table = [] {
        runner::OptionTable<LwwKvOptions> t;
        t.add("timestamps", &LwwKvOptions::timestamps,
              "How replicas stamp writes: their own physical clock, or a hybrid logical clock")
            .choices({"physical", "hlc"});
        return t;
    }();
    return table;
}

class LwwSystem final : public runner::System {
  public:
    explicit LwwSystem(protocols::lww::Timestamps timestamps) : timestamps_(timestamps) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        const protocols::lww::LwwOptions options{.timestamps = timestamps_};
        for (int i = 0; i < config.nodes; ++i) {
            servers_.push_back(simulation.add_server(
                fmt::format("n{}", i), [options] { return std::make_unique<protocols::lww::LwwReplica>(options); }));
        }
        finals_from_ = config.time_limit + config.recovery;
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override { return generator_.next(random); }
    std::vector<workload::OpRequest> final_ops() override {
        std::vector<workload::OpRequest> reads;
        for (NodeId server : servers_) reads.push_back(workload::OpRequest{"read", Json(0), Json(), server});
        return reads;
    }
    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation&) override {
        return {check::outcome_of(check::check_lost_writes(history, finals_from_))};
    }

  private:
    protocols::lww::Timestamps timestamps_;
    std::shared_ptr<const workload::ClientCodec> codec_ = std::make_shared<KvCodec>();
    workload::UniqueWriteGenerator generator_;
    std::vector<NodeId> servers_;
    Nanos finals_from_ = 0;
};

const runner::SystemRegistration registration{{
    .name = "lww-kv",
    .summary = "last-write-wins replicas on physical or hybrid logical clocks; acknowledged writes must survive",
    .options = &lww_kv_options(),
    .checks = {"lost-write"},
    .make = [](const RunConfig& config) -> Result<std::unique_ptr<runner::System>> {
        auto options = runner::system_options(config, lww_kv_options());
        if (!options) return options.error();
        return runner::new_system<LwwSystem>(options->timestamps == "hlc" ? protocols::lww::Timestamps::hlc
                                                                          : protocols::lww::Timestamps::physical);
    },
}};

}  // namespace

}  // namespace faultline::systems
