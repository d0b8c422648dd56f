// `faultline replay DIR`: re-run a stored run and confirm it is the same run.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "runner/run.h"
#include "runner/store.h"
#include "runner/summary.h"

namespace faultline::cli {

namespace {

struct ReplayArguments {
    std::string run_dir;
    bool trace = false;
    runner::TraceFormat trace_format = runner::TraceFormat::binary;
};

int run_replay(const ReplayArguments& arguments) {
    const std::string& run_dir = arguments.run_dir;
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
    // With --trace, the replay's trace is written beside the run, and kept only
    // if the replay is the recorded run (a diverged trace would describe
    // another run).
    const std::string trace_path = run_dir + "/" + runner::TraceOutput::file_name(arguments.trace_format);
    const std::string partial_path = trace_path + ".replaying";
    std::optional<runner::TraceOutput> trace;
    if (arguments.trace) {
        auto opened = runner::TraceOutput::open(partial_path, arguments.trace_format);
        if (!opened) {
            print_error(opened.error().message);
            return exit_runtime;
        }
        trace = std::move(*opened);
    }
    auto result = runner::run(
        *config, runner::RunOptions{.trace_sink = trace ? trace->sink() : nullptr, .keep_node_logs = false});
    std::optional<Result<std::string>> written;
    if (trace) written = trace->close();
    if (!result) {
        std::remove(partial_path.c_str());
        std::remove((partial_path + ".zst").c_str());
        print_error(result.error().message);
        return exit_runtime;
    }
    std::fputs(runner::format_summary(*result).c_str(), stdout);
    const std::string replayed_hash = fmt::format("{:016x}", result->trace_hash);
    if (arguments.trace) {
        if (!*written) {
            print_error(written->error().message);
            return exit_runtime;
        }
        if (!recorded_hash.empty() && recorded_hash != replayed_hash) {
            std::remove(written->value().c_str());
        } else {
            // The written file may have been compressed (partial_path.zst):
            // it takes the trace's name with the same ending.
            const std::string kept = trace_path + written->value().substr(partial_path.size());
            std::error_code error;
            std::filesystem::remove(trace_path, error);
            std::filesystem::remove(trace_path + ".zst", error);
            std::filesystem::rename(written->value(), kept, error);
            if (error) {
                print_error(fmt::format("{}: {}", kept, error.message()));
                return exit_runtime;
            }
            std::fprintf(stdout, "trace        %s\n", kept.c_str());
        }
    }
    if (recorded_hash.empty()) {
        std::fprintf(stdout, "replay       no recorded trace hash in %s/results.json\n", run_dir.c_str());
    } else if (recorded_hash == replayed_hash) {
        std::fprintf(stdout, "replay       trace hash matches the recorded run\n");
    } else {
        std::fprintf(stdout, "replay       DIVERGED: recorded %s, replayed %s\n", recorded_hash.c_str(),
                     replayed_hash.c_str());
        return exit_diverged;
    }
    return exit_code_for(result->verdict);
}

}  // namespace

CommandAction add_replay_command(CLI::App& app) {
    auto arguments = std::make_shared<ReplayArguments>();
    CLI::App* replay = app.add_subcommand("replay", "Re-run a stored run and compare its trace hash");
    replay->footer(
        "Exit codes: the replayed run's verdict (0 valid, 1 invalid, 2 unknown) when its trace hash\n"
        "matches the recorded one; 5 when it DIVERGED (another run than the recorded one); 3 when\n"
        "the run directory cannot be read, 4 when the run cannot be carried out.");
    replay->add_option("DIR", arguments->run_dir, "A run directory, e.g. store/latest")->required();
    replay->add_flag("--trace", arguments->trace,
                     "Write the run's trace into DIR (kept only if the replay matches the recorded run)");
    add_trace_format_option(*replay, arguments->trace_format);
    return [arguments] { return run_replay(*arguments); };
}

}  // namespace faultline::cli
