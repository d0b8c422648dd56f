// faultline_search_power: how many seeds each search strategy needs to catch
// each known bug of a system (its --bug variants, the mutant bank), and the
// table BENCHMARKS.md keeps ("Search power").
//
//   faultline_search_power [--system raft-kv] [--bugs a,b,...] [--strategies default,random,...]
//                          [--seeds 500] [--jobs 2]
//
// For every bug and strategy it sweeps seeds 1..N of the default run with that
// bug and strategy (and the setting a bug needs to be reachable, such as lease
// reads for the lease bugs), stopping at the first failing seed (the seeds-to-catch);
// `guided` is the coverage-guided sweep (faultline test --guided), whose runs
// count as seeds. A seed counts only if the correct system passes it.
// Then, per strategy: the share of bugs caught within 20, 100 and 500 seeds (or
// N) and the median seeds-to-catch (a bug not caught counts as more than N).
// Runs are deterministic: the same build prints the same table on any machine.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runner/explore.h"
#include "runner/run.h"
#include "runner/search.h"
#include "runner/store.h"
#include "runner/sweep.h"
#include "runner/system.h"

namespace {

using namespace faultline;

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = text.find(',', start);
        const std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!part.empty()) parts.push_back(part);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return parts;
}

struct Catch {
    std::optional<std::uint64_t> seed;  // the first failing seed
    std::string checks;                 // the checks it failed
};

// Does the correct system (no bug) fail this seed too? Then the seed proves
// nothing about the bug: a false alarm, and a defect of its own.
bool correct_system_fails(runner::RunConfig config, std::uint64_t seed) {
    config.bug.clear();
    config.seed = seed;
    auto result = runner::run(config, runner::RunOptions{.keep_node_logs = false});
    return !result || result->verdict != runner::Verdict::valid;
}

// The default run of `system` with `bug`, and the settings the bug needs to be
// reachable at all (SystemDescription::bug_needs: the lease bugs, lease reads).
runner::RunConfig config_with_bug(const std::string& system, const std::string& bug) {
    runner::RunConfig config;
    config.system = system;
    config.bug = bug;
    runner::apply_bug_needs(config);
    return config;
}

// The coverage-guided sweep (runner/explore.h) over the default plan: its
// runs-to-catch, each run counted as a seed. A failing run is checked against
// the correct system on the same config (schedule included).
Catch runs_to_catch_guided(const std::string& system, const std::string& bug, std::uint64_t runs, int jobs) {
    const runner::RunConfig config = config_with_bug(system, bug);
    Catch found;
    const runner::ExploreResult result =
        runner::explore(config, runner::ExploreOptions{.runs = runs, .seed = 1, .jobs = jobs, .keep_going = false},
                        [](const runner::RunResult&) {});
    for (const runner::ExploreFailure& failure : result.failures) {
        runner::RunConfig correct = failure.config;
        correct.bug.clear();
        auto check = runner::run(correct, runner::RunOptions{.keep_node_logs = false});
        if (!check || check->verdict != runner::Verdict::valid) {
            // Its config, to replay: mkdir D; mv the file to D/config.json; faultline replay D.
            const std::string path = fmt::format("false-alarm-{}-run{}.json", bug, failure.run);
            if (!runner::write_text_file(path, correct.to_json().dump(2) + "\n"))
                std::fprintf(stderr, "cannot write %s\n", path.c_str());
            std::fprintf(stderr, "false alarm: guided run %llu fails without the bug too (config: %s)\n",
                         static_cast<unsigned long long>(failure.run), path.c_str());
            continue;
        }
        found.seed = failure.run;
        found.checks = failure.error.empty() ? std::string(runner::verdict_name(failure.verdict)) : failure.error;
        break;
    }
    return found;
}

Catch seeds_to_catch(const std::string& system, const std::string& bug, const std::string& strategy,
                     std::uint64_t seeds, int jobs) {
    if (strategy == "guided") return runs_to_catch_guided(system, bug, seeds, jobs);
    runner::RunConfig config = config_with_bug(system, bug);
    config.search = strategy;
    Catch found;
    std::uint64_t first = 1;
    while (first <= seeds && !found.seed) {
        runner::SweepOptions options;
        options.first_seed = first;
        options.last_seed = seeds;
        options.jobs = jobs;
        const runner::SweepResult result = runner::sweep(config, options, [](const runner::RunResult&) {});
        if (result.failures.empty()) break;
        const runner::SweepOutcome* earliest = &result.failures.front();
        for (const runner::SweepOutcome& failure : result.failures) {
            if (failure.seed < earliest->seed) earliest = &failure;
        }
        if (correct_system_fails(config, earliest->seed)) {
            std::fprintf(stderr, "false alarm: %s fails seed %llu with --search %s without the bug too\n",
                         system.c_str(), static_cast<unsigned long long>(earliest->seed), strategy.c_str());
            first = earliest->seed + 1;
            continue;
        }
        found.seed = earliest->seed;
        found.checks = earliest->error.empty() ? earliest->failed_checks : "error: " + earliest->error;
    }
    return found;
}

std::string share(const std::vector<Catch>& catches, std::uint64_t within) {
    const auto caught =
        std::count_if(catches.begin(), catches.end(), [&](const Catch& c) { return c.seed && *c.seed <= within; });
    return fmt::format(
        "{}/{} ({:.0f}%)", caught, catches.size(),
        catches.empty() ? 0.0 : 100.0 * static_cast<double>(caught) / static_cast<double>(catches.size()));
}

std::string median(const std::vector<Catch>& catches, std::uint64_t seeds) {
    std::vector<std::uint64_t> values;
    for (const Catch& c : catches) values.push_back(c.seed ? *c.seed : seeds + 1);
    if (values.empty()) return "-";
    std::sort(values.begin(), values.end());
    const std::uint64_t middle = values[(values.size() - 1) / 2];
    return middle > seeds ? fmt::format("> {}", seeds) : std::to_string(middle);
}

}  // namespace

int main(int argc, char** argv) {
    std::string system = "raft-kv";
    std::string bugs_text;
    std::string strategies_text = "default,guided,random,swarm,targeted,fault-points,pct";
    std::uint64_t seeds = 500;
    int jobs = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--system") {
            system = value;
        } else if (flag == "--bugs") {
            bugs_text = value;
        } else if (flag == "--strategies") {
            strategies_text = value;
        } else if (flag == "--seeds") {
            seeds = std::strtoull(value.c_str(), nullptr, 10);
        } else if (flag == "--jobs") {
            jobs = std::atoi(value.c_str());
        } else {
            std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
            return 3;
        }
    }
    const runner::SystemDescription* description = runner::find_system(system);
    if (description == nullptr) {
        std::fprintf(stderr, "unknown system %s\n", system.c_str());
        return 3;
    }
    const std::vector<std::string> bugs = bugs_text.empty() ? description->bugs : split(bugs_text);
    const std::vector<std::string> strategies = split(strategies_text);
    if (seeds == 0 || jobs < 1 || bugs.empty() || strategies.empty()) {
        std::fprintf(stderr, "nothing to measure\n");
        return 3;
    }

    std::map<std::string, std::vector<Catch>> by_strategy;
    std::printf("| bug | %s |\n|---|%s\n", fmt::format("{}", fmt::join(strategies, " | ")).c_str(),
                fmt::format("{}", fmt::join(std::vector<std::string>(strategies.size(), "---|"), "")).c_str());
    for (const std::string& bug : bugs) {
        std::string row = "| `" + bug + "` |";
        for (const std::string& strategy : strategies) {
            const Catch found = seeds_to_catch(system, bug, strategy, seeds, jobs);
            by_strategy[strategy].push_back(found);
            row += found.seed ? fmt::format(" {} ({}) |", *found.seed, found.checks) : " not caught |";
        }
        std::printf("%s\n", row.c_str());
        std::fflush(stdout);
    }

    const std::uint64_t marks[] = {20, 100, seeds};
    std::printf("\n| strategy | caught within 20 | within 100 | within %llu | median seeds-to-catch |\n",
                static_cast<unsigned long long>(seeds));
    std::printf("|---|---|---|---|---|\n");
    for (const std::string& strategy : strategies) {
        const std::vector<Catch>& catches = by_strategy[strategy];
        std::printf("| %s | %s | %s | %s | %s |\n", strategy.c_str(), share(catches, marks[0]).c_str(),
                    share(catches, marks[1]).c_str(), share(catches, marks[2]).c_str(), median(catches, seeds).c_str());
    }
    return 0;
}
