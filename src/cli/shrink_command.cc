// `faultline shrink DIR`: cut a failing run down to a minimal run that still fails.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "cli/options_cli.h"
#include "harness/shrink.h"
#include "runner/run.h"
#include "runner/scenario.h"
#include "runner/shrink.h"
#include "runner/store.h"
#include "runner/summary.h"

namespace faultline::cli {

namespace {

struct ShrinkArguments {
    std::string run_dir;
    std::string store = "store";
    int runs_max = runner::ShrinkOptions{}.runs_max;
};

// What shrinking came to: the faults and operations left, each fault, and
// the shrunk run's summary.
void print_shrunk(const runner::ShrinkResult& shrunk) {
    std::fprintf(stdout,
                 "shrunk       %zu faults and %lld operations to %zu faults and %lld operations in %d runs "
                 "(%.1fs)%s\n",
                 shrunk.faults_before, static_cast<long long>(shrunk.operations_before), shrunk.faults_after,
                 static_cast<long long>(shrunk.operations_after), shrunk.runs, shrunk.wall_seconds,
                 shrunk.budget_exhausted ? ", budget exhausted" : "");
    for (const auto& fault : shrunk.result.schedule.faults)
        std::fprintf(stdout, "  fault      %s\n", fault.describe().c_str());
    if (shrunk.result.fault_point_hits() > 0) {
        std::fprintf(stdout, "  fault      fault points acted %d times (each in the trace: faultline trace)\n",
                     shrunk.result.fault_point_hits());
    }
    const runner::RunConfig& config = shrunk.config;
    std::fprintf(stdout, "  run        %d nodes, %d clients at %g ops/s from %s, %s long, latency %s\n", config.nodes,
                 config.clients, config.rate, format_duration(config.workload_start).c_str(),
                 format_duration(config.time_limit).c_str(), config.latency.c_str());
    std::fputs(runner::format_summary(shrunk.result).c_str(), stdout);
}

// The shrunk run, stored as a run of its own (with its trace) that becomes
// store/latest, and written as a scenario file both there and beside the
// original run.
int save_shrunk(const ShrinkArguments& arguments, const runner::ShrinkResult& shrunk, const std::string& failing_text) {
    runner::Scenario scenario;
    scenario.name = fmt::format("shrunk/{}-seed{}", shrunk.config.system, shrunk.config.seed);
    scenario.description =
        fmt::format("Shrunk from {} by faultline shrink: still fails {}.", arguments.run_dir, failing_text);
    scenario.config = shrunk.config;
    scenario.seeds = {shrunk.config.seed};
    scenario.expect.verdict = runner::Verdict::invalid;
    scenario.expect.failing = shrunk.failing;
    const std::string file_name = fmt::format("shrunk-seed{}.toml", shrunk.config.seed);
    const std::string toml = runner::scenario_to_toml(scenario);
    const std::string beside_original = (std::filesystem::weakly_canonical(arguments.run_dir) / file_name).string();
    if (auto status = runner::write_text_file(beside_original, toml); !status) {
        print_error(status.error().message);
        return exit_runtime;
    }
    auto stored = runner::run_and_store(arguments.store, shrunk.config);
    if (!stored) {
        print_error(stored.error().message);
        return exit_runtime;
    }
    const std::string scenario_path = (std::filesystem::path(stored->dir) / file_name).string();
    if (auto status = runner::write_text_file(scenario_path, toml); !status) {
        print_error(status.error().message);
        return exit_runtime;
    }
    std::fprintf(stdout, "scenario     %s\n", scenario_path.c_str());
    std::fprintf(stdout, "store        %s (now %s/latest)\n", stored->dir.c_str(), arguments.store.c_str());
    std::fprintf(stdout, "next         faultline scenario run %s/latest/%s\n", arguments.store.c_str(),
                 file_name.c_str());
    return exit_invalid;
}

// The command line that runs `config` again (its schedule from a file).
std::string harness_repro(const harness::HarnessConfig& config) {
    std::string line =
        fmt::format("faultline test -w {} --bin {} --seed {}", config.workload, config.bin.front(), config.seed);
    const Json defaults = harness::harness_options().defaults();
    const Json values = harness::harness_options().to_json(config);
    for (const runner::OptionInfo& info : harness::harness_options().options()) {
        const std::string key = info.json_key();
        if (key == "workload" || values[key] == defaults[key]) continue;
        const Json& value = values[key];
        if (info.kind == runner::OptionKind::flag) {
            line += " " + info.flag();
            continue;
        }
        std::string text = value.is_string() ? value.get<std::string>() : value.dump();
        if (info.kind == runner::OptionKind::duration)
            text = fmt::format("{}ms", value.get<std::int64_t>() / 1'000'000);
        line += fmt::format(" --{} {}", info.aliases.empty() ? info.flag().substr(2) : info.aliases.front().substr(2),
                            text);
    }
    if (config.bin.size() > 1) {
        line += " --";
        for (std::size_t i = 1; i < config.bin.size(); ++i) line += " " + config.bin[i];
    }
    return line;
}

// A failing harness run: shrink it by running the user's program again.
int run_harness_shrink(const ShrinkArguments& arguments, const harness::HarnessConfig& config) {
    std::ifstream in(arguments.run_dir + "/results.json");
    const Json results = Json::parse(in, nullptr, false);
    std::vector<std::string> failing;
    for (const auto& [name, check] : results["checks"].items()) {
        if (check.value("valid", "") == "invalid") failing.push_back(name);
    }
    if (failing.empty()) {
        print_error(fmt::format("{}: the run did not fail, nothing to shrink", arguments.run_dir));
        return exit_usage;
    }
    std::fprintf(stdout, "faultline shrink: %s on %s, seed %llu; failing %s\n", config.workload.c_str(),
                 config.bin.front().c_str(), static_cast<unsigned long long>(config.seed),
                 fmt::format("{}", fmt::join(failing, ", ")).c_str());
    std::fflush(stdout);
    std::string scratch = (std::filesystem::temp_directory_path() / "faultline-shrink-XXXXXX").string();
    if (mkdtemp(scratch.data()) == nullptr) {
        print_error("cannot create a folder under " + std::filesystem::temp_directory_path().string());
        return exit_runtime;
    }
    auto shrunk = harness::shrink_harness(
        config, failing,
        harness::HarnessShrinkOptions{
            .runs_max = std::min(arguments.runs_max, 200), .scratch = scratch, .progress = [](const std::string& line) {
                std::fprintf(stdout, "  %s\n", line.c_str());
                std::fflush(stdout);
            }});
    if (!shrunk) {
        print_error(shrunk.error().message);
        return exit_runtime;
    }
    auto folder = runner::create_run_directory(arguments.store, config.workload, config.seed);
    if (!folder) {
        print_error(folder.error().message);
        return exit_runtime;
    }
    harness::HarnessConfig final_config = shrunk->config;
    std::filesystem::copy_file(final_config.schedule_file, *folder + "/shrunk-schedule.json",
                               std::filesystem::copy_options::overwrite_existing);
    final_config.schedule_file = *folder + "/shrunk-schedule.json";
    std::error_code ignored;
    std::filesystem::remove_all(scratch, ignored);
    auto rerun = harness::run_harness(final_config, *folder);
    if (!rerun) {
        print_error(rerun.error().message);
        return exit_runtime;
    }
    (void)runner::update_latest(arguments.store, *folder);
    std::fprintf(
        stdout, "shrunk       %zu faults to %zu, %lld s to %lld s, %zu nodes, rate %g, in %d runs%s\n",
        shrunk->faults_before, shrunk->schedule.faults.size(), static_cast<long long>(config.time_limit / seconds(1)),
        static_cast<long long>(final_config.time_limit / seconds(1)), harness::server_names(final_config).size(),
        final_config.rate, shrunk->runs, shrunk->budget_exhausted ? ", budget exhausted" : "");
    for (const auto& fault : shrunk->schedule.faults)
        std::fprintf(stdout, "  fault      %s\n", fault.describe().c_str());
    std::fprintf(stdout, "verdict      %s (the shrunk run, once more)\n", check::verdict_name(rerun->verdict));
    std::fprintf(stdout, "store        %s (now %s/latest)\n", folder->c_str(), arguments.store.c_str());
    std::fprintf(stdout, "repro        %s\n", harness_repro(final_config).c_str());
    return exit_invalid;
}

int run_shrink(const ShrinkArguments& arguments) {
    if (!std::filesystem::exists(arguments.run_dir + "/config.json")) {
        if (auto harness_config = harness::read_harness_run(arguments.run_dir)) {
            return run_harness_shrink(arguments, *harness_config);
        }
    }
    auto config = runner::read_config(arguments.run_dir);
    if (!config) {
        print_error(config.error().message);
        return exit_usage;
    }
    std::fprintf(stdout, "faultline shrink: %s, seed %llu\n", config->system.c_str(),
                 static_cast<unsigned long long>(config->seed));
    auto original = runner::run(*config, runner::RunOptions{.keep_node_logs = false});
    if (!original) {
        print_error(original.error().message);
        return exit_runtime;
    }
    const auto failing = runner::failing_checks(*original);
    if (failing.empty()) {
        print_error(fmt::format("{}: the run is {}: nothing fails, nothing to shrink", arguments.run_dir,
                                runner::verdict_name(original->verdict)));
        return exit_usage;
    }
    std::string failing_text;
    for (const auto& check : failing) failing_text += (failing_text.empty() ? "" : ", ") + check;
    std::fprintf(stdout, "failing      %s; %zu faults, %lld operations\n", failing_text.c_str(),
                 runner::faults_counted(*original), static_cast<long long>(original->ops.invoked));
    std::fflush(stdout);
    auto shrunk =
        runner::shrink(*config, *original,
                       runner::ShrinkOptions{.runs_max = arguments.runs_max, .progress = [](const std::string& line) {
                                                 std::fprintf(stdout, "%s\n", line.c_str());
                                                 std::fflush(stdout);
                                             }});
    if (!shrunk) {
        print_error(shrunk.error().message);
        return exit_runtime;
    }
    print_shrunk(*shrunk);
    return save_shrunk(arguments, *shrunk, failing_text);
}

}  // namespace

CommandAction add_shrink_command(CLI::App& app) {
    auto arguments = std::make_shared<ShrinkArguments>();
    CLI::App* shrink = app.add_subcommand("shrink", "Cut a failing run down to a minimal run that still fails");
    shrink->add_option("DIR", arguments->run_dir, "A failing run directory, e.g. store/latest")->required();
    shrink->add_option("--store", arguments->store, "Where to store the shrunk run")->capture_default_str();
    // Runs, not seconds: a wall-clock budget would make the shrunk run depend
    // on the machine's load.
    shrink->add_option("--runs", arguments->runs_max, "Most candidate runs to try")
        ->transform(whole_number(1, 100000))
        ->capture_default_str();
    // Exit code: 1 when the shrunk run still fails (it always should), 3+ on errors.
    return [arguments] { return run_shrink(*arguments); };
}

}  // namespace faultline::cli
