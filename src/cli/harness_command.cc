// `faultline test -w WORKLOAD --bin PROGRAM [ARGS...]`: the harness
// (harness/harness.h) in place of the simulator, with Maelstrom's flags, so a
// Maelstrom command line works with `faultline` in place of
// `./maelstrom/maelstrom`.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <limits>
#include <random>

#include "cli/commands.h"
#include "cli/options_cli.h"
#include "harness/child_process.h"
#include "harness/harness.h"
#include "report/report.h"
#include "runner/store.h"
#include "runner/sweep.h"

namespace faultline::cli {

namespace {

struct HarnessCommandOptions {
    harness::HarnessConfig config;
    std::string bin;
    std::vector<std::string> args;
    std::uint64_t seed = 0;
    bool seed_given = false;
    std::string seeds;             // A..B: one run per seed
    std::uint64_t test_count = 1;  // Maelstrom's: the same test again, with the next seeds
    std::string store = "store";
};

// One run, its summary printed. Returns 0 with the run's verdict in
// `verdict`, or the exit code of the error that stopped it.
int run_one(const HarnessCommandOptions& options, harness::HarnessConfig config, check::Verdict& verdict);

// Several runs (--seeds, --test-count): each prints its own summary; the exit
// code is the worst verdict (invalid over unknown over valid), or the first error.
int run_harness_tests(HarnessCommandOptions& options) {
    harness::HarnessConfig config = options.config;
    std::uint64_t first = 0, last = 0;
    if (!options.seeds.empty()) {
        auto range = runner::parse_seed_range(options.seeds);
        if (!range) {
            print_error(range.error().message);
            return exit_usage;
        }
        std::tie(first, last) = *range;
    } else {
        if (options.seed_given) {
            first = options.seed;
        } else {
            // The only nondeterminism in faultline: picking a seed when none is given.
            std::random_device device;
            first = (static_cast<std::uint64_t>(device()) << 32 | device()) % 1'000'000'000;
        }
        last = first + options.test_count - 1;
    }
    check::Verdict worst = check::Verdict::valid;
    std::uint64_t failed = 0;
    for (std::uint64_t seed = first; seed <= last; ++seed) {
        config.seed = seed;
        check::Verdict verdict = check::Verdict::valid;
        if (const int error = run_one(options, config, verdict); error != 0) return error;
        failed += verdict == check::Verdict::valid ? 0 : 1;
        worst = check::combine(worst, verdict);
        if (seed == last) break;  // a range ending at the largest seed
    }
    if (last > first) {
        std::fprintf(stdout, "runs         %llu, %llu not valid\n", static_cast<unsigned long long>(last - first + 1),
                     static_cast<unsigned long long>(failed));
    }
    return exit_code_for(worst);
}

int run_one(const HarnessCommandOptions& options, harness::HarnessConfig config, check::Verdict& verdict) {
    // Maelstrom canonicalises the path; a bare name is not looked up in PATH.
    std::error_code error;
    const std::filesystem::path bin = std::filesystem::absolute(options.bin, error);
    if (error || !std::filesystem::is_regular_file(bin) || ::access(bin.c_str(), X_OK) != 0) {
        print_error(fmt::format("--bin {}: no such executable file", options.bin));
        return exit_usage;
    }
    config.bin = {bin.string()};
    config.bin.insert(config.bin.end(), options.args.begin(), options.args.end());
    if (Status valid = harness::validate_harness_config(config); !valid) {
        print_error(valid.error().message);
        return exit_usage;
    }
    // A program that cannot start at all is a usage error too: try it first.
    if (auto child = harness::ChildProcess::start(config.bin, std::filesystem::temp_directory_path().string());
        !child) {
        print_error(child.error().message);
        return exit_usage;
    }
    auto folder = runner::create_run_directory(options.store, config.workload, config.seed);
    if (!folder) {
        print_error(folder.error().message);
        return exit_runtime;
    }
    std::fprintf(stdout, "faultline test: %s on %s, seed %llu\n", config.workload.c_str(), bin.c_str(),
                 static_cast<unsigned long long>(config.seed));
    std::fflush(stdout);
    auto result = harness::run_harness(config, *folder);
    if (!result) {
        print_error(result.error().message);
        return result.error().code == ErrorCode::invalid_argument || result.error().code == ErrorCode::not_found
                   ? exit_usage
                   : exit_runtime;
    }
    (void)runner::update_latest(options.store, *folder);
    for (const harness::Diagnosis& diagnosis : result->diagnoses) {
        std::fprintf(stdout, "  %-10s %.3fs %s\n", diagnosis.node.c_str(), static_cast<double>(diagnosis.time) / 1e9,
                     diagnosis.what.c_str());
    }
    const Json& stats = result->results["stats"];
    std::fprintf(stdout, "operations   %lld ok, %lld fail, %lld info; %.1f server messages per operation\n",
                 static_cast<long long>(stats["ok_count"].get<std::int64_t>()),
                 static_cast<long long>(stats["fail_count"].get<std::int64_t>()),
                 static_cast<long long>(stats["info_count"].get<std::int64_t>()),
                 result->results["net"]["servers"]["msgs_per_op"].get<double>());
    for (const check::Outcome& outcome : result->checks) {
        std::fprintf(stdout, "%-12s %s: %s\n", outcome.name.c_str(), check::verdict_name(outcome.verdict),
                     outcome.summary.c_str());
    }
    std::fprintf(stdout, "verdict      %s\n", check::verdict_name(result->verdict));
    std::fprintf(stdout, "store        %s\n", folder->c_str());
    if (auto written = report::write_run_report(*folder)) {
        std::fprintf(stdout, "report       %s\n", written->c_str());
    } else {
        print_error("could not write the report: " + written.error().message);
    }
    verdict = result->verdict;
    return 0;
}

}  // namespace

CommandAction add_harness_test_command(CLI::App& app) {
    auto options = std::make_shared<HarnessCommandOptions>();
    CLI::App* test = app.add_subcommand("test", "Run a node program (--bin) under a Maelstrom workload and faults");
    test->add_option("--bin", options->bin, "The node program; arguments after it go to the program")->required();
    test->add_option("args", options->args, "Arguments for the node program");
    const auto& table = harness::harness_options();
    add_declared_options(*test, table, table.defaults(), "Harness options",
                         [options, &table](const runner::OptionInfo& info, const Json& value) {
                             return table.set(options->config, info, value);
                         });
    test->add_option("--seed", options->seed, "Seed of the harness's choices (default: random, printed)")
        ->transform(whole_number(0, std::numeric_limits<std::uint64_t>::max()))
        ->each([options](const std::string&) { options->seed_given = true; });
    test->add_option("--seeds", options->seeds, "One run per seed of a range, e.g. 1..20");
    test->add_option("--test-count", options->test_count, "Run the test this many times, with successive seeds")
        ->transform(whole_number(1, 100000));
    test->add_option("--store", options->store, "Directory of the run store")->capture_default_str();
    return [options] { return run_harness_tests(*options); };
}

}  // namespace faultline::cli
