// Bad input to the newer command-line surfaces (real mode, etcd, serve, the
// proxy, merge, the option parsers they share, the newer scenario groups),
// table by table: each row is what a user typed and the fragment the one-line
// error must hold. Each table is one class of defect these surfaces had: a
// crash, a value wrapped or let through (nan passes any range check), a
// message that named another flag or none, or a refusal that came only after
// servers had started. Nothing here starts a server: where one could start,
// the store stays empty and a timeout bounds the command.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/faultline_process.h"

namespace {

namespace fs = std::filesystem;
using faultline::testing::fresh_folder;
using faultline::testing::Outcome;

struct Row {
    std::string arguments;
    std::string mentions;  // a fragment the error line must hold
};

std::string write_file(const std::string& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
    return path;
}

// "timeout": should a row not be refused, whatever it started ends.
Outcome run(const std::string& arguments) {
    return faultline::testing::run_faultline(arguments, "timeout 60 ");
}

// The error contract: one line, "faultline: " first, exit code 3, no signal.
void expect_refused(const Row& row) {
    const Outcome outcome = run(row.arguments);
    EXPECT_FALSE(outcome.signalled) << row.arguments << ":\n" << outcome.output;
    EXPECT_EQ(outcome.exit_code, 3) << row.arguments << ":\n" << outcome.output;
    EXPECT_EQ(outcome.output.rfind("faultline: ", 0), 0u) << row.arguments << ":\n" << outcome.output;
    EXPECT_EQ(std::count(outcome.output.begin(), outcome.output.end(), '\n'), 1) << row.arguments << ":\n"
                                                                                 << outcome.output;
    EXPECT_NE(outcome.output.find(row.mentions), std::string::npos)
        << row.arguments << ": the message should mention '" << row.mentions << "':\n"
        << outcome.output;
}

TEST(SurfacesBadInput, HandDeclaredNumbersAreDecimalFiniteAndInRange) {
    // CLI::Range let nan through (nan compares false with both bounds) and
    // read hex and octal; a bare unsigned option took -1 as 2^64-1.
    const std::string store = fresh_folder("numbers");
    ASSERT_FALSE(store.empty());
    const std::string serve =
        "serve --id n1 --listen 127.0.0.1:7001 --client-listen 127.0.0.1:8001 --data-dir " + store + "/kv --seed -1";
    const std::vector<Row> rows = {
        {"test --real --time-limit nan --store " + store, "--time-limit: expected a number in [0.1, 3600], got 'nan'"},
        {"test --real --rate nan --store " + store, "--rate: expected a number"},
        {"test --real --recovery inf --store " + store, "--recovery: expected a number"},
        {"test --real --nodes 0x3 --store " + store, "--nodes: expected a whole number in [1, 9], got '0x3'"},
        {"test --real --seed -1 --store " + store, "--seed: expected a whole number"},
        {"test --system etcd --seed -1 --store " + store, "--seed: expected a whole number"},
        {"test --system etcd --clients 0x10 --store " + store, "--clients: expected a whole number in [1, 64]"},
        {"fd --loss nan --store " + store, "--loss: expected a number in [0, 0.99], got 'nan'"},
        {"fd --jobs 0x2 --store " + store, "--jobs: expected a whole number"},
        {"check --threads 0x2 /dev/null", "--threads: expected a whole number in [0, 256], got '0x2'"},
        {"shrink --runs 0x10 " + store, "--runs: expected a whole number"},
        {serve, "--seed: expected a whole number"},
        // Declared options: a duration's number is decimal too.
        {"test --heartbeat-interval 0x10ms --store " + store, "'0x10ms' is not a duration"},
        {"test --gst nan --timing partial --store " + store, "'nan' is not a duration"},
    };
    for (const Row& row : rows) expect_refused(row);
    EXPECT_TRUE(fs::is_empty(store)) << "a refused command wrote into its store";
}

TEST(SurfacesBadInput, AnOptionsMessageNamesItsFlagOnce) {
    const std::string store = fresh_folder("once");
    ASSERT_FALSE(store.empty());
    const Outcome outcome = run("test --byzantine x --store " + store);
    EXPECT_EQ(outcome.exit_code, 3);
    EXPECT_EQ(outcome.output, "faultline: --byzantine: expected a whole number, got 'x'\n");
}

TEST(SurfacesBadInput, ABadValueOfTheCommandsOwnOptionIsNotBlamedOnAnotherSystem) {
    // Real mode's --keys used to be reported as dynamo's option, which
    // declares a --keys of its own.
    const std::string store = fresh_folder("own");
    ASSERT_FALSE(store.empty());
    expect_refused({"test --real --keys 0b11 --store " + store, "--keys: expected a whole number in [1, 1000]"});
    const Outcome outcome = run("test --real --keys 0b11 --store " + store);
    EXPECT_EQ(outcome.output.find("dynamo"), std::string::npos) << outcome.output;
    // An option the command does not have is still named with its owner.
    expect_refused({"test --system echo --byzantine 1 --store " + store, "an option of pbft-kv"});
}

TEST(SurfacesBadInput, AnEmptyFaultNameIsAnErrorNotNoFaults) {
    // "kill,,pause" and "" used to run: the empty name was skipped.
    const std::string store = fresh_folder("nemesis");
    ASSERT_FALSE(store.empty());
    const std::vector<Row> rows = {
        {"test --nemesis '' --store " + store, "an empty fault name"},
        {"test --nemesis kill,,pause --store " + store, "an empty fault name"},
        {"test --real --nemesis kill, --store " + store, "an empty fault name"},
        {"test --real --nemesis '' --store " + store, "an empty fault name"},
        {"test --system etcd --nemesis kill,,pause --store " + store, "an empty fault name"},
    };
    for (const Row& row : rows) expect_refused(row);
    EXPECT_TRUE(fs::is_empty(store));
}

TEST(SurfacesBadInput, RealModeRefusesAnUnknownBugBeforeAnyServerStarts) {
    // It used to start the servers, which refused the bug, and report exit 4
    // with a pointer into a server's log.
    const std::string store = fresh_folder("real-bug");
    ASSERT_FALSE(store.empty());
    expect_refused({"test --real --bug no-such-bug --store " + store, "unknown bug 'no-such-bug' for raft-kv"});
    EXPECT_TRUE(fs::is_empty(store));
}

TEST(SurfacesBadInput, ServeNamesTheFlagAndRefusesAddressesThatCannotWork) {
    const std::string folder = fresh_folder("serve");
    ASSERT_FALSE(folder.empty());
    const std::string in_the_way = write_file(folder + "/file", "");
    const std::string serve = "serve --id n1 --listen 127.0.0.1:7001 --client-listen 127.0.0.1:8001 --data-dir ";
    const std::string data = folder + "/kv";
    const std::vector<Row> rows = {
        {serve + data + " --peers junk", "--peers: peer 'junk' is not NAME=HOST:PORT"},
        {serve + data + " --peers n2=127.0.0.1:0", "--peers: '127.0.0.1:0'"},
        {"serve --id n1 --listen junk --client-listen 127.0.0.1:8001 --data-dir " + data, "--listen: 'junk'"},
        {"serve --id n1 --listen 127.0.0.1:7001 --client-listen 10.0.0.1:8001 --data-dir " + data,
         "--client-listen: '10.0.0.1:8001'"},
        // A peer at this node's own address, and two peers at one: the node
        // used to start and talk to itself as another.
        {serve + data + " --peers n2=127.0.0.1:7001", "--peers: n2 is at 127.0.0.1:7001, this node's own"},
        {serve + data + " --peers n2=127.0.0.1:7002,n3=127.0.0.1:7002", "--peers: n2 and n3 are both at"},
        // A data dir it cannot use was a runtime error (4) that named no flag.
        {serve + in_the_way, "--data-dir " + in_the_way + ": cannot make the folder"},
        {serve + in_the_way + "/kv", "--data-dir " + in_the_way + "/kv: cannot make the folder"},
    };
    for (const Row& row : rows) expect_refused(row);
    EXPECT_FALSE(fs::exists(data)) << "a refused serve made its data dir";
}

TEST(SurfacesBadInput, AProxyConfigThatCannotServeIsRefusedWithItsLine) {
    // Each of these used to bind some links (or none) first, then fail
    // without a line, or serve a link that could never connect.
    const std::string folder = fresh_folder("proxy");
    ASSERT_FALSE(folder.empty());
    const std::string link = "[[link]]\nname = \"a\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:1\"\n";
    const auto config = [&](const std::string& name, const std::string& text) {
        return write_file(folder + "/" + name + ".toml", text);
    };
    const std::string upstream_zero =
        config("upstream", "[[link]]\nname = \"a\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:0\"\n");
    const std::string control = config("control", "control = \"8.8.8.8:8474\"\n" + link);
    const std::string name = config("name", "[[link]]\nname = \"a b\"\nlisten = \"127.0.0.1:0\"\n");
    const std::string twice = config("twice",
                                     "[[link]]\nname = \"a\"\nlisten = \"127.0.0.1:45677\"\nupstream = "
                                     "\"127.0.0.1:1\"\n[[link]]\nname = \"b\"\nlisten = \"127.0.0.1:45677\"\n"
                                     "upstream = \"127.0.0.1:1\"\n");
    const std::string on_control = config("on-control",
                                          "control = \"127.0.0.1:45678\"\n[[link]]\nname = \"a\"\nlisten = "
                                          "\"127.0.0.1:45678\"\nupstream = \"127.0.0.1:1\"\n");
    const std::string good = config("good", link);
    const std::vector<Row> rows = {
        {"proxy --config " + upstream_zero, upstream_zero + ":4: link 'a': upstream '127.0.0.1:0'"},
        {"proxy --config " + control, control + ":1: control '8.8.8.8:8474' must be on loopback"},
        {"proxy --config " + name, name + ":2: link name 'a b'"},
        {"proxy --config " + twice, twice + ":7: link 'b': listen '127.0.0.1:45677' is link 'a''s too"},
        {"proxy --config " + on_control, on_control + ":2: link 'a': listen '127.0.0.1:45678' is the control"},
        {"proxy --config " + folder, folder + ": a folder, not a config file"},
        {"proxy --config " + good + " --control 8.8.8.8:8474", "--control '8.8.8.8:8474' must be on loopback"},
    };
    for (const Row& row : rows) expect_refused(row);
}

TEST(SurfacesBadInput, AShardSummaryWithAFieldOfTheWrongTypeIsRefusedInItsOwnName) {
    // A failure's verdict, error, checks, stored or repro of another type
    // used to escape as "internal error: [json.exception.type_error.302]",
    // after half the merge's output; a string of checks was printed as one.
    const std::string folder = fresh_folder("merge");
    ASSERT_FALSE(folder.empty());
    const std::string head =
        R"({"faultline_version": "v", "config_hash": "h", "system": "echo", "command": "faultline test",)"
        R"( "shard": {"index": 0, "count": 1, "range": "1..2"}, )";
    const std::string seeds = R"("seeds_run": [{"seed": 1, "verdict": "valid"}, {"seed": 2, "verdict": "invalid"}])";
    const std::vector<std::pair<std::string, std::string>> shards = {
        {R"("failures": [{"seed": 2, "verdict": 5}])", "the failure of seed 2: 'verdict' is not a string"},
        {R"("failures": [{"seed": 2, "error": 7}])", "the failure of seed 2: 'error' is not a string"},
        {R"("failures": [{"seed": 2, "checks": "linearizability"}])",
         "the failure of seed 2: 'checks' is not a list of names"},
        {R"("failures": [{"seed": 2, "checks": [1]}])", "the failure of seed 2: 'checks' is not a list of names"},
        {R"("failures": [{"seed": 2, "stored": 3}])", "the failure of seed 2: 'stored' is not a string"},
        {R"("failures": [{"seed": 2, "repro": 3}])", "the failure of seed 2: 'repro' is not a string"},
        {R"("failures": [{"seed": 2, "verdict": "maybe"}])",
         "the failure of seed 2: verdict 'maybe' is not valid, invalid or unknown"},
        {R"("failures": [], "wall_seconds": "fast")", "wall_seconds must be a number of seconds"},
        // Named by its command line, not its file, before.
        {R"("failures": [{"seed": 9, "verdict": "invalid"}])", "seed 9 is outside the sweep's range 1..2"},
    };
    for (std::size_t i = 0; i < shards.size(); ++i) {
        const std::string dir = folder + "/shard" + std::to_string(i);
        fs::create_directories(dir);
        std::string body = head + seeds + ", " + shards[i].first + "}";
        if (shards[i].second.find("outside") != std::string::npos) {
            body = head + R"("seeds_run": [{"seed": 9, "verdict": "invalid"}], )" + shards[i].first + "}";
        }
        write_file(dir + "/sweep.json", body);
        expect_refused({"merge " + dir + " --store " + folder + "/merged", dir + "/sweep.json: " + shards[i].second});
    }
    // A summary cut short (a shard killed while writing it): its line, and why.
    fs::create_directories(folder + "/cut");
    write_file(folder + "/cut/sweep.json", head.substr(0, head.find("\"shard\"")) + "\n \"shard\": {");
    expect_refused({"merge " + folder + "/cut --store " + folder + "/merged",
                    folder + "/cut/sweep.json:2: not valid JSON (it ends early"});
    // A folder with no summary at all: the one error line names it.
    expect_refused({"merge " + folder + "/nowhere --store " + folder + "/merged",
                    "nothing to merge: " + folder + "/nowhere holds no shard's summary"});
    EXPECT_FALSE(fs::exists(folder + "/merged")) << "a refused merge wrote a result";
}

TEST(SurfacesBadInput, AScenarioDurationErrorNamesItsKey) {
    const std::string folder = fresh_folder("scenario");
    ASSERT_FALSE(folder.empty());
    const std::string chain =
        write_file(folder + "/chain.toml", "name = \"x\"\nsystem = \"chain\"\nblock_interval = \"-1s\"\n");
    const std::string timing =
        write_file(folder + "/timing.toml", "name = \"x\"\nsystem = \"raft-kv\"\ntiming = \"partial\"\ngst = -1.0\n");
    const std::string bft =
        write_file(folder + "/bft.toml", "name = \"x\"\nsystem = \"pbft-kv\"\nbyzantine_behaviour = 3\n");
    const std::vector<Row> rows = {
        {"scenario run " + chain, chain + ":3: block_interval: '-1s' is out of range"},
        {"scenario run " + timing, timing + ":4: gst: a duration in seconds must be in [0, 9.2e9], got -1.0"},
        {"scenario run " + bft, bft + ":3: option 'byzantine_behaviour' must be a string"},
    };
    for (const Row& row : rows) expect_refused(row);
}

TEST(SurfacesBadInput, TotalOrderOnRaftRunsOnOneNode) {
    // A cluster of one commits a proposal inside the proposing call, which
    // erased the message being proposed from under it: a use after free
    // (a segfault in the release build).
    const std::string store = fresh_folder("total-raft");
    ASSERT_FALSE(store.empty());
    const Outcome outcome =
        run("test --system broadcast --level total-raft --nodes 1 --time-limit 2 --seed 1 --no-trace --store " + store);
    EXPECT_FALSE(outcome.signalled) << outcome.output;
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_NE(outcome.output.find("total-order"), std::string::npos) << outcome.output;
}

}  // namespace
