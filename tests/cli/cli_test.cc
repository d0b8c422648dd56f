// The faultline command as a user meets it: exit codes, one-line errors naming
// the problem, a run store that replays to the same trace hash.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "support/faultline_process.h"

namespace {

using faultline::testing::fresh_folder;
using faultline::testing::Outcome;

Outcome run(const std::string& arguments) {
    return faultline::testing::run_faultline(arguments);
}

std::string line_with(const std::string& text, const std::string& prefix) {
    const auto start = text.find(prefix);
    if (start == std::string::npos) return "";
    return text.substr(start, text.find('\n', start) - start);
}

TEST(Cli, EverySubcommandHasHelp) {
    for (const char* subcommand : {"test", "replay", "trace"}) {
        const Outcome outcome = run(std::string(subcommand) + " --help");
        EXPECT_EQ(outcome.exit_code, 0) << subcommand;
        EXPECT_NE(outcome.output.find("Usage"), std::string::npos) << subcommand;
    }
}

TEST(Cli, BadOptionsGiveOneLineAndExitCodeThreeOrMore) {
    for (const char* arguments : {"test --loss 1.5", "test --latency warp:9", "test --bogus", "test --nodes 0",
                                  "test --nemesis partition,meteor", "test --bug nonsense", "frobnicate"}) {
        const Outcome outcome = run(arguments);
        EXPECT_GE(outcome.exit_code, 3) << arguments;
        EXPECT_EQ(outcome.output.find('\n'), outcome.output.size() - 1) << arguments << ":\n" << outcome.output;
        EXPECT_EQ(outcome.output.rfind("faultline: ", 0), 0u) << arguments << ": " << outcome.output;
    }
    EXPECT_NE(run("test --loss 1.5").output.find("--loss"), std::string::npos);
    EXPECT_NE(run("test --nemesis partition,meteor").output.find("meteor"), std::string::npos);
}

TEST(Cli, ARunIsStoredAndReplaysToTheSameTraceHash) {
    const std::string store = fresh_folder("cli-replay");
    const Outcome first = run("test --seed 5 --time-limit 5 --store " + store);
    ASSERT_EQ(first.exit_code, 0) << first.output;
    const std::string hash = line_with(first.output, "trace hash");
    ASSERT_FALSE(hash.empty()) << first.output;
    for (const char* file : {"config.json", "history.jsonl", "results.json"}) {
        EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(store) / "latest" / file)) << file;
    }
    const Outcome replay = run("replay " + store + "/latest");
    EXPECT_EQ(replay.exit_code, 0) << replay.output;
    EXPECT_EQ(line_with(replay.output, "trace hash"), hash);
    EXPECT_NE(replay.output.find("matches the recorded run"), std::string::npos) << replay.output;
}

TEST(Cli, ReplayOfAMissingOrMalformedRunIsAClearError) {
    const Outcome missing = run("replay /nonexistent/run");
    EXPECT_GE(missing.exit_code, 3);
    EXPECT_NE(missing.output.find("/nonexistent/run/config.json"), std::string::npos) << missing.output;
    const std::string store = fresh_folder("cli-malformed");
    std::filesystem::create_directories(store);
    std::FILE* config = std::fopen((store + "/config.json").c_str(), "w");
    ASSERT_NE(config, nullptr);
    std::fputs("{\"nodes\": \"five\"}", config);
    std::fclose(config);
    const Outcome malformed = run("replay " + store);
    EXPECT_GE(malformed.exit_code, 3);
    EXPECT_NE(malformed.output.find("nodes"), std::string::npos) << malformed.output;
}

TEST(Cli, AKnownBugIsCaughtWithExitCodeOneAndAReproLine) {
    const std::string store = fresh_folder("cli-bug");
    const Outcome outcome = run("test --bug early-ack --search random --seed 1 --store " + store);
    EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
    EXPECT_NE(outcome.output.find("linearizability: invalid"), std::string::npos) << outcome.output;
    EXPECT_NE(outcome.output.find("repro        faultline replay"), std::string::npos) << outcome.output;
}

}  // namespace

// `faultline check` on a run's own history.jsonl gives the run's linearizability
// verdict: both read the history through one definition of its semantics (a
// read or cas failing with "key does not exist" observed the key absent).
TEST(Cli, CheckGivesTheRunsVerdictOnTheRunsOwnHistory) {
    const char* runs[] = {
        // Seeds found under --search random, the strategy they name.
        "--bug stale-read --search random --seed 271",  // a stale read of a key that was absent
        "--bug no-dedup --search random --seed 2",      // a duplicated write applied twice
        "--bug early-ack --search random --seed 1",     // a write acknowledged, then lost
        "--seed 3 --time-limit 20",                     // correct: valid both ways
        "--system primary-backup --seed 1 --time-limit 20",
    };
    int invalid_runs = 0;
    for (const char* arguments : runs) {
        const std::string store = fresh_folder("check-agrees");
        ASSERT_FALSE(store.empty());
        const Outcome test = run(std::string("test ") + arguments + " --store " + store);
        ASSERT_LE(test.exit_code, 1) << arguments << ":\n" << test.output;
        const std::string line = line_with(test.output, "check        linearizability:");
        ASSERT_FALSE(line.empty()) << arguments << ":\n" << test.output;
        const bool run_says_invalid = line.find("linearizability: invalid") != std::string::npos;
        invalid_runs += run_says_invalid ? 1 : 0;
        const Outcome check = run("check " + store + "/latest/history.jsonl");
        EXPECT_EQ(check.exit_code, run_says_invalid ? 1 : 0) << arguments << "\nrun: " << line << "\ncheck:\n"
                                                             << check.output;
        std::filesystem::remove_all(store);
    }
    EXPECT_GE(invalid_runs, 3) << "the buggy runs must fail, or the agreement proves little";
}

// A run stored without a trace gets one from `replay --trace`, and only when the
// replay is the recorded run.
TEST(Cli, ReplayWithTraceWritesTheTraceOfAnyStoredRun) {
    const std::string store = fresh_folder("replay-trace");
    ASSERT_FALSE(store.empty());
    const Outcome first = run("test --seed 2 --time-limit 5 --no-trace --store " + store);
    ASSERT_EQ(first.exit_code, 0) << first.output;
    const std::filesystem::path latest = std::filesystem::path(store) / "latest";
    ASSERT_FALSE(std::filesystem::exists(latest / "trace.bin.zst"));
    const Outcome replay = run("replay --trace " + latest.string());
    EXPECT_EQ(replay.exit_code, 0) << replay.output;
    EXPECT_TRUE(std::filesystem::exists(latest / "trace.bin.zst")) << replay.output;
    EXPECT_EQ(run("trace " + latest.string()).exit_code, 0);
    // The old format, with every message body.
    const Outcome jsonl = run("replay --trace --trace-format jsonl " + latest.string());
    EXPECT_EQ(jsonl.exit_code, 0) << jsonl.output;
    EXPECT_TRUE(std::filesystem::exists(latest / "trace.jsonl") || std::filesystem::exists(latest / "trace.jsonl.zst"))
        << jsonl.output;
    std::filesystem::remove_all(store);
}

// The binary trace printed as JSON lines: the same lines as trace.jsonl, the
// message bodies only with --bodies (from a replay checked against the file).
TEST(Cli, TracePrintsTheBinaryTraceAsTheJsonLinesOfTraceJsonl) {
    const std::string store = fresh_folder("trace-command");
    ASSERT_FALSE(store.empty());
    const Outcome binary = run("test --seed 3 --time-limit 2 --recovery 1s --rate 20 --store " + store + "/binary");
    ASSERT_EQ(binary.exit_code, 0) << binary.output;
    const Outcome jsonl =
        run("test --seed 3 --time-limit 2 --recovery 1s --rate 20 --trace-format jsonl --store " + store + "/jsonl");
    ASSERT_EQ(jsonl.exit_code, 0) << jsonl.output;
    ASSERT_EQ(line_with(binary.output, "trace hash"), line_with(jsonl.output, "trace hash"));
    const std::filesystem::path binary_run = std::filesystem::path(store) / "binary" / "latest";
    const std::filesystem::path jsonl_run = std::filesystem::path(store) / "jsonl" / "latest";
    ASSERT_TRUE(std::filesystem::exists(binary_run / "trace.bin.zst"));
    ASSERT_TRUE(std::filesystem::exists(jsonl_run / "trace.jsonl"));
    std::ifstream file(jsonl_run / "trace.jsonl");
    const std::string expected((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    ASSERT_GT(std::count(expected.begin(), expected.end(), '\n'), 1000);

    const Outcome with_bodies = run("trace --bodies " + binary_run.string());
    EXPECT_EQ(with_bodies.exit_code, 0);
    EXPECT_TRUE(with_bodies.output == expected) << "the first lines differ:\n"
                                                << with_bodies.output.substr(0, 600) << "\nversus\n"
                                                << expected.substr(0, 600);
    const Outcome plain = run("trace " + (binary_run / "trace.bin.zst").string());
    EXPECT_EQ(plain.exit_code, 0);
    EXPECT_EQ(std::count(plain.output.begin(), plain.output.end(), '\n'),
              std::count(expected.begin(), expected.end(), '\n'));
    EXPECT_EQ(plain.output.find("\"body\""), std::string::npos);
    EXPECT_NE(plain.output.find("\"kind\":\"deliver\""), std::string::npos);

    // A trace cut short (a run that died) prints up to the cut and says so: a
    // longer run, whose trace was written in several chunks.
    const Outcome longer = run("test --seed 3 --time-limit 10 --store " + store + "/longer");
    ASSERT_EQ(longer.exit_code, 0) << longer.output;
    const std::string cut = store + "/cut.bin.zst";
    const std::filesystem::path longer_trace = std::filesystem::path(store) / "longer" / "latest" / "trace.bin.zst";
    std::filesystem::copy_file(longer_trace, cut);
    std::filesystem::resize_file(cut, std::filesystem::file_size(cut) * 2 / 3);
    const Outcome cut_outcome = run("trace " + cut);
    EXPECT_EQ(cut_outcome.exit_code, 0);
    EXPECT_GT(std::count(cut_outcome.output.begin(), cut_outcome.output.end(), '\n'), 10'000);
    EXPECT_NE(cut_outcome.output.find("faultline: the trace was cut after"), std::string::npos);

    const Outcome not_a_trace = run("trace " + (jsonl_run / "trace.jsonl").string());
    EXPECT_EQ(not_a_trace.exit_code, 3);
    EXPECT_NE(not_a_trace.output.find("not a faultline trace"), std::string::npos) << not_a_trace.output;
}

// A sweep keeps the traces of its first failures only, and lists every failing
// seed with its repro command in sweep.json.
TEST(Cli, ASweepStoresItsFirstFailuresAndListsTheRest) {
    const std::string store = fresh_folder("sweep-cap");
    ASSERT_FALSE(store.empty());
    const Outcome sweep =
        run("test --bug early-ack --seeds 1..12 --keep-going --stored-failures-max 2 --no-trace --store " + store);
    ASSERT_EQ(sweep.exit_code, 1) << sweep.output;
    std::size_t stored = 0;
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(store) / "raft-kv")) {
        stored += entry.is_directory() ? 1 : 0;
    }
    EXPECT_EQ(stored, 2u) << sweep.output;
    EXPECT_NE(sweep.output.find("not stored"), std::string::npos) << sweep.output;
    const std::string listed = line_with(sweep.output, "failures     ");
    ASSERT_FALSE(listed.empty()) << sweep.output;
    std::ifstream in(listed.substr(std::string("failures     ").size()));
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_NE(text.str().find("\"repro\": \"faultline test --bug early-ack --seed 12\""), std::string::npos)
        << text.str();
    std::filesystem::remove_all(store);
}
