// The run store: the trace streamed to trace.bin.zst reads back as the run's
// every event (its hash is the run's trace hash), and history.jsonl, written
// line by line without Json objects, says exactly what the Json dump of each
// operation says.
#include "runner/store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "check/history.h"
#include "runner/search.h"
#include "runner/system.h"
#include "sim/trace_file.h"
#include "support/faultline_process.h"

namespace faultline::runner {
namespace {

// A default seed's plan may flip the system's knobs (runner/search.h): the
// stored config holds the settings the run had, so a replay, a repro command
// or a shrink that draws other seeds runs the same system. Seed 1 turns
// CheckQuorum off (its summary's search line says so).
TEST(Store, AKnobTheSeedFlippedIsStoredAsASettingAndReplays) {
    const std::string store = faultline::testing::fresh_folder("store-knob");
    ASSERT_FALSE(store.empty());
    RunConfig config;
    config.seed = 1;
    config.time_limit = seconds(5);
    auto stored = run_and_store(store, config, StoreOptions{.trace = false});
    ASSERT_TRUE(stored.has_value()) << stored.error().message;
    ASSERT_TRUE(stored->result.search.contains("knobs")) << stored->result.search.dump();
    const Json knobs = stored->result.search["knobs"];
    auto read_back = read_config(stored->dir);
    ASSERT_TRUE(read_back.has_value()) << read_back.error().message;
    for (const auto& [knob, value] : knobs.items()) {
        EXPECT_EQ(read_back->system_options.at(knob), value) << knob;
        EXPECT_NE(
            read_back->command_line().find("--no-" + std::string(knob == "pre_vote" ? "pre-vote" : "check-quorum")),
            std::string::npos)
            << read_back->command_line();
    }
    auto replayed = run(*read_back, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(replayed.has_value()) << replayed.error().message;
    EXPECT_EQ(replayed->trace_hash, stored->result.trace_hash);
}

// A setting the command line gives is never flipped.
TEST(Store, ASettingTheRunGivesIsNeverAKnob) {
    int flipped = 0;
    for (std::uint64_t seed = 1; seed <= 24; ++seed) {
        RunConfig config;
        config.seed = seed;
        auto description = system_named(config.system);
        ASSERT_TRUE(description.has_value());
        auto free = plan_search(config, **description);
        ASSERT_TRUE(free.has_value());
        flipped += free->knobs.contains("pre_vote") ? 1 : 0;
        config.system_options["pre_vote"] = true;
        auto pinned = plan_search(config, **description);
        ASSERT_TRUE(pinned.has_value());
        EXPECT_FALSE(pinned->knobs.contains("pre_vote")) << "seed " << seed;
        EXPECT_EQ(pinned->knobs.contains("check_quorum"), free->knobs.contains("check_quorum")) << "seed " << seed;
    }
    EXPECT_GT(flipped, 0);  // the pin mattered on some seed
}

TEST(Store, TheBinaryTraceHoldsEveryEventOfTheRun) {
    const std::string store = faultline::testing::fresh_folder("store-trace");
    ASSERT_FALSE(store.empty());
    RunConfig config;
    config.seed = 4;
    config.time_limit = seconds(10);
    auto stored = run_and_store(store, config);
    ASSERT_TRUE(stored.has_value()) << stored.error().message;
    auto reader = sim::TraceReader::open(stored->dir + "/trace.bin.zst");
    ASSERT_TRUE(reader.has_value()) << reader.error().message;
    sim::TraceRecord record;
    std::uint64_t sends = 0;
    while (true) {
        auto next = reader->next(record);
        ASSERT_TRUE(next.has_value()) << next.error().message;
        if (!*next) break;
        if (record.event.kind == sim::TraceKind::send) {
            ++sends;
            EXPECT_FALSE(record.message_type.empty());
            EXPECT_TRUE(record.node.starts_with("n") || record.node.starts_with("c")) << record.node;
        }
    }
    EXPECT_TRUE(reader->complete());
    EXPECT_EQ(reader->events_read(), stored->result.trace_events);
    EXPECT_EQ(reader->hash(), stored->result.trace_hash);
    EXPECT_EQ(sends, stored->result.stats.messages_sent);
}

std::string dumped(const check::Operation& op) {
    return check::operation_to_json(op).dump() + "\n";
}

std::string appended(const check::Operation& op) {
    std::string line;
    check::append_operation_jsonl(line, op);
    return line;
}

TEST(Store, HistoryLinesAreTheJsonDumpsOfTheOperations) {
    // Real histories: lin-kv (cas pairs, error codes, "timeout") and list-append
    // transactions (nested arrays).
    for (const char* system : {"raft-kv", "txn-kv"}) {
        RunConfig config;
        config.system = system;
        config.seed = 3;
        config.time_limit = seconds(5);
        auto result = run(config, RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(result.has_value()) << result.error().message;
        ASSERT_GT(result->history.size(), 100u);
        for (const check::Operation& op : result->history) ASSERT_EQ(appended(op), dumped(op)) << system;
    }
    // And what a real one rarely holds: escapes, unicode, large and negative
    // numbers, floats, booleans, objects.
    const Json values[] = {Json(),
                           Json(0),
                           Json(-7),
                           Json(std::numeric_limits<std::int64_t>::min()),
                           Json(std::numeric_limits<std::uint64_t>::max()),
                           Json(2.5),
                           Json(true),
                           Json("quote \" backslash \\ tab \t"),
                           Json("caf\xc3\xa9"),
                           Json::array({1, Json::array({"r", 2, nullptr})}),
                           Json{{"b", 1}, {"a", Json::array()}}};
    const std::string names[] = {"", "n2", "with \"quotes\"", "line\nbreak", "\x01", "caf\xc3\xa9"};
    std::int64_t index = 0;
    for (const Json& value : values) {
        for (const std::string& name : names) {
            for (const check::OpType type :
                 {check::OpType::invoke, check::OpType::ok, check::OpType::fail, check::OpType::info}) {
                const check::Operation op{.index = index++,
                                          .time = index * 1'000'003,
                                          .process = -index,
                                          .type = type,
                                          .f = name.empty() ? "read" : name,
                                          .key = value,
                                          .value = value,
                                          .error = type == check::OpType::fail ? value : Json(),
                                          .node = name};
                ASSERT_EQ(appended(op), dumped(op));
            }
        }
    }
}

TEST(Store, WrittenHistoryIsOneLinePerOperation) {
    const std::string folder = faultline::testing::fresh_folder("store-history");
    ASSERT_FALSE(folder.empty());
    RunConfig config;
    config.seed = 2;
    config.time_limit = seconds(5);
    auto result = run(config, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(result.has_value());
    ASSERT_TRUE(check::write_history_jsonl(folder + "/history.jsonl", result->history).has_value());
    std::ifstream in(folder + "/history.jsonl");
    std::stringstream text;
    text << in.rdbuf();
    std::string expected;
    for (const check::Operation& op : result->history) expected += dumped(op);
    EXPECT_EQ(text.str(), expected);
    EXPECT_FALSE(check::write_history_jsonl(folder + "/missing/history.jsonl", result->history).has_value());
}

}  // namespace
}  // namespace faultline::runner
