// Input that is wrong must be refused in one line, never crash faultline and
// never be silently bent into something else: the reproducers found by testing
// faultline from the outside (tests/data/repro/bad-input/: histories with
// invalid UTF-8, C*, and scenarios whose faults or options asserted, S*; each
// aborted faultline), and values that used to be wrapped, clamped, dropped or
// ignored. Every error is "faultline: <where>: <what>" on one line with an exit
// code of 3 or more.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "support/faultline_process.h"

namespace {

namespace fs = std::filesystem;

using faultline::testing::fresh_folder;
using faultline::testing::Outcome;

// `prefix` goes before the binary: "timeout 60" for a command that used to never end.
Outcome run(const std::string& arguments, const std::string& prefix = "") {
    return faultline::testing::run_faultline(arguments, prefix);
}

std::string write_file(const std::string& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
    return path;
}

// The error contract: one line, "faultline: " first, exit code 3 or more, no signal.
void expect_one_line_error(const Outcome& outcome, const std::string& arguments, const std::string& mentions) {
    EXPECT_FALSE(outcome.signalled) << arguments << ":\n" << outcome.output;
    EXPECT_GE(outcome.exit_code, 3) << arguments << ":\n" << outcome.output;
    EXPECT_EQ(outcome.output.rfind("faultline: ", 0), 0u) << arguments << ":\n" << outcome.output;
    EXPECT_EQ(std::count(outcome.output.begin(), outcome.output.end(), '\n'), 1) << arguments << ":\n"
                                                                                 << outcome.output;
    EXPECT_EQ(outcome.output.back(), '\n') << arguments << ":\n" << outcome.output;
    EXPECT_NE(outcome.output.find(mentions), std::string::npos)
        << arguments << ": the message should mention '" << mentions << "':\n"
        << outcome.output;
}

TEST(BadInput, EveryReproducerIsAOneLineErrorNamingItsFile) {
    const fs::path folder = fs::path(FAULTLINE_SOURCE_DIR) / "tests/data/repro/bad-input";
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder)) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    ASSERT_EQ(files.size(), 15u) << "the reproducers of tests/data/repro/bad-input";
    for (const fs::path& file : files) {
        const std::string arguments = (file.extension() == ".toml" ? "scenario run " : "check ") + file.string();
        expect_one_line_error(run(arguments), arguments, file.string() + ":");
    }
}

TEST(BadInput, ALongRunOfDiscardsIsReadNotRecursedInto) {
    // 100,000 `#_` discards one after another used to recurse once each and
    // overflow the stack. They are not nested: the op after them is read.
    const std::string folder = fresh_folder("discards");
    ASSERT_FALSE(folder.empty());
    std::string chain;
    for (int i = 0; i < 100000; ++i) chain += "#_1 ";
    const std::string path =
        write_file(folder + "/d.edn", chain + "{:process 0, :type :invoke, :f :write, :value 1}\n");
    const Outcome outcome = run("check " + path);
    EXPECT_FALSE(outcome.signalled) << outcome.output;
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_NE(outcome.output.find("d.edn: linearizable (cas-register, jepsen-edn, 1 ops)"), std::string::npos)
        << outcome.output;

    // Discards inside discards, and collections inside collections, do nest:
    // past 512 levels they are an error, not a deeper stack.
    std::string nested_discards;
    for (int i = 0; i < 100000; ++i) nested_discards += "#_";
    const std::string nested = write_file(folder + "/nested.edn", nested_discards + "1\n");
    expect_one_line_error(run("check " + nested), "nested discards", nested + ":1:");
    const std::string deep =
        write_file(folder + "/deep.edn", std::string(100000, '[') + std::string(100000, ']') + "\n");
    expect_one_line_error(run("check " + deep), "nested vectors", deep + ":1:");
    fs::remove_all(folder);
}

TEST(BadInput, EmptyHistoriesAreErrorsButNemesisOnlyEdnIsAHistory) {
    const std::string folder = fresh_folder("empty");
    ASSERT_FALSE(folder.empty());
    const std::string empty = write_file(folder + "/empty.edn", "");
    const std::string comment = write_file(folder + "/comment.edn", "; nothing but a comment\n");
    for (const std::string& path : {folder, std::string("/dev/null"), empty, comment}) {
        expect_one_line_error(run("check " + path), "check " + path, path + ":");
    }
    // A Jepsen history of nemesis ops only has no client ops, legitimately.
    const std::string nemesis =
        write_file(folder + "/nemesis.edn", "{:process :nemesis, :type :info, :f :start, :value nil}\n");
    const Outcome outcome = run("check " + nemesis);
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    fs::remove_all(folder);
}

TEST(BadInput, JsonlProcessesMustBeNonNegativeIntegers) {
    // Negative processes used to be dropped as non-client ops: "linearizable (0 ops)".
    const std::string folder = fresh_folder("jsonl");
    ASSERT_FALSE(folder.empty());
    for (const char* process : {"-1", "1.5"}) {
        const std::string line =
            std::string("{\"type\":\"invoke\",\"f\":\"write\",\"process\":") + process + ",\"value\":1,\"time\":1}\n";
        const std::string path = write_file(folder + "/h.jsonl", line);
        expect_one_line_error(run("check " + path), process, path + ":1: ");
    }
    fs::remove_all(folder);
}

TEST(BadInput, WrappedOrClampedOptionsAreErrors) {
    const std::string folder = fresh_folder("options");
    ASSERT_FALSE(folder.empty());
    const std::string history = write_file(folder + "/h.edn", "{:process 0, :type :invoke, :f :write, :value 1}\n");
    struct Case {
        std::string arguments;
        std::string mentions;
    };
    const std::vector<Case> cases = {
        {"test --seed -1", "--seed"},
        {"test --seed 18446744073709551616", "--seed"},
        {"test --bandwidth -1", "--bandwidth"},
        {"test --value-bytes -1", "--value-bytes"},
        {"test --nodes 0x5", "--nodes"},
        {"test --seeds 1..18446744073709551616", "--seeds"},
        {"check --memory-limit nan " + history, "--memory-limit"},
        {"check --memory-limit inf " + history, "--memory-limit"},
        {"check --configs-max 0 " + history, "--configs-max"},
        {"check --configs-max -1 " + history, "--configs-max"},
        {"check --configs-max 18446744073709551616 " + history, "--configs-max"},
        // Gone: a clock must not decide a verdict (--configs-max does).
        {"check --time-limit 60 " + history, "--time-limit"},
        // Latencies whose draws could overflow virtual time.
        {"test --latency pareto:1ms,0.01", "--latency"},
        {"test --latency lognormal:1ms,50", "--latency"},
        {"test --latency exponential:1000000h", "--latency"},
        // Timers below the 1ms floor would flood the event queue without end.
        {"test --heartbeat 1ns", "--heartbeat"},
        {"test --system detector --nodes 1 --detector-interval 1ns", "--detector-interval"},
        {"test --election-timeout-min 1ns", "--election-timeout-min"},
    };
    for (const Case& c : cases) {
        // Should a `test` run instead of refusing, it must not write into the working directory.
        const std::string store = c.arguments.rfind("test ", 0) == 0 ? " --store " + folder : "";
        expect_one_line_error(run(c.arguments + store), c.arguments, c.mentions);
    }
    fs::remove_all(folder);
}

TEST(BadInput, TimingModelsRefuseWhatTheirBoundsCannotHold) {
    const std::string folder = fresh_folder("timing");
    ASSERT_FALSE(folder.empty());
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"test --timing eventually", "--timing"},
        {"test --gst 5s", "--timing"},
        {"test --timing sync --nemesis kill --gst 5s", "partial"},
        {"test --timing partial --nemesis none --time-limit 10 --gst 20s", "gst"},
        {"test --timing sync --nemesis none --loss 0.2", "loss"},
        {"test --timing async", "crash faults only"},
        {"test --timing sync --nemesis none --drift-max -1", "--drift-max"},
        {"test --timing sync --nemesis none --delay-max 0", "--delay-max"},
    };
    for (const auto& [arguments, mentions] : cases) {
        expect_one_line_error(run(arguments + " --store " + folder), arguments, mentions);
    }
    fs::remove_all(folder);
}

TEST(BadInput, ScenarioNumbersOutOfRangeAreErrorsWithTheirLine) {
    const std::string folder = fresh_folder("toml");
    ASSERT_FALSE(folder.empty());
    const std::string nodes =
        write_file(folder + "/nodes.toml", "name = \"x\"\nsystem = \"echo\"\nnodes = 4294967297\n");
    expect_one_line_error(run("scenario run " + nodes), "nodes = 4294967297", nodes + ":3:");
    const std::string seeds = write_file(folder + "/seeds.toml", "name = \"x\"\nsystem = \"echo\"\nseeds = [-1]\n");
    expect_one_line_error(run("scenario run " + seeds), "seeds = [-1]", seeds + ":3:");
    const std::string heartbeat =
        write_file(folder + "/heartbeat.toml", "name = \"x\"\nsystem = \"raft-kv\"\nheartbeat_interval = \"1ns\"\n");
    expect_one_line_error(run("scenario run " + heartbeat), "heartbeat_interval = 1ns", "heartbeat_interval");
    fs::remove_all(folder);
}

TEST(BadInput, ConfigJsonIsReadStrictly) {
    // A replayed config.json with a fractional seed used to replay seed 1 and
    // say "matches"; unknown fields were ignored.
    const std::string folder = fresh_folder("config");
    ASSERT_FALSE(folder.empty());
    struct Case {
        std::string json;
        std::string mentions;
    };
    const std::vector<Case> cases = {
        {R"({"seed": 1.5})", "'seed'"},
        {R"({"seed": -1})", "'seed'"},
        {R"({"nodes": 4294967297})", "'nodes'"},
        {R"({"sed": 1})", "'sed'"},
        {R"({"disk_bit_flips": 0.1})", "'disk_bit_flips'"},
        // An option of another system than the config's.
        {R"({"system": "echo", "lease_reads": true})", "'lease_reads'"},
    };
    for (const Case& c : cases) {
        write_file(folder + "/config.json", c.json);
        expect_one_line_error(run("replay " + folder), c.json, c.mentions);
    }
    fs::remove_all(folder);
}

TEST(BadInput, ASweepEndingAtTheLastSeedEnds) {
    // The seed counter used to wrap from 2^64-1 to 0 and go on forever.
    const std::string folder = fresh_folder("sweep");
    ASSERT_FALSE(folder.empty());
    const Outcome outcome =
        run("test --system echo --nemesis none --time-limit 1 --recovery 1 --seeds "
            "18446744073709551614..18446744073709551615 --store " +
                folder,
            "timeout 60 ");
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_NE(outcome.output.find("sweep        2 runs: 2 valid"), std::string::npos) << outcome.output;
    fs::remove_all(folder);
}

TEST(BadInput, ADetectorRunOfOneNodeLeavesPartitionsOut) {
    // "all" faults on one node used to draw partitions the detector system
    // could not shape (an assertion); naming partitions alone is an error.
    const std::string folder = fresh_folder("detector");
    ASSERT_FALSE(folder.empty());
    const Outcome outcome =
        run("test --system detector --nodes 1 --seed 1 --time-limit 30 --no-trace --store " + folder);
    EXPECT_FALSE(outcome.signalled) << outcome.output;
    EXPECT_LE(outcome.exit_code, 2) << outcome.output;
    expect_one_line_error(run("test --system detector --nodes 1 --nemesis partition --store " + folder),
                          "--nemesis partition", "partition");
    fs::remove_all(folder);
}

TEST(BadInput, ReplayThatDivergesHasItsOwnExitCode) {
    const std::string folder = fresh_folder("diverge");
    ASSERT_FALSE(folder.empty());
    const Outcome first =
        run("test --system echo --nemesis none --seed 3 --time-limit 1 --recovery 1 --store " + folder);
    ASSERT_EQ(first.exit_code, 0) << first.output;
    const std::string results = folder + "/latest/results.json";
    std::ifstream in(results);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    const auto at = text.find("\"trace_hash\": \"");
    ASSERT_NE(at, std::string::npos) << text.substr(0, 200);
    const std::size_t digit = at + std::string("\"trace_hash\": \"").size();
    text[digit] = text[digit] == '0' ? '1' : '0';
    write_file(results, text);
    const Outcome replay = run("replay " + folder + "/latest");
    EXPECT_EQ(replay.exit_code, 5) << replay.output;
    EXPECT_NE(replay.output.find("DIVERGED"), std::string::npos) << replay.output;

    // A faithful replay of an invalid run is the invalid verdict again: 1.
    const std::string bug_store = folder + "/bug";
    const Outcome bug = run("test --bug early-ack --search random --seed 1 --no-trace --store " + bug_store);
    ASSERT_EQ(bug.exit_code, 1) << bug.output;
    const Outcome reproduced = run("replay " + bug_store + "/latest");
    EXPECT_EQ(reproduced.exit_code, 1) << reproduced.output;
    EXPECT_NE(reproduced.output.find("trace hash matches the recorded run"), std::string::npos) << reproduced.output;
    fs::remove_all(folder);
}

}  // namespace
