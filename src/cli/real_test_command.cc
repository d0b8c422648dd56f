// `faultline test --real`: raft-kv as real processes on loopback under process
// faults, checked and stored like a simulated run (realtime/real_test.h).
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <random>

#include "cli/commands.h"
#include "cli/options_cli.h"
#include "realtime/real_test.h"
#include "report/report.h"
#include "runner/store.h"
#include "runner/summary.h"

namespace faultline::cli {

namespace {

// Writes the page of a stored run, if it got as far as its results, saying
// where; a page that cannot be written is reported but leaves the exit code alone.
void write_stored_run_report(const std::string& dir) {
    std::error_code error;
    if (!std::filesystem::exists(std::filesystem::path(dir) / "results.json", error)) return;
    if (auto written = report::write_run_report(dir)) {
        std::fprintf(stdout, "report       %s\n", written->c_str());
    } else {
        print_error("could not write the report: " + written.error().message);
    }
}

}  // namespace

CommandAction add_real_test_command(CLI::App& app) {
    struct Options {
        realtime::RealTestConfig config;
        bool real = false;
        double time_limit_s = 5;
        double nemesis_interval_ms = 500;
        double client_timeout_ms = 1000;
        double recovery_ms = 1000;
        bool seed_given = false;
        std::string store = "store";
    };
    auto options = std::make_shared<Options>();
    realtime::RealTestConfig& config = options->config;
    CLI::App* test = app.add_subcommand(
        "test", "Run raft-kv as real processes on loopback under process and network faults and check it (--real)");
    test->add_flag("--real", options->real, "Real mode: real processes, TCP and disks (docs/real-mode.md)")->required();
    test->add_option("--system", config.system, "The system (raft-kv)")->capture_default_str();
    test->add_option("--bug", config.bug, "Run a deliberately broken raft-kv (faultline test --help lists them)");
    test->add_option("--nodes", config.nodes, "Servers")->transform(whole_number(1, 9))->capture_default_str();
    test->add_option("--concurrency", config.concurrency, "Clients")
        ->transform(whole_number(1, 256))
        ->capture_default_str();
    test->add_option("--rate", config.rate, "Operations per second, all clients together (0: as fast as answered)")
        ->check(finite_number(0, 1e6))
        ->capture_default_str();
    test->add_option("--time-limit", options->time_limit_s, "Seconds of the main phase (clients and faults)")
        ->check(finite_number(0.1, 3600))
        ->capture_default_str();
    test->add_option("--nemesis", config.nemesis,
                     "Faults: kill, pause, restart, partition, latency (comma-separated), or none")
        ->capture_default_str();
    test->add_option("--nemesis-interval", options->nemesis_interval_ms,
                     "Mean milliseconds between faults (each lasts about as long)")
        ->check(finite_number(10, 600000))
        ->capture_default_str();
    test->add_option("--client-timeout", options->client_timeout_ms, "Milliseconds a client waits for a reply")
        ->check(finite_number(10, 600000))
        ->capture_default_str();
    test->add_option("--recovery", options->recovery_ms, "Milliseconds after healing, before the final reads")
        ->check(finite_number(0, 600000))
        ->capture_default_str();
    test->add_option("--keys", config.keys, "Keys in use at a time")
        ->transform(whole_number(1, 1000))
        ->capture_default_str();
    test->add_option("--read-percent", config.read_percent, "Reads among the operations")
        ->transform(whole_number(0, 100))
        ->capture_default_str();
    test->add_option("--write-percent", config.write_percent, "Writes among the operations (the rest are cas)")
        ->transform(whole_number(0, 100))
        ->capture_default_str();
    test->add_option("--seed", config.seed, "Seed of the operations, faults and clients' choices (default: random)")
        ->transform(whole_number(0, 999'999'999'999))
        ->each([options](const std::string&) { options->seed_given = true; });
    test->add_option("--store", options->store, "Directory of the run store")->capture_default_str();
    return [options] {
        realtime::RealTestConfig config = options->config;
        config.time_limit = static_cast<Nanos>(options->time_limit_s * 1e9);
        config.nemesis_interval = static_cast<Nanos>(options->nemesis_interval_ms * 1e6);
        config.client_timeout = static_cast<Nanos>(options->client_timeout_ms * 1e6);
        config.recovery = static_cast<Nanos>(options->recovery_ms * 1e6);
        if (!options->seed_given) {
            std::random_device device;
            config.seed = (static_cast<std::uint64_t>(device()) << 32 | device()) % 1'000'000'000;
        }
        if (Status valid = config.validate(); !valid) {
            print_error(valid.error().message);
            return exit_usage;
        }
        auto dir = runner::create_run_directory(options->store, "real-" + config.system, config.seed);
        if (!dir) {
            print_error(dir.error().message);
            return exit_runtime;
        }
        std::fprintf(stdout, "faultline test --real: %s, %d nodes, %d clients, seed %llu\n", config.system.c_str(),
                     config.nodes, config.concurrency, static_cast<unsigned long long>(config.seed));
        std::fflush(stdout);
        auto result = realtime::run_real_test(config, *dir);
        if (!result) {
            // An interrupted run keeps what it wrote (its history, and results
            // saying it was interrupted): its page shows them.
            print_error(result.error().message);
            write_stored_run_report(*dir);
            return exit_runtime;
        }
        (void)runner::update_latest(options->store, *dir);
        std::fputs(result->summary.c_str(), stdout);
        std::fprintf(stdout, "verdict      %s\nstore        %s\n", runner::verdict_text(result->verdict, false).c_str(),
                     dir->c_str());
        write_stored_run_report(*dir);
        return exit_code_for(result->verdict);
    };
}

}  // namespace faultline::cli
