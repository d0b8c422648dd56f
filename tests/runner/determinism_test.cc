// Determinism is the simulator's first promise: the same seed gives the same
// run (trace hash, history) every time, and different seeds give different runs.
#include <gtest/gtest.h>

#include <set>

#include "protocols/detect/heartbeat.h"
#include "runner/run.h"
#include "sim/simulation.h"

namespace faultline::runner {
namespace {

RunConfig faulty_echo(std::uint64_t seed) {
    RunConfig config;
    config.system = "echo";
    config.nodes = 3;
    config.clients = 4;
    config.time_limit = seconds(2);
    config.seed = seed;
    config.loss = 0.05;
    config.duplicate = 0.05;
    config.reorder = 0.1;
    config.timeout = milliseconds(50);
    config.latency = "lognormal:5ms,0.8";
    return config;
}

TEST(Determinism, HundredSeedsRunTwiceGiveIdenticalHashes) {
    std::set<std::uint64_t> hashes;
    for (std::uint64_t seed = 1; seed <= 100; ++seed) {
        auto first = run(faulty_echo(seed), RunOptions{.keep_node_logs = false});
        auto second = run(faulty_echo(seed), RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(first.has_value());
        ASSERT_TRUE(second.has_value());
        ASSERT_EQ(first->trace_hash, second->trace_hash) << "seed " << seed;
        ASSERT_EQ(first->history.size(), second->history.size()) << "seed " << seed;
        for (std::size_t i = 0; i < first->history.size(); ++i) {
            ASSERT_EQ(operation_to_json(first->history[i]), operation_to_json(second->history[i]))
                << "seed " << seed << " op " << i;
        }
        hashes.insert(first->trace_hash);
    }
    EXPECT_EQ(hashes.size(), 100u) << "different seeds must give different traces";
}

// Lifecycle faults and partitions at seeded random times, on heartbeat nodes.
std::uint64_t chaotic_heartbeat_run(std::uint64_t seed) {
    sim::LinkConfig link;
    link.latency = sim::LatencyModel::exponential(milliseconds(3), microseconds(200));
    link.loss = 0.02;
    sim::Simulation simulation(sim::SimulationOptions{.seed = seed, .link = link});
    for (int i = 0; i < 5; ++i) {
        simulation.add_server("n" + std::to_string(i), [] {
            return std::make_unique<protocols::detect::HeartbeatNode>(protocols::detect::HeartbeatOptions{});
        });
    }
    simulation.start();
    Prng nemesis = Prng::stream(seed, "nemesis");
    for (int i = 0; i < 40; ++i) {
        const Nanos when = nemesis.between(0, seconds(10));
        const NodeId target(static_cast<std::uint32_t>(nemesis.below(5)));
        const auto action = nemesis.below(5);
        simulation.at(when, [&simulation, target, action] {
            switch (action) {
                case 0:
                    simulation.crash(target);
                    break;
                case 1:
                    simulation.restart(target);
                    break;
                case 2:
                    simulation.pause(target);
                    break;
                case 3:
                    simulation.resume(target);
                    break;
                default:
                    simulation.network().partition({{target}, {}});
                    break;
            }
        });
    }
    simulation.at(seconds(10), [&simulation] { simulation.network().heal(); });
    simulation.run_until(seconds(12));
    return simulation.trace().hash();
}

TEST(Determinism, CrashesPausesAndPartitionsReplayExactly) {
    std::set<std::uint64_t> hashes;
    for (std::uint64_t seed = 1; seed <= 100; ++seed) {
        const std::uint64_t hash = chaotic_heartbeat_run(seed);
        ASSERT_EQ(hash, chaotic_heartbeat_run(seed)) << "seed " << seed;
        hashes.insert(hash);
    }
    EXPECT_EQ(hashes.size(), 100u);
}

}  // namespace
}  // namespace faultline::runner

namespace faultline::runner {
namespace {

// Golden trace hashes: a change in what a seed runs shows here, and must be
// explained in its commit (a new draw, a protocol change) or it is a bug. The
// hashes hold for this build platform: x86-64, GCC with ISO C++ (no
// floating-point contraction), glibc's libm (see docs/simulator.md, "What a
// trace hash holds across").
TEST(Determinism, GoldenTraceHashes) {
    struct Golden {
        const char* system;
        std::uint64_t seed;
        const char* nemesis;
        const char* search;
        std::uint64_t trace_hash;
    };
    const Golden goldens[] = {
        {"raft-kv", 1, "all", "random", 0xda7297a6c2e52575},
        {"raft-kv", 7, "partition,kill,clock", "random", 0x90c205d18de5e8fd},
        {"echo", 3, "all", "random", 0xb4e761435252ecba},
        {"lww-kv", 2, "all", "random", 0x4fe1e89c7d174189},
        {"raft-kv", 1, "all", "default", 0x6a219264fd29cd39},
        {"raft-kv", 4, "all", "default", 0x9f5f356b630d1127},
    };
    for (const Golden& golden : goldens) {
        RunConfig config;
        config.system = golden.system;
        config.seed = golden.seed;
        config.nemesis = golden.nemesis;
        config.search = golden.search;
        config.time_limit = seconds(20);
        auto result = run(config);
        ASSERT_TRUE(result.has_value()) << result.error().message;
        EXPECT_EQ(result->trace_hash, golden.trace_hash)
            << golden.system << " seed " << golden.seed << " --nemesis " << golden.nemesis << " --search "
            << golden.search << ": 0x" << std::hex << result->trace_hash;
    }
}

}  // namespace
}  // namespace faultline::runner
