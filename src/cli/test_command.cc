// `faultline test`: one simulated run (or, later, a sweep of seeds), checked and stored.
#include <fmt/format.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <random>

#include "cli/commands.h"
#include "cli/options_cli.h"
#include "cli/progress.h"
#include "report/report.h"
#include "runner/explore.h"
#include "runner/run.h"
#include "runner/shard.h"
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
    bool guided = false;  // --seeds is then a budget of runs (runner/explore.h)
    std::string shard;    // "I/N": only the I-th of N slices of --seeds (runner/shard.h)
};

// An interrupted sweep (Ctrl-C, or SIGTERM from a batch system) keeps what it
// found: the first signal stops new seeds from starting, the seeds running
// finish, and the sweep is written as a finished one is, marked interrupted.
// A second signal a moment later ends the process at once. Not one at the
// same moment: `timeout`, and batch systems, signal the process and then its
// whole process group, so the same stop arrives twice within microseconds.
std::atomic<bool> sweep_stop_requested{false};
volatile std::sig_atomic_t sweep_stop_signal = 0;
std::atomic<std::int64_t> sweep_stop_first_ms{0};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");
static_assert(std::atomic<std::int64_t>::is_always_lock_free, "set from a signal handler");
// A second signal at least this long after the first is a second request.
constexpr std::int64_t kSecondSignalAfterMs = 200;

extern "C" void stop_sweep_on_signal(int signal_number) {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);  // async-signal-safe
    const std::int64_t now_ms = static_cast<std::int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
    if (!sweep_stop_requested.exchange(true)) {
        sweep_stop_signal = signal_number;
        sweep_stop_first_ms.store(now_ms);
        return;
    }
    if (now_ms - sweep_stop_first_ms.load() < kSecondSignalAfterMs) return;
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
}

// Catches SIGINT and SIGTERM for the life of a sweep, and puts the previous
// actions back after it. A signal the process was started ignoring (a job
// run with nohup, or in the background of a shell without job control) stays
// ignored.
class SweepSignals {
  public:
    SweepSignals() {
        sweep_stop_requested.store(false);
        sweep_stop_signal = 0;
        for (std::size_t i = 0; i < kSignals.size(); ++i) {
            struct sigaction action {};
            action.sa_handler = stop_sweep_on_signal;
            sigemptyset(&action.sa_mask);
            action.sa_flags = SA_RESTART;
            installed_[i] = ::sigaction(kSignals[i], nullptr, &previous_[i]) == 0 &&
                            previous_[i].sa_handler != SIG_IGN && ::sigaction(kSignals[i], &action, nullptr) == 0;
        }
    }
    ~SweepSignals() {
        for (std::size_t i = 0; i < kSignals.size(); ++i) {
            if (installed_[i]) ::sigaction(kSignals[i], &previous_[i], nullptr);
        }
    }
    SweepSignals(const SweepSignals&) = delete;
    SweepSignals& operator=(const SweepSignals&) = delete;

  private:
    static constexpr std::array<int, 2> kSignals{SIGINT, SIGTERM};
    std::array<struct sigaction, 2> previous_{};
    std::array<bool, 2> installed_{};
};

// "SIGINT" or "SIGTERM": the signal that interrupted the sweep.
std::string sweep_stop_signal_name() {
    return sweep_stop_signal == SIGTERM ? "SIGTERM" : "SIGINT";
}

// A sweep's progress: a bar on a terminal, else one line every few seconds
// (CI logs read it too). Seeds take about the same time, so the rate so far
// predicts the rest.
void show_sweep_progress(const runner::SweepProgress& progress, ProgressBar& bar) {
    const double fraction =
        progress.total > 0 ? static_cast<double>(progress.runs) / static_cast<double>(progress.total) : 0;
    const std::string eta = eta_text(fraction, progress.wall_seconds);
    if (bar.shown()) {
        bar.update(fraction, fmt::format("{} of {} seeds, {} failed, {} operations{}", progress.runs, progress.total,
                                         progress.failures, progress.operations, eta.empty() ? "" : ", " + eta));
        return;
    }
    std::fprintf(stdout, "progress     %llu of %llu seeds, %zu failed, %s%s\n",
                 static_cast<unsigned long long>(progress.runs), static_cast<unsigned long long>(progress.total),
                 progress.failures, format_duration(static_cast<Nanos>(progress.wall_seconds * 1e9)).c_str(),
                 eta.empty() ? "" : (", " + eta).c_str());
    std::fflush(stdout);
}

// A single run's progress on a terminal: simulated time against the run's
// length, and the operations so far.
void show_run_progress(const runner::RunProgress& progress, ProgressBar& bar, double wall_seconds) {
    const double fraction =
        progress.end > 0 ? static_cast<double>(progress.simulated) / static_cast<double>(progress.end) : 0;
    const std::string eta = eta_text(fraction, wall_seconds);
    bar.update(fraction,
               fmt::format("{} of {} simulated, {} operations: {} ok, {} fail, {} info{}",
                           format_duration(progress.simulated), format_duration(progress.end), progress.ops.invoked,
                           progress.ops.ok, progress.ops.fail, progress.ops.info, eta.empty() ? "" : ", " + eta));
}

// Writes the page of a stored run or sweep, saying where; a page that cannot
// be written is reported but leaves the verdict (and exit code) alone.
void write_report_of(const std::string& dir, const char* label) {
    if (auto written = report::write_report(dir)) {
        std::fprintf(stdout, "%s%s\n", label, written->c_str());
    } else {
        print_error("could not write the report: " + written.error().message);
    }
}

// What a sweep's failing runs came to: how many were stored (and whether one
// could not be), and each failure, for sweep.json.
struct FailureReport {
    int stored = 0;
    bool store_failed = false;
    Json failures = Json::array();
    ProgressBar* bar = nullptr;  // cleared before a failure is printed
};

// A failing seed as the sweep finds it: its failing checks and a repro
// command, printed; the run stored with its trace, up to the cap.
void report_failed_run(const runner::RunResult& failed, const TestOptions& options, FailureReport& report) {
    if (report.bar != nullptr) report.bar->clear();
    std::string failing;
    Json checks = Json::array();
    for (const runner::CheckOutcome& check : failed.checks) {
        if (check.verdict != runner::Verdict::valid) {
            failing += fmt::format("\n    {}: {}", check.name, check.summary.substr(0, check.summary.find('\n')));
            checks.push_back(check.name);
        }
    }
    std::fprintf(stdout, "seed %llu: %s%s\n    repro: %s\n", static_cast<unsigned long long>(failed.config.seed),
                 runner::verdict_text(failed.verdict, colour_stdout()).c_str(), failing.c_str(),
                 failed.config.command_line().c_str());
    Json failure{{"seed", failed.config.seed},
                 {"verdict", runner::verdict_name(failed.verdict)},
                 {"checks", checks},
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
            write_report_of(kept->dir, "    report: ");
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

// Which part of the range a sweep ran: all of it, or one shard's slice
// (none when the range has fewer seeds than shards).
struct SweepSlice {
    std::pair<std::uint64_t, std::uint64_t> range;  // the whole --seeds
    std::optional<runner::Shard> shard;
    std::optional<std::pair<std::uint64_t, std::uint64_t>> seeds;  // what this sweep runs
};

// The sweep in one file beside the runs (every seed's verdict and fault
// intensity, every failing seed, stored or not), and its page. A shard's file
// also names its slice, the build and the configuration's hash, which
// `faultline merge` checks before it adds shards up.
void write_sweep_summary(const runner::RunConfig& config, const TestOptions& options, const SweepSlice& slice,
                         const runner::SweepResult& result, const Json& failures, const std::string& stopped_because) {
    const auto& range = slice.range;
    auto dir = runner::create_run_directory(options.store, "sweeps", slice.seeds ? slice.seeds->first : range.first);
    // The sweep's own command: its options, and the range instead of a seed.
    std::string command = config.command_line();
    if (const auto at = command.rfind(" --seed "); at != std::string::npos) command.erase(at);
    command += fmt::format(" --seeds {}..{}", range.first, range.second);
    if (slice.shard) command += fmt::format(" --shard {}/{}", slice.shard->index, slice.shard->count);
    Json seeds = Json::array();
    for (const runner::SweepSeed& seed : result.seeds) {
        seeds.push_back(Json{{"seed", seed.seed},
                             {"verdict", runner::verdict_name(seed.verdict)},
                             {"faults", seed.faults},
                             {"fault_load", seed.fault_load}});
    }
    Json summary{{"command", command},
                 {"system", config.system},
                 {"seeds", slice.seeds ? fmt::format("{}..{}", slice.seeds->first, slice.seeds->second) : "none"},
                 {"runs", result.runs},
                 {"valid", result.valid},
                 {"wall_seconds", result.wall_seconds},
                 {"faultline_version", runner::build_version()},
                 {"config_hash", runner::config_hash(config)},
                 {"failures", failures},
                 {"seeds_run", seeds}};
    if (result.interrupted) {
        summary["interrupted"] = true;
        summary["stopped_because"] = stopped_because;
    }
    if (slice.shard) {
        summary["shard"] = Json{{"index", slice.shard->index},
                                {"count", slice.shard->count},
                                {"range", fmt::format("{}..{}", range.first, range.second)}};
    }
    if (dir && runner::write_text_file(*dir + "/sweep.json", summary.dump(1) + "\n")) {
        // "failures" when it lists some: scripts read the failing seeds there.
        std::fprintf(stdout, "%s%s/sweep.json\n", failures.empty() ? "sweep file   " : "failures     ", dir->c_str());
        write_report_of(*dir, "report       ");
    } else {
        print_error("could not write the sweep's summary under " + options.store);
    }
}

// A sweep exits as its worst seed: a run that could not run, then an
// invalid one, then unknown ones only. An interrupted sweep with none of
// these exits 4 (as an interrupted real run does): not every seed ran, so it
// is not valid; a failure it did find stays a definite finding.
int sweep_exit_code(const runner::SweepResult& result) {
    bool unknown_only = true;
    for (const runner::SweepOutcome& outcome : result.failures) {
        if (!outcome.error.empty()) return exit_runtime;
        if (outcome.verdict == runner::Verdict::invalid) unknown_only = false;
    }
    if (result.failures.empty()) return result.interrupted ? exit_runtime : exit_valid;
    return unknown_only ? exit_unknown : exit_invalid;
}

// Why an interrupted sweep stopped, and precisely which seeds it ran (the
// seeds handed out before the signal: in order, so one range, unless a seed
// could not run at all and is listed among the failures instead).
std::string interrupted_because(const runner::SweepResult& result, std::uint64_t requested) {
    std::vector<std::uint64_t> ran;
    for (const runner::SweepSeed& seed : result.seeds) ran.push_back(seed.seed);
    for (const runner::SweepOutcome& outcome : result.failures) {
        if (!outcome.error.empty()) ran.push_back(outcome.seed);
    }
    const std::string seeds = ran.empty() ? "none" : runner::format_seed_runs(runner::seed_runs(ran));
    return fmt::format(
        "interrupted by {} after {} of {} seeds: seeds run {}; the others did not run and are not counted",
        sweep_stop_signal_name(), result.runs, requested, seeds);
}

int run_sweep(const runner::RunConfig& config, const TestOptions& options) {
    auto range = runner::parse_seed_range(options.seeds);
    if (!range) {
        print_error("--seeds: " + range.error().message);
        return exit_usage;
    }
    SweepSlice slice{*range, std::nullopt, *range};
    if (!options.shard.empty()) {
        auto shard = runner::parse_shard(options.shard);
        if (!shard) {
            print_error("--shard: " + shard.error().message);
            return exit_usage;
        }
        slice.shard = *shard;
        slice.seeds = runner::shard_range(range->first, range->second, *shard);
    }
    if (slice.seeds) {
        std::fprintf(stdout, "faultline test: %s, seeds %llu..%llu on %d jobs", config.system.c_str(),
                     static_cast<unsigned long long>(slice.seeds->first),
                     static_cast<unsigned long long>(slice.seeds->second), options.jobs);
    } else {
        std::fprintf(stdout, "faultline test: %s, no seed (more shards than seeds)", config.system.c_str());
    }
    if (slice.shard) {
        std::fprintf(stdout, ", shard %llu of %llu (counted from 0) of %llu..%llu",
                     static_cast<unsigned long long>(slice.shard->index),
                     static_cast<unsigned long long>(slice.shard->count), static_cast<unsigned long long>(range->first),
                     static_cast<unsigned long long>(range->second));
    }
    std::fprintf(stdout, "\n");
    std::fflush(stdout);
    ProgressBar bar;
    FailureReport report;
    report.bar = &bar;
    std::optional<SweepSignals> signals;
    signals.emplace();
    const runner::SweepResult result = runner::sweep(
        config,
        runner::SweepOptions{
            // An empty slice is an empty range: first after last.
            .first_seed = slice.seeds ? slice.seeds->first : 1,
            .last_seed = slice.seeds ? slice.seeds->second : 0,
            .jobs = options.jobs,
            // Shards share nothing, so one cannot stop the others at a
            // failure, and a merge must cover the range: a shard keeps going.
            .keep_going = options.keep_going || slice.shard.has_value(),
            .progress = [&bar](const runner::SweepProgress& progress) { show_sweep_progress(progress, bar); },
            .progress_seconds = bar.shown() ? 0.2 : 5,
            .stop_requested = &sweep_stop_requested},
        [&](const runner::RunResult& failed) { report_failed_run(failed, options, report); });
    // From here on a signal ends the process as it always did.
    signals.reset();
    bar.clear();
    for (const runner::SweepOutcome& outcome : result.failures) {
        if (!outcome.error.empty()) {
            std::fprintf(stdout, "seed %llu: error: %s\n", static_cast<unsigned long long>(outcome.seed),
                         outcome.error.c_str());
            // Listed with the failures, so that the seed counts as run (a
            // merge would otherwise take it for one that no shard ran).
            runner::RunConfig seeded = config;
            seeded.seed = outcome.seed;
            report.failures.push_back(Json{{"seed", outcome.seed},
                                           {"verdict", runner::verdict_name(outcome.verdict)},
                                           {"error", outcome.error},
                                           {"checks", Json::array()},
                                           {"repro", seeded.command_line()}});
        }
    }
    const bool colour = colour_stdout();
    const std::string valid = std::to_string(result.valid) + " valid";
    const std::string failed = std::to_string(result.failures.size()) + " failed";
    const std::uint64_t requested = !slice.seeds ? 0
                                    : slice.seeds->second - slice.seeds->first == UINT64_MAX
                                        ? UINT64_MAX
                                        : slice.seeds->second - slice.seeds->first + 1;
    const std::string runs = result.interrupted ? fmt::format("interrupted ({}) after {} of {} seeds",
                                                              sweep_stop_signal_name(), result.runs, requested)
                                                : fmt::format("{} runs", result.runs);
    std::fprintf(
        stdout, "sweep        %s: %s, %s; %.1fs wall, %.0f simulated s per wall s\n", runs.c_str(),
        runner::in_verdict_colour(valid, runner::Verdict::valid, colour && result.valid > 0).c_str(),
        runner::in_verdict_colour(failed, runner::Verdict::invalid, colour && !result.failures.empty()).c_str(),
        result.wall_seconds, result.wall_seconds > 0 ? result.simulated_seconds / result.wall_seconds : 0.0);
    if (report.store_failed) print_error("could not store every failing run under " + options.store);
    std::sort(report.failures.begin(), report.failures.end(), [](const Json& a, const Json& b) {
        return a["seed"].get<std::uint64_t>() < b["seed"].get<std::uint64_t>();
    });
    write_sweep_summary(config, options, slice, result, report.failures,
                        result.interrupted ? interrupted_because(result, requested) : "");
    return sweep_exit_code(result);
}

// A shard's part of a coverage-guided search, for `faultline merge`: its
// runs, failing runs, corpus (each entry's seed and schedule) and the
// features it reached.
void write_guided_summary(const runner::RunConfig& config, const TestOptions& options,
                          const std::pair<std::uint64_t, std::uint64_t>& range, const runner::Shard& shard,
                          const runner::ExploreResult& result, const Json& failures) {
    std::string command = config.command_line();
    if (const auto at = command.rfind(" --seed "); at != std::string::npos) command.erase(at);
    command +=
        fmt::format(" --guided --seeds {}..{} --shard {}/{}", range.first, range.second, shard.index, shard.count);
    Json corpus = Json::array();
    for (const runner::CorpusEntry& entry : result.corpus_entries) {
        corpus.push_back(Json{{"seed", entry.seed}, {"schedule", entry.schedule}});
    }
    const Json summary{{"faultline_version", runner::build_version()},
                       {"config_hash", runner::config_hash(config)},
                       {"system", config.system},
                       {"command", command},
                       {"runs", result.runs},
                       {"wall_seconds", result.wall_seconds},
                       {"failures", failures},
                       {"corpus", corpus},
                       {"features", result.reached},
                       {"shard", Json{{"index", shard.index},
                                      {"count", shard.count},
                                      {"range", fmt::format("{}..{}", range.first, range.second)}}}};
    auto dir = runner::create_run_directory(options.store, "guided", range.first);
    if (!dir || !runner::write_text_file(*dir + "/guided.json", summary.dump(1) + "\n")) {
        print_error("could not write the guided search's summary under " + options.store);
        return;
    }
    std::fprintf(stdout, "guided file  %s/guided.json\n", dir->c_str());
}

// A coverage-guided sweep: as many runs as --seeds has seeds, from its first.
// A failing run's schedule is the explorer's, not the seed's: its repro
// replays the stored run.
int run_guided(const runner::RunConfig& config, const TestOptions& options) {
    auto range = runner::parse_seed_range(options.seeds);
    if (!range) {
        print_error("--seeds: " + range.error().message);
        return exit_usage;
    }
    // A shard spends its slice of the budget from its slice's first seed,
    // exchanging nothing with the other shards.
    std::optional<runner::Shard> shard;
    std::optional<std::pair<std::uint64_t, std::uint64_t>> slice = *range;
    if (!options.shard.empty()) {
        auto parsed = runner::parse_shard(options.shard);
        if (!parsed) {
            print_error("--shard: " + parsed.error().message);
            return exit_usage;
        }
        shard = *parsed;
        slice = runner::shard_range(range->first, range->second, *shard);
    }
    const std::uint64_t runs = !slice                                       ? 0
                               : slice->second - slice->first == UINT64_MAX ? UINT64_MAX
                                                                            : slice->second - slice->first + 1;
    const std::uint64_t first = slice ? slice->first : range->first;
    std::fprintf(stdout, "faultline test: %s, guided by coverage, %llu runs from seed %llu on %d jobs",
                 config.system.c_str(), static_cast<unsigned long long>(runs), static_cast<unsigned long long>(first),
                 options.jobs);
    if (shard) {
        std::fprintf(stdout, ", shard %llu of %llu (counted from 0) of %llu..%llu",
                     static_cast<unsigned long long>(shard->index), static_cast<unsigned long long>(shard->count),
                     static_cast<unsigned long long>(range->first), static_cast<unsigned long long>(range->second));
    }
    std::fprintf(stdout, "\n");
    std::fflush(stdout);
    Json failures = Json::array();
    int stored = 0;
    bool store_failed = false;
    auto last_progress = std::chrono::steady_clock::now();
    const runner::ExploreResult result = runner::explore(
        config,
        runner::ExploreOptions{
            .runs = runs,
            .seed = first,
            .jobs = options.jobs,
            .keep_going = options.keep_going,
            .progress =
                [&](std::uint64_t done, std::size_t corpus, std::size_t features, std::size_t failures) {
                    const auto now = std::chrono::steady_clock::now();
                    if (now - last_progress < std::chrono::seconds(5)) return;
                    last_progress = now;
                    std::fprintf(stdout,
                                 "progress     %llu of %llu runs, corpus %zu, %zu features, %zu "
                                 "failed\n",
                                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(runs), corpus,
                                 features, failures);
                    std::fflush(stdout);
                }},
        [&](const runner::RunResult& failed) {
            runner::RunConfig failing = failed.config;
            failing.schedule = failed.schedule.to_json();
            std::fprintf(stdout, "run with seed %llu: %s\n", static_cast<unsigned long long>(failing.seed),
                         runner::verdict_name(failed.verdict));
            Json failure{{"seed", failing.seed}, {"verdict", runner::verdict_name(failed.verdict)}};
            Json checks = Json::array();
            for (const runner::CheckOutcome& check : failed.checks) {
                if (check.verdict != runner::Verdict::valid) {
                    std::fprintf(stdout, "    %s: %s\n", check.name.c_str(),
                                 check.summary.substr(0, check.summary.find('\n')).c_str());
                    checks.push_back(check.name);
                }
            }
            failure["checks"] = checks;
            failures.push_back(failure);
            if (stored >= options.stored_failures_max) return;
            if (auto kept = runner::run_and_store(options.store, failing)) {
                ++stored;
                std::fprintf(stdout, "    repro: faultline replay %s\n", kept->dir.c_str());
                failures.back()["stored"] = kept->dir;
            } else {
                store_failed = true;
            }
            std::fflush(stdout);
        });
    std::fprintf(stdout, "guided       %llu runs: %zu failed; corpus %zu, %zu features; %.1fs wall\n",
                 static_cast<unsigned long long>(result.runs), result.failures.size(), result.corpus, result.features,
                 result.wall_seconds);
    if (store_failed) print_error("could not store every failing run under " + options.store);
    for (const runner::ExploreFailure& failure : result.failures) {
        if (failure.error.empty()) continue;
        failures.push_back(Json{{"seed", failure.config.seed}, {"verdict", "unknown"}, {"error", failure.error}});
    }
    if (shard) write_guided_summary(config, options, *range, *shard, result, failures);
    bool unknown_only = true;
    for (const runner::ExploreFailure& failure : result.failures) {
        if (!failure.error.empty()) {
            std::fprintf(stdout, "error: %s\n", failure.error.c_str());
            return exit_runtime;
        }
        if (failure.verdict == runner::Verdict::invalid) unknown_only = false;
    }
    if (result.failures.empty()) return exit_valid;
    return unknown_only ? exit_unknown : exit_invalid;
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
    if (!options.shard.empty() && options.seeds.empty()) {
        print_error("--shard needs --seeds A..B: the whole range, of which this shard runs its slice");
        return exit_usage;
    }
    if (options.guided && options.seeds.empty()) {
        print_error("--guided needs --seeds A..B: the first seed and how many runs to try");
        return exit_usage;
    }
    if (options.guided) return run_guided(config, options);
    if (!options.seeds.empty()) return run_sweep(config, options);

    std::fprintf(stdout, "faultline test: %s, seed %llu\n", config.system.c_str(),
                 static_cast<unsigned long long>(config.seed));
    std::fflush(stdout);
    ProgressBar bar;
    const auto wall_start = std::chrono::steady_clock::now();
    runner::StoreOptions store_options{.trace = options.trace, .trace_format = options.trace_format};
    if (bar.shown()) {
        store_options.progress = [&bar, wall_start](const runner::RunProgress& progress) {
            show_run_progress(progress, bar,
                              std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count());
        };
    }
    auto stored = runner::run_and_store(options.store, config, store_options);
    bar.clear();
    if (!stored) {
        print_error(stored.error().message);
        return exit_runtime;
    }
    const runner::RunResult& result = stored->result;
    std::fputs(runner::format_summary(result, colour_stdout()).c_str(), stdout);
    std::fprintf(stdout, "store        %s\n", stored->dir.c_str());
    write_report_of(stored->dir, "report       ");
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
        // Wrapped like the list of systems: raft-kv has dozens.
        std::string bugs, line;
        for (const std::string& bug : description->bugs) {
            if (!line.empty() && line.size() + bug.size() > 90) {
                bugs += "\n  " + line + ",";
                line.clear();
            }
            line += (line.empty() ? "" : ", ") + bug;
        }
        bugs += "\n  " + line;
        test->add_option("--bug", config.bug, "Run a deliberately broken " + system + ":" + bugs);
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
    test->add_option(
        "--seeds", options->seeds,
        "Sweep a range of seeds, e.g. 1..2000: prints each failing seed with a repro command (Ctrl-C stops "
        "it and keeps what the seeds run so far found)");
    test->add_option("--jobs", options->jobs, "Seeds run in parallel during a sweep")->transform(whole_number(1, 256));
    test->add_flag("--keep-going", options->keep_going, "Do not stop a sweep at the first failing seed");
    test->add_option("--shard", options->shard,
                     "Run only the I-th of N balanced slices of --seeds (I/N, counted from 0: 0/4 .. 3/4), for a "
                     "sweep spread over machines; a shard keeps going past failures, and `faultline merge` adds the "
                     "shards' stores up (docs/scale-out.md)");
    test->add_flag("--guided", options->guided,
                   "A coverage-guided sweep: --seeds A..B runs B-A+1 runs from seed A, mutating the fault schedules "
                   "of runs that reached new behaviour");
    test->add_option("--stored-failures-max", options->stored_failures_max,
                     "A sweep stores at most this many failing runs (with traces); the rest are listed in "
                     "store/sweeps/.../sweep.json with their repro commands")
        ->transform(whole_number(0, 100000))
        ->capture_default_str();
    return [options] { return run_test(*options); };
}

}  // namespace faultline::cli
