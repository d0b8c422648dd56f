// faultline_chain_forks: how often longest-chain consensus forks, and how
// deep its reorganisations go, against network latency and block interval
// (docs/chain.md, BENCHMARKS.md "Longest-chain forks").
//
//   faultline_chain_forks [--seeds 3] [--blocks 300] [--nodes 10]
//
// Each cell runs the chain system with a constant link latency and a block
// interval, no faults and no clients, for about `blocks` block intervals,
// over seeds 1..N, and prints the fork rate (blocks mined that did not end on
// the final chain, over all mined), the reorganisations per 100 blocks (over
// all nodes), and their mean and largest depth. A block takes a few gossip
// hops to reach every node, so the fork rate grows with latency / interval
// (about 1 - exp(-hops x latency / interval)). Runs are deterministic: the same build
// prints the same table on any machine.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "runner/run.h"

namespace {

using namespace faultline;

struct Cell {
    double fork_rate = 0;
    double reorgs_per_100 = 0;
    double depth_mean = 0;
    std::int64_t depth_max = 0;
};

const runner::CheckOutcome* finality(const runner::RunResult& result) {
    for (const runner::CheckOutcome& check : result.checks) {
        if (check.name == "finality") return &check;
    }
    return nullptr;
}

Cell measure(Nanos latency, Nanos interval, int blocks, int nodes, int seeds) {
    Cell cell;
    double reorgs = 0, dropped = 0, mined = 0, stale = 0;
    for (int seed = 1; seed <= seeds; ++seed) {
        runner::RunConfig config;
        config.system = "chain";
        config.nodes = nodes;
        config.clients = 0;
        config.nemesis = "none";
        config.search = "random";
        config.latency = fmt::format("{}ms", latency / 1000000);
        config.time_limit = interval * blocks;
        config.recovery = seconds(1);
        config.seed = static_cast<std::uint64_t>(seed);
        config.system_options["block_interval_ns"] = interval;
        auto result = runner::run(config, runner::RunOptions{.keep_node_logs = false});
        if (!result) {
            std::fprintf(stderr, "faultline_chain_forks: %s\n", result.error().message.c_str());
            std::exit(3);
        }
        const runner::CheckOutcome* check = finality(*result);
        if (check == nullptr) {
            std::fprintf(stderr, "faultline_chain_forks: the run has no finality outcome\n");
            std::exit(3);
        }
        const Json& stats = check->details["forks"];
        mined += stats["mined"].get<double>();
        stale += stats["stale"].get<double>();
        reorgs += stats["reorgs"].get<double>();
        dropped += stats["reorg_depth_mean"].get<double>() * stats["reorgs"].get<double>();
        cell.depth_max = std::max(cell.depth_max, stats["reorg_depth_max"].get<std::int64_t>());
    }
    cell.fork_rate = mined == 0 ? 0 : stale / mined;
    cell.reorgs_per_100 = mined == 0 ? 0 : 100 * reorgs / mined;
    cell.depth_mean = reorgs == 0 ? 0 : dropped / reorgs;
    return cell;
}

int flag(int argc, char** argv, const std::string& name, int fallback) {
    for (int i = 1; i + 1 < argc; ++i) {
        if (argv[i] == name) {
            const int value = std::atoi(argv[i + 1]);
            if (value < 1 || value > 100000) {
                std::fprintf(stderr, "faultline_chain_forks: %s must be in 1..100000\n", name.c_str());
                std::exit(3);
            }
            return value;
        }
    }
    return fallback;
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; i += 2) {
        const std::string arg = argv[i];
        if ((arg != "--seeds" && arg != "--blocks" && arg != "--nodes") || i + 1 >= argc) {
            std::fprintf(stderr, "usage: faultline_chain_forks [--seeds 3] [--blocks 300] [--nodes 10]\n");
            return 3;
        }
    }
    const int seeds = flag(argc, argv, "--seeds", 3);
    const int blocks = flag(argc, argv, "--blocks", 300);
    const int nodes = flag(argc, argv, "--nodes", 10);
    const std::vector<Nanos> latencies{milliseconds(1), milliseconds(10), milliseconds(50), milliseconds(200)};
    const std::vector<Nanos> intervals{milliseconds(100), seconds(1), seconds(10)};
    std::printf("%d nodes, fan-out 4, %d seeds of about %d blocks per cell\n\n", nodes, seeds, blocks);
    std::printf(
        "| latency | block interval | fork rate | reorgs / 100 blocks | mean reorg depth | max reorg depth |\n");
    std::printf("|---|---|---|---|---|---|\n");
    for (Nanos latency : latencies) {
        for (Nanos interval : intervals) {
            const Cell cell = measure(latency, interval, blocks, nodes, seeds);
            std::printf("| %s | %s | %.1f%% | %.1f | %.2f | %lld |\n", format_duration(latency).c_str(),
                        format_duration(interval).c_str(), 100 * cell.fork_rate, cell.reorgs_per_100, cell.depth_mean,
                        static_cast<long long>(cell.depth_max));
            std::fflush(stdout);
        }
    }
    return 0;
}
