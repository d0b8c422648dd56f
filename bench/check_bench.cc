// Linearizability checker benchmarks: the rows of BENCHMARKS.md's
// "Linearizability checker" section, against Porcupine's figures on the same
// histories (tests/data/lin-data). Parsing is done once, outside the timed loop;
// each iteration is one full check (verdict, and counterexample for failures).
//
// Counters: `verdict` (0 linearizable, 1 not, 2 unknown) so a fast wrong answer
// cannot hide, `configs` (search configurations explored) and `search_MiB` (the
// largest single search's memory as the checker accounts it). Process RSS is
// measured outside, one benchmark per process (see BENCHMARKS.md).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "check/formats/history_formats.h"
#include "check/linearizability/checker.h"
#include "check/linearizability/generate.h"

namespace {

using namespace faultline;
using check::LinearizabilityOptions;
using check::models::ModelKind;

std::string lin_data(const std::string& relative) {
    return std::string(FAULTLINE_SOURCE_DIR) + "/tests/data/lin-data/" + relative;
}

const check::formats::ParsedHistory& parsed(const std::string& relative) {
    static std::map<std::string, std::unique_ptr<check::formats::ParsedHistory>> cache;
    std::unique_ptr<check::formats::ParsedHistory>& slot = cache[relative];
    if (slot) return *slot;
    auto history = check::formats::read_history_file(lin_data(relative));
    if (!history) {
        std::fprintf(stderr, "%s\n", history.error().message.c_str());
        std::abort();
    }
    slot = std::make_unique<check::formats::ParsedHistory>(std::move(*history));
    return *slot;
}

void report(benchmark::State& state, const check::LinearizabilityResult& result) {
    state.counters["verdict"] = static_cast<double>(result.verdict);
    state.counters["configs"] = static_cast<double>(result.configs);
    state.counters["search_MiB"] = static_cast<double>(result.peak_bytes) / (1 << 20);
}

void run_check(benchmark::State& state, const check::History& history, const LinearizabilityOptions& options) {
    check::LinearizabilityResult last;
    for (auto _ : state) {
        auto result = check::check_linearizability(history, options);
        if (!result) {
            state.SkipWithError(result.error().message.c_str());
            return;
        }
        benchmark::DoNotOptimize(result->verdict);
        last = std::move(*result);
    }
    report(state, last);
}

LinearizabilityOptions kv_options(bool split) {
    LinearizabilityOptions options;
    options.model = ModelKind::kv_append;
    options.semantics = parsed("porcupine/kv/c01-ok.txt").semantics;
    options.split_by_key = split;
    options.threads = 1;
    return options;
}

// ---- Porcupine kv, split by key

void BM_Lin_KvSplit(benchmark::State& state, const char* file, bool stop_at_first) {
    LinearizabilityOptions options = kv_options(true);
    options.stop_at_first_invalid = stop_at_first;
    run_check(state, parsed(std::string("porcupine/kv/") + file + ".txt").history, options);
}
BENCHMARK_CAPTURE(BM_Lin_KvSplit, c50_ok, "c50-ok", false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Lin_KvSplit, c50_bad_all_keys, "c50-bad", false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Lin_KvSplit, c50_bad_first_bad_key, "c50-bad", true)->Unit(benchmark::kMillisecond);

// Every key of c50-bad decided alone (Porcupine: keys 0 and 9 undecided after 15 s).
void BM_Lin_C50BadKey(benchmark::State& state) {
    const std::string key = std::to_string(state.range(0));
    check::History one;
    for (const check::Operation& op : parsed("porcupine/kv/c50-bad.txt").history) {
        if (op.key.is_string() && op.key.get_ref<const std::string&>() == key) one.push_back(op);
    }
    run_check(state, one, kv_options(true));
}
BENCHMARK(BM_Lin_C50BadKey)->DenseRange(0, 9)->Unit(benchmark::kMillisecond);

// ---- Porcupine kv, not split: one search over the map of every key

void BM_Lin_KvNotSplit(benchmark::State& state, const char* file) {
    LinearizabilityOptions options = kv_options(false);
    run_check(state, parsed(std::string("porcupine/kv/") + file + ".txt").history, options);
}
BENCHMARK_CAPTURE(BM_Lin_KvNotSplit, c10_ok, "c10-ok")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Lin_KvNotSplit, c10_bad, "c10-bad")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Lin_KvNotSplit, c50_ok, "c50-ok")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_Lin_KvNotSplit, c50_bad, "c50-bad")->Unit(benchmark::kMillisecond)->Iterations(1);

// ---- The 120 Knossos cas-register files, (cas-register 0), all per iteration

void BM_Lin_Knossos120(benchmark::State& state) {
    std::vector<std::string> files;
    for (const char* dir : {"knossos/cas-register/good", "knossos/cas-register/bad"}) {
        for (const auto& entry : std::filesystem::directory_iterator(lin_data(dir))) {
            if (entry.path().extension() == ".edn") {
                files.push_back(std::string(dir) + "/" + entry.path().filename().string());
            }
        }
    }
    std::sort(files.begin(), files.end());
    std::vector<const check::formats::ParsedHistory*> histories;
    for (const std::string& file : files) histories.push_back(&parsed(file));
    LinearizabilityOptions options;
    options.model = ModelKind::cas_register;
    options.initial = 0;
    options.semantics = histories.front()->semantics;
    options.threads = 1;
    int wrong = 0;
    std::uint64_t configs = 0;
    std::size_t peak = 0;
    for (auto _ : state) {
        wrong = 0;
        configs = 0;
        for (std::size_t i = 0; i < histories.size(); ++i) {
            auto result = check::check_linearizability(histories[i]->history, options);
            const bool bad = files[i].find("/bad/") != std::string::npos;
            const auto expected = bad ? check::Verdict::invalid : check::Verdict::valid;
            if (!result || result->verdict != expected) ++wrong;
            if (result) {
                configs += result->configs;
                peak = std::max(peak, result->peak_bytes);
            }
        }
    }
    state.counters["files"] = static_cast<double>(files.size());
    state.counters["wrong_verdicts"] = wrong;
    state.counters["configs"] = static_cast<double>(configs);
    state.counters["search_MiB"] = static_cast<double>(peak) / (1 << 20);
}
BENCHMARK(BM_Lin_Knossos120)->Unit(benchmark::kMillisecond);

// ---- A generated history: 100,000 ops over 100 keys, 10 clients, 5% info

const check::History& generated_100k() {
    static const check::History history = [] {
        check::lin::GenerateOptions generate;
        generate.seed = 42;
        generate.operations = 100000;
        generate.keys = 100;
        generate.clients = 10;
        generate.info_probability = 0.05;
        generate.values = 5;
        return check::lin::generate_kv_history(generate);
    }();
    return history;
}

void BM_Lin_Generated100k(benchmark::State& state) {
    LinearizabilityOptions options;
    options.model = ModelKind::kv;
    options.semantics.order_by_time = true;
    options.threads = 1;
    run_check(state, generated_100k(), options);
}
BENCHMARK(BM_Lin_Generated100k)->Unit(benchmark::kMillisecond);

// The same history parsed from history.jsonl: what `faultline check` pays on top.
void BM_Lin_Generated100kParse(benchmark::State& state) {
    const auto path = std::filesystem::temp_directory_path() / "faultline_bench_100k.jsonl";
    if (!check::write_history_jsonl(path.string(), generated_100k())) {
        state.SkipWithError("cannot write the history");
        return;
    }
    for (auto _ : state) {
        auto history = check::formats::read_history_file(path.string());
        benchmark::DoNotOptimize(history->history.size());
    }
    std::filesystem::remove(path);
}
BENCHMARK(BM_Lin_Generated100kParse)->Unit(benchmark::kMillisecond);

// ---- How fast the work budget is spent: configurations per second

// `keys` keys, each `writers` concurrent writes of distinct values, then reads
// of 1 and of 2: not linearizable, and only a search through the orders of the
// writes shows it (about 2^writers configurations per key). The worst case the
// budget exists for.
check::History hard_writes(int keys, int writers) {
    check::History history;
    auto add = [&](std::int64_t process, check::OpType type, const char* f, int key, Json value) {
        check::Operation op;
        op.index = static_cast<std::int64_t>(history.size());
        op.time = op.index + 1;
        op.process = process;
        op.type = type;
        op.f = f;
        op.key = key;
        op.value = std::move(value);
        history.push_back(std::move(op));
    };
    for (int key = 0; key < keys; ++key) {
        const std::int64_t base = static_cast<std::int64_t>(key) * (writers + 1);
        for (int p = 0; p < writers; ++p) add(base + p, check::OpType::invoke, "write", key, p + 1);
        for (int p = 0; p < writers; ++p) add(base + p, check::OpType::ok, "write", key, p + 1);
        for (int value : {1, 2}) {
            add(base + writers, check::OpType::invoke, "read", key, nullptr);
            add(base + writers, check::OpType::ok, "read", key, value);
        }
    }
    return history;
}

// One key of 24 writes (out of budget: `unknown`) or 8 keys of 17 (a few
// decided, then out of budget), with a budget of 5 M configurations: the
// `configs_per_s` counter is the figure behind "about N seconds" for
// --configs-max.
void BM_Lin_WorkRate(benchmark::State& state, int keys, int writers) {
    const check::History history = hard_writes(keys, writers);
    LinearizabilityOptions options;
    options.model = ModelKind::kv;
    options.semantics.order_by_time = true;
    options.threads = 1;
    options.counterexample = false;  // search alone: explanations are not budgeted
    options.configs_max = 5'000'000;
    options.memory_limit_bytes = std::size_t{4} << 30;
    std::uint64_t configs = 0;
    check::LinearizabilityResult last;
    for (auto _ : state) {
        auto result = check::check_linearizability(history, options);
        configs += result->configs;
        last = std::move(*result);
    }
    report(state, last);
    state.counters["configs_per_s"] = benchmark::Counter(static_cast<double>(configs), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_Lin_WorkRate, one_key_24_writes, 1, 24)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_Lin_WorkRate, eight_keys_17_writes, 8, 17)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
