// `faultline test --real`: a short run of three raft-kv processes under kill,
// pause and restart is valid and stored like a simulated run; so is one under
// partitions and latency on the proxied peer links, whose partitions refuse
// connections across the cut; each run's report.html tells its verdict, checks
// and faults; an interrupted run keeps what it did; bad options are refused
// before anything starts.
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

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// How the page names a fault of results.json's `faults` (report/diagram.cc).
std::string fault_words(const nlohmann::json& fault) {
    const std::string kind = fault["kind"];
    const std::string node = fault["nodes"].empty() ? "" : fault["nodes"][0].get<std::string>();
    if (kind == "kill") return "kill -9 " + node;
    if (kind == "pause") return "pause (SIGSTOP) " + node;
    if (kind == "restart") return "graceful restart of " + node;
    if (kind == "partition") return "partition: " + node;
    return "latency ";
}

// The run's report.html names its verdict, its checks, every kind of fault
// its nemesis played, where its nodes' logs are, and what a real run lacks.
void expect_report_tells_run(const std::string& run) {
    const std::string page = read_text(run + "/report.html");
    ASSERT_FALSE(page.empty()) << run << " has no report.html";
    const nlohmann::json results = read_json(run + "/results.json");
    EXPECT_NE(page.find(" — " + results["verdict"].get<std::string>() + "</title>"), std::string::npos);
    for (const nlohmann::json& check : results["checks"]) {
        EXPECT_NE(page.find("<td>" + check["name"].get<std::string>() + "</td>"), std::string::npos) << check["name"];
    }
    ASSERT_FALSE(results["faults"].empty());
    for (const nlohmann::json& fault : results["faults"]) {
        EXPECT_NE(page.find(fault_words(fault)), std::string::npos) << fault;
    }
    EXPECT_NE(page.find("id=\"nemesis-plot\"><svg"), std::string::npos);
    EXPECT_NE(page.find("class=\"fault-bar\""), std::string::npos);
    EXPECT_NE(page.find("<a href=\"node-logs/n1.log\">n1.log</a>"), std::string::npos);
    EXPECT_NE(page.find("Not in a real run:</b> a real run has no message-level trace"), std::string::npos);
    // No section is left empty: no diagram, no message counts.
    EXPECT_EQ(page.find("id=\"spacetime\""), std::string::npos);
    EXPECT_EQ(page.find("<h3>Messages</h3>"), std::string::npos);
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
    expect_report_tells_run(run);

    // Drawn again from the store, and listed in the store's index.
    std::filesystem::remove(run + "/report.html");
    const testing::Outcome again = testing::run_faultline("report " + run);
    EXPECT_EQ(again.exit_code, 0) << again.output;
    expect_report_tells_run(run);
    const testing::Outcome index = testing::run_faultline("report " + folder + "/store");
    ASSERT_EQ(index.exit_code, 0) << index.output;
    const std::string listed = read_text(folder + "/store/index.html");
    EXPECT_NE(listed.find("raft-kv (real)"), std::string::npos);
    EXPECT_NE(listed.find(config["command"].get<std::string>()), std::string::npos);
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
    expect_report_tells_run(folder + "/store/latest");
}

TEST(RealTest, AnInterruptedRunKeepsItsHistoryAndResults) {
    const std::string folder = testing::fresh_folder("real-interrupted");
    // The run is told to last 30 s; SIGINT after 1.5 s of it ends it.
    const testing::Outcome outcome = testing::run_faultline(
        "test --real --nodes 3 --concurrency 2 --time-limit 30 --nemesis pause --nemesis-interval 200 --seed 4 "
        "--store " +
            folder + "/store",
        "timeout --preserve-status -s INT 2.5 ");
    EXPECT_EQ(outcome.exit_code, 4) << outcome.output;
    EXPECT_FALSE(outcome.signalled) << outcome.output;
    EXPECT_NE(outcome.output.find("interrupted"), std::string::npos) << outcome.output;
    std::string run;
    for (const auto& entry : std::filesystem::directory_iterator(folder + "/store/real-raft-kv")) {
        run = entry.path().string();
    }
    ASSERT_FALSE(run.empty());
    EXPECT_FALSE(read_text(run + "/history.jsonl").empty());
    const nlohmann::json results = read_json(run + "/results.json");
    ASSERT_TRUE(results.is_object());
    EXPECT_EQ(results["verdict"], "unknown");
    EXPECT_NE(results["stopped_because"].get<std::string>().find("interrupted"), std::string::npos);
    EXPECT_NE(read_text(run + "/report.html").find("The run stopped early"), std::string::npos);
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
