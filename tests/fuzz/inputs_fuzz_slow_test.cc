// A mutation fuzzer over every input faultline reads: histories (Jepsen EDN,
// Porcupine, Jepsen logs, history.jsonl) through the parser and the checker,
// scenario TOML through the loader, and config.json through RunConfig. No
// input may abort, raise a signal or hang: each must parse, or be refused with
// an error. The corpus seeds are the reproducers under tests/data/repro, the
// catalog's scenarios, small histories and a default config.json.
//
// Deterministic: the mutations come from a fixed seed, so a failure names an
// input number that reproduces. A bounded count runs with the slow tests;
// FAULTLINE_FUZZ_INPUTS sets it (BENCHMARKS.md records a run of 100,000+).
// A hang is an input that takes more than FAULTLINE_FUZZ_SECONDS_PER_INPUT
// (default 10) of wall time: the watchdog writes it to the fuzz folder and
// aborts, so the input is kept.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/prng.h"
#include "check/formats/history_formats.h"
#include "check/linearizability/checker.h"
#include "runner/run_config.h"
#include "runner/scenario.h"
#include "support/faultline_process.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;

enum class Kind { history, scenario, config };

struct Seed {
    Kind kind;
    std::string name;
    std::string bytes;
};

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

std::vector<Seed> corpus() {
    std::vector<Seed> seeds;
    const fs::path source(FAULTLINE_SOURCE_DIR);
    for (const auto& entry : fs::recursive_directory_iterator(source / "tests/data/repro")) {
        // Large reproducers (a 2,048-op history) make slow seeds, not better ones.
        if (!entry.is_regular_file() || entry.file_size() > (64u << 10)) continue;
        const std::string extension = entry.path().extension().string();
        if (extension == ".toml") seeds.push_back({Kind::scenario, entry.path().string(), read_file(entry.path())});
        if (extension == ".edn" || extension == ".log" || extension == ".jsonl") {
            seeds.push_back({Kind::history, entry.path().string(), read_file(entry.path())});
        }
    }
    for (const auto& entry : fs::recursive_directory_iterator(source / "scenarios")) {
        if (entry.path().extension() == ".toml") {
            seeds.push_back({Kind::scenario, entry.path().string(), read_file(entry.path())});
        }
    }
    for (const char* small : {"tests/data/lin-data/knossos/cas-register/bad/cas-failure.edn",
                              "tests/data/lin-data/knossos/mutex/bad/etcd.edn",
                              "tests/data/lin-data/knossos/multi-register/good/multi-register.edn"}) {
        seeds.push_back({Kind::history, small, read_file(source / small)});
    }
    // A Porcupine kv history and a history.jsonl, cut short to stay cheap.
    std::string porcupine = read_file(source / "tests/data/lin-data/porcupine/kv/c10-bad.txt");
    seeds.push_back(
        {Kind::history, "c10-bad (first 60 lines)", porcupine.substr(0, porcupine.find('\n', porcupine.size() / 12))});
    seeds.push_back({Kind::history, "history.jsonl",
                     R"({"process":0,"type":"invoke","f":"write","key":1,"value":5,"time":1}
{"process":0,"type":"ok","f":"write","key":1,"value":5,"time":2}
{"process":1,"type":"invoke","f":"cas","key":1,"value":[5,7],"time":3}
{"process":1,"type":"fail","f":"cas","key":1,"value":[5,7],"error":22,"time":4}
{"process":2,"type":"invoke","f":"read","key":1,"value":null,"time":5}
{"process":2,"type":"ok","f":"read","key":1,"value":5,"time":6}
)"});
    runner::RunConfig config;
    config.schedule = Json::array({Json{{"kind", "partition"},
                                        {"shape", "halves"},
                                        {"start_ns", 1000000000},
                                        {"duration_ns", 2000000000},
                                        {"nodes", {0, 1, 2, 3, 4}}}});
    seeds.push_back({Kind::config, "config.json", config.to_json().dump(2)});
    return seeds;
}

// Tokens that tend to find edges: numbers at the limits of their types,
// structure characters, escapes and bytes that are not UTF-8.
const char* const tokens[] = {"-1",
                              "0",
                              "1e308",
                              "-1e308",
                              "nan",
                              "inf",
                              "18446744073709551615",
                              "18446744073709551616",
                              "9223372036854775807",
                              "-9223372036854775808",
                              "4294967297",
                              "1.5",
                              "#_",
                              "#_#_",
                              "[",
                              "]",
                              "{",
                              "}",
                              "(",
                              ")",
                              "\"",
                              "\\u",
                              "\\ud800",
                              "\xff",
                              "\xc3",
                              "\n",
                              "\t",
                              ":",
                              ",",
                              "=",
                              "[[fault]]",
                              "nil",
                              "null",
                              "true",
                              "\"1ns\"",
                              "\"100000h\"",
                              "pareto:1ms,0.01",
                              "lognormal:1ms,50",
                              ":info",
                              ":invoke",
                              ":fail",
                              "\"type\"",
                              "\"process\"",
                              "kind = \"partition\"",
                              "nodes = []",
                              "nodes = [0, 0]"};

std::string mutate(const std::string& input, const std::vector<Seed>& seeds, Prng& random) {
    std::string out = input;
    const int steps = 1 + static_cast<int>(random.below(4));
    for (int step = 0; step < steps; ++step) {
        const std::size_t at = out.empty() ? 0 : random.below(out.size() + 1);
        switch (random.below(7)) {
            case 0:  // flip a bit
                if (!out.empty()) out[random.below(out.size())] ^= static_cast<char>(1u << random.below(8));
                break;
            case 1:  // a random byte
                out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), static_cast<char>(random.below(256)));
                break;
            case 2: {  // delete a range
                const std::size_t length =
                    random.below(std::min<std::size_t>(out.size() - std::min(at, out.size()), 64) + 1);
                out.erase(std::min(at, out.size()), length);
                break;
            }
            case 3: {  // duplicate a range
                if (out.empty()) break;
                const std::size_t from = random.below(out.size());
                const std::size_t length = random.below(std::min<std::size_t>(out.size() - from, 128) + 1);
                out.insert(at, out.substr(from, length));
                break;
            }
            case 4:  // an interesting token
                out.insert(at, tokens[random.below(std::size(tokens))]);
                break;
            case 5: {  // splice in part of another input
                const std::string& other = seeds[random.below(seeds.size())].bytes;
                if (other.empty()) break;
                const std::size_t from = random.below(other.size());
                out.insert(at, other.substr(from, random.below(std::min<std::size_t>(other.size() - from, 256) + 1)));
                break;
            }
            case 6: {  // replace a number with another
                const std::size_t digit = out.find_first_of("0123456789", at);
                if (digit == std::string::npos) break;
                const std::size_t end = out.find_first_not_of("0123456789.", digit);
                out.replace(digit, (end == std::string::npos ? out.size() : end) - digit, tokens[random.below(11)]);
                break;
            }
        }
    }
    if (out.size() > (1u << 20)) out.resize(1u << 20);
    return out;
}

std::string watchdog_path;
std::string current_input;

void on_alarm(int) {
    // A hang: keep the input, then die loudly (the test run fails).
    std::ofstream(watchdog_path, std::ios::binary) << current_input;
    const char message[] = "fuzz: an input hung; written to the fuzz folder as hang.input\n";
    (void)!write(STDERR_FILENO, message, sizeof message - 1);
    std::abort();
}

void feed(const Seed& seed, const std::string& bytes, const fs::path& folder) {
    switch (seed.kind) {
        case Kind::history: {
            auto parsed = check::formats::parse_history(bytes, "fuzz");
            if (!parsed || parsed->history.empty()) return;
            check::LinearizabilityOptions options;
            options.model = check::formats::infer_model(parsed->history);
            options.semantics = parsed->semantics;
            options.configs_max = 200'000;
            options.memory_limit_bytes = std::size_t{64} << 20;
            options.threads = 1;
            (void)check::check_linearizability(parsed->history, options);
            return;
        }
        case Kind::scenario: {
            const fs::path path = folder / "input.toml";
            std::ofstream(path, std::ios::binary) << bytes;
            auto scenario = runner::load_scenario(path.string());
            if (scenario) (void)scenario->config.validate();
            return;
        }
        case Kind::config: {
            Json json = Json::parse(bytes, nullptr, /*allow_exceptions=*/false);
            if (json.is_discarded()) return;
            auto config = runner::RunConfig::from_json(json);
            if (config && config->validate()) (void)config->command_line();
            return;
        }
    }
}

std::uint64_t env_count(const char* name, std::uint64_t fallback) {
    const char* text = std::getenv(name);
    return text == nullptr ? fallback : std::strtoull(text, nullptr, 10);
}

TEST(Fuzz, NoInputAbortsOrHangs) {
    const std::vector<Seed> seeds = corpus();
    ASSERT_GE(seeds.size(), 30u);
    const std::uint64_t inputs = env_count("FAULTLINE_FUZZ_INPUTS", 3000);
    const unsigned seconds_per_input = static_cast<unsigned>(env_count("FAULTLINE_FUZZ_SECONDS_PER_INPUT", 10));
    const fs::path folder = faultline::testing::fresh_folder("fuzz");
    ASSERT_FALSE(folder.empty());
    watchdog_path = (folder / "hang.input").string();
    signal(SIGALRM, on_alarm);
    Prng random(0x66757a7a);  // "fuzz"
    std::uint64_t per_kind[3] = {0, 0, 0};
    // Each kind of input gets a third of the inputs, whatever its corpus size.
    std::vector<std::vector<const Seed*>> by_kind(3);
    for (const Seed& seed : seeds) by_kind[static_cast<int>(seed.kind)].push_back(&seed);
    for (const auto& kind : by_kind) ASSERT_FALSE(kind.empty());
    for (std::uint64_t i = 0; i < inputs; ++i) {
        const auto& kind = by_kind[random.below(3)];
        const Seed& seed = *kind[random.below(kind.size())];
        current_input = mutate(seed.bytes, seeds, random);
        alarm(seconds_per_input);
        feed(seed, current_input, folder);
        alarm(0);
        ++per_kind[static_cast<int>(seed.kind)];
    }
    signal(SIGALRM, SIG_DFL);
    std::printf("fuzz: %llu inputs (%llu histories, %llu scenarios, %llu config.json), none aborted or hung\n",
                static_cast<unsigned long long>(inputs), static_cast<unsigned long long>(per_kind[0]),
                static_cast<unsigned long long>(per_kind[1]), static_cast<unsigned long long>(per_kind[2]));
    fs::remove_all(folder);
}

// Option values from the command line: every option of `faultline test` with
// values at and past the edges of its type. The run may refuse them (exit 3)
// or run them (a short run: exit 0, 1 or 2); it may not abort, raise a signal
// or run away (each run is bounded by `timeout`).
TEST(Fuzz, NoOptionValueAbortsOrHangs) {
    const char* const options[] = {"--system",
                                   "--bug",
                                   "--detectors",
                                   "--detector-interval",
                                   "--detector-timeout",
                                   "--phi-threshold",
                                   "--acceptable-pause",
                                   "--mistakes-per-hour-max",
                                   "--detection-time-max",
                                   "--timestamps",
                                   "--clock-drift-bound",
                                   "--election-timeout-min",
                                   "--election-timeout-max",
                                   "--heartbeat",
                                   "--value-bytes",
                                   "--inflight-appends",
                                   "--append-bytes",
                                   "--latency-p99-max",
                                   "--topology",
                                   "--msgs-per-op-max",
                                   "--client-retries",
                                   "--client-timeout-retries",
                                   "--nodes",
                                   "--clients",
                                   "--seed",
                                   "--rate",
                                   "--completion-bound",
                                   "--workload-start",
                                   "--timeout",
                                   "--latency",
                                   "--loss",
                                   "--duplicate",
                                   "--reorder",
                                   "--reorder-delay",
                                   "--bandwidth",
                                   "--disk-sync-latency",
                                   "--disk-torn-write",
                                   "--disk-bit-flip",
                                   "--nemesis",
                                   "--fault-interval",
                                   "--fault-duration",
                                   "--recovery",
                                   "--seeds",
                                   "--jobs"};
    const char* const values[] = {"-1",
                                  "0",
                                  "1",
                                  "7",
                                  "0.5",
                                  "1.5",
                                  "1e308",
                                  "nan",
                                  "inf",
                                  "-inf",
                                  "18446744073709551615",
                                  "18446744073709551616",
                                  "4294967297",
                                  "1ns",
                                  "1ms",
                                  "100000h",
                                  "5s",
                                  "10..20",
                                  "3..1",
                                  "1..",
                                  "..",
                                  "abc",
                                  "\xff",
                                  "''",
                                  "exponential:2ms,500us",
                                  "pareto:1ms,0.01",
                                  "lognormal:1ms,50",
                                  "uniform:5ms..1ms",
                                  "exponential:1000000h",
                                  "all",
                                  "none",
                                  "partition,kill",
                                  "raft-kv",
                                  "echo",
                                  "detector",
                                  "stale-read",
                                  "tree",
                                  "hlc",
                                  "1..3",
                                  "0..0"};
    const std::uint64_t runs = env_count("FAULTLINE_FUZZ_CLI_RUNS", 150);
    const std::string store = faultline::testing::fresh_folder("fuzz-cli");
    ASSERT_FALSE(store.empty());
    Prng random(0x636c69);  // "cli"
    for (std::uint64_t i = 0; i < runs; ++i) {
        std::string arguments;
        const int count = 1 + static_cast<int>(random.below(3));
        for (int k = 0; k < count; ++k) {
            arguments += std::string(" ") + options[random.below(std::size(options))] + " " +
                         values[random.below(std::size(values))];
        }
        // Short runs: the values under test may not make a run long, or hang it.
        const faultline::testing::Outcome outcome = faultline::testing::run_faultline(
            "test --time-limit 2" + arguments + " --no-trace --store " + store, "timeout 60 ");
        ASSERT_FALSE(outcome.signalled) << "signal from: faultline test --time-limit 2" << arguments;
        EXPECT_NE(outcome.exit_code, 124) << "ran past 60 s: faultline test --time-limit 2" << arguments;
        EXPECT_LE(outcome.exit_code, 4) << "exit " << outcome.exit_code << ": faultline test --time-limit 2"
                                        << arguments;
    }
    fs::remove_all(store);
}

}  // namespace
}  // namespace faultline
