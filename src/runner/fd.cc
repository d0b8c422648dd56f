#include "runner/fd.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <map>
#include <sstream>

#include "base/prng.h"
#include "nemesis/schedule.h"
#include "runner/sweep.h"
#include "runner/system.h"

namespace faultline::runner {

namespace {

// A detector's parameter, and the system option it sets.
struct Param {
    const char* detector;
    const char* name;
    const char* option;
};
constexpr Param kParams[] = {
    {"heartbeat", "timeout", "detector_timeout"},   {"heartbeat", "interval", "detector_interval"},
    {"ping", "timeout", "detector_timeout"},        {"ping", "interval", "detector_interval"},
    {"phi", "threshold", "phi_threshold"},          {"phi", "acceptable_pause", "acceptable_pause"},
    {"phi", "interval", "detector_interval"},       {"swim", "probe_interval", "probe_interval"},
    {"swim", "probe_timeout", "probe_timeout"},     {"swim", "suspicion_mult", "suspicion_mult"},
    {"swim", "indirect_checks", "indirect_checks"},
};

std::optional<double> plain_number(std::string_view text) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::string duration_text(Nanos ns) {
    if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
    return fmt::format("{}us", ns / 1000);
}

// What one setting's runs measured, summed over seeds.
struct Tally {
    double detection_sum_s = 0;
    double false_per_hour_sum = 0;
    double msgs_sum = 0;
    std::uint64_t detected = 0, missed = 0, runs = 0;
};

const Json* check_details(const RunResult& result, const std::string& name) {
    for (const CheckOutcome& check : result.checks) {
        if (check.name == name) return &check.details;
    }
    return nullptr;
}

// Adds one run's numbers (the watched node is server 0) to the tally.
void measure(const RunResult& result, bool swim, int nodes, Tally& tally) {
    ++tally.runs;
    if (swim) {
        const Json* completeness = check_details(result, "completeness");
        const Json* accuracy = check_details(result, "accuracy");
        if (completeness == nullptr || accuracy == nullptr) return;
        for (const Json& crash : completeness->value("crashes", Json::array())) {
            const Json& times = crash["detection_ns"];
            for (const Json& t : times) tally.detection_sum_s += t.get<double>() / 1e9;
            tally.detected += times.size();
            tally.missed += static_cast<std::uint64_t>(nodes - 1) - std::min<std::uint64_t>(times.size(), nodes - 1);
        }
        tally.false_per_hour_sum += (*accuracy)["false_deaths_per_hour"][0].get<double>();
        tally.msgs_sum += completeness->value("msgs_per_member_second", 0.0);
        return;
    }
    const Json* detection = check_details(result, "detection");
    const Json* accuracy = check_details(result, "accuracy");
    if (detection == nullptr || accuracy == nullptr) return;
    const Json& mine = (*detection)["detectors"][0];
    for (const Json& t : mine["detection_ns"]) {
        if (t.is_null()) {
            ++tally.missed;
        } else {
            tally.detection_sum_s += t.get<double>() / 1e9;
            ++tally.detected;
        }
    }
    tally.msgs_sum += mine.value("msgs_per_second", 0.0);
    tally.false_per_hour_sum += (*accuracy)["detectors"][0].value("mistakes_per_hour", 0.0);
}

}  // namespace

std::vector<std::string> fd_params(const std::string& detector) {
    std::vector<std::string> out;
    for (const Param& param : kParams) {
        if (detector == param.detector) out.push_back(param.name);
    }
    return out;
}

Result<std::vector<std::string>> fd_settings(const std::string& values) {
    std::vector<std::string> out;
    const auto dots = values.find("..");
    if (dots == std::string::npos) {
        std::stringstream list(values);
        std::string item;
        while (std::getline(list, item, ',')) {
            if (item.empty())
                return make_error(ErrorCode::invalid_argument, fmt::format("--values '{}': an empty value", values));
            out.push_back(item);
        }
    } else {
        std::string low = values.substr(0, dots), high = values.substr(dots + 2);
        int count = 20;
        if (const auto slash = high.find('/'); slash != std::string::npos) {
            const auto k = plain_number(high.substr(slash + 1));
            if (!k || *k < 2 || *k > 100 || *k != std::floor(*k)) {
                return make_error(
                    ErrorCode::invalid_argument,
                    fmt::format("--values '{}': the count after / must be a whole number in [2, 100]", values));
            }
            count = static_cast<int>(*k);
            high = high.substr(0, slash);
        }
        const auto a = plain_number(low), b = plain_number(high);
        if (a && b) {
            const bool whole = *a == std::floor(*a) && *b == std::floor(*b);
            for (int i = 0; i < count; ++i) {
                const double v = *a + (*b - *a) * i / (count - 1);
                std::string text =
                    whole ? fmt::format("{}", static_cast<long long>(std::llround(v))) : fmt::format("{:.4g}", v);
                if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(text);
            }
        } else {
            auto from = parse_duration(low), to = parse_duration(high);
            if (!from || !to) {
                return make_error(
                    ErrorCode::invalid_argument,
                    fmt::format("--values '{}': expected two numbers or two durations around '..'", values));
            }
            // Settings a person can read: rounded to about a thousandth of the span.
            Nanos grain = 1000;
            while (grain * 1000 <= std::abs(*to - *from)) grain *= 10;
            for (int i = 0; i < count; ++i) {
                const auto v =
                    static_cast<Nanos>(static_cast<double>(*from) + static_cast<double>(*to - *from) * i / (count - 1));
                const std::string text = duration_text((v + grain / 2) / grain * grain);
                if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(text);
            }
        }
    }
    if (out.empty()) return make_error(ErrorCode::invalid_argument, "--values names no setting");
    if (out.size() > 100) return make_error(ErrorCode::invalid_argument, "--values: at most 100 settings");
    return out;
}

int fd_knee(const std::vector<std::pair<double, double>>& points) {
    if (points.size() < 3) return -1;
    double x_min = points[0].first, x_max = x_min, y_min = points[0].second, y_max = y_min;
    for (const auto& [x, y] : points) {
        x_min = std::min(x_min, x), x_max = std::max(x_max, x), y_min = std::min(y_min, y), y_max = std::max(y_max, y);
    }
    if (x_max == x_min || y_max == y_min) return -1;  // flat: no trade-off to bend
    auto norm = [&](const std::pair<double, double>& p) {
        return std::pair((p.first - x_min) / (x_max - x_min), (p.second - y_min) / (y_max - y_min));
    };
    const auto [x0, y0] = norm(points.front());
    const auto [x1, y1] = norm(points.back());
    const double length = std::hypot(x1 - x0, y1 - y0);
    if (length == 0) return -1;
    int best = -1;
    double best_distance = 0;
    for (std::size_t i = 1; i + 1 < points.size(); ++i) {
        const auto [x, y] = norm(points[i]);
        const double distance = std::abs((x1 - x0) * (y0 - y) - (x0 - x) * (y1 - y0)) / length;
        if (distance > best_distance + 1e-12) best_distance = distance, best = static_cast<int>(i);
    }
    return best;
}

Json fd_schedule(const FdOptions& options, std::uint64_t seed) {
    Prng random = Prng::stream(seed, "fd-faults");
    const bool pauses = options.nemesis.find("pause") != std::string::npos;
    const bool crashes = options.nemesis.find("kill") != std::string::npos;
    const double rate = (pauses ? options.pauses_per_hour : 0) + (crashes ? options.crashes_per_hour : 0);
    std::vector<nemesis::Fault> faults;
    if (rate <= 0) return nemesis::Schedule{}.to_json();
    const double mean_gap = 3.6e12 / rate;
    // Faults never overlap, and each leaves the node a quiet minute after it
    // (a detector still has to learn the rhythm again after a restart).
    Nanos at = static_cast<Nanos>(random.exponential(mean_gap));
    while (true) {
        const bool crash = !pauses || (crashes && random.chance(options.crashes_per_hour / rate));
        const Nanos duration =
            crash ? options.crash_duration
                  : milliseconds(200) +
                        static_cast<Nanos>(random.unit() * static_cast<double>(options.pause_max - milliseconds(200)));
        if (at + duration + seconds(60) >= options.time_limit) break;
        faults.push_back(nemesis::Fault{.kind = crash ? nemesis::FaultKind::kill : nemesis::FaultKind::pause,
                                        .start = at,
                                        .duration = duration,
                                        .nodes = {0}});
        at += duration + seconds(60) + static_cast<Nanos>(random.exponential(mean_gap));
    }
    return nemesis::Schedule{std::move(faults)}.to_json();
}

Result<RunConfig> fd_config(const FdOptions& options, const std::string& detector, const std::string& setting) {
    const bool swim = detector == "swim";
    RunConfig config;
    config.system = swim ? "swim" : "detector";
    config.nodes = swim ? options.nodes : 1;
    config.clients = 0;
    config.recovery = 0;
    config.time_limit = options.time_limit;
    config.latency = options.latency;
    config.loss = options.loss;
    config.nemesis = "none";
    config.schedule = fd_schedule(options, 1);  // each seed draws its own (run_fd's configure)
    config.system_options = Json::object();
    if (swim) {
        // A crash lasts crash_duration: every member must know within it.
        config.system_options["detection_time_max_ns"] = options.crash_duration - milliseconds(1);
        config.system_options["dissemination_time_max_ns"] = options.crash_duration;
        config.system_options["false_deaths_max"] = 1000000;
    } else {
        config.system_options["detectors"] = detector;
        config.system_options["detection_time_max_ns"] = options.crash_duration - milliseconds(1);
        config.system_options["false_suspicions_per_hour_max"] = 1e9;
    }
    if (!setting.empty()) {
        const auto* param = std::find_if(std::begin(kParams), std::end(kParams), [&](const Param& p) {
            return detector == p.detector && options.param == p.name;
        });
        if (param == std::end(kParams)) {
            std::string known;
            for (const std::string& name : fd_params(detector)) known += (known.empty() ? "" : ", ") + name;
            return make_error(ErrorCode::invalid_argument, fmt::format("--param '{}' is not a parameter of {} ({})",
                                                                       options.param, detector, known));
        }
        auto description = system_named(config.system);
        if (!description) return description.error();
        const OptionInfo* info = (*description)->options->find(param->option);
        FL_ASSERT(info != nullptr);
        auto value = option_value_from_text(*info, setting);
        if (!value)
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("{} {}: {}", options.param, setting, value.error().message));
        config.system_options[info->json_key()] = *value;
    }
    if (auto status = config.validate(); !status) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("{}{}: {}", detector, setting.empty() ? "" : " " + options.param + " " + setting,
                                      status.error().message));
    }
    if (auto system = make_system(config); !system) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("{}{}: {}", detector, setting.empty() ? "" : " " + options.param + " " + setting,
                                      system.error().message));
    }
    return config;
}

Result<FdResult> run_fd(const FdOptions& options) {
    const auto wall_start = std::chrono::steady_clock::now();
    // Every configuration first: a bad setting is reported before any run.
    struct Job {
        std::string detector, setting;
        RunConfig config;
    };
    std::vector<Job> jobs;
    if (options.compare) {
        for (const char* detector : {"heartbeat", "ping", "phi", "swim"}) {
            auto config = fd_config(options, detector, "");
            if (!config) return config.error();
            jobs.push_back({detector, "defaults", std::move(*config)});
        }
    } else {
        if (fd_params(options.detector).empty()) {
            return make_error(
                ErrorCode::invalid_argument,
                fmt::format("--detector '{}' is not one of heartbeat, ping, phi, swim", options.detector));
        }
        auto settings = fd_settings(options.values);
        if (!settings) return settings.error();
        for (const std::string& setting : *settings) {
            auto config = fd_config(options, options.detector, setting);
            if (!config) return config.error();
            jobs.push_back({options.detector, setting, std::move(*config)});
        }
    }
    FdResult result;
    result.options = options;
    for (const Job& job : jobs) {
        if (result.curves.empty() || result.curves.back().detector != job.detector) {
            result.curves.push_back(FdCurve{job.detector, options.compare ? "" : options.param, {}, -1});
        }
        Tally tally;
        SweepOptions sweep_options;
        sweep_options.first_seed = options.first_seed;
        sweep_options.last_seed = options.last_seed;
        sweep_options.jobs = options.jobs;
        sweep_options.keep_going = true;
        sweep_options.configure = [&options](RunConfig& config) {
            config.schedule = fd_schedule(options, config.seed);
        };
        const bool swim = job.detector == "swim";
        sweep_options.on_run = [&tally, swim, &job](const RunResult& run) {
            measure(run, swim, job.config.nodes, tally);
        };
        const SweepResult swept = sweep(job.config, sweep_options, [](const RunResult&) {});
        for (const SweepOutcome& failure : swept.failures) {
            if (!failure.error.empty()) {
                return make_error(ErrorCode::internal, fmt::format("{} {} seed {}: {}", job.detector, job.setting,
                                                                   failure.seed, failure.error));
            }
        }
        result.runs += swept.runs;
        const double runs = static_cast<double>(std::max<std::uint64_t>(tally.runs, 1));
        result.curves.back().points.push_back(
            FdPoint{job.setting, tally.detected > 0 ? tally.detection_sum_s / static_cast<double>(tally.detected) : 0,
                    tally.false_per_hour_sum / runs, tally.msgs_sum / runs, tally.detected, tally.missed, tally.runs});
    }
    for (FdCurve& curve : result.curves) {
        std::vector<std::pair<double, double>> xy;
        for (const FdPoint& point : curve.points) xy.emplace_back(point.false_per_hour, point.detection_s);
        curve.knee = fd_knee(xy);
    }
    result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    return result;
}

Json FdResult::to_json() const {
    Json curves_json = Json::array();
    for (const FdCurve& curve : curves) {
        Json points = Json::array();
        for (const FdPoint& p : curve.points) {
            points.push_back(Json{{"setting", p.setting},
                                  {"detection_s", p.detection_s},
                                  {"false_suspicions_per_hour", p.false_per_hour},
                                  {"msgs_per_second", p.msgs_per_second},
                                  {"crashes_detected", p.detected},
                                  {"crashes_missed", p.missed},
                                  {"runs", p.runs}});
        }
        curves_json.push_back(Json{{"detector", curve.detector},
                                   {"param", curve.param},
                                   {"points", points},
                                   {"knee", curve.knee < 0 ? Json(nullptr) : Json(curve.points[curve.knee].setting)}});
    }
    return Json{{"latency", options.latency},
                {"loss", options.loss},
                {"nemesis", options.nemesis},
                {"time_limit_ns", options.time_limit},
                {"seeds", fmt::format("{}..{}", options.first_seed, options.last_seed)},
                {"pauses_per_hour", options.pauses_per_hour},
                {"pause_max_ns", options.pause_max},
                {"crashes_per_hour", options.crashes_per_hour},
                {"crash_duration_ns", options.crash_duration},
                {"swim_nodes", options.nodes},
                {"curves", curves_json},
                {"runs", runs},
                {"wall_seconds", wall_seconds}};
}

}  // namespace faultline::runner
