// The failure-detector system (the timeout scenarios): server 0 is the watched
// node, and each detector named in `detectors` gets a monitor of its own, so
// several detectors face the same faults in one run. No clients.
// Each step stamps the monitors' changes of mind with true time; the checks
// (check/detector_checks.h) hold that timeline against when the node was down.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <sstream>

#include "check/detector_checks.h"
#include "protocols/detect/monitor.h"
#include "runner/system.h"

namespace faultline::systems {

namespace {

using protocols::detect::DetectorKind;
using runner::CheckOutcome;
using runner::RunConfig;
using runner::Verdict;

// The detector system's options: the detectors, their pace and parameters, and
// the bounds the accuracy and detection checks hold them to.
struct DetectorOptions {
    std::string detectors = "phi";
    Nanos detector_interval = seconds(1);
    Nanos detector_timeout = seconds(5);
    double phi_threshold = 8.0;
    Nanos acceptable_pause = seconds(3);
    double false_suspicions_per_hour_max = 10;
    Nanos detection_time_max = seconds(10);
};

Result<std::vector<DetectorKind>> parse_detectors(std::string_view text);

const runner::OptionTable<DetectorOptions>& detector_options() {
    static const auto table = [] {
        using O = DetectorOptions;
        runner::OptionTable<O> t;
        t.add("detectors", &O::detectors,
              "The detectors watching server 0: heartbeat, ping, phi, or several "
              "comma-separated")
            .check([](const Json& value) -> Status {
                auto kinds = parse_detectors(value.get<std::string>());
                if (!kinds) return kinds.error();
                return ok_status();
            });
        t.duration("detector_interval", &O::detector_interval, seconds(1), "Heartbeat / ping interval")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.duration("detector_timeout", &O::detector_timeout, seconds(1),
                   "Heartbeat / ping timeout (at least the interval)")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.add("phi_threshold", &O::phi_threshold, "Phi accrual's threshold").range(0.01, 1e6);
        t.duration("acceptable_pause", &O::acceptable_pause, seconds(1), "Phi accrual's acceptable pause")
            .range(0, runner::kWindowMax);
        t.add("false_suspicions_per_hour_max", &O::false_suspicions_per_hour_max,
              "The accuracy bound: false suspicions per hour of up time")
            .range(0, 1e9)
            .alias("--mistakes-per-hour-max");
        t.duration("detection_time_max", &O::detection_time_max, seconds(1), "The detection time bound")
            .range(0, runner::kTimeLimitMax);
        return t;
    }();
    return table;
}

class DetectorSystem final : public runner::System {
  public:
    DetectorSystem(std::vector<DetectorKind> kinds, DetectorOptions options)
        : kinds_(std::move(kinds)), config_(std::move(options)) {}

    void build(sim::Simulation& simulation, const RunConfig&) override {
        const DetectorOptions& config = config_;
        // Ids are handed out in order: the watched node first, then one monitor per detector.
        const auto first = static_cast<std::uint32_t>(simulation.servers().size() + simulation.clients().size());
        watched_ = NodeId(first);
        std::vector<protocols::detect::WatchedNode::PushTarget> push;
        std::vector<protocols::detect::MonitorOptions> monitors;
        for (std::size_t i = 0; i < kinds_.size(); ++i) {
            protocols::detect::MonitorOptions options;
            options.kind = kinds_[i];
            options.watched = watched_;
            options.interval = config.detector_interval;
            options.timeout = config.detector_timeout;
            options.phi.threshold = config.phi_threshold;
            options.phi.acceptable_pause = config.acceptable_pause;
            options.phi.first_estimate = config.detector_interval;
            monitors.push_back(options);
            const NodeId monitor(first + 1 + static_cast<std::uint32_t>(i));
            if (kinds_[i] != DetectorKind::ping) push.push_back({monitor, config.detector_interval});
        }
        sent_by_watched_.assign(first + 1 + kinds_.size(), 0);
        auto* sent = &sent_by_watched_;
        const NodeId added = simulation.add_server(
            "n0", [push, sent] { return std::make_unique<protocols::detect::WatchedNode>(push, sent); });
        FL_ASSERT_EQ(added, watched_);
        for (std::size_t i = 0; i < monitors.size(); ++i) {
            const auto options = monitors[i];
            monitors_.push_back(
                simulation.add_server(fmt::format("{}-monitor", protocols::detect::detector_kind_name(kinds_[i])),
                                      [options] { return std::make_unique<protocols::detect::MonitorNode>(options); }));
        }
        changes_seen_.assign(monitors_.size(), 0);
        timeline_.assign(monitors_.size(), {});
    }

    std::shared_ptr<const workload::ClientCodec> codec() const override { return nullptr; }
    workload::OpRequest next_op(Prng&) override { FL_UNREACHABLE(); }

    // Stamps every change with true time, and tracks when the watched node is down.
    void after_step(sim::Simulation& simulation) override {
        const Nanos now = simulation.now();
        const bool up = simulation.is_up(watched_);
        if (!up && !down_since_) down_since_ = now;
        if (up && down_since_) {
            downs_.push_back({*down_since_, now});
            down_since_.reset();
        }
        for (std::size_t m = 0; m < monitors_.size(); ++m) {
            auto* monitor = simulation.node_as<protocols::detect::MonitorNode>(monitors_[m]);
            if (monitor == nullptr) continue;
            const auto& changes = monitor->changes();
            for (; changes_seen_[m] < changes.size(); ++changes_seen_[m]) {
                timeline_[m].push_back(check::SuspicionChange{now, changes[changes_seen_[m]].suspected});
            }
        }
    }

    std::vector<CheckOutcome> check(const check::History&, sim::Simulation& simulation) override {
        std::vector<check::Interval> downs = downs_;
        if (down_since_) downs.push_back({*down_since_, simulation.now()});
        std::vector<check::DetectorRecord> records;
        for (std::size_t m = 0; m < monitors_.size(); ++m) {
            // Its cost: what the watched node sent this monitor (heartbeats or
            // pongs), plus the monitor's pings.
            const auto* monitor = simulation.node_as<protocols::detect::MonitorNode>(monitors_[m]);
            records.push_back(
                {protocols::detect::detector_kind_name(kinds_[m]), timeline_[m],
                 sent_by_watched_[monitors_[m].value] + (monitor != nullptr ? monitor->pings_sent() : 0)});
        }
        return check::check_detectors(records, downs, simulation.now(),
                                      {config_.false_suspicions_per_hour_max, config_.detection_time_max});
    }

  private:
    std::vector<DetectorKind> kinds_;
    DetectorOptions config_;
    NodeId watched_;
    std::vector<NodeId> monitors_;
    std::vector<std::uint64_t> sent_by_watched_;  // by monitor NodeId
    std::vector<std::size_t> changes_seen_;
    std::vector<std::vector<check::SuspicionChange>> timeline_;  // per monitor, in true time
    std::optional<Nanos> down_since_;
    std::vector<check::Interval> downs_;
};

Result<std::vector<DetectorKind>> parse_detectors(std::string_view text) {
    std::vector<DetectorKind> kinds;
    std::stringstream list{std::string(text)};
    std::string word;
    while (std::getline(list, word, ',')) {
        if (word == "heartbeat") {
            kinds.push_back(DetectorKind::heartbeat);
        } else if (word == "ping") {
            kinds.push_back(DetectorKind::ping);
        } else if (word == "phi") {
            kinds.push_back(DetectorKind::phi);
        } else {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("unknown detector '{}' (heartbeat, ping, phi)", word));
        }
        // Each detector's monitor is a node named after it; two of a kind would
        // watch the same heartbeats and report the same thing twice.
        if (std::count(kinds.begin(), kinds.end(), kinds.back()) > 1) {
            return make_error(ErrorCode::invalid_argument, fmt::format("detectors: '{}' is listed twice", word));
        }
    }
    if (kinds.empty()) return make_error(ErrorCode::invalid_argument, "name at least one detector");
    return kinds;
}

Result<std::unique_ptr<runner::System>> make_detector(const RunConfig& config) {
    auto options = runner::system_options(config, detector_options());
    if (!options) return options.error();
    auto kinds = parse_detectors(options->detectors);
    if (!kinds) return kinds.error();
    // Faults name server indexes; only the watched node (index 0) may take them.
    if (config.nodes != 1) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("the detector system watches one node: use --nodes 1 (got {})", config.nodes));
    }
    if (options->detector_timeout < options->detector_interval) {
        return make_error(ErrorCode::invalid_argument, "a detector's timeout must be at least its interval");
    }
    return runner::new_system<DetectorSystem>(std::move(*kinds), std::move(*options));
}

const runner::SystemRegistration registration{{
    .name = "detector",
    .summary = "failure detectors (heartbeat, ping, phi accrual) watching one node, held to accuracy and "
               "detection-time bounds (--nodes 1, no clients)",
    .options = &detector_options(),
    .checks = {"accuracy", "detection"},
    .make = make_detector,
}};

}  // namespace

}  // namespace faultline::systems
