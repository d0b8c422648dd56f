// `faultline fd`: sweep one failure-detector parameter over seeds and print
// the trade-off of detection time against false suspicions (runner/fd.h), or
// compare the detectors at their defaults with --compare.
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/options_cli.h"
#include "report/report.h"
#include "runner/fd.h"
#include "runner/store.h"
#include "runner/sweep.h"

namespace faultline::cli {

namespace {

struct FdCommand {
    runner::FdOptions fd;
    std::string param, values;
    std::string seeds = "20";
    std::string time_limit = "1h", pause_max = "8s", crash_duration = "60s";
    std::string store = "store";
};

// The sweep each parameter gets when --values is not given.
std::string default_values(const std::string& param) {
    if (param == "threshold") return "1..16";
    if (param == "timeout") return "1s..10s";
    if (param == "interval") return "200ms..2s";
    if (param == "acceptable_pause") return "0s..6s";
    if (param == "probe_interval") return "500ms..5s";
    if (param == "probe_timeout") return "100ms..1s";
    if (param == "suspicion_mult") return "1..10";
    return "0..6";  // indirect_checks
}

Status parse_in(const std::string& flag, const std::string& text, Nanos bare, Nanos low, Nanos high, Nanos& out) {
    auto value = parse_duration(text, bare);
    if (!value || *value < low || *value > high) {
        return make_error(ErrorCode::invalid_argument, fmt::format("{} '{}': expected a duration in {}..{}", flag, text,
                                                                   format_duration(low), format_duration(high)));
    }
    out = *value;
    return ok_status();
}

Status finish(FdCommand& command) {
    runner::FdOptions& fd = command.fd;
    if (command.seeds == "0") return make_error(ErrorCode::invalid_argument, "--seeds 0: run at least one seed");
    if (auto range = runner::parse_seed_range(command.seeds.find("..") == std::string::npos ? "1.." + command.seeds
                                                                                            : command.seeds);
        !range) {
        return range.error();
    } else {
        fd.first_seed = range->first;
        fd.last_seed = range->second;
        if (fd.last_seed - fd.first_seed >= 10000) {
            return make_error(ErrorCode::invalid_argument, "--seeds: at most 10000 seeds per setting");
        }
    }
    if (auto s =
            parse_in("--time-limit", command.time_limit, seconds(1), seconds(300), seconds(24 * 3600), fd.time_limit);
        !s) {
        return s;
    }
    if (auto s = parse_in("--pause-max", command.pause_max, seconds(1), milliseconds(200), seconds(3600), fd.pause_max);
        !s) {
        return s;
    }
    if (auto s = parse_in("--crash-duration", command.crash_duration, seconds(1), seconds(1), seconds(3600),
                          fd.crash_duration);
        !s) {
        return s;
    }
    if (fd.crash_duration + seconds(120) > fd.time_limit) {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("--crash-duration {} leaves no room for a crash in a run of {} (allow 2 min more)",
                        command.crash_duration, command.time_limit));
    }
    if (fd.nemesis != "pause,kill" && fd.nemesis != "kill,pause" && fd.nemesis != "pause" && fd.nemesis != "kill" &&
        fd.nemesis != "none") {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("--nemesis '{}': fd knows pause and kill (pause,kill, pause, kill or none)", fd.nemesis));
    }
    const auto params = runner::fd_params(fd.detector);
    fd.param = command.param.empty() ? params.front() : command.param;
    fd.values = command.values.empty() ? default_values(fd.param) : command.values;
    return ok_status();
}

void print_result(const runner::FdResult& result) {
    const runner::FdOptions& o = result.options;
    std::fprintf(stdout,
                 "faultline fd: %s, seeds %llu..%llu, latency %s, loss %g, %s (%g pauses up to %s and %g crashes of %s "
                 "per hour)\n",
                 o.compare ? "heartbeat, ping, phi and swim at their defaults" : (o.detector + " " + o.param).c_str(),
                 static_cast<unsigned long long>(o.first_seed), static_cast<unsigned long long>(o.last_seed),
                 o.latency.c_str(), o.loss, o.nemesis.c_str(), o.pauses_per_hour, format_duration(o.pause_max).c_str(),
                 o.crashes_per_hour, format_duration(o.crash_duration).c_str());
    std::fprintf(stdout, "%-12s %-10s %12s %16s %12s %18s\n", "detector", "setting", "detection", "false susp./h",
                 "msgs/s", "found/missed");
    for (const runner::FdCurve& curve : result.curves) {
        for (std::size_t i = 0; i < curve.points.size(); ++i) {
            const runner::FdPoint& p = curve.points[i];
            std::fprintf(stdout, "%-12s %-10s %10.2f s %16.2f %12.2f %12llu/%-5llu%s\n", curve.detector.c_str(),
                         p.setting.c_str(), p.detection_s, p.false_per_hour, p.msgs_per_second,
                         static_cast<unsigned long long>(p.detected), static_cast<unsigned long long>(p.missed),
                         static_cast<int>(i) == curve.knee ? "  <- knee" : "");
        }
        if (!o.compare) {
            std::fprintf(stdout, "knee         %s\n",
                         curve.knee < 0 ? "none (fewer than three distinct points, or a flat curve)"
                                        : fmt::format("{} {}: the setting farthest from the chord between the "
                                                      "curve's ends, both axes scaled to their range",
                                                      curve.param, curve.points[curve.knee].setting)
                                              .c_str());
        }
    }
    if (o.compare) {
        std::fprintf(stdout,
                     "cost         heartbeat, ping, phi: messages on the one monitor's link; swim: per member, "
                     "which watches all %d-1 others for it\n",
                     o.nodes);
    }
}

int run_fd_command(FdCommand& command) {
    if (auto status = finish(command); !status) {
        print_error(status.error().message);
        return exit_usage;
    }
    auto result = runner::run_fd(command.fd);
    if (!result) {
        print_error(result.error().message);
        return result.error().code == ErrorCode::invalid_argument ? exit_usage : exit_runtime;
    }
    print_result(*result);
    auto dir = runner::create_run_directory(command.store, "fd", command.fd.first_seed);
    if (!dir) {
        print_error(dir.error().message);
        return exit_runtime;
    }
    const Json json = result->to_json();
    if (auto status = runner::write_text_file(*dir + "/result.json", json.dump(2) + "\n"); !status) {
        print_error(status.error().message);
        return exit_runtime;
    }
    auto page = report::write_fd_report(*dir, json);
    if (!page) {
        print_error(page.error().message);
        return exit_runtime;
    }
    std::fprintf(stdout, "result       %s/result.json\nreport       %s\nwall         %.1f s for %llu runs\n",
                 dir->c_str(), page->c_str(), result->wall_seconds, static_cast<unsigned long long>(result->runs));
    return exit_valid;
}

}  // namespace

CommandAction add_fd_command(CLI::App& app) {
    auto command = std::make_shared<FdCommand>();
    CLI::App* fd = app.add_subcommand(
        "fd", "Failure-detector trade-off: sweep one parameter, print detection time against false suspicions");
    fd->footer(
        "Each setting runs on every seed; each seed draws the same pauses and crashes of the watched node for\n"
        "every setting. Parameters: heartbeat and ping: timeout, interval; phi: threshold, acceptable_pause,\n"
        "interval; swim: probe_interval, probe_timeout, suspicion_mult, indirect_checks.\n"
        "--values A..B gives 20 settings evenly spaced (whole numbers: every one between, up to 20), A..B/K\n"
        "gives K, and a,b,c exactly those. Writes store/fd/<time>/result.json and report.html.");
    fd->add_option("--detector", command->fd.detector, "The detector whose parameter is swept")
        ->check(CLI::IsMember({"heartbeat", "ping", "phi", "swim"}))
        ->capture_default_str();
    fd->add_option("--param", command->param, "The parameter swept (default: the detector's first)");
    fd->add_option("--values", command->values, "The settings: A..B, A..B/K or a,b,c (durations or numbers)");
    fd->add_option("--seeds", command->seeds, "Seeds per setting: a count N (1..N) or a range A..B")
        ->capture_default_str();
    fd->add_option("--jobs", command->fd.jobs, "Seeds run in parallel")
        ->transform(whole_number(1, 256))
        ->capture_default_str();
    fd->add_option("--latency", command->fd.latency, "Link latency (as faultline test --latency)")
        ->capture_default_str();
    fd->add_option("--loss", command->fd.loss, "Message loss probability")
        ->check(finite_number(0, 0.99))
        ->capture_default_str();
    fd->add_option("--nemesis", command->fd.nemesis, "Faults of the watched node: pause,kill, pause, kill or none")
        ->capture_default_str();
    fd->add_option("--pauses-per-hour", command->fd.pauses_per_hour, "Mean pauses per hour")
        ->check(finite_number(0, 600))
        ->capture_default_str();
    fd->add_option("--pause-max", command->pause_max, "Pauses last 200ms up to this")->capture_default_str();
    fd->add_option("--crashes-per-hour", command->fd.crashes_per_hour, "Mean crashes per hour")
        ->check(finite_number(0, 60))
        ->capture_default_str();
    fd->add_option("--crash-duration", command->crash_duration, "How long each crash lasts")->capture_default_str();
    fd->add_option("--time-limit", command->time_limit, "Simulated time per run (5min..24h)")->capture_default_str();
    fd->add_option("--nodes", command->fd.nodes, "SWIM's cluster size")
        ->transform(whole_number(2, 256))
        ->capture_default_str();
    fd->add_flag("--compare", command->fd.compare,
                 "Run heartbeat, ping, phi and swim at their defaults on the same faults, with their message cost");
    fd->add_option("--store", command->store, "Directory of the run store")->capture_default_str();
    return [command] { return run_fd_command(*command); };
}

}  // namespace faultline::cli
