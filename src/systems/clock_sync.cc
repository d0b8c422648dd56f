// clock-sync: server 0 is the time reference, every other server syncs its
// clock to it (protocols/clocks/sync.h) by Cristian's algorithm, NTP's
// exchange or a naive estimate. Each client's clock starts off by up to
// `initial_offset_max` and drifts by up to `drift_ppm_max`, both drawn from
// the seed; the links to and from the reference may have latencies of their
// own (asymmetric routes). The checks (check/physical_clock_checks.h) hold
// each estimate to half its round trip, and each client's clock after the
// exchange to `sync_error_max`. No clients of the workload kind.
#include <fmt/format.h>

#include <cmath>

#include "check/physical_clock_checks.h"
#include "protocols/clocks/sync.h"
#include "runner/system.h"

namespace faultline::systems {

namespace {

using protocols::clocks::SyncClient;
using protocols::clocks::SyncDecision;
using protocols::clocks::SyncMethod;
using protocols::clocks::SyncOptions;
using protocols::clocks::SyncSample;
using runner::CheckOutcome;
using runner::RunConfig;

struct ClockSyncOptions {
    std::string method = "ntp";
    Nanos sync_interval = seconds(30);
    double drift_ppm_max = 200;
    Nanos initial_offset_max = milliseconds(100);
    std::string latency_to_reference;    // "" : the network's latency
    std::string latency_from_reference;  // likewise
    Nanos sync_error_max = milliseconds(10);
};

Status check_latency(const Json& value) {
    if (value.get<std::string>().empty()) return ok_status();
    auto model = sim::LatencyModel::parse(value.get<std::string>());
    if (!model) return model.error();
    return ok_status();
}

const runner::OptionTable<ClockSyncOptions>& clock_sync_options() {
    static const auto table = [] {
        using O = ClockSyncOptions;
        runner::OptionTable<O> t;
        t.add("method", &O::method, "How a client estimates its offset").choices({"ntp", "cristian", "naive"});
        t.duration("sync_interval", &O::sync_interval, seconds(1), "Time between a client's exchanges")
            .range(milliseconds(10), runner::kWindowMax);
        t.add("drift_ppm_max", &O::drift_ppm_max, "Each client's drift is drawn in +-this (ppm)").range(0, 100000);
        t.duration("initial_offset_max", &O::initial_offset_max, milliseconds(1),
                   "Each client's clock starts off by up to this")
            .range(0, runner::kWindowMax);
        t.add("latency_to_reference", &O::latency_to_reference,
              "Latency of the links to the reference (empty: the network's)")
            .check(check_latency);
        t.add("latency_from_reference", &O::latency_from_reference,
              "Latency of the links from the reference (empty: the network's)")
            .check(check_latency);
        t.duration("sync_error_max", &O::sync_error_max, milliseconds(1),
                   "The accuracy bound: a client's distance from the reference after an exchange")
            .range(0, runner::kWindowMax);
        return t;
    }();
    return table;
}

class ClockSyncSystem final : public runner::System, public protocols::clocks::SyncObserver {
  public:
    explicit ClockSyncSystem(ClockSyncOptions options) : options_(std::move(options)) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        simulation_ = &simulation;
        reference_ = simulation.add_server("n0", [] { return std::make_unique<protocols::clocks::TimeServer>(); });
        SyncOptions sync;
        sync.method = options_.method == "ntp"        ? SyncMethod::ntp
                      : options_.method == "cristian" ? SyncMethod::cristian
                                                      : SyncMethod::naive;
        sync.server = reference_;
        sync.interval = options_.sync_interval;
        protocols::clocks::SyncObserver* observer = this;
        Prng random = Prng::stream(config.seed, "clock-sync/clocks");
        for (int i = 1; i < config.nodes; ++i) {
            const NodeId id = simulation.add_server(
                fmt::format("n{}", i), [sync, observer] { return std::make_unique<SyncClient>(sync, observer); });
            const auto offset =
                static_cast<Nanos>((2 * random.unit() - 1) * static_cast<double>(options_.initial_offset_max));
            simulation.clock(id).set_offset(0, offset);
            simulation.clock(id).set_drift_ppm(0, (2 * random.unit() - 1) * options_.drift_ppm_max);
            clients_.push_back(id);
        }
        auto route = [&](const std::string& latency, const char* name, bool to_reference) {
            if (latency.empty()) return;
            sim::LinkConfig link = *config.link_config();
            link.latency = *sim::LatencyModel::parse(latency);
            const auto link_class = simulation.network().define_class(name, link);
            for (NodeId client : clients_) {
                if (to_reference) simulation.network().assign_class(client, reference_, link_class);
                if (!to_reference) simulation.network().assign_class(reference_, client, link_class);
            }
        };
        route(options_.latency_to_reference, "to-reference", true);
        route(options_.latency_from_reference, "from-reference", false);
    }

    std::shared_ptr<const workload::ClientCodec> codec() const override { return nullptr; }
    workload::OpRequest next_op(Prng&) override { FL_UNREACHABLE(); }

    void sampled(const SyncSample& sample) override {
        const Nanos now = simulation_->now();
        const Nanos reference = simulation_->clock(reference_).local(now);
        records_.push_back(check::SyncRecord{now, simulation_->name(sample.client), sample.delay, sample.offset,
                                             reference - sample.corrected_t4,
                                             sample.decision == SyncDecision::panic ? 0 : sample.offset,
                                             protocols::clocks::sync_decision_name(sample.decision)});
    }

    std::vector<CheckOutcome> check(const check::History&, sim::Simulation&) override {
        return check::check_sync(records_, check::SyncBounds{options_.sync_error_max, options_.drift_ppm_max});
    }

  private:
    ClockSyncOptions options_;
    sim::Simulation* simulation_ = nullptr;
    NodeId reference_;
    std::vector<NodeId> clients_;
    std::vector<check::SyncRecord> records_;
};

const runner::SystemRegistration registration{{
    .name = "clock-sync",
    .summary = "clients sync their drifting clocks to a reference (Cristian, NTP, or naive); each estimate held to "
               "half its round trip, each clock to an accuracy bound (no clients)",
    .options = &clock_sync_options(),
    .checks = {"offset-bound", "clock-accuracy"},
    .make = [](const RunConfig& config) -> Result<std::unique_ptr<runner::System>> {
        auto options = runner::system_options(config, clock_sync_options());
        if (!options) return options.error();
        if (config.nodes < 2) {
            return make_error(ErrorCode::invalid_argument,
                              "clock-sync needs a reference and a client: --nodes 2 or more");
        }
        return runner::new_system<ClockSyncSystem>(std::move(*options));
    },
}};

}  // namespace

}  // namespace faultline::systems
