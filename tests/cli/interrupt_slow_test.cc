// A simulated sweep stopped by a signal (Ctrl-C, or SIGTERM from a batch
// system) keeps what it found: the seeds running finish, sweep.json and the
// report are written as for a finished sweep, marked interrupted with exactly
// the seeds that ran, and the exit code says not every seed ran (4), unless a
// seed failed (1). Each test lets a long sweep run a few seconds of wall time
// (`timeout` sends the signal), so the number of seeds run varies from run to
// run; what is checked holds for any of them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "support/faultline_process.h"
#include "support/sweep_file.h"

namespace {

namespace fs = std::filesystem;
using faultline::testing::fresh_folder;
using faultline::testing::only_sweep;
using faultline::testing::Outcome;
using faultline::testing::run_faultline;
using Json = nlohmann::json;

// The summary line's count of seeds run: "sweep        interrupted (SIGINT) after N of M seeds: ...".
std::uint64_t interrupted_runs(const std::string& output, const std::string& signal, std::uint64_t requested) {
    const std::regex line("sweep        interrupted \\(" + signal + "\\) after ([0-9]+) of " +
                          std::to_string(requested) + " seeds: ([0-9]+) valid, ([0-9]+) failed");
    std::smatch match;
    if (!std::regex_search(output, match, line)) return 0;
    EXPECT_EQ(std::stoull(match[1]), std::stoull(match[2]) + std::stoull(match[3])) << match[0];
    return std::stoull(match[1]);
}

// What every interrupted sweep's sweep.json says: interrupted, why, and
// seeds_run exactly the seeds counted (from the slice's first, in order: the
// seeds handed out before the signal all finish), none counted valid that
// did not run.
void expect_interrupted_summary(const Json& sweep, std::uint64_t first, std::uint64_t requested,
                                std::uint64_t printed_runs, const std::string& signal) {
    ASSERT_TRUE(sweep.is_object());
    EXPECT_EQ(sweep.value("interrupted", false), true);
    const std::uint64_t runs = sweep["runs"].get<std::uint64_t>();
    EXPECT_GT(runs, 0u);
    EXPECT_LT(runs, requested);
    EXPECT_EQ(runs, printed_runs);
    ASSERT_EQ(sweep["seeds_run"].size(), runs);
    std::uint64_t valid = 0;
    for (std::uint64_t i = 0; i < runs; ++i) {
        EXPECT_EQ(sweep["seeds_run"][i]["seed"], first + i);
        if (sweep["seeds_run"][i]["verdict"] == "valid") ++valid;
    }
    EXPECT_EQ(sweep["valid"], valid);
    const std::string because = sweep.value("stopped_because", "");
    EXPECT_NE(because.find("interrupted by " + signal), std::string::npos) << because;
    EXPECT_NE(because.find(std::to_string(runs) + " of " + std::to_string(requested) + " seeds"), std::string::npos)
        << because;
    const std::string ran =
        runs == 1 ? std::to_string(first) : std::to_string(first) + ".." + std::to_string(first + runs - 1);
    EXPECT_NE(because.find("seeds run " + ran + ";"), std::string::npos) << because;
}

TEST(InterruptedSweep, CtrlCKeepsTheSeedsThatRanAndExits4) {
    const std::string store = fresh_folder("interrupt-sweep");
    ASSERT_FALSE(store.empty());
    const Outcome outcome =
        run_faultline("test --seeds 1..100000 --jobs 2 --no-trace --keep-going --store '" + store + "'",
                      "timeout --preserve-status -s INT 3 ");
    EXPECT_EQ(outcome.exit_code, 4) << outcome.output;
    const std::uint64_t runs = interrupted_runs(outcome.output, "SIGINT", 100000);
    EXPECT_GT(runs, 0u) << outcome.output;
    fs::path folder;
    const Json sweep = only_sweep(store, &folder);
    expect_interrupted_summary(sweep, 1, 100000, runs, "SIGINT");
    if (HasFatalFailure()) return;
    EXPECT_TRUE(sweep["failures"].empty()) << sweep["failures"].dump();
    EXPECT_EQ(sweep["valid"], runs);
    // The report says so too.
    std::ifstream page(folder / "report.html");
    ASSERT_TRUE(page.good()) << folder;
    const std::string html((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
    EXPECT_NE(html.find("id=\"interrupted\""), std::string::npos);
    EXPECT_NE(html.find("interrupted by SIGINT after " + std::to_string(runs) + " of 100000 seeds"), std::string::npos);
}

TEST(InterruptedSweep, SigtermStopsAShardAsCtrlCDoes) {
    const std::string store = fresh_folder("interrupt-shard");
    ASSERT_FALSE(store.empty());
    // Shard 1 of 2 of 1..100000: seeds 50001..100000.
    const Outcome outcome = run_faultline("test --seeds 1..100000 --shard 1/2 --no-trace --store '" + store + "'",
                                          "timeout --preserve-status 3 ");
    EXPECT_EQ(outcome.exit_code, 4) << outcome.output;
    const std::uint64_t runs = interrupted_runs(outcome.output, "SIGTERM", 50000);
    EXPECT_GT(runs, 0u) << outcome.output;
    const Json sweep = only_sweep(store);
    expect_interrupted_summary(sweep, 50001, 50000, runs, "SIGTERM");
    if (HasFatalFailure()) return;
    EXPECT_EQ(sweep["shard"]["index"], 1);
}

TEST(InterruptedSweep, AFailureFoundBeforeTheSignalIsStoredAndExits1) {
    const std::string store = fresh_folder("interrupt-failing");
    ASSERT_FALSE(store.empty());
    const Outcome outcome = run_faultline(
        "test --bug early-ack --nemesis partition,kill --seeds 1..100000 --no-trace "
        "--keep-going --stored-failures-max 1 --store '" +
            store + "'",
        "timeout --preserve-status -s INT 3 ");
    EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
    const std::uint64_t runs = interrupted_runs(outcome.output, "SIGINT", 100000);
    EXPECT_GT(runs, 0u) << outcome.output;
    const Json sweep = only_sweep(store);
    expect_interrupted_summary(sweep, 1, 100000, runs, "SIGINT");
    if (HasFatalFailure()) return;
    ASSERT_FALSE(sweep["failures"].empty());
    EXPECT_EQ(sweep["failures"].size(), runs - sweep["valid"].get<std::uint64_t>());
    const Json& first = sweep["failures"][0];
    EXPECT_EQ(first["verdict"], "invalid");
    ASSERT_TRUE(first.contains("stored")) << first.dump();
    EXPECT_TRUE(fs::exists(fs::path(first["stored"].get<std::string>()) / "results.json")) << first.dump();
    EXPECT_NE(outcome.output.find("seed " + std::to_string(first["seed"].get<std::uint64_t>()) + ": "),
              std::string::npos);
}

}  // namespace
