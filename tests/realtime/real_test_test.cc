// `faultline test --real`: a short run of three raft-kv processes under kill,
// pause and restart is valid and stored like a simulated run; so is one under
// partitions and latency on the proxied peer links, whose partitions refuse
// connections across the cut; bad options are refused before anything starts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "support/faultline_process.h"

namespace faultline::realtime {
namespace {

nlohmann::json read_json(const std::string& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in, nullptr, false);
}

// Processes whose command line names `text` (the run's folder).
int processes_naming(const std::string& text) {
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::ifstream in(entry.path() / "cmdline");
        std::string command((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        count += command.find(text) != std::string::npos;
    }
    return count;
}

TEST(RealTest, AShortRunUnderProcessFaultsIsValidAndStored) {
    const std::string folder = testing::fresh_folder("real-test");
    const testing::Outcome outcome = testing::run_faultline(
        "test --real --nodes 3 --concurrency 4 --time-limit 1.5 --nemesis kill,pause,restart --nemesis-interval 300 "
        "--recovery 700 --seed 3 --store " +
        folder + "/store");
    ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_NE(outcome.output.find("linearizability  valid"), std::string::npos) << outcome.output;
    const std::string run = folder + "/store/latest";
    ASSERT_TRUE(std::filesystem::exists(run + "/history.jsonl")) << outcome.output;
    const nlohmann::json results = read_json(run + "/results.json");
    ASSERT_TRUE(results.is_object());
    EXPECT_EQ(results["verdict"], "valid");
    EXPECT_GT(results["stats"]["ok"].get<int>(), 20) << results["stats"];
    EXPECT_FALSE(results["faults"].empty());
    const nlohmann::json config = read_json(run + "/config.json");
    EXPECT_EQ(config["seed"], 3);
    EXPECT_EQ(config["nodes"], 3);
    for (const char* node : {"n1", "n2", "n3"}) {
        EXPECT_TRUE(std::filesystem::exists(run + "/node-logs/" + node + ".log"));
        EXPECT_FALSE(std::filesystem::is_empty(run + "/data/" + node));
    }
    // Every server was stopped: nothing listens on their ports any more, and
    // no process of the run is left (each has this run's folder on its
    // command line).
    EXPECT_EQ(processes_naming(folder), 0);
}

TEST(RealTest, AShortRunUnderNetworkFaultsIsValidAndItsPartitionsCut) {
    const std::string folder = testing::fresh_folder("real-net");
    const testing::Outcome outcome = testing::run_faultline(
        "test --real --nodes 3 --concurrency 4 --time-limit 2 --nemesis partition,latency --nemesis-interval 300 "
        "--recovery 700 --seed 5 --store " +
        folder + "/store");
    ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
    const nlohmann::json results = read_json(folder + "/store/latest/results.json");
    ASSERT_TRUE(results.is_object());
    EXPECT_EQ(results["verdict"], "valid");
    int partitions = 0, latencies = 0, cut = 0;
    for (const nlohmann::json& fault : results["faults"]) {
        EXPECT_TRUE(fault.contains("healed")) << fault;
        if (fault["kind"] == "partition") {
            ++partitions;
            EXPECT_EQ(fault["nodes"].size(), 1u) << fault;  // a minority of three
            cut += fault.value("refused", 0) > 0;
        }
        latencies += fault["kind"] == "latency";
    }
    EXPECT_GE(partitions, 1) << results["faults"];
    EXPECT_GE(latencies, 1) << results["faults"];
    // A node dialed across a cut and the proxy refused it: the partition happened.
    EXPECT_GE(cut, 1) << results["faults"];
    EXPECT_GT(results["proxy"]["refused"].get<int>(), 0);
    EXPECT_EQ(processes_naming(folder), 0);
}

TEST(RealTest, RefusesBadOptionsBeforeStarting) {
    const std::string folder = testing::fresh_folder("real-bad");
    for (const char* args : {"--nodes 0", "--nodes 10", "--nemesis flood", "--system echo",
                             "--read-percent 80 --write-percent 30", "--time-limit 0", "--concurrency 0"}) {
        const testing::Outcome outcome =
            testing::run_faultline(std::string("test --real ") + args + " --store " + folder);
        EXPECT_EQ(outcome.exit_code, 3) << args << "\n" << outcome.output;
        EXPECT_FALSE(outcome.signalled);
    }
    EXPECT_TRUE(std::filesystem::is_empty(folder));
}

}  // namespace
}  // namespace faultline::realtime
