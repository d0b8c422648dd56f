// `faultline scenario list | run NAME... | run --all`: the scenario catalog.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "base/hash.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/terminal.h"
#include "report/report.h"
#include "runner/run.h"
#include "runner/scenario.h"
#include "runner/shard.h"
#include "runner/store.h"
#include "runner/summary.h"

namespace faultline::cli {

namespace {

struct ScenarioArguments {
    std::string directory;
    std::vector<std::string> names;
    bool all = false;
    bool verbose = false;
    bool keep = false;
    std::string store = "store";
    std::string shard;  // "I/N": only the I-th of N slices of the chosen scenarios (runner/shard.h)
};

std::string default_directory() {
    // Run from the repository, or from anywhere with the built-in catalog.
    if (std::filesystem::is_directory("scenarios")) return "scenarios";
    return FAULTLINE_SCENARIO_DIR;
}

int list_scenarios(const ScenarioArguments& arguments) {
    auto scenarios = runner::load_scenarios(arguments.directory.empty() ? default_directory() : arguments.directory);
    if (!scenarios) {
        print_error(scenarios.error().message);
        return exit_usage;
    }
    std::size_t width = 0;
    for (const auto& scenario : *scenarios) width = std::max(width, scenario.name.size());
    // Descriptions start after the name and verdict columns; on a terminal they
    // wrap there, so a long one does not run under the names.
    const std::size_t indent = width + 2 + 7 + 2;
    const std::optional<std::size_t> columns = terminal_columns();
    for (const auto& scenario : *scenarios) {
        const std::string description = columns && *columns > indent + 20
                                            ? wrap_text(scenario.description, *columns, indent)
                                            : scenario.description;
        std::fprintf(stdout, "%-*s  %-7s  %s\n", static_cast<int>(width), scenario.name.c_str(),
                     runner::verdict_name(scenario.expect.verdict), description.c_str());
    }
    return exit_valid;
}

// A name that is a .toml file is that file (a scenario `faultline shrink`
// wrote, say), loaded here; the others name scenarios of the catalog
// directory and are left in `catalog_names`.
Result<std::vector<runner::Scenario>> load_scenario_files(const std::vector<std::string>& names,
                                                          std::vector<std::string>& catalog_names) {
    std::vector<runner::Scenario> files;
    for (const std::string& name : names) {
        if (name.ends_with(".toml") && std::filesystem::is_regular_file(name)) {
            auto scenario = runner::load_scenario(name);
            if (!scenario) return scenario.error();
            files.push_back(std::move(*scenario));
        } else {
            catalog_names.push_back(name);
        }
    }
    return files;
}

// The scenarios to run: the files, then the catalog's scenarios that `names`
// pick (a name, or a prefix ending in '/' for a whole group: "fates/"), or
// all of them.
std::vector<const runner::Scenario*> choose_scenarios(const std::vector<runner::Scenario>& files,
                                                      const std::vector<runner::Scenario>& catalog,
                                                      const std::vector<std::string>& names, bool all) {
    std::vector<const runner::Scenario*> chosen;
    for (const auto& scenario : files) chosen.push_back(&scenario);
    for (const auto& scenario : catalog) {
        bool wanted = all;
        for (const auto& name : names) {
            if (scenario.name == name || (name.back() == '/' && scenario.name.rfind(name, 0) == 0)) wanted = true;
        }
        if (wanted) chosen.push_back(&scenario);
    }
    return chosen;
}

// A scenario's first seed, as its group's page shows it.
struct FirstRun {
    const runner::Scenario* scenario = nullptr;
    runner::Verdict verdict = runner::Verdict::valid;
    bool as_expected = false;      // the first seed's
    bool all_as_expected = false;  // every seed's
    std::string dir;               // where it is stored ("" if it was not)
};

// A hash of the scenarios a batch chose, as their files say them: shards of
// one batch ran the same scenarios, whichever of them each ran.
std::string scenarios_hash(const std::vector<const runner::Scenario*>& chosen) {
    std::string text;
    for (const runner::Scenario* scenario : chosen) text += scenario->name + "\n" + runner::scenario_to_toml(*scenario);
    return fmt::format("{:016x}", hash_string(text));
}

// A shard's summary of its part of a batch, for `faultline merge`: every
// scenario of the batch by name, and how each one it ran behaved.
void write_batch_summary(const ScenarioArguments& arguments, const runner::Shard& shard,
                         const std::vector<const runner::Scenario*>& chosen, const std::vector<FirstRun>& runs) {
    Json all = Json::array();
    for (const runner::Scenario* scenario : chosen) all.push_back(scenario->name);
    Json ran = Json::array();
    for (const FirstRun& run : runs) {
        Json entry{{"name", run.scenario->name},
                   {"as_expected", run.all_as_expected},
                   {"expected", runner::verdict_name(run.scenario->expect.verdict)},
                   {"verdict", runner::verdict_name(run.verdict)}};
        if (!run.dir.empty()) entry["stored"] = run.dir;
        ran.push_back(std::move(entry));
    }
    const Json batch{{"faultline_version", runner::build_version()},
                     {"config_hash", scenarios_hash(chosen)},
                     {"shard", Json{{"index", shard.index}, {"count", shard.count}}},
                     {"all", all},
                     {"ran", ran}};
    auto dir = runner::create_run_directory(arguments.store, "batches", shard.index);
    if (!dir || !runner::write_text_file(*dir + "/batch.json", batch.dump(1) + "\n")) {
        print_error("could not write the batch's summary under " + arguments.store);
        return;
    }
    std::fprintf(stdout, "batch file   %s/batch.json\n", dir->c_str());
}

// Stores a run with its trace and writes its page.
Result<std::string> store_with_report(const std::string& store, const runner::RunConfig& config, bool update_latest) {
    auto stored = runner::run_and_store(store, config, runner::StoreOptions{.update_latest = update_latest});
    if (!stored) return stored.error();
    if (auto written = report::write_run_report(stored->dir); !written) {
        print_error("could not write the report: " + written.error().message);
    }
    return stored->dir;
}

// A model's scenario: one exhaustive exploration, judged like a run, with
// the command that prints its counterexample.
Result<bool> run_model_scenario(const runner::Scenario& scenario, const ScenarioArguments& arguments, FirstRun& first) {
    const runner::ModelDescription* model = runner::find_model(scenario.model);
    FL_ASSERT_MSG(model != nullptr, scenario.model);  // the scenario's loader found it
    auto result = runner::run_model(*model, scenario.model_options);
    if (!result) return make_error(result.error().code, fmt::format("{}: {}", scenario.path, result.error().message));
    const runner::ScenarioOutcome outcome = runner::judge(scenario.expect, result->verdict, result->checks);
    const bool colour = colour_stdout();
    std::fprintf(
        stdout, "%-4s %s (explored exhaustively): %s\n",
        runner::in_verdict_colour(outcome.as_expected ? "ok" : "FAIL",
                                  outcome.as_expected ? runner::Verdict::valid : runner::Verdict::invalid, colour)
            .c_str(),
        scenario.name.c_str(), outcome.explanation.c_str());
    if (arguments.verbose || !outcome.as_expected) std::fputs(result->report.c_str(), stdout);
    if (result->verdict != runner::Verdict::valid) {
        std::fprintf(stdout, "     %s: %s\n", result->verdict == runner::Verdict::invalid ? "counterexample" : "bounds",
                     runner::model_command_line(*model, scenario.model_options).c_str());
    }
    first.scenario = &scenario;
    first.verdict = result->verdict;
    first.as_expected = outcome.as_expected;
    std::fflush(stdout);
    return outcome.as_expected;
}

// Runs every seed of `scenario`, printing a line for each: whether all of
// them behaved as the scenario expects, or the error of a run that could not
// run.
Result<bool> run_scenario(const runner::Scenario& scenario, const ScenarioArguments& arguments, FirstRun& first) {
    if (!scenario.model.empty()) return run_model_scenario(scenario, arguments, first);
    bool scenario_as_expected = true;
    first.scenario = &scenario;
    for (std::uint64_t seed : scenario.seeds) {
        runner::RunConfig config = scenario.config;
        config.seed = seed;
        auto result = runner::run(config, runner::RunOptions{.keep_node_logs = true});
        if (!result) {
            return make_error(result.error().code, fmt::format("{}: {}", scenario.path, result.error().message));
        }
        const runner::ScenarioOutcome outcome = runner::judge(scenario.expect, *result);
        const bool colour = colour_stdout();
        std::fprintf(
            stdout, "%-4s %s seed %llu: %s\n",
            runner::in_verdict_colour(outcome.as_expected ? "ok" : "FAIL",
                                      outcome.as_expected ? runner::Verdict::valid : runner::Verdict::invalid, colour)
                .c_str(),
            scenario.name.c_str(), static_cast<unsigned long long>(seed), outcome.explanation.c_str());
        if (arguments.verbose || !outcome.as_expected) {
            std::fputs(runner::format_summary(*result, colour).c_str(), stdout);
        }
        if (seed == scenario.seeds.front()) {
            first.verdict = result->verdict;
            first.as_expected = outcome.as_expected;
        }
        if (!outcome.as_expected) scenario_as_expected = false;
        // A run that fails (a naive design doing what it teaches), one that
        // surprises, and every run under --keep is stored with its trace
        // (run again: the same seed gives the same run), to be inspected.
        if (arguments.keep || !outcome.as_expected || result->verdict != runner::Verdict::valid) {
            if (auto stored = store_with_report(arguments.store, config, true)) {
                std::fprintf(stdout, "     stored: %s\n", stored->c_str());
                if (seed == scenario.seeds.front()) first.dir = *stored;
            } else {
                print_error(stored.error().message);
            }
        }
        std::fflush(stdout);
    }
    return scenario_as_expected;
}

// The group of a scenario: its name without the last part
// ("fates/request-lost" for "fates/request-lost/naive").
std::string group_of(const std::string& name) {
    const auto slash = name.rfind('/');
    return slash == std::string::npos ? "" : name.substr(0, slash);
}

// Scenarios of one group run together (a naive design and a robust one) get
// a page that shows their first seeds side by side; each run is stored, with
// its trace and page, for it.
void write_group_pages(std::vector<FirstRun>& runs, const ScenarioArguments& arguments) {
    std::map<std::string, std::vector<FirstRun*>> groups;
    for (FirstRun& run : runs) {
        // A model's scenario has no run to store or to draw.
        if (run.scenario->model.empty()) groups[group_of(run.scenario->name)].push_back(&run);
    }
    for (auto& [group, members] : groups) {
        if (group.empty() || members.size() < 2) continue;
        Json entries = Json::array();
        for (FirstRun* member : members) {
            const runner::Scenario& scenario = *member->scenario;
            if (member->dir.empty()) {
                runner::RunConfig config = scenario.config;
                config.seed = scenario.seeds.front();
                auto stored = store_with_report(arguments.store, config, false);
                if (!stored) {
                    print_error(stored.error().message);
                    continue;
                }
                member->dir = *stored;
            }
            entries.push_back(Json{{"name", scenario.name},
                                   {"description", scenario.description},
                                   {"expected", runner::verdict_name(scenario.expect.verdict)},
                                   {"verdict", runner::verdict_name(member->verdict)},
                                   {"as_expected", member->as_expected},
                                   {"seed", scenario.seeds.front()},
                                   {"dir", member->dir}});
        }
        auto dir = runner::create_run_directory(arguments.store, "scenarios", members.front()->scenario->seeds.front());
        const Json page{{"group", group}, {"runs", entries}};
        if (!dir || !runner::write_text_file(*dir + "/scenario.json", page.dump(2) + "\n")) {
            print_error("could not write the page of scenario group " + group);
            continue;
        }
        if (auto written = report::write_scenario_report(*dir)) {
            std::fprintf(stdout, "     %s side by side: %s\n", group.c_str(), written->c_str());
        } else {
            print_error("could not write the page of scenario group " + group + ": " + written.error().message);
        }
    }
}

int run_scenarios(const ScenarioArguments& arguments) {
    std::vector<std::string> names;
    auto files = load_scenario_files(arguments.names, names);
    if (!files) {
        print_error(files.error().message);
        return exit_usage;
    }
    Result<std::vector<runner::Scenario>> scenarios = std::vector<runner::Scenario>{};
    if (!names.empty() || arguments.all) {
        scenarios = runner::load_scenarios(arguments.directory.empty() ? default_directory() : arguments.directory);
        if (!scenarios) {
            print_error(scenarios.error().message);
            return exit_usage;
        }
    }
    const std::vector<const runner::Scenario*> chosen = choose_scenarios(*files, *scenarios, names, arguments.all);
    if (chosen.empty()) {
        print_error(arguments.names.empty() ? "name scenarios to run, or --all (see: faultline scenario list)"
                                            : fmt::format("no scenario named '{}' (see: faultline scenario list)",
                                                          arguments.names.front()));
        return exit_usage;
    }
    // A shard runs its slice of the chosen scenarios, in the same order.
    std::optional<runner::Shard> shard;
    std::vector<const runner::Scenario*> slice = chosen;
    if (!arguments.shard.empty()) {
        auto parsed = runner::parse_shard(arguments.shard);
        if (!parsed) {
            print_error("--shard: " + parsed.error().message);
            return exit_usage;
        }
        shard = *parsed;
        const auto [begin, end] = runner::shard_slice(chosen.size(), *shard);
        slice.assign(chosen.begin() + static_cast<std::ptrdiff_t>(begin),
                     chosen.begin() + static_cast<std::ptrdiff_t>(end));
        std::fprintf(stdout, "shard %llu of %llu (counted from 0): scenarios %zu..%zu of %zu\n",
                     static_cast<unsigned long long>(shard->index), static_cast<unsigned long long>(shard->count),
                     begin + 1, end, chosen.size());
    }
    int unexpected = 0;
    std::vector<FirstRun> first_runs;
    for (const runner::Scenario* scenario : slice) {
        FirstRun first;
        auto as_expected = run_scenario(*scenario, arguments, first);
        if (!as_expected) {
            print_error(as_expected.error().message);
            return exit_runtime;
        }
        if (!*as_expected) ++unexpected;
        first.all_as_expected = *as_expected;
        first_runs.push_back(std::move(first));
    }
    write_group_pages(first_runs, arguments);
    if (shard) write_batch_summary(arguments, *shard, chosen, first_runs);
    std::fprintf(stdout, "%d of %zu scenarios behaved as expected\n", static_cast<int>(slice.size()) - unexpected,
                 slice.size());
    return unexpected == 0 ? exit_valid : exit_invalid;
}

}  // namespace

CommandAction add_scenario_command(CLI::App& app) {
    auto arguments = std::make_shared<ScenarioArguments>();
    CLI::App* scenario = app.add_subcommand("scenario", "List or run the scenario catalog (scenarios/*.toml)");
    scenario->require_subcommand(1);
    scenario->add_option("--dir", arguments->directory, "Directory of scenario files (default: ./scenarios)");
    CLI::App* list = scenario->add_subcommand("list", "List scenarios with the verdict each must give");
    CLI::App* run = scenario->add_subcommand("run", "Run scenarios and check each gives its expected verdict");
    run->add_option("NAME", arguments->names, "Scenario names, groups ending in '/' (fates/), or .toml files");
    run->add_flag("--all", arguments->all, "Run every scenario");
    run->add_flag("--verbose", arguments->verbose, "Print every run's summary");
    run->add_flag("--keep", arguments->keep, "Store every run (runs that fail or surprise are always stored)");
    run->add_option("--store", arguments->store, "Where runs are stored, each with its trace")->capture_default_str();
    run->add_option("--shard", arguments->shard,
                    "Run only the I-th of N balanced slices of the chosen scenarios (I/N, counted from 0), writing "
                    "batches/.../batch.json for `faultline merge` (docs/scale-out.md)");
    return [arguments, list] { return list->parsed() ? list_scenarios(*arguments) : run_scenarios(*arguments); };
}

}  // namespace faultline::cli
