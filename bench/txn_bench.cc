// Isolation checker benchmarks: the rows of BENCHMARKS.md's "Isolation
// checker" section. Histories are generated once, outside the timed loop
// (check/txn/generate.h); each iteration is one whole check against
// strict-serializable (realtime and process edges included).
//
// Counters: `verdict` (0 valid, 1 invalid, 2 unknown) so that a fast wrong
// answer cannot hide, `txns_per_s`, `edges`, `components`, and `search_steps`
// (edges the cycle searches followed). Process RSS is measured outside, one
// benchmark per process (see BENCHMARKS.md).
#include <benchmark/benchmark.h>

#include <map>
#include <memory>

#include "check/txn/checker.h"
#include "check/txn/generate.h"

namespace {

using namespace faultline::check::txn;

const TxnHistory& serial_history(std::size_t txns) {
    static std::map<std::size_t, std::unique_ptr<TxnHistory>> cache;
    auto& slot = cache[txns];
    if (!slot) {
        SerialGenerateOptions options;
        options.seed = 42;
        options.txns = txns;
        options.clients = 10;
        options.keys = 1000;
        options.max_txn_length = 4;
        options.info_probability = 0.01;
        options.fail_probability = 0.01;
        slot = std::make_unique<TxnHistory>(generate_serial(options));
    }
    return *slot;
}

void run(benchmark::State& state, const TxnHistory& history) {
    IsolationResult last;
    for (auto _ : state) {
        auto result = check_isolation(history);
        if (!result) {
            state.SkipWithError(result.error().message.c_str());
            return;
        }
        benchmark::DoNotOptimize(result->verdict);
        last = std::move(*result);
    }
    state.counters["verdict"] = static_cast<double>(last.verdict);
    state.counters["txns_per_s"] =
        benchmark::Counter(static_cast<double>(history.txns.size()), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["edges"] = static_cast<double>(last.edges);
    state.counters["components"] = static_cast<double>(last.components);
    state.counters["largest"] = static_cast<double>(last.largest_component);
    state.counters["search_steps"] = static_cast<double>(last.search_steps);
}

// A valid list-append history: 10 clients, 1,000 keys, 1-4 micro-ops, half
// reads, 1% failed and 1% unknown transactions.
void BM_Txn_ListAppendSerial(benchmark::State& state) {
    run(state, serial_history(static_cast<std::size_t>(state.range(0))));
}
BENCHMARK(BM_Txn_ListAppendSerial)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// Every transaction reads one of 8 keys a little stale and appends to another:
// one strongly connected component of about all of them.
void BM_Txn_OneLargeComponent(benchmark::State& state) {
    static const TxnHistory history = generate_stale_reads(static_cast<std::size_t>(state.range(0)), 8, 7);
    run(state, history);
}
BENCHMARK(BM_Txn_OneLargeComponent)->Arg(50'000)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
