// Simulator throughput: the bare engine (ping-pong with no protocol logic) and a
// small echo cluster. See BENCHMARKS.md for the figures and the exact commands.
#include <benchmark/benchmark.h>

#include <memory>

#include "base/json.h"
#include "runner/run.h"
#include "sim/simulation.h"

namespace faultline {
namespace {

struct Ball final : Message {
    std::string_view type() const override { return "ball"; }
    nlohmann::json to_json() const override { return Json::object(); }
};

// Returns every ball it receives to the sender: one event per delivery, nothing else.
class Bouncer final : public Node {
  public:
    void start(Context&) override {}
    void on_message(Context& ctx, const Envelope& envelope) override { ctx.send(envelope.from, envelope.message); }
    void on_timer(Context&, TimerId, std::uint64_t) override {}
};

// `balls` messages bounce between two nodes; the engine's cost per event is the
// whole measurement (queue, network draws, trace hash, dispatch).
void BM_EnginePingPong(benchmark::State& state) {
    const auto balls = static_cast<int>(state.range(0));
    const std::int64_t events_per_iteration = 1'000'000;
    std::int64_t events = 0;
    for (auto _ : state) {
        sim::Simulation simulation(sim::SimulationOptions{.seed = 1});
        const NodeId a = simulation.add_server("a", [] { return std::make_unique<Bouncer>(); });
        const NodeId b = simulation.add_server("b", [] { return std::make_unique<Bouncer>(); });
        simulation.start();
        auto ball = std::make_shared<Ball>();
        simulation.invoke(a, [&](Node&, Context& ctx) {
            for (int i = 0; i < balls; ++i) ctx.send(b, ball);
        });
        for (std::int64_t i = 0; i < events_per_iteration; ++i) simulation.step();
        events += static_cast<std::int64_t>(simulation.stats().events);
    }
    state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EnginePingPong)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);

// Echo: 5 servers, 10 clients, 60 simulated seconds at 1000 ops/s in total.
void BM_EchoCluster(benchmark::State& state) {
    runner::RunConfig config;
    config.system = "echo";
    config.nodes = 5;
    config.clients = 10;
    config.rate = 1000;
    config.time_limit = seconds(60);
    double simulated = 0;
    std::int64_t events = 0;
    for (auto _ : state) {
        auto result = runner::run(config, runner::RunOptions{.keep_node_logs = false});
        if (!result) state.SkipWithError(result.error().message.c_str());
        simulated += to_seconds(result->simulated);
        events += static_cast<std::int64_t>(result->stats.events);
        ++config.seed;
    }
    state.counters["sim_s/wall_s"] = benchmark::Counter(simulated, benchmark::Counter::kIsRate);
    state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EchoCluster)->Unit(benchmark::kMillisecond);

// The default `faultline test`: the Raft KV, 5 nodes, 10 clients at 100 ops/s,
// every fault kind, invariants after every step, linearizability at the end.
// One iteration is one 60-second seed (plus the recovery window and final reads).
void BM_RaftKvDefault(benchmark::State& state) {
    runner::RunConfig config;
    double simulated = 0;
    std::int64_t events = 0;
    std::int64_t runs = 0;
    for (auto _ : state) {
        auto result = runner::run(config, runner::RunOptions{.keep_node_logs = false});
        if (!result) {
            state.SkipWithError(result.error().message.c_str());
            break;
        }
        if (result->verdict != runner::Verdict::valid) state.SkipWithError("a default run was not valid");
        simulated += to_seconds(result->simulated);
        events += static_cast<std::int64_t>(result->stats.events);
        ++runs;
        ++config.seed;
    }
    state.counters["sim_s/wall_s"] = benchmark::Counter(simulated, benchmark::Counter::kIsRate);
    state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
    state.counters["seeds/min"] = benchmark::Counter(static_cast<double>(runs) * 60, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RaftKvDefault)->Unit(benchmark::kMillisecond)->MinTime(5.0);

}  // namespace
}  // namespace faultline
