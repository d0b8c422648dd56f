// `faultline test`: one simulated run (or, later, a sweep of seeds), checked and stored.
#include <charconv>
#include <cstdio>
#include <limits>
#include <memory>
#include <random>

#include <fmt/format.h>

#include "cli/commands.h"
#include "runner/run.h"
#include "runner/store.h"
#include "runner/summary.h"
#include "runner/sweep.h"
#include "nemesis/generator.h"
#include "sim/latency.h"

namespace faultline::cli {

namespace {

struct TestOptions {
    runner::RunConfig config;
    std::string time_limit = "60s";
    std::string timeout = "1s";
    std::string reorder_delay = "20ms";
    std::string sync_latency = "0";
    std::string recovery = "10s";
    std::string workload_start = "0";
    std::string completion_bound = "0";
    std::string latency_p99_max = "0";
    std::string detector_interval = "1s";
    std::string detector_timeout = "5s";
    std::string acceptable_pause = "3s";
    std::string detection_time_max = "10s";
    std::string election_timeout;
    std::string heartbeat;
    std::string fault_interval = "8s";
    std::string fault_duration = "6s";
    std::uint64_t seed = 0;
    bool seed_given = false;
    std::string store = "store";
    bool trace = true;
    std::string seeds;  // a sweep: "A..B"
    int jobs = 1;
    bool keep_going = false;
    int stored_failures_max = 20;
};

CLI::Validator duration_validator(faultline::Nanos bare_unit) {
    return CLI::Validator(
        [bare_unit](std::string& text) -> std::string {
            auto parsed = parse_duration(text, bare_unit);
            return parsed ? std::string() : parsed.error().message;
        },
        "DURATION");
}

// A timer's interval: a duration no shorter than runner::kTimerIntervalMin.
CLI::Validator timer_validator(faultline::Nanos bare_unit) {
    return CLI::Validator(
        [bare_unit](std::string& text) -> std::string {
            auto parsed = parse_duration(text, bare_unit);
            if (!parsed) return parsed.error().message;
            if (*parsed < runner::kTimerIntervalMin) {
                return fmt::format("{} is below the shortest timer interval, {} (shorter timers flood the "
                                   "simulation with events)",
                                   text, format_duration(runner::kTimerIntervalMin));
            }
            return "";
        },
        "DURATION");
}

// A whole number in decimal within [low, high]. On its own CLI11 reads "-1"
// into an unsigned option as 2^64-1, "010" as octal 8 and "0x10" as 16; this
// refuses the first and the last, and hands CLI11 "10" for the second.
CLI::Validator whole_number(std::uint64_t low, std::uint64_t high) {
    return CLI::Validator(
        [low, high](std::string& text) -> std::string {
            std::uint64_t value = 0;
            const char* end = text.data() + text.size();
            const auto [stop, error] = std::from_chars(text.data(), end, value);
            if (text.empty() || stop != end || error != std::errc{} || value < low || value > high) {
                return fmt::format("expected a whole number in [{}, {}], got '{}'", low, high, text);
            }
            text = std::to_string(value);
            return "";
        },
        "UINT");
}

// One line every few seconds while a sweep runs (not a terminal bar: CI logs
// read it too). Seeds take about the same time, so the rate so far predicts
// the rest.
void print_sweep_progress(const runner::SweepProgress& progress) {
    std::string eta;
    if (progress.runs > 0) {
        const double rate = static_cast<double>(progress.runs) / std::max(progress.wall_seconds, 1e-9);
        const double left_seconds = static_cast<double>(progress.total - progress.runs) / rate;
        if (left_seconds < 1e7) eta = ", about " + format_duration(static_cast<Nanos>(left_seconds * 1e9)) + " left";
    }
    std::fprintf(stdout, "progress     %llu of %llu seeds, %zu failed, %s%s\n",
                 static_cast<unsigned long long>(progress.runs), static_cast<unsigned long long>(progress.total),
                 progress.failures, format_duration(static_cast<Nanos>(progress.wall_seconds * 1e9)).c_str(),
                 eta.c_str());
    std::fflush(stdout);
}

int run_sweep(const runner::RunConfig& config, const TestOptions& options) {
    auto range = runner::parse_seed_range(options.seeds);
    if (!range) {
        print_error("--seeds: " + range.error().message);
        return exit_usage;
    }
    std::fprintf(stdout, "faultline test: %s, seeds %llu..%llu on %d jobs\n", config.system.c_str(),
                 static_cast<unsigned long long>(range->first), static_cast<unsigned long long>(range->second),
                 options.jobs);
    std::fflush(stdout);
    bool store_failed = false;
    int stored = 0;
    Json failures = Json::array();
    const runner::SweepResult result = runner::sweep(
        config,
        runner::SweepOptions{.first_seed = range->first,
                             .last_seed = range->second,
                             .jobs = options.jobs,
                             .keep_going = options.keep_going,
                             .progress = print_sweep_progress},
        [&](const runner::RunResult& failed) {
            std::string failing;
            for (const runner::CheckOutcome& check : failed.checks) {
                if (check.verdict != runner::Verdict::valid) {
                    failing += fmt::format("\n    {}: {}", check.name, check.summary.substr(0, check.summary.find('\n')));
                }
            }
            std::fprintf(stdout, "seed %llu: %s%s\n    repro: %s\n",
                         static_cast<unsigned long long>(failed.config.seed), runner::verdict_name(failed.verdict),
                         failing.c_str(), failed.config.command_line().c_str());
            Json failure{{"seed", failed.config.seed},
                         {"verdict", runner::verdict_name(failed.verdict)},
                         {"repro", failed.config.command_line()}};
            // The first failing runs are stored with their trace (run again
            // with one: the same seed gives the same run), so they can be
            // replayed and shrunk. Past the cap a failure is only listed: a
            // sweep of a badly broken system must not fill the disk.
            if (stored < options.stored_failures_max) {
                if (auto kept = runner::run_and_store(options.store, failed.config)) {
                    ++stored;
                    std::fprintf(stdout, "    stored: %s\n", kept->dir.c_str());
                    failure["stored"] = kept->dir;
                } else {
                    store_failed = true;
                }
            } else {
                std::fprintf(stdout, "    not stored (%d failing runs kept already: --stored-failures-max)\n",
                             options.stored_failures_max);
            }
            failures.push_back(std::move(failure));
            std::fflush(stdout);
        });
    for (const runner::SweepOutcome& outcome : result.failures) {
        if (!outcome.error.empty()) {
            std::fprintf(stdout, "seed %llu: error: %s\n", static_cast<unsigned long long>(outcome.seed),
                         outcome.error.c_str());
        }
    }
    std::fprintf(stdout, "sweep        %llu runs: %llu valid, %zu failed; %.1fs wall, %.0f simulated s per wall s\n",
                 static_cast<unsigned long long>(result.runs), static_cast<unsigned long long>(result.valid),
                 result.failures.size(), result.wall_seconds,
                 result.wall_seconds > 0 ? result.simulated_seconds / result.wall_seconds : 0.0);
    if (store_failed) print_error("could not store every failing run under " + options.store);
    // Every failing seed, stored or not, in one file beside the runs.
    if (!failures.empty()) {
        auto dir = runner::create_run_directory(options.store, "sweeps", range->first);
        // The sweep's own command: its options, and the range instead of a seed.
        std::string command = config.command_line();
        if (const auto at = command.rfind(" --seed "); at != std::string::npos) command.erase(at);
        command += fmt::format(" --seeds {}..{}", range->first, range->second);
        const Json summary{{"command", command},
                           {"seeds", fmt::format("{}..{}", range->first, range->second)},
                           {"runs", result.runs},
                           {"valid", result.valid},
                           {"failures", failures}};
        if (dir && runner::write_text_file(*dir + "/sweep.json", summary.dump(2) + "\n")) {
            std::fprintf(stdout, "failures     %s/sweep.json\n", dir->c_str());
        } else {
            print_error("could not write the sweep's summary under " + options.store);
        }
    }
    bool unknown_only = true;
    for (const runner::SweepOutcome& outcome : result.failures) {
        if (!outcome.error.empty()) return exit_runtime;
        if (outcome.verdict == runner::Verdict::invalid) unknown_only = false;
    }
    if (result.failures.empty()) return exit_valid;
    return unknown_only ? exit_unknown : exit_invalid;
}

int run_test(const TestOptions& options) {
    runner::RunConfig config = options.config;
    config.time_limit = *parse_duration(options.time_limit, seconds(1));
    config.timeout = *parse_duration(options.timeout, milliseconds(1));
    config.reorder_delay = *parse_duration(options.reorder_delay, milliseconds(1));
    config.disk.sync_latency = *parse_duration(options.sync_latency, milliseconds(1));
    config.recovery = *parse_duration(options.recovery, seconds(1));
    config.workload_start = *parse_duration(options.workload_start, seconds(1));
    config.completion_bound = *parse_duration(options.completion_bound, seconds(1));
    config.latency_p99_max = *parse_duration(options.latency_p99_max, milliseconds(1));
    config.detector_interval = *parse_duration(options.detector_interval, seconds(1));
    config.detector_timeout = *parse_duration(options.detector_timeout, seconds(1));
    config.acceptable_pause = *parse_duration(options.acceptable_pause, seconds(1));
    config.detection_time_max = *parse_duration(options.detection_time_max, seconds(1));
    if (!options.election_timeout.empty()) {
        const auto dots = options.election_timeout.find("..");
        config.election_timeout_min = *parse_duration(options.election_timeout.substr(0, dots), milliseconds(1));
        config.election_timeout_max = *parse_duration(options.election_timeout.substr(dots + 2), milliseconds(1));
    }
    if (!options.heartbeat.empty()) config.heartbeat_interval = *parse_duration(options.heartbeat, milliseconds(1));
    config.fault_interval_max = *parse_duration(options.fault_interval, seconds(1));
    config.fault_duration_max = *parse_duration(options.fault_duration, seconds(1));
    if (options.seed_given) {
        config.seed = options.seed;
    } else {
        // The only nondeterminism in faultline: picking a seed when none is given.
        std::random_device device;
        config.seed = (static_cast<std::uint64_t>(device()) << 32 | device()) % 1'000'000'000;
    }
    if (auto status = config.validate(); !status) {
        print_error(status.error().message);
        return exit_usage;
    }
    if (!options.seeds.empty()) return run_sweep(config, options);

    std::fprintf(stdout, "faultline test: %s, seed %llu\n", config.system.c_str(),
                 static_cast<unsigned long long>(config.seed));
    std::fflush(stdout);
    auto stored = runner::run_and_store(options.store, config, runner::StoreOptions{.trace = options.trace});
    if (!stored) {
        print_error(stored.error().message);
        return exit_runtime;
    }
    const runner::RunResult& result = stored->result;
    std::fputs(runner::format_summary(result).c_str(), stdout);
    std::fprintf(stdout, "store        %s\n", stored->dir.c_str());
    if (result.verdict != runner::Verdict::valid) {
        std::fprintf(stdout, "repro        faultline replay %s\n", stored->dir.c_str());
    }
    switch (result.verdict) {
        case runner::Verdict::valid: return exit_valid;
        case runner::Verdict::invalid: return exit_invalid;
        case runner::Verdict::unknown: return exit_unknown;
    }
    return exit_runtime;
}

}  // namespace

CommandAction add_test_command(CLI::App& app) {
    auto options = std::make_shared<TestOptions>();
    runner::RunConfig& config = options->config;
    CLI::App* test = app.add_subcommand("test", "Run a system in the simulator under faults and check it");
    std::string systems;
    for (const auto& name : runner::system_names()) systems += (systems.empty() ? "" : ", ") + name;
    test->add_option("--system", config.system, "System to run: " + systems)->capture_default_str();
    std::string bugs;
    for (const auto& name : runner::bug_names()) bugs += (bugs.empty() ? "" : ", ") + name;
    test->add_option("--bug", config.bug, "Run a deliberately broken raft-kv: " + bugs);
    test->add_flag("!--no-pre-vote", config.pre_vote, "raft-kv: turn PreVote off");
    test->add_flag("!--no-check-quorum", config.check_quorum, "raft-kv: turn CheckQuorum off");
    test->add_flag("!--no-flow-control", config.flow_control,
                   "raft-kv: no replication flow control (every append resends all a follower lacks)");
    test->add_option("--detectors", config.detectors, "detector: heartbeat, ping, phi, or several comma-separated")
        ->capture_default_str();
    test->add_option("--detector-interval", options->detector_interval,
                     "detector: heartbeat / ping interval (at least 1ms)")
        ->check(timer_validator(seconds(1)))
        ->capture_default_str();
    test->add_option("--detector-timeout", options->detector_timeout, "detector: heartbeat / ping timeout")
        ->check(duration_validator(seconds(1)))
        ->capture_default_str();
    test->add_option("--phi-threshold", config.phi_threshold, "detector: phi accrual's threshold")->capture_default_str();
    test->add_option("--acceptable-pause", options->acceptable_pause, "detector: phi accrual's acceptable pause")
        ->check(duration_validator(seconds(1)))
        ->capture_default_str();
    test->add_option("--mistakes-per-hour-max", config.false_suspicions_per_hour_max,
                     "detector: the accuracy bound (false suspicions per hour of up time)")
        ->capture_default_str();
    test->add_option("--detection-time-max", options->detection_time_max, "detector: the detection time bound")
        ->check(duration_validator(seconds(1)))
        ->capture_default_str();
    test->add_option("--timestamps", config.timestamps, "lww-kv: how writes are stamped: physical or hlc")
        ->capture_default_str();
    test->add_flag("--lease-reads", config.lease_reads, "raft-kv: serve reads under a leader lease, not ReadIndex");
    test->add_option("--clock-drift-bound", config.clock_drift_bound,
                     "raft-kv: the clock drift a lease allows for (its length: election timeout x (1 - bound))")
        ->capture_default_str();
    test->add_flag("--step-down-when-slow", config.step_down_when_slow,
                   "raft-kv: a leader whose own timers run late hands leadership to a follower");
    test->add_flag("--authenticate", config.authenticate,
                   "raft-kv: HMAC-authenticate replicated entries (altered messages are dropped)");
    test->add_option("--election-timeout", options->election_timeout,
                     "raft-kv: election timeout range MIN..MAX (bare numbers are ms)")
        ->check(CLI::Validator(
            [](std::string& text) -> std::string {
                const auto dots = text.find("..");
                if (dots == std::string::npos) return "expected MIN..MAX, e.g. 300ms..600ms";
                auto low = parse_duration(text.substr(0, dots), milliseconds(1));
                auto high = parse_duration(text.substr(dots + 2), milliseconds(1));
                if (!low) return low.error().message;
                if (!high) return high.error().message;
                if (*low <= 0 || *low > *high) return "expected 0 < MIN <= MAX";
                if (*low < runner::kTimerIntervalMin) {
                    return fmt::format("MIN is below the shortest timer interval, {}",
                                       format_duration(runner::kTimerIntervalMin));
                }
                return "";
            },
            "MIN..MAX"));
    test->add_option("--heartbeat", options->heartbeat,
                     "raft-kv: heartbeat interval (bare numbers are ms; at least 1ms)")
        ->check(timer_validator(milliseconds(1)));
    test->add_option("--value-bytes", config.value_bytes, "raft-kv: payload bytes per written value")
        ->transform(whole_number(0, std::numeric_limits<std::uint32_t>::max()));
    test->add_option("--inflight-appends", config.inflight_appends_max,
                     "raft-kv: appends in flight per follower (0: Raft's default)")
        ->transform(whole_number(0, std::numeric_limits<std::uint32_t>::max()));
    test->add_option("--append-bytes", config.append_bytes_max, "raft-kv: bytes per append (0: Raft's default)")
        ->transform(whole_number(0, std::numeric_limits<std::uint32_t>::max()));
    test->add_option("--latency-p99-max", options->latency_p99_max,
                     "Latency check: the p99 of ok operations must stay below this (bare numbers are ms)")
        ->check(duration_validator(milliseconds(1)));
    test->add_option("--topology", config.topology, "broadcast: how values spread: tree or flood")
        ->check(CLI::IsMember({"tree", "flood"}))
        ->capture_default_str();
    test->add_option("--msgs-per-op-max", config.msgs_per_op_max,
                     "broadcast: the most server messages per client operation (0: no check)");
    test->add_option("--client-retries", config.client_retries,
                     "Retries of an operation after a definite redirect (not the leader)")
        ->transform(whole_number(0, 1000))
        ->capture_default_str();
    test->add_flag("!--no-idempotency-keys", config.idempotency_keys,
                   "Retries are new requests (blind) instead of carrying the operation's idempotency key");
    test->add_option("--client-timeout-retries", config.client_timeout_retries,
                     "Retries of an operation after a timeout, with the same session sequence")
        ->transform(whole_number(0, 1000))
        ->capture_default_str();
    test->add_option("--nodes,--node-count", config.nodes, "Number of server nodes")
        ->transform(whole_number(1, 1000))
        ->capture_default_str();
    test->add_option("--clients,--concurrency", config.clients, "Number of concurrent clients")
        ->transform(whole_number(0, 10000))
        ->capture_default_str();
    test->add_option("--time-limit", options->time_limit,
                     "Simulated time to issue operations for (bare numbers are seconds)")
        ->check(duration_validator(seconds(1)))
        ->capture_default_str();
    test->add_option("--seed", options->seed, "Seed of the run (default: random, printed)")
        ->transform(whole_number(0, std::numeric_limits<std::uint64_t>::max()))
        ->each([options](const std::string&) { options->seed_given = true; });
    test->add_option("--rate", config.rate, "Total client operations per simulated second")
        ->check(CLI::Range(0.0, 1e7))
        ->capture_default_str();
    test->add_option("--completion-bound", options->completion_bound,
                     "Liveness: every operation must complete within this (bare numbers are seconds; 0: at all)")
        ->check(duration_validator(seconds(1)))
        ->capture_default_str();
    test->add_option("--workload-start", options->workload_start,
                     "When clients start issuing operations (bare numbers are seconds)")
        ->check(duration_validator(seconds(1)))
        ->capture_default_str();
    test->add_option("--timeout", options->timeout, "Client request timeout (bare numbers are ms; 0: wait forever)")
        ->check(duration_validator(milliseconds(1)))
        ->capture_default_str();
    test->add_option("--latency", config.latency,
                     "Link latency: 5ms, uniform:1ms..10ms, exponential:MEAN[,MIN], "
                     "lognormal:MEDIAN,SIGMA, pareto:SCALE,ALPHA[,CAP]")
        ->check(CLI::Validator(
            [](std::string& text) -> std::string {
                auto parsed = sim::LatencyModel::parse(text);
                return parsed ? std::string() : parsed.error().message;
            },
            "LATENCY"))
        ->capture_default_str();
    test->add_option("--loss", config.loss, "Probability that a message is lost")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    test->add_option("--duplicate", config.duplicate, "Probability that a message is delivered twice")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    test->add_option("--reorder", config.reorder, "Probability that a message is delayed extra")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    test->add_option("--reorder-delay", options->reorder_delay, "Largest extra delay for reordering")
        ->check(duration_validator(milliseconds(1)))
        ->capture_default_str();
    test->add_option("--bandwidth", config.bandwidth_bytes_per_second,
                     "Per-link bandwidth in bytes per second (0: unlimited)")
        ->transform(whole_number(0, std::numeric_limits<std::uint64_t>::max()))
        ->capture_default_str();
    test->add_flag("--drop-in-flight", config.drop_in_flight,
                   "Partitions also drop messages already in flight");
    test->add_option("--disk-sync-latency", options->sync_latency, "Time a disk sync takes")
        ->check(duration_validator(milliseconds(1)))
        ->capture_default_str();
    test->add_option("--disk-torn-write", config.disk.torn_write_probability,
                     "Probability that a crash tears a file's unsynced writes")
        ->check(CLI::Range(0.0, 1.0));
    test->add_option("--disk-bit-flip", config.disk.bit_flip_probability,
                     "Probability that a read flips a bit")
        ->check(CLI::Range(0.0, 1.0));
    test->add_option("--nemesis", config.nemesis,
                     "Faults, comma-separated: partition, kill, pause, clock-skew, clock-drift, clock-step, "
                     "loss, latency, duplicate, bandwidth, slow, disk, tamper; or clock, network, all, none")
        ->check(CLI::Validator(
            [](std::string& text) -> std::string {
                auto parsed = nemesis::parse_fault_kinds(text);
                return parsed ? std::string() : parsed.error().message;
            },
            "FAULTS"))
        ->capture_default_str();
    test->add_option("--fault-interval", options->fault_interval,
                     "Longest mean time between faults (each seed draws its own; bare numbers are seconds)")
        ->check(duration_validator(seconds(1)))
        ->capture_default_str();
    test->add_option("--fault-duration", options->fault_duration,
                     "Longest mean fault duration (each seed draws its own; bare numbers are seconds)")
        ->check(duration_validator(seconds(1)))
        ->capture_default_str();
    test->add_option("--recovery", options->recovery,
                     "After the heal: time in which the system must serve clients again")
        ->check(duration_validator(seconds(1)))
        ->capture_default_str();
    test->add_option("--store", options->store, "Directory of the run store")->capture_default_str();
    test->add_flag("--trace,!--no-trace", options->trace,
                   "Write trace.jsonl: every message, timer and fault, zstd-compressed when large (on by default "
                   "for a single run; a sweep keeps traces of failing seeds only, and --no-trace keeps none of a "
                   "passing run)");
    test->add_option("--seeds", options->seeds,
                     "Sweep a range of seeds, e.g. 1..2000: prints each failing seed with a repro command");
    test->add_option("--jobs", options->jobs, "Seeds run in parallel during a sweep")->transform(whole_number(1, 256));
    test->add_flag("--keep-going", options->keep_going, "Do not stop a sweep at the first failing seed");
    test->add_option("--stored-failures-max", options->stored_failures_max,
                     "A sweep stores at most this many failing runs (with traces); the rest are listed in "
                     "store/sweeps/.../sweep.json with their repro commands")
        ->check(CLI::Range(0, 100000))
        ->capture_default_str();
    return [options] { return run_test(*options); };
}

}  // namespace faultline::cli
