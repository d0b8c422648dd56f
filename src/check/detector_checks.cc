#include "check/detector_checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>

namespace faultline::check {

namespace {

std::string join(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& line : lines) out += (out.empty() ? "" : "; ") + line;
    return out;
}

bool suspected_at(const std::vector<SuspicionChange>& timeline, Nanos time) {
    bool suspected = false;
    for (const SuspicionChange& change : timeline) {
        if (change.at > time) break;
        suspected = change.suspected;
    }
    return suspected;
}

bool is_down_at(const std::vector<Interval>& downs, Nanos time) {
    return std::any_of(downs.begin(), downs.end(),
                       [time](const Interval& down) { return down.from <= time && time < down.to; });
}

// One detector's accuracy: its false suspicions and how long they lasted.
struct Accuracy {
    bool ok = true;  // within bounds.false_suspicions_per_hour_max
    std::string line;
    Json details;
};

Accuracy judge_accuracy(const DetectorRecord& detector, const std::vector<Interval>& downs, Nanos end, Nanos up_time,
                        double up_hours, const DetectorBounds& bounds) {
    const char* name = detector.name.c_str();
    // Mistakes: suspicions raised while the node is up (running or paused).
    // Each lasts until trust returns, the node goes down, or the run ends.
    std::size_t mistake_count = 0;
    Nanos mistaken_time = 0;
    const std::vector<SuspicionChange>& timeline = detector.timeline;
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
    const double mean_mistake_s = mistakes > 0 ? static_cast<double>(mistaken_time) / mistakes / 1e9 : 0.0;
    const double query_accuracy = 1.0 - static_cast<double>(mistaken_time) / static_cast<double>(up_time);
    Accuracy accuracy;
    accuracy.ok = per_hour <= bounds.false_suspicions_per_hour_max;
    // In words first (Chen, Toueg and Aguilera's names in details):
    // lambda_M is false suspicions per hour, T_M their mean length,
    // P_A the share of up time the detector was right.
    accuracy.line = mistake_count == 0
                        ? fmt::format("{}: no false suspicion", name)
                        : fmt::format(
                              "{}: {:.1f} false suspicions per hour of up time, each lasting {} on average "
                              "(wrong {:.3f}% of the time)",
                              name, per_hour, format_duration(static_cast<Nanos>(mean_mistake_s * 1e9)),
                              100.0 * (1.0 - query_accuracy));
    accuracy.details = Json{{"detector", name},
                            {"mistakes", mistake_count},
                            {"mistakes_per_hour", per_hour},
                            {"mean_mistake_s", mean_mistake_s},
                            {"query_accuracy", query_accuracy}};
    return accuracy;
}

// One detector's detection: for each crash, the suspicion that holds through it.
struct Detection {
    bool detected = true;    // every crash that required it detected in time
    std::size_t judged = 0;  // crashes detected, or long enough to require it
    std::string line;
    Json details;
};

Detection judge_detection(const DetectorRecord& detector, const std::vector<Interval>& downs, Nanos end,
                          const DetectorBounds& bounds) {
    const char* name = detector.name.c_str();
    const std::vector<SuspicionChange>& timeline = detector.timeline;
    Detection result;
    // Cost: what the watched node sent this monitor (heartbeats or
    // pongs), plus the monitor's pings.
    const double messages = static_cast<double>(detector.messages);
    const double per_second = messages / (static_cast<double>(end) / 1e9);
    Json times = Json::array();
    std::string worst = "no crash to detect";
    Nanos worst_ns = -1;
    for (const Interval& down : downs) {
        // Suspected at the crash already (a mistake that turned out
        // right), or the first suspicion raised before it restarts.
        std::optional<Nanos> at;
        if (suspected_at(timeline, down.from)) at = down.from;
        for (const SuspicionChange& change : timeline) {
            if (at || change.at >= down.to) break;
            if (change.suspected && change.at >= down.from) at = change.at;
        }
        const bool must_detect = down.to - down.from > bounds.detection_time_max;
        result.judged += must_detect || at ? 1 : 0;
        if (!at) {
            // Back up before any detector had to notice: no verdict on this one.
            if (!must_detect) {
                times.push_back(nullptr);
                continue;
            }
            result.detected = false;
            worst = fmt::format("crash at {} never detected", format_duration(down.from));
            worst_ns = INT64_MAX;
            times.push_back(nullptr);
            continue;
        }
        const Nanos detection = *at - down.from;
        times.push_back(detection);
        if (detection > bounds.detection_time_max) result.detected = false;
        if (worst_ns != INT64_MAX && detection > worst_ns) {
            worst_ns = detection;
            worst = fmt::format("the slowest crash detected after {}", format_duration(detection));
        }
    }
    result.line = fmt::format("{}: {}, at a cost of {:.2f} messages per second", name, worst, per_second);
    result.details = Json{{"detector", name}, {"detection_ns", times}, {"msgs_per_second", per_second}};
    return result;
}

}  // namespace

std::vector<Outcome> check_detectors(const std::vector<DetectorRecord>& detectors, const std::vector<Interval>& downs,
                                     Nanos end, const DetectorBounds& bounds) {
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
    for (const DetectorRecord& detector : detectors) {
        Accuracy accuracy = judge_accuracy(detector, downs, end, up_time, up_hours, bounds);
        accurate = accurate && accuracy.ok;
        accuracy_lines.push_back(std::move(accuracy.line));
        accuracy_details.push_back(std::move(accuracy.details));
        Detection detection = judge_detection(detector, downs, end, bounds);
        detected = detected && detection.detected;
        judged += detection.judged;
        detection_lines.push_back(std::move(detection.line));
        detection_details.push_back(std::move(detection.details));
    }

    std::vector<Outcome> outcomes;
    outcomes.push_back(Outcome{
        "accuracy", accurate ? Verdict::valid : Verdict::invalid,
        fmt::format("{} (allowed: {} per hour, over {} of up time)", join(accuracy_lines),
                    bounds.false_suspicions_per_hour_max, format_duration(static_cast<Nanos>(up_hours * 3600e9))),
        Json{{"detectors", accuracy_details}, {"max_per_hour", bounds.false_suspicions_per_hour_max}}});
    outcomes.push_back(Outcome{"detection",
                               judged == 0 ? Verdict::unknown
                               : detected  ? Verdict::valid
                                           : Verdict::invalid,
                               judged == 0 ? "no crash of the watched node lasted long enough to require detection"
                                           : fmt::format("{} (allowed: detection within {})", join(detection_lines),
                                                         format_duration(bounds.detection_time_max)),
                               Json{{"detectors", detection_details}, {"max_ns", bounds.detection_time_max}}});
    return outcomes;
}

Outcome check_final_view(const std::vector<PeerView>& views, std::int64_t suspicions_raised) {
    std::vector<std::string> wrong;
    for (const PeerView& view : views) {
        if (view.suspected == view.down) continue;
        wrong.push_back(
            fmt::format("{} {} {}", view.node, view.down ? "does not suspect crashed" : "suspects live", view.peer));
    }
    const Verdict verdict = wrong.empty() ? Verdict::valid : Verdict::invalid;
    std::string summary = wrong.empty() ? fmt::format("final view exact; {} suspicions raised", suspicions_raised)
                                        : fmt::format("{} (and {} more)", wrong.front(), wrong.size() - 1);
    return Outcome{"detector-final-view", verdict, summary,
                   Json{{"suspicions_raised", suspicions_raised}, {"wrong", wrong}}};
}

}  // namespace faultline::check
