// The failure-detector system (the timeout scenarios): server 0 is the watched
// node, and each detector named in `detectors` gets a monitor of its own, so
// several detectors face the same faults in one run. No clients.
//
// The checks measure the detectors against the simulator's ground truth, with
// Chen, Toueg and Aguilera's quality-of-service metrics: a suspicion raised
// while the watched node is up (running or paused) is a mistake; its duration
// is T_M; mistakes per hour of up time is lambda_M; P_A is the share of up time
// the monitor trusted the node; T_D is the time from a crash to the suspicion
// that lasts.
//   accuracy   every detector's mistakes per hour <= false_suspicions_per_hour_max
//   detection  every detector's T_D <= detection_time_max for every crash
//              (a crash shorter than that bound and never suspected is no failure)
// Their summaries also give each detector's message cost, for comparisons.
#include <algorithm>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "protocols/detect/monitor.h"
#include "runner/system.h"

namespace faultline::runner {

namespace {

using protocols::detect::DetectorKind;

struct Interval {
    Nanos from = 0;
    Nanos to = 0;
};

class DetectorSystem final : public System {
  public:
    explicit DetectorSystem(std::vector<DetectorKind> kinds) : kinds_(std::move(kinds)) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        config_ = config;
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
            monitors_.push_back(simulation.add_server(
                fmt::format("{}-monitor", protocols::detect::detector_kind_name(kinds_[i])),
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
                timeline_[m].push_back(Change{now, changes[changes_seen_[m]].suspected});
            }
        }
    }

    std::vector<CheckOutcome> check(const check::History&, sim::Simulation& simulation) override {
        const Nanos end = simulation.now();
        std::vector<Interval> downs = downs_;
        if (down_since_) downs.push_back({*down_since_, end});
        Nanos down_time = 0;
        for (const Interval& down : downs) down_time += down.to - down.from;
        const Nanos up_time = std::max<Nanos>(end - down_time, 1);
        const double up_hours = static_cast<double>(up_time) / 3.6e12;

        Json accuracy_details = Json::array();
        Json detection_details = Json::array();
        std::vector<std::string> accuracy_lines;
        std::vector<std::string> detection_lines;
        bool accurate = true;
        bool detected = true;
        std::size_t judged = 0;  // (detector, crash) pairs detected, or long enough to require it
        for (std::size_t m = 0; m < monitors_.size(); ++m) {
            const char* name = protocols::detect::detector_kind_name(kinds_[m]);
            // Mistakes: suspicions raised while the node is up (running or paused).
            // Each lasts until trust returns, the node goes down, or the run ends.
            std::size_t mistake_count = 0;
            Nanos mistaken_time = 0;
            const std::vector<Change>& timeline = timeline_[m];
            for (std::size_t c = 0; c < timeline.size(); ++c) {
                if (!timeline[c].suspected || is_down_at(downs, timeline[c].at)) continue;
                ++mistake_count;
                Nanos to = c + 1 < timeline.size() ? timeline[c + 1].at : end;
                for (const Interval& down : downs) {
                    if (down.from >= timeline[c].at && down.from < to) to = down.from;
                }
                mistaken_time += to - timeline[c].at;
            }
            const auto mistakes = static_cast<double>(mistake_count);
            const double per_hour = mistakes / up_hours;
            const double mean_mistake_s =
                mistakes > 0 ? static_cast<double>(mistaken_time) / mistakes / 1e9 : 0.0;
            const double query_accuracy = 1.0 - static_cast<double>(mistaken_time) / static_cast<double>(up_time);
            const bool ok = per_hour <= config_.false_suspicions_per_hour_max;
            accurate = accurate && ok;
            // In words first (Chen, Toueg and Aguilera's names in details):
            // lambda_M is false suspicions per hour, T_M their mean length,
            // P_A the share of up time the detector was right.
            accuracy_lines.push_back(
                mistake_count == 0
                    ? fmt::format("{}: no false suspicion", name)
                    : fmt::format("{}: {:.1f} false suspicions per hour of up time, each lasting {} on average "
                                  "(wrong {:.3f}% of the time)",
                                  name, per_hour, format_duration(static_cast<Nanos>(mean_mistake_s * 1e9)),
                                  100.0 * (1.0 - query_accuracy)));
            accuracy_details.push_back(Json{{"detector", name},
                                            {"mistakes", mistake_count},
                                            {"mistakes_per_hour", per_hour},
                                            {"mean_mistake_s", mean_mistake_s},
                                            {"query_accuracy", query_accuracy}});

            // Detection: for each crash, the suspicion that holds through it.
            // Cost: what the watched node sent this monitor (heartbeats or
            // pongs), plus the monitor's pings.
            const auto* monitor = simulation.node_as<protocols::detect::MonitorNode>(monitors_[m]);
            const double messages = static_cast<double>(sent_by_watched_[monitors_[m].value]) +
                                    static_cast<double>(monitor != nullptr ? monitor->pings_sent() : 0);
            const double per_second = messages / (static_cast<double>(end) / 1e9);
            Json times = Json::array();
            std::string worst = "no crash to detect";
            Nanos worst_ns = -1;
            for (const Interval& down : downs) {
                // Suspected at the crash already (a mistake that turned out
                // right), or the first suspicion raised before it restarts.
                std::optional<Nanos> at;
                if (suspected_at(timeline, down.from)) at = down.from;
                for (const Change& change : timeline) {
                    if (at || change.at >= down.to) break;
                    if (change.suspected && change.at >= down.from) at = change.at;
                }
                const bool must_detect = down.to - down.from > config_.detection_time_max;
                judged += must_detect || at ? 1 : 0;
                if (!at) {
                    // Back up before any detector had to notice: no verdict on this one.
                    if (!must_detect) {
                        times.push_back(nullptr);
                        continue;
                    }
                    detected = false;
                    worst = fmt::format("crash at {} never detected", format_duration(down.from));
                    worst_ns = INT64_MAX;
                    times.push_back(nullptr);
                    continue;
                }
                const Nanos detection = *at - down.from;
                times.push_back(detection);
                if (detection > config_.detection_time_max) detected = false;
                if (worst_ns != INT64_MAX && detection > worst_ns) {
                    worst_ns = detection;
                    worst = fmt::format("the slowest crash detected after {}", format_duration(detection));
                }
            }
            detection_lines.push_back(fmt::format("{}: {}, at a cost of {:.2f} messages per second", name, worst,
                                                  per_second));
            detection_details.push_back(Json{{"detector", name}, {"detection_ns", times}, {"msgs_per_second", per_second}});
        }

        std::vector<CheckOutcome> outcomes;
        outcomes.push_back(CheckOutcome{
            "accuracy", accurate ? Verdict::valid : Verdict::invalid,
            fmt::format("{} (allowed: {} per hour, over {} of up time)", join(accuracy_lines),
                        config_.false_suspicions_per_hour_max,
                        format_duration(static_cast<Nanos>(up_hours * 3600e9))),
            Json{{"detectors", accuracy_details}, {"max_per_hour", config_.false_suspicions_per_hour_max}}});
        outcomes.push_back(CheckOutcome{
            "detection", judged == 0 ? Verdict::unknown : detected ? Verdict::valid : Verdict::invalid,
            judged == 0 ? "no crash of the watched node lasted long enough to require detection"
                          : fmt::format("{} (allowed: detection within {})", join(detection_lines),
                                        format_duration(config_.detection_time_max)),
            Json{{"detectors", detection_details}, {"max_ns", config_.detection_time_max}}});
        return outcomes;
    }

  private:
    static std::string join(const std::vector<std::string>& lines) {
        std::string out;
        for (const std::string& line : lines) out += (out.empty() ? "" : "; ") + line;
        return out;
    }

    struct Change {
        Nanos at = 0;  // true time
        bool suspected = false;
    };

    static bool suspected_at(const std::vector<Change>& timeline, Nanos time) {
        bool suspected = false;
        for (const Change& change : timeline) {
            if (change.at > time) break;
            suspected = change.suspected;
        }
        return suspected;
    }

    static bool is_down_at(const std::vector<Interval>& downs, Nanos time) {
        return std::any_of(downs.begin(), downs.end(),
                           [time](const Interval& down) { return down.from <= time && time < down.to; });
    }

    std::vector<DetectorKind> kinds_;
    RunConfig config_;
    NodeId watched_;
    std::vector<NodeId> monitors_;
    std::vector<std::uint64_t> sent_by_watched_;  // by monitor NodeId
    std::vector<std::size_t> changes_seen_;
    std::vector<std::vector<Change>> timeline_;  // per monitor, in true time
    std::optional<Nanos> down_since_;
    std::vector<Interval> downs_;
};

}  // namespace

namespace {

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
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("detectors: '{}' is listed twice", word));
        }
    }
    if (kinds.empty()) return make_error(ErrorCode::invalid_argument, "name at least one detector");
    return kinds;
}

}  // namespace

Status check_detector_list(std::string_view text) {
    auto kinds = parse_detectors(text);
    if (!kinds) return kinds.error();
    return ok_status();
}

Result<std::unique_ptr<System>> make_detector_system(const RunConfig& config) {
    auto parsed = parse_detectors(config.detectors);
    if (!parsed) return parsed.error();
    std::vector<DetectorKind> kinds = std::move(*parsed);
    // Faults name server indexes; only the watched node (index 0) may take them.
    if (config.nodes != 1) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("the detector system watches one node: use --nodes 1 (got {})", config.nodes));
    }
    if (config.detector_interval <= 0 || config.detector_timeout < config.detector_interval) {
        return make_error(ErrorCode::invalid_argument,
                          "a detector needs an interval > 0 and a timeout of at least the interval");
    }
    if (!(config.phi_threshold > 0)) return make_error(ErrorCode::invalid_argument, "phi threshold must be > 0");
    return std::unique_ptr<System>(std::make_unique<DetectorSystem>(std::move(kinds)));
}

}  // namespace faultline::runner
