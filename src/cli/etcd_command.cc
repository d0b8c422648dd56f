// `faultline test --system etcd`: the black-box test of a real etcd cluster
// (etcd/etcd_test.h). Same exit codes as every test: 0 valid, 1 invalid,
// 2 unknown, 3 bad input, 4 the cluster could not be run.
#include <fmt/format.h>

#include <cstdio>
#include <limits>
#include <memory>

#include "base/time.h"
#include "cli/commands.h"
#include "cli/options_cli.h"
#include "etcd/etcd_test.h"
#include "report/report.h"

namespace faultline::cli {

namespace {

struct EtcdCommand {
    etcd::EtcdTestOptions options;
    std::string system = "etcd";
    std::string nemesis = "partition,kill,pause";
    std::string time_limit = "20s", fault_interval = "3s", request_timeout = "1s";
};

Status parse_in(const std::string& flag, const std::string& text, Nanos low, Nanos high,
                std::chrono::milliseconds& out) {
    auto value = parse_duration(text, seconds(1));
    if (!value || *value < low || *value > high) {
        return make_error(ErrorCode::invalid_argument, fmt::format("{} '{}': expected a duration in {}..{}", flag, text,
                                                                   format_duration(low), format_duration(high)));
    }
    out = std::chrono::milliseconds(*value / 1'000'000);
    return ok_status();
}

Status finish(EtcdCommand& command) {
    etcd::EtcdTestOptions& options = command.options;
    if (auto s = parse_in("--time-limit", command.time_limit, seconds(1), seconds(3600), options.duration); !s)
        return s;
    if (auto s = parse_in("--fault-interval", command.fault_interval, milliseconds(200), seconds(600),
                          options.fault_interval);
        !s) {
        return s;
    }
    if (auto s = parse_in("--request-timeout", command.request_timeout, milliseconds(10), seconds(60),
                          options.request_timeout);
        !s) {
        return s;
    }
    options.nemesis.clear();
    if (command.nemesis != "none") {
        std::size_t at = 0;
        while (at <= command.nemesis.size()) {
            const auto comma = command.nemesis.find(',', at);
            options.nemesis.push_back(command.nemesis.substr(at, comma == std::string::npos ? comma : comma - at));
            if (options.nemesis.back().empty()) {
                return make_error(
                    ErrorCode::invalid_argument,
                    fmt::format("--nemesis '{}': an empty fault name (none: no faults)", command.nemesis));
            }
            if (comma == std::string::npos) break;
            at = comma + 1;
        }
    }
    return etcd::validate(options);
}

int run(EtcdCommand& command) {
    if (Status finished = finish(command); !finished) {
        print_error(finished.error().message);
        return exit_usage;
    }
    const etcd::EtcdTestOptions& options = command.options;
    std::printf("etcd: %d nodes, %s reads, %s workload, %d clients, nemesis %s, seed %llu, %.0f s\n", options.nodes,
                options.serializable ? "serializable" : "linearizable", options.workload.c_str(), options.clients,
                command.nemesis.c_str(), static_cast<unsigned long long>(options.seed),
                static_cast<double>(options.duration.count()) / 1000);
    std::fflush(stdout);
    Result<etcd::EtcdTestResult> result = etcd::run_etcd_test(options);
    if (!result) {
        print_error(result.error().message);
        return result.error().code == ErrorCode::invalid_argument ? exit_usage : exit_runtime;
    }
    for (const std::string& line : result->nemesis_log) std::printf("  %s\n", line.c_str());
    std::printf("%zu operations (%zu ok) in %.1f s: %.0f ok/s, latency p50 %.2f ms, p99 %.2f ms\n", result->operations,
                result->ok, result->seconds, result->ops_per_second, static_cast<double>(result->p50_us) / 1000,
                static_cast<double>(result->p99_us) / 1000);
    std::printf("linearizability: %s\n", result->summary.c_str());
    std::printf("verdict: %s\nstored in %s\n", check::verdict_name(result->verdict), result->run_dir.c_str());
    if (auto written = report::write_run_report(result->run_dir)) {
        std::printf("report: %s\n", written->c_str());
    } else {
        print_error("could not write the report: " + written.error().message);
    }
    return exit_code_for(result->verdict);
}

}  // namespace

CommandAction add_etcd_test_command(CLI::App& app) {
    auto command = std::make_shared<EtcdCommand>();
    CLI::App* test = app.add_subcommand("test", "Test a real etcd 3.4 cluster on loopback, through faultline's proxy");
    test->footer(
        "Starts etcd (/usr/bin/etcd, Debian's etcd-server) on free loopback ports with every peer URL routed\n"
        "through faultline's fault proxy, runs the workload under the nemesis and checks linearizability.\n"
        "--etcd-serializable reads with serializable=true: expect stale reads to be caught under partitions.");
    test->add_option("--system", command->system, "etcd")->check(CLI::IsMember({"etcd"}));
    test->add_option("--nodes", command->options.nodes, "Cluster size: 3 or 5")
        ->transform(whole_number(3, 5))
        ->capture_default_str();
    test->add_flag("--etcd-serializable", command->options.serializable, "Serializable reads (stale reads allowed)");
    test->add_option("--seed", command->options.seed, "Seed of the workload and nemesis draws")
        ->transform(whole_number(0, std::numeric_limits<std::uint64_t>::max()))
        ->capture_default_str();
    test->add_option("--clients", command->options.clients, "Client threads (1..64)")
        ->transform(whole_number(1, 64))
        ->capture_default_str();
    test->add_option("--workload", command->options.workload, "lin-kv (read, write, cas) or puts")
        ->capture_default_str();
    test->add_option("--nemesis", command->nemesis, "partition,kill,pause (any of them) or none")
        ->capture_default_str();
    test->add_option("--time-limit", command->time_limit, "How long the workload runs (1s..1h)")->capture_default_str();
    test->add_option("--fault-interval", command->fault_interval, "Each fault lasts this long, then as long healed")
        ->capture_default_str();
    test->add_option("--request-timeout", command->request_timeout, "Each request's bound (10ms..60s)")
        ->capture_default_str();
    test->add_option("--max-ops", command->options.max_ops, "At most this many operations")
        ->transform(whole_number(1, 10'000'000))
        ->capture_default_str();
    test->add_option("--store", command->options.store, "Directory of the run store")->capture_default_str();
    return [command] { return run(*command); };
}

}  // namespace faultline::cli
