// The report's reading of a stored run, its pages' text, and the commands
// that write them. Runs are made by the faultline command, as a user would.
#include "report/report.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "report/diagram.h"
#include "report/html.h"
#include "report/run_data.h"
#include "report/sections.h"
#include "report/trace_source.h"
#include "support/faultline_process.h"

namespace faultline::report {
namespace {

namespace fs = std::filesystem;
using testing::fresh_folder;
using testing::Outcome;
using testing::run_faultline;

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A stored run of `arguments`, in a fresh store; returns its directory.
// `exit_code` is the verdict's (none: valid or invalid, either will do).
std::string stored_run(const std::string& name, const std::string& arguments, std::optional<int> exit_code) {
    const std::string folder = fresh_folder(name);
    const Outcome run = run_faultline(arguments + " --store '" + folder + "/store'");
    if (exit_code) {
        EXPECT_EQ(run.exit_code, *exit_code) << run.output;
    } else {
        EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.output;
    }
    return fs::canonical(fs::path(folder) / "store" / "latest").string();
}

TEST(ReportHtml, EscapesTextAndKeepsScriptsClosed) {
    EXPECT_EQ(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    const std::string json = script_json(Json{{"body", "</script><script>alert(1)</script>"}});
    EXPECT_EQ(json.find("</"), std::string::npos) << json;
    EXPECT_EQ(Json::parse(json)["body"], "</script><script>alert(1)</script>");
}

TEST(ReportRunData, EveryMessageOfTheTraceBecomesAnArrow) {
    // Duplication and tampering on: both must be flagged on their arrows.
    const std::string dir =
        stored_run("report-arrows",
                   "test --seed 4 --time-limit 8 --duplicate 0.05 --nemesis tamper,kill --search random", std::nullopt);
    auto run = load_run(dir);
    ASSERT_TRUE(run) << run.error().message;
    ASSERT_TRUE(run->has_trace);
    const Json& messages = run->results["messages"];
    std::uint64_t dropped = 0, duplicates = 0, tampered = 0, in_flight = 0;
    for (const Arrow& arrow : run->arrows) {
        dropped += (arrow.flags & Arrow::dropped) ? 1 : 0;
        duplicates += (arrow.flags & Arrow::duplicate) ? 1 : 0;
        tampered += (arrow.flags & Arrow::tampered) ? 1 : 0;
        in_flight += (arrow.flags & Arrow::in_flight) ? 1 : 0;
    }
    // One arrow per delivery or drop, and one per message still in flight.
    EXPECT_EQ(run->arrows.size(),
              messages["delivered"].get<std::uint64_t>() + messages["dropped"].get<std::uint64_t>() + in_flight);
    EXPECT_EQ(dropped, messages["dropped"].get<std::uint64_t>());
    EXPECT_GT(duplicates, 0u);
    EXPECT_EQ(tampered, messages["tampered"].get<std::uint64_t>());
    EXPECT_TRUE(std::is_sorted(run->arrows.begin(), run->arrows.end(),
                               [](const Arrow& a, const Arrow& b) { return a.sent < b.sent; }));
    // The lanes: five servers, then the clients.
    ASSERT_GE(run->lanes.size(), 5u);
    EXPECT_EQ(run->lanes[0].name, "n0");
    EXPECT_TRUE(run->lanes[0].server);
    // Kills crash nodes: their lanes show it.
    bool crashed = false;
    for (const LaneSpan& span : run->lane_spans) crashed = crashed || span.state == "crashed";
    EXPECT_TRUE(crashed);
    // The diagram embeds every arrow.
    const Json data = diagram_data(*run, focus_window(*run));
    EXPECT_EQ(data["arrows"]["count"].get<std::size_t>(), run->arrows.size());
}

TEST(ReportRunData, ReadsATraceInEveryFormat) {
    // A binary trace (the default); with --trace-format jsonl, a short run keeps
    // trace.jsonl and a long one trace.jsonl.zst.
    const std::string binary = stored_run("report-binary", "test --seed 2 --time-limit 3 --search random", 0);
    const std::string small = stored_run(
        "report-small", "test --seed 2 --time-limit 1 --recovery 2s --search random --trace-format jsonl", 0);
    const std::string large =
        stored_run("report-large", "test --seed 2 --time-limit 3 --search random --trace-format jsonl", 0);
    ASSERT_TRUE(fs::exists(fs::path(binary) / "trace.bin.zst"));
    ASSERT_TRUE(fs::exists(fs::path(small) / "trace.jsonl"));
    ASSERT_TRUE(fs::exists(fs::path(large) / "trace.jsonl.zst"));
    for (const std::string& dir : {binary, small, large}) {
        std::uint64_t sends = 0;
        const Status status = for_each_trace_event(
            dir, [&](const TraceRecord& event) { sends += event.kind == sim::TraceKind::send ? 1 : 0; });
        ASSERT_TRUE(status) << status.error().message;
        auto results = load_run(dir, LoadOptions{.trace = false});
        ASSERT_TRUE(results);
        EXPECT_EQ(sends, results->results["messages"]["sent"].get<std::uint64_t>()) << dir;
    }
}

TEST(ReportRunData, ARunWithoutTraceStillGetsAPage) {
    const std::string dir = stored_run("report-no-trace", "test --seed 2 --time-limit 3 --no-trace", 0);
    auto run = load_run(dir);
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_FALSE(run->has_trace);
    const std::string html = run_page(*run);
    EXPECT_NE(html.find("--no-trace"), std::string::npos);
    EXPECT_NE(html.find("latency-plot"), std::string::npos);
}

// A real run's folder as `faultline test --real` writes it (realtime/real_test.cc):
// no trace, the faults in results.json with wall-clock offsets, nodes from n1.
std::string real_run_folder(const std::string& store) {
    const std::string dir = store + "/real-raft-kv/20261127T120000-seed9";
    fs::create_directories(dir + "/node-logs");
    std::ofstream(dir + "/node-logs/n1.log") << "started\n";
    std::ofstream(dir + "/config.json") << Json{{"real", true}, {"system", "raft-kv"},
                                                {"nodes", 3},   {"concurrency", 2},
                                                {"seed", 9},    {"command", "faultline test --real --nodes 3 --seed 9"}}
                                               .dump();
    const Json faults = Json::array(
        {Json{{"kind", "kill"}, {"nodes", Json::array({"n2"})}, {"at", 1'000'000'000}, {"healed", 2'000'000'000}},
         Json{{"kind", "partition"},
              {"nodes", Json::array({"n1"})},
              {"at", 3'000'000'000},
              {"healed", 4'000'000'000},
              {"refused", 5}},
         Json{{"kind", "latency"},
              {"nodes", Json::array({"n1", "n2", "n3"})},
              {"at", 5'000'000'000},
              {"healed", 6'000'000'000},
              {"latency_ns", 50'000'000}},
         Json{{"kind", "restart"}, {"nodes", Json::array({"n3"})}, {"at", 7'000'000'000}, {"healed", 7'000'000'000}}});
    std::ofstream(dir + "/results.json") << Json{
        {"verdict", "valid"},
        {"real", true},
        {"checks",
         Json::array({Json{{"name", "linearizability"}, {"verdict", "valid"}, {"summary", "3 operations on 1 keys"}}})},
        {"stats", {{"wall_ns", 8'000'000'000}}},
        {"faults", faults},
        {"proxy", {{"refused", 5}}}}.dump();
    std::ofstream(dir + "/history.jsonl")
        << "{\"index\":0,\"time\":100,\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":1,\"value\":3}\n"
           "{\"index\":1,\"time\":900,\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":1,\"value\":3}\n"
           "{\"index\":2,\"time\":1000,\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"key\":1}\n"
           "{\"index\":3,\"time\":2000,\"process\":1,\"type\":\"fail\",\"f\":\"read\",\"key\":1,\"error\":"
           "\"timeout\"}\n";
    return dir;
}

TEST(ReportRealRun, ItsFaultsAreDrawnFromResultsAndItsPageSaysWhatIsAbsent) {
    const std::string store = fresh_folder("report-real");
    const std::string dir = real_run_folder(store);
    auto run = load_run(dir);
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_TRUE(run->real);
    EXPECT_FALSE(run->has_trace);
    EXPECT_EQ(run->end, 8'000'000'000);
    EXPECT_EQ(run->repro, "faultline test --real --nodes 3 --seed 9");
    EXPECT_EQ(run->results["ops"]["invoked"], 2);
    EXPECT_EQ(run->results["ops"]["fail"], 1);
    ASSERT_EQ(run->ops.size(), 2u);

    const std::vector<FaultBand> bands = fault_bands(*run);
    ASSERT_EQ(bands.size(), 4u);
    EXPECT_EQ(bands[0].label, "kill -9 n2, then restart");
    EXPECT_EQ(bands[0].from, 1'000'000'000);
    EXPECT_EQ(bands[0].to, 2'000'000'000);
    EXPECT_EQ(bands[0].lanes, std::vector<int>{run->lane_of("n2")});
    EXPECT_EQ(bands[1].label, "partition: n1 cut off from the rest (5 connections refused)");
    EXPECT_TRUE(bands[2].lanes.empty());                      // a latency hits every link, no node of its own
    EXPECT_EQ(bands[3].to, bands[3].from + milliseconds(1));  // a restart is an instant

    const std::string html = run_page(*run);
    EXPECT_NE(html.find("id=\"nemesis-plot\""), std::string::npos);
    EXPECT_EQ(html.find("id=\"spacetime\""), std::string::npos);
    EXPECT_NE(html.find("Not in a real run:</b> a real run has no message-level trace"), std::string::npos);
    EXPECT_NE(html.find("graceful restart of n3"), std::string::npos);
    EXPECT_NE(html.find("latency 50 ms on every link"), std::string::npos);
    EXPECT_NE(html.find("<a href=\"node-logs/n1.log\">n1.log</a>"), std::string::npos);
    EXPECT_NE(html.find("connections the proxy refused"), std::string::npos);
    EXPECT_EQ(html.find("<h3>Messages</h3>"), std::string::npos);

    // A simulated run's page is unchanged: its diagram, no nemesis timeline.
    const std::string simulated = stored_run("report-real-beside", "test --seed 2 --time-limit 2", 0);
    auto beside = load_run(simulated);
    ASSERT_TRUE(beside) << beside.error().message;
    EXPECT_FALSE(beside->real);
    const std::string simulated_html = run_page(*beside);
    EXPECT_NE(simulated_html.find("id=\"spacetime\""), std::string::npos);
    EXPECT_EQ(simulated_html.find("id=\"nemesis-plot\""), std::string::npos);
}

TEST(ReportRealRun, TheStoreIndexListsRealAndEtcdRunsWithTheirCommands) {
    const std::string store = fresh_folder("report-real-index");
    real_run_folder(store);
    // An etcd run stored before its config named its command.
    const std::string etcd = store + "/etcd/20261127T110000-seed4";
    fs::create_directories(etcd);
    std::ofstream(etcd + "/config.json") << Json{{"system", "etcd"}, {"nodes", 3}, {"seed", 4}}.dump();
    std::ofstream(etcd + "/results.json") << Json{{"verdict", "invalid"}, {"checks", Json::array()}}.dump();
    const Outcome index = run_faultline("report '" + store + "'");
    ASSERT_EQ(index.exit_code, 0) << index.output;
    const std::string html = read_file(store + "/index.html");
    EXPECT_NE(html.find("raft-kv (real)"), std::string::npos);
    EXPECT_NE(html.find("faultline test --real --nodes 3 --seed 9"), std::string::npos);
    EXPECT_NE(html.find("faultline test --system etcd --nodes 3 --seed 4"), std::string::npos);
    // Each gets its page from `faultline report DIR`.
    const Outcome page = run_faultline("report '" + etcd + "'");
    ASSERT_EQ(page.exit_code, 0) << page.output;
    EXPECT_NE(read_file(etcd + "/report.html").find("Nemesis timeline"), std::string::npos);
}

TEST(ReportCounterexample, IsExplainedInWordsAndOpensTheDiagramThere) {
    const std::string dir = stored_run(
        "report-stale", "test --bug stale-read --nemesis partition --search random --no-check-quorum --seed 1", 1);
    auto run = load_run(dir);
    ASSERT_TRUE(run) << run.error().message;
    ASSERT_TRUE(run->anomaly.has_value());
    const Json& counterexample = run->results["checks"][0]["details"]["counterexample"];
    const std::string words = explain_counterexample(counterexample);
    // A read that saw a value although another had completed before it began:
    // the words name the read, the key and what the key held then.
    const std::string key = counterexample["key"].dump();
    EXPECT_EQ(words.rfind("The read of key " + key + " returned ", 0), 0u) << words;
    EXPECT_NE(words.find("cannot be placed in any order"), std::string::npos) << words;
    EXPECT_NE(
        words.find("so key " + key + " held " + counterexample["window_start_state"].get<std::string>() + " then"),
        std::string::npos)
        << words;
    EXPECT_NE(counterexample_timeline(counterexample).find("<svg"), std::string::npos);
    // The diagram opens on a window that holds the anomaly.
    const auto [from, to] = focus_window(*run);
    EXPECT_LE(from, run->anomaly->first);
    EXPECT_GE(to, run->anomaly->second);
    const std::vector<std::int64_t> involved = anomaly_op_indexes(run->results);
    EXPECT_FALSE(involved.empty());
}

TEST(ReportCommand, RebuildsTheSamePageAndIndexesTheStore) {
    const std::string dir = stored_run("report-command", "test --seed 5 --time-limit 5", 0);
    const std::string page = dir + "/report.html";
    const std::string written = read_file(page);
    ASSERT_FALSE(written.empty());
    fs::remove(page);
    const Outcome again = run_faultline("report '" + dir + "'");
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_EQ(read_file(page), written) << "a page is drawn from the store alone, the same each time";
    const std::string store = fs::path(dir).parent_path().parent_path().string();
    const Outcome index = run_faultline("report '" + store + "'");
    ASSERT_EQ(index.exit_code, 0) << index.output;
    const std::string html = read_file(store + "/index.html");
    EXPECT_NE(html.find("faultline test --time-limit 5s --seed 5"), std::string::npos) << html.substr(0, 4000);
    const Outcome missing = run_faultline("report '" + store + "/nothing-here'");
    EXPECT_EQ(missing.exit_code, 3) << missing.output;
}

TEST(ReportScenarioGroup, TheTimeoutScenariosDrawTheDetectorsTradeOff) {
    const std::string folder = fresh_folder("report-timeouts");
    // The catalog's two heartbeat timeouts, each on its first seed only.
    std::string files;
    for (const char* name : {"too-short", "too-long"}) {
        std::string text = read_file(std::string(FAULTLINE_SOURCE_DIR) + "/scenarios/timeouts/" + name + ".toml");
        const auto seeds = text.find("seeds = [1, 2, 3]");
        ASSERT_NE(seeds, std::string::npos) << name;
        text.replace(seeds, 17, "seeds = [1]");
        const std::string path = folder + "/" + name + ".toml";
        std::ofstream(path) << text;
        files += " '" + path + "'";
    }
    const Outcome run = run_faultline("scenario run" + files + " --store '" + folder + "/store'");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    std::string page;
    for (const auto& entry : fs::directory_iterator(fs::path(folder) / "store" / "scenarios")) {
        page = (entry.path() / "report.html").string();
    }
    const std::string html = read_file(page);
    ASSERT_NE(html.find("id=\"detectors\""), std::string::npos) << run.output;
    // One point per detector of each run: a heartbeat detector timed too short, and one too long.
    std::size_t points = 0;
    for (std::size_t at = html.find("class=\"point\""); at != std::string::npos;
         at = html.find("class=\"point\"", at + 1)) {
        ++points;
    }
    EXPECT_EQ(points, 2u);
    EXPECT_NE(html.find("too-short heartbeat"), std::string::npos);
    EXPECT_NE(html.find("too-long heartbeat"), std::string::npos);
}

TEST(ReportTerminal, PlainTextWhenNotATerminal) {
    const std::string folder = fresh_folder("report-plain");
    const Outcome run = run_faultline("test --seed 2 --time-limit 5 --store '" + folder + "/store'");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(run.output.find('\x1b'), std::string::npos) << run.output;
    EXPECT_EQ(run.output.find('\r'), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("report       "), std::string::npos) << run.output;
}

TEST(ReportTerminal, ColouredVerdictsOnATerminal) {
    // script(1) runs the command on a pseudo-terminal.
    const std::string folder = fresh_folder("report-tty");
    const std::string command = "script -qec '" + std::string(FAULTLINE_BINARY) +
                                " test --seed 2 --time-limit 5 --store " + folder + "/store' /dev/null 2>&1";
    std::FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) output += buffer.data();
    EXPECT_EQ(pclose(pipe), 0) << output;
    EXPECT_NE(output.find("\x1b["), std::string::npos) << output;
    EXPECT_NE(output.find("valid"), std::string::npos) << output;
}

}  // namespace
}  // namespace faultline::report
