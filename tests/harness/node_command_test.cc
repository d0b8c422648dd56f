// `faultline node SYSTEM`: faultline's own systems as Maelstrom node programs,
// tested by faultline's harness as any user's program would be. Each run gets
// a wrapper script in a fresh folder of its own (--bin takes one executable
// file), which also keeps each node's files (--data-dir), so a node the
// nemesis kills recovers them when started again. Real processes in real time:
// each run is a few seconds.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "base/json.h"
#include "harness/harness_runs.h"
#include "support/faultline_process.h"

namespace faultline {
namespace {

using testing::fresh_folder;
using testing::run_faultline;

using NodeRun = testing::HarnessRun;
using testing::verdict_of;

// A script in `folder` that runs `faultline node ARGUMENTS`, for --bin.
std::string node_script(const std::string& folder, const std::string& arguments) {
    const std::string path = folder + "/node.sh";
    std::ofstream(path) << "#!/bin/sh\nexec " << FAULTLINE_BINARY << " node " << arguments << "\n";
    ::chmod(path.c_str(), 0755);
    return path;
}

// Runs the harness over `faultline node SYSTEM_ARGUMENTS` with `arguments`.
NodeRun run_node(const std::string& system_arguments, const std::string& arguments) {
    const std::string folder = fresh_folder("node");
    const std::string bin = node_script(folder, system_arguments + " --data-dir " + folder + "/data");
    return testing::run_into_store(folder + "/store", "--seed 1 --bin " + bin + " " + arguments);
}

TEST(NodeCommand, EchoAnswersTheHarness) {
    const auto run = run_node("echo", "-w echo --node-count 2 --time-limit 1 --rate 20");
    EXPECT_EQ(run.outcome.exit_code, 0) << run.outcome.output;
    EXPECT_EQ(verdict_of(run, "echo"), "valid");
    EXPECT_EQ(verdict_of(run, "protocol"), "valid");
    EXPECT_GT(run.results["stats"]["ok_count"].get<int>(), 5);
}

TEST(NodeCommand, BroadcastRecoversFromPartitionsByResending) {
    const auto run = run_node("broadcast --resend-interval 50ms",
                              "-w broadcast --node-count 5 --time-limit 2 --rate 20 --latency 5 --recovery 1 "
                              "--nemesis partition --nemesis-interval 0.4");
    EXPECT_EQ(run.outcome.exit_code, 0) << run.outcome.output;
    EXPECT_EQ(verdict_of(run, "set"), "valid");
    EXPECT_EQ(verdict_of(run, "protocol"), "valid");
    EXPECT_FALSE(run.results["faults"].empty());
    EXPECT_GT(run.results["net"]["servers"]["send_count"].get<int>(), 0);
}

TEST(NodeCommand, RaftKvIsLinearizableUnderPartitionsAndKills) {
    // A request lost in a kill waits for the client's timeout: a short one
    // keeps the clients busy.
    const auto run = run_node("raft-kv",
                              "-w lin-kv --node-count 3 --time-limit 4 --rate 50 --concurrency 2n --latency 2 "
                              "--nemesis partition,kill --nemesis-interval 1 --client-timeout 500ms");
    EXPECT_EQ(run.outcome.exit_code, 0) << run.outcome.output;
    EXPECT_EQ(verdict_of(run, "linearizability"), "valid");
    EXPECT_EQ(verdict_of(run, "protocol"), "valid");
    // The cluster did serve, and the nemesis did kill.
    EXPECT_GT(run.results["stats"]["ok_count"].get<int>(), 5) << run.results["stats"].dump();
    EXPECT_NE(run.results["faults"].dump().find("kill"), std::string::npos) << run.results["faults"].dump();
    // A killed node started again from its files.
    std::string logs;
    for (const char* node : {"n0", "n1", "n2"}) {
        std::ifstream in(run.folder + "/node-logs/" + node + ".log");
        logs += std::string(std::istreambuf_iterator<char>(in), {});
    }
    EXPECT_NE(logs.find("recovering"), std::string::npos) << logs;
}

TEST(NodeCommand, CounterLwwKvPrimaryBackupAndTxnKvAnswerTheHarness) {
    const auto counter = run_node("counter", "-w g-counter --node-count 1 --time-limit 1 --rate 20 --recovery 0.3");
    EXPECT_EQ(counter.outcome.exit_code, 0) << counter.outcome.output;
    EXPECT_EQ(verdict_of(counter, "counter"), "valid");
    // Last-write-wins replicas are not linearizable; what matters here is that
    // they serve and replicate to each other as processes.
    const auto lww = run_node("lww-kv", "-w lin-kv --node-count 3 --time-limit 1 --rate 50");
    EXPECT_EQ(verdict_of(lww, "protocol"), "valid") << lww.outcome.output;
    EXPECT_GT(lww.results["stats"]["ok_count"].get<int>(), 5) << lww.outcome.output;
    EXPECT_GT(lww.results["net"]["servers"]["send_count"].get<int>(), 0);
    const auto pb = run_node("primary-backup", "-w lin-kv --node-count 3 --time-limit 1 --rate 50");
    EXPECT_EQ(pb.outcome.exit_code, 0) << pb.outcome.output;
    EXPECT_EQ(verdict_of(pb, "linearizability"), "valid");
    const auto txn = run_node("txn-kv",
                              "-w txn-list-append --node-count 3 --time-limit 2 --rate 50 "
                              "--consistency-models serializable");
    EXPECT_EQ(txn.outcome.exit_code, 0) << txn.outcome.output;
    EXPECT_EQ(verdict_of(txn, "isolation"), "valid");
    EXPECT_GT(txn.results["stats"]["ok_count"].get<int>(), 5) << txn.outcome.output;
}

TEST(NodeCommand, AnswersInitAndRequestsOnStdin) {
    const std::string folder = fresh_folder("node-stdin");
    {
        std::ofstream in(folder + "/in.jsonl");
        in << R"({"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}})"
              "\n"
           << R"({"id":2,"src":"c1","dest":"n0","body":{"type":"echo","msg_id":7,"echo":"hi"}})"
              "\n"
           << R"({"src":"c1","dest":"n0","body":{"type":"write","msg_id":8,"key":1,"value":2}})"
              "\n";
    }
    const auto outcome =
        run_faultline("node echo --data-dir " + folder + " < " + folder + "/in.jsonl 2>/dev/null", "timeout 10 ");
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_NE(outcome.output.find(R"({"body":{"in_reply_to":1,"type":"init_ok"},"dest":"c0","src":"n0"})"),
              std::string::npos)
        << outcome.output;
    EXPECT_NE(outcome.output.find(R"({"body":{"echo":"hi","in_reply_to":7,"type":"echo_ok"},"dest":"c1","src":"n0"})"),
              std::string::npos)
        << outcome.output;
    // echo serves no writes: not-supported.
    EXPECT_NE(outcome.output.find(R"("code":10)"), std::string::npos) << outcome.output;
}

TEST(NodeCommand, ASystemThatCannotRunAsANodeIsAUsageError) {
    const auto no_codec = run_faultline("node heartbeat < /dev/null");
    EXPECT_EQ(no_codec.exit_code, 3) << no_codec.output;
    EXPECT_NE(no_codec.output.find("heartbeat"), std::string::npos) << no_codec.output;
    const auto unknown = run_faultline("node no-such-system < /dev/null");
    EXPECT_EQ(unknown.exit_code, 3) << unknown.output;
}

}  // namespace
}  // namespace faultline
