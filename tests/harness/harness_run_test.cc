// The harness end to end: `faultline test -w WORKLOAD --bin NODE` over the
// small Python nodes of tests/harness/nodes/, each workload with a node that
// must pass and a broken one that must fail, and the misbehaving nodes with
// the diagnosis each must get. These run real processes in real time, so each
// run is short (a second or two of workload).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/json.h"
#include "harness/harness_runs.h"
#include "support/faultline_process.h"

namespace faultline {
namespace {

using testing::fresh_folder;
using testing::run_faultline;

std::string node(const std::string& file) {
    return std::string(FAULTLINE_SOURCE_DIR) + "/tests/harness/nodes/" + file;
}

using testing::HarnessRun;
using testing::verdict_of;

// Runs the harness with `arguments` into a store of its own.
HarnessRun run_harness(const std::string& arguments) {
    return testing::run_into_store(fresh_folder("harness"), "--seed 1 " + arguments);
}

TEST(HarnessRun, EchoPassesAndAWrongEchoFails) {
    const auto good = run_harness("-w echo --bin " + node("echo.py") + " --node-count 2 --time-limit 1 --rate 20");
    EXPECT_EQ(good.outcome.exit_code, 0) << good.outcome.output;
    EXPECT_EQ(verdict_of(good, "echo"), "valid");
    EXPECT_EQ(verdict_of(good, "protocol"), "valid");
    EXPECT_GT(good.results["stats"]["ok_count"].get<int>(), 5);
    EXPECT_TRUE(std::filesystem::exists(good.folder + "/node-logs/n0.log"));
    EXPECT_TRUE(std::filesystem::exists(good.folder + "/history.jsonl"));
    EXPECT_TRUE(std::filesystem::exists(good.folder + "/deliveries.jsonl"));

    const auto bad =
        run_harness("-w echo --bin " + node("echo.py") + " --node-count 2 --time-limit 1 --rate 20 -- --wrong");
    EXPECT_EQ(bad.outcome.exit_code, 1) << bad.outcome.output;
    EXPECT_EQ(verdict_of(bad, "echo"), "invalid");
}

TEST(HarnessRun, UniqueIdsPassUnderPartitionsAndCollidingIdsFail) {
    const auto good = run_harness("-w unique-ids --bin " + node("unique_ids.py") +
                                  " --node-count 3 --time-limit 1.5 --rate 200 --nemesis partition "
                                  "--nemesis-interval 0.3");
    EXPECT_EQ(good.outcome.exit_code, 0) << good.outcome.output;
    EXPECT_EQ(verdict_of(good, "unique-ids"), "valid");
    EXPECT_FALSE(good.results["faults"].empty());  // the nemesis did act

    const auto bad = run_harness("-w unique-ids --bin " + node("unique_ids.py") +
                                 " --node-count 3 --time-limit 1 --rate 100 -- "
                                 "--collide");
    EXPECT_EQ(bad.outcome.exit_code, 1) << bad.outcome.output;
    EXPECT_EQ(verdict_of(bad, "unique-ids"), "invalid");
}

TEST(HarnessRun, BroadcastSpreadsWithGossipAndLosesValuesWithout) {
    const std::string common = "-w broadcast --bin " + node("broadcast.py") +
                               " --node-count 5 --time-limit 1.5 --rate 20 --latency 5 --recovery 1 --topology line";
    const auto good = run_harness(common + " --nemesis partition --nemesis-interval 0.4");
    EXPECT_EQ(good.outcome.exit_code, 0) << good.outcome.output;
    EXPECT_EQ(verdict_of(good, "set"), "valid");
    EXPECT_GT(good.results["net"]["servers"]["send_count"].get<int>(), 0);

    const auto bad = run_harness(common + " -- --no-gossip");
    EXPECT_EQ(bad.outcome.exit_code, 1) << bad.outcome.output;
    EXPECT_EQ(verdict_of(bad, "set"), "invalid");
    EXPECT_EQ(bad.results["net"]["servers"]["send_count"], 0);
}

TEST(HarnessRun, AGrowOnlySetConvergesWithGossipAndNotWithout) {
    const std::string common =
        "-w g-set --bin " + node("g_set.py") + " --node-count 3 --time-limit 1.5 --rate 30 --recovery 1";
    const auto good = run_harness(common + " --nemesis partition --nemesis-interval 0.4");
    EXPECT_EQ(good.outcome.exit_code, 0) << good.outcome.output;
    EXPECT_EQ(verdict_of(good, "set"), "valid");

    const auto bad = run_harness(common + " -- --no-gossip");
    EXPECT_EQ(bad.outcome.exit_code, 1) << bad.outcome.output;
    EXPECT_EQ(verdict_of(bad, "set"), "invalid");
}

TEST(HarnessRun, CountersConvergeWithGossipAndNotWithout) {
    for (const char* workload : {"g-counter", "pn-counter"}) {
        const std::string common = std::string("-w ") + workload + " --bin " + node("g_counter.py") +
                                   " --node-count 3 --time-limit 1.5 --rate 40 --recovery 1";
        const auto good = run_harness(common + " --nemesis partition --nemesis-interval 0.4");
        EXPECT_EQ(good.outcome.exit_code, 0) << workload << good.outcome.output;
        EXPECT_EQ(verdict_of(good, "counter"), "valid") << workload;

        const auto bad = run_harness(common + " -- --local");
        EXPECT_EQ(bad.outcome.exit_code, 1) << workload << bad.outcome.output;
        EXPECT_EQ(verdict_of(bad, "counter"), "invalid") << workload;
    }
}

TEST(HarnessRun, LinKvOverTheLinKvServiceIsLinearizableAndOverLwwKvIsNot) {
    const std::string common = "-w lin-kv --bin " + node("lin_kv_proxy.py") +
                               " --node-count 3 --time-limit 2 --rate 100 --concurrency 2n --latency 5";
    const auto good = run_harness(common);
    EXPECT_EQ(good.outcome.exit_code, 0) << good.outcome.output;
    EXPECT_EQ(verdict_of(good, "linearizability"), "valid");

    const auto bad = run_harness(common + " -- --service lww-kv");
    EXPECT_EQ(bad.outcome.exit_code, 1) << bad.outcome.output;
    EXPECT_EQ(verdict_of(bad, "linearizability"), "invalid");
}

TEST(HarnessRun, TransactionsThroughOneNodeAreSerializableAndLocalStoresAreNot) {
    for (const char* workload : {"txn-list-append", "txn-rw-register"}) {
        const std::string common = std::string("-w ") + workload + " --bin " + node("txn.py") +
                                   " --node-count 3 --time-limit 1.5 --rate 100 --consistency-models serializable";
        const auto good = run_harness(common);
        EXPECT_EQ(good.outcome.exit_code, 0) << workload << good.outcome.output;
        EXPECT_EQ(verdict_of(good, "isolation"), "valid") << workload;
        // Held to the model asked for.
        EXPECT_NE(good.outcome.output.find("consistent with serializable"), std::string::npos) << good.outcome.output;

        const auto bad = run_harness(common + " -- --local");
        EXPECT_EQ(bad.outcome.exit_code, 1) << workload << bad.outcome.output;
        EXPECT_EQ(verdict_of(bad, "isolation"), "invalid") << workload;
    }
}

TEST(HarnessRun, KafkaLogsOnOneNodeAreConsistentAndLogsPerNodeAreNot) {
    const std::string common =
        "-w kafka --bin " + node("kafka.py") + " --node-count 2 --concurrency 2n --time-limit 1.5 --rate 200";
    const auto good = run_harness(common);
    EXPECT_EQ(good.outcome.exit_code, 0) << good.outcome.output;
    EXPECT_EQ(verdict_of(good, "kafka"), "valid");
    EXPECT_GT(good.results["checks"]["kafka"]["details"]["polls"].get<int>(), 10);

    const auto bad = run_harness(common + " -- --local");
    EXPECT_EQ(bad.outcome.exit_code, 1) << bad.outcome.output;
    EXPECT_EQ(verdict_of(bad, "kafka"), "invalid");
}

TEST(HarnessRun, KilledAndPausedNodesComeBackAndGetInitAgain) {
    const auto run = run_harness("-w echo --bin " + node("echo.py") +
                                 " --node-count 3 --time-limit 2 --rate 30 --nemesis kill,pause "
                                 "--nemesis-interval 0.3 --client-timeout 300ms");
    EXPECT_EQ(verdict_of(run, "echo"), "valid") << run.outcome.output;
    EXPECT_EQ(verdict_of(run, "protocol"), "valid") << run.outcome.output;
    std::string faults = run.results["faults"].dump();
    EXPECT_NE(faults.find("kill"), std::string::npos) << faults;
    EXPECT_NE(faults.find("pause"), std::string::npos) << faults;
    EXPECT_GT(run.results["stats"]["ok_count"].get<int>(), 10);
}

TEST(HarnessRun, NetworkBurstsAndSlowNodesReachPrograms) {
    const auto run = run_harness("-w unique-ids --bin " + node("unique_ids.py") +
                                 " --node-count 3 --time-limit 2 --rate 100 --nemesis network,slow "
                                 "--nemesis-interval 0.3 --client-timeout 300ms");
    EXPECT_EQ(run.outcome.exit_code, 0) << run.outcome.output;
    const std::string faults = run.results["faults"].dump();
    EXPECT_TRUE(faults.find("loss") != std::string::npos || faults.find("latency") != std::string::npos ||
                faults.find("duplicate") != std::string::npos || faults.find("bandwidth") != std::string::npos)
        << faults;
}

TEST(HarnessRun, APrintOnStdoutIsDiagnosedWithTheNodeAndTheLine) {
    const auto run =
        run_harness("-w echo --bin " + node("misbehaving.py") + " --node-count 1 --time-limit 1 --rate 10 -- garbage");
    EXPECT_EQ(run.outcome.exit_code, 1) << run.outcome.output;
    EXPECT_NE(run.outcome.output.find("n0 "), std::string::npos);
    EXPECT_NE(run.outcome.output.find("not well-formed JSON: 'hello from a debugging print'"), std::string::npos)
        << run.outcome.output;
    EXPECT_EQ(verdict_of(run, "echo"), "valid");  // the run carried on
    EXPECT_EQ(verdict_of(run, "protocol"), "invalid");
}

TEST(HarnessRun, ANodeThatExitsAtInitIsDiagnosedAndItsStderrKept) {
    const auto run = run_harness("-w echo --bin " + node("misbehaving.py") +
                                 " --node-count 2 --time-limit 0.5 --rate 10 --client-timeout 200ms -- crash-init");
    EXPECT_EQ(run.outcome.exit_code, 1) << run.outcome.output;
    EXPECT_NE(run.outcome.output.find("exited (exit code 3) before answering init"), std::string::npos)
        << run.outcome.output;
    ASSERT_EQ(run.results["diagnoses"].size(), 2u);  // once per node, never restarted
    std::ifstream log(run.folder + "/node-logs/n0.log");
    const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "crashing at init\n");
}

TEST(HarnessRun, ANodeThatNeverAnswersInitIsDiagnosed) {
    const auto run = run_harness("-w echo --bin " + node("misbehaving.py") +
                                 " --node-count 1 --time-limit 0.5 --rate 10 --init-timeout 0.5 "
                                 "--client-timeout 200ms -- mute");
    EXPECT_EQ(run.outcome.exit_code, 1) << run.outcome.output;
    EXPECT_NE(run.outcome.output.find("n0"), std::string::npos);
    EXPECT_NE(run.outcome.output.find("did not answer init within"), std::string::npos) << run.outcome.output;
}

TEST(HarnessRun, ANodeThatStopsReadingIsDiagnosedAndDoesNotEndTheHarness) {
    // Writing to a pipe nobody reads raises SIGPIPE: the harness must survive it.
    const auto run = run_harness("-w echo --bin " + node("misbehaving.py") +
                                 " --node-count 1 --time-limit 1 --rate 50 --client-timeout 200ms -- close-stdin");
    EXPECT_FALSE(run.outcome.signalled) << run.outcome.output;
    EXPECT_EQ(run.outcome.exit_code, 1) << run.outcome.output;
    EXPECT_NE(run.outcome.output.find("closed its stdin"), std::string::npos) << run.outcome.output;
}

TEST(HarnessRun, UnknownKeysAndUnknownDestinationsAreDiagnosed) {
    const auto run =
        run_harness("-w echo --bin " + node("misbehaving.py") + " --node-count 1 --time-limit 1 --rate 10 -- unknown");
    EXPECT_EQ(run.outcome.exit_code, 1) << run.outcome.output;
    EXPECT_NE(run.outcome.output.find("malformed reply (unknown key \"extra\")"), std::string::npos)
        << run.outcome.output;
    EXPECT_NE(run.outcome.output.find("sent a message to \"n99\", which does not exist"), std::string::npos);
    EXPECT_GT(run.results["stats"]["info_count"].get<int>(), 0);  // a malformed reply is no answer
}

TEST(HarnessRun, SeedsAndTestCountRunTheTestAgainWithSuccessiveSeeds) {
    const std::string store = fresh_folder("harness-seeds");
    const std::string common = "-w echo --bin " + node("echo.py") + " --node-count 1 --time-limit 0.3 --rate 50";
    auto outcome = run_faultline("test --store " + store + " " + common + " --seed 4 --test-count 2");
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_NE(outcome.output.find("seed 4"), std::string::npos);
    EXPECT_NE(outcome.output.find("seed 5"), std::string::npos);
    EXPECT_NE(outcome.output.find("runs         2, 0 not valid"), std::string::npos) << outcome.output;
    // One broken run makes the whole exit invalid.
    outcome = run_faultline("test --store " + store + " " + common + " --seeds 1..2 -- --wrong");
    EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
    EXPECT_NE(outcome.output.find("runs         2, 2 not valid"), std::string::npos) << outcome.output;
}

TEST(HarnessRun, ShrinkCutsAFailingRunToNoFaultsOneNodeAndASecond) {
    const std::string store = fresh_folder("harness-shrink");
    auto outcome = run_faultline("test --store " + store + " --seed 2 -w echo --bin " + node("echo.py") +
                                 " --node-count 3 --time-limit 3 --rate 30 --nemesis partition,kill "
                                 "--nemesis-interval 0.5 --client-timeout 300ms -- --wrong");
    ASSERT_EQ(outcome.exit_code, 1) << outcome.output;
    outcome = run_faultline("shrink " + store + "/latest --store " + store, "timeout 300 ");
    EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
    EXPECT_NE(outcome.output.find("failing echo"), std::string::npos) << outcome.output;
    EXPECT_NE(outcome.output.find(" to 0, 3 s to 1 s, 1 nodes"), std::string::npos) << outcome.output;
    EXPECT_NE(outcome.output.find("verdict      invalid (the shrunk run, once more)"), std::string::npos);
    // The repro line runs the shrunk run again, and it still fails.
    const auto repro = outcome.output.find("repro        faultline ");
    ASSERT_NE(repro, std::string::npos) << outcome.output;
    const std::size_t start = repro + std::string("repro        ").size();
    const std::string line = outcome.output.substr(start, outcome.output.find('\n', start) - start);
    const auto again = run_faultline("test --store " + store + line.substr(std::string("faultline test").size()));
    EXPECT_EQ(again.exit_code, 1) << line << "\n" << again.output;
}

TEST(HarnessRun, NamedNodesAndTheMessageLogsOnStderr) {
    const auto run = run_harness("-w echo --bin " + node("echo.py") +
                                 " --nodes n1 --time-limit 0.5 --rate 10 --log-net-send --log-net-recv");
    EXPECT_EQ(run.outcome.exit_code, 0) << run.outcome.output;
    EXPECT_NE(run.outcome.output.find(" send c"), std::string::npos) << run.outcome.output;
    EXPECT_NE(run.outcome.output.find(" recv n1 -> c"), std::string::npos) << run.outcome.output;
    EXPECT_NE(run.outcome.output.find("\"type\":\"echo_ok\""), std::string::npos);
    EXPECT_TRUE(std::filesystem::exists(run.folder + "/node-logs/n1.log"));
}

TEST(HarnessRun, ResultsSayHowFastTheHarnessWas) {
    const auto run = run_harness("-w echo --bin " + node("echo.py") + " --node-count 2 --time-limit 0.5 --rate 20");
    const Json& timing = run.results["timing"];
    ASSERT_TRUE(timing.is_object()) << run.outcome.output;
    EXPECT_GT(timing["first_operation_ns"].get<double>(), 0);
    EXPECT_GT(timing["routed_per_second"].get<double>(), 0);
    EXPECT_GT(timing["harness_cpu_ns_per_message"].get<double>(), 0);
}

TEST(HarnessRun, AMissingProgramOrABadOptionIsOneLineAndExitCodeThree) {
    const std::string store = fresh_folder("harness-bad");
    for (const std::string& arguments :
         {std::string("-w echo --bin /no/such/node"), "-w echo --bin " + node("maelstrom_node.py"),
          "-w nosuch --bin " + node("echo.py"), "-w echo --bin " + node("echo.py") + " --concurrency 0",
          "-w echo --bin " + node("echo.py") + " --nemesis clock", "-w echo --bin " + node("echo.py") + " --wrong",
          "-w echo --bin " + node("echo.py") + " --nodes n1,c1", "-w echo --bin " + node("echo.py") + " --nodes a,a",
          "-w echo --bin " + node("echo.py") + " --nodes n1,lin-kv"}) {
        const auto outcome = run_faultline("test --store " + store + " " + arguments);
        EXPECT_EQ(outcome.exit_code, 3) << arguments << "\n" << outcome.output;
        EXPECT_EQ(std::count(outcome.output.begin(), outcome.output.end(), '\n'), 1) << arguments << outcome.output;
        EXPECT_FALSE(outcome.signalled);
    }
}

}  // namespace
}  // namespace faultline
