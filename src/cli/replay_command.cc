// `faultline replay DIR`: re-run a stored run and confirm it is the same run.
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "runner/run.h"
#include "runner/store.h"
#include "runner/summary.h"

namespace faultline::cli {

namespace {

int run_replay(const std::string& run_dir) {
    auto config = runner::read_config(run_dir);
    if (!config) {
        print_error(config.error().message);
        return exit_usage;
    }
    auto recorded = runner::read_results(run_dir);
    std::string recorded_hash;
    if (recorded && recorded->contains("trace_hash") && (*recorded)["trace_hash"].is_string()) {
        recorded_hash = (*recorded)["trace_hash"].get<std::string>();
    }
    std::fprintf(stdout, "faultline replay: %s, seed %llu\n", config->system.c_str(),
                 static_cast<unsigned long long>(config->seed));
    auto result = runner::run(*config, runner::RunOptions{.keep_node_logs = false});
    if (!result) {
        print_error(result.error().message);
        return exit_runtime;
    }
    std::fputs(runner::format_summary(*result).c_str(), stdout);
    const std::string replayed_hash = fmt::format("{:016x}", result->trace_hash);
    if (recorded_hash.empty()) {
        std::fprintf(stdout, "replay       no recorded trace hash in %s/results.json\n", run_dir.c_str());
    } else if (recorded_hash == replayed_hash) {
        std::fprintf(stdout, "replay       trace hash matches the recorded run\n");
    } else {
        std::fprintf(stdout, "replay       DIVERGED: recorded %s, replayed %s\n", recorded_hash.c_str(),
                     replayed_hash.c_str());
        return exit_diverged;
    }
    switch (result->verdict) {
        case runner::Verdict::valid: return exit_valid;
        case runner::Verdict::invalid: return exit_invalid;
        case runner::Verdict::unknown: return exit_unknown;
    }
    return exit_runtime;
}

}  // namespace

CommandAction add_replay_command(CLI::App& app) {
    auto run_dir = std::make_shared<std::string>();
    CLI::App* replay = app.add_subcommand("replay", "Re-run a stored run and compare its trace hash");
    replay->footer(
        "Exit codes: the replayed run's verdict (0 valid, 1 invalid, 2 unknown) when its trace hash\n"
        "matches the recorded one; 5 when it DIVERGED (another run than the recorded one); 3 when\n"
        "the run directory cannot be read, 4 when the run cannot be carried out.");
    replay->add_option("DIR", *run_dir, "A run directory, e.g. store/latest")->required();
    return [run_dir] { return run_replay(*run_dir); };
}

}  // namespace faultline::cli
