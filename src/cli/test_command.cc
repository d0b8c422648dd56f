// `faultline test`: one simulated run (or, later, a sweep of seeds), checked and stored.
#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <limits>
#include <memory>
#include <random>

#include "cli/commands.h"
#include "cli/options_cli.h"
#include "runner/run.h"
#include "runner/store.h"
#include "runner/summary.h"
#include "runner/sweep.h"
#include "runner/system.h"

namespace faultline::cli {

namespace {

// What `faultline test` reads: the run's config (its common options and the
// system's own, from their declarations) and how to run and keep it.
struct TestOptions {
    runner::RunConfig config;
    std::uint64_t seed = 0;
    bool seed_given = false;
    std::string store = "store";
    bool trace = true;
    runner::TraceFormat trace_format = runner::TraceFormat::binary;
    std::string seeds;  // a sweep: "A..B"
    int jobs = 1;
    bool keep_going = false;
    int stored_failures_max = 20;
};

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

// What a sweep's failing runs came to: how many were stored (and whether one
// could not be), and each failure, for sweep.json.
struct FailureReport {
    int stored = 0;
    bool store_failed = false;
    Json failures = Json::array();
};

// A failing seed as the sweep finds it: its failing checks and a repro
// command, printed; the run stored with its trace, up to the cap.
void report_failed_run(const runner::RunResult& failed, const TestOptions& options, FailureReport& report) {
    std::string failing;
    for (const runner::CheckOutcome& check : failed.checks) {
        if (check.verdict != runner::Verdict::valid) {
            failing += fmt::format("\n    {}: {}", check.name, check.summary.substr(0, check.summary.find('\n')));
        }
    }
    std::fprintf(stdout, "seed %llu: %s%s\n    repro: %s\n", static_cast<unsigned long long>(failed.config.seed),
                 runner::verdict_name(failed.verdict), failing.c_str(), failed.config.command_line().c_str());
    Json failure{{"seed", failed.config.seed},
                 {"verdict", runner::verdict_name(failed.verdict)},
                 {"repro", failed.config.command_line()}};
    // The first failing runs are stored with their trace (run again
    // with one: the same seed gives the same run), so they can be
    // replayed and shrunk. Past the cap a failure is only listed: a
    // sweep of a badly broken system must not fill the disk.
    if (report.stored < options.stored_failures_max) {
        if (auto kept = runner::run_and_store(options.store, failed.config,
                                              runner::StoreOptions{.trace_format = options.trace_format})) {
            ++report.stored;
            std::fprintf(stdout, "    stored: %s\n", kept->dir.c_str());
            failure["stored"] = kept->dir;
        } else {
            report.store_failed = true;
        }
    } else {
        std::fprintf(stdout, "    not stored (%d failing runs kept already: --stored-failures-max)\n",
                     options.stored_failures_max);
    }
    report.failures.push_back(std::move(failure));
    std::fflush(stdout);
}

// Every failing seed, stored or not, in one file beside the runs.
void write_sweep_summary(const runner::RunConfig& config, const TestOptions& options,
                         const std::pair<std::uint64_t, std::uint64_t>& range, const runner::SweepResult& result,
                         const Json& failures) {
    auto dir = runner::create_run_directory(options.store, "sweeps", range.first);
    // The sweep's own command: its options, and the range instead of a seed.
    std::string command = config.command_line();
    if (const auto at = command.rfind(" --seed "); at != std::string::npos) command.erase(at);
    command += fmt::format(" --seeds {}..{}", range.first, range.second);
    const Json summary{{"command", command},
                       {"seeds", fmt::format("{}..{}", range.first, range.second)},
                       {"runs", result.runs},
                       {"valid", result.valid},
                       {"failures", failures}};
    if (dir && runner::write_text_file(*dir + "/sweep.json", summary.dump(2) + "\n")) {
        std::fprintf(stdout, "failures     %s/sweep.json\n", dir->c_str());
    } else {
        print_error("could not write the sweep's summary under " + options.store);
    }
}

// A sweep exits as its worst seed: a run that could not run, then an
// invalid one, then unknown ones only.
int sweep_exit_code(const runner::SweepResult& result) {
    bool unknown_only = true;
    for (const runner::SweepOutcome& outcome : result.failures) {
        if (!outcome.error.empty()) return exit_runtime;
        if (outcome.verdict == runner::Verdict::invalid) unknown_only = false;
    }
    if (result.failures.empty()) return exit_valid;
    return unknown_only ? exit_unknown : exit_invalid;
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
    FailureReport report;
    const runner::SweepResult result =
        runner::sweep(config,
                      runner::SweepOptions{.first_seed = range->first,
                                           .last_seed = range->second,
                                           .jobs = options.jobs,
                                           .keep_going = options.keep_going,
                                           .progress = print_sweep_progress},
                      [&](const runner::RunResult& failed) { report_failed_run(failed, options, report); });
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
    if (report.store_failed) print_error("could not store every failing run under " + options.store);
    if (!report.failures.empty()) write_sweep_summary(config, options, *range, result, report.failures);
    return sweep_exit_code(result);
}

int run_test(const TestOptions& options) {
    runner::RunConfig config = options.config;
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
    auto stored = runner::run_and_store(
        options.store, config, runner::StoreOptions{.trace = options.trace, .trace_format = options.trace_format});
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
    return exit_code_for(result.verdict);
}

}  // namespace

CommandAction add_test_command(CLI::App& app, const std::string& system) {
    auto options = std::make_shared<TestOptions>();
    runner::RunConfig& config = options->config;
    config.system = system;
    const runner::SystemDescription* description = runner::find_system(system);
    CLI::App* test = app.add_subcommand("test", "Run a system in the simulator under faults and check it");
    std::string systems;
    for (const runner::SystemDescription* known : runner::all_systems()) {
        systems += fmt::format("\n  {:<16}{}", known->name, known->summary);
    }
    // Read before the parse (see main.cc), so that --help shows this system's
    // options; registered here so that the parser accepts it.
    test->add_option("--system", config.system,
                     "System to run (its own options appear with --system NAME --help):" + systems)
        ->capture_default_str();
    if (description != nullptr && !description->bugs.empty()) {
        std::string bugs;
        for (const std::string& bug : description->bugs) bugs += (bugs.empty() ? "" : ", ") + bug;
        test->add_option("--bug", config.bug, "Run a deliberately broken " + system + ": " + bugs);
    }
    const runner::OptionTable<runner::RunConfig>& common = runner::RunConfig::options();
    add_declared_options(*test, common, common.defaults(), "Run options",
                         [&config, &common](const runner::OptionInfo& info, const Json& value) {
                             return common.set(config, info, value);
                         });
    if (description != nullptr && description->options != nullptr) {
        const runner::OptionSchema& own = *description->options;
        add_declared_options(*test, own, own.defaults(), system + " options",
                             [&config, &own](const runner::OptionInfo& info, const Json& value) -> Status {
                                 const Json one{{info.json_key(), value}};
                                 if (auto normalized = own.normalize(one); !normalized) return normalized.error();
                                 config.system_options[info.json_key()] = value;
                                 return ok_status();
                             });
    }
    test->add_option("--seed", options->seed, "Seed of the run (default: random, printed)")
        ->transform(whole_number(0, std::numeric_limits<std::uint64_t>::max()))
        ->each([options](const std::string&) { options->seed_given = true; });
    test->add_option("--store", options->store, "Directory of the run store")->capture_default_str();
    test->add_flag("--trace,!--no-trace", options->trace,
                   "Write the trace: every message, timer and fault (on by default for a single run; a sweep keeps "
                   "traces of failing seeds only, and --no-trace keeps none of a passing run)");
    add_trace_format_option(*test, options->trace_format);
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
