// Search strategies (runner/search.h): each seed's plan is drawn from the seed
// alone, each strategy does what it says in a real run, and correct Raft passes
// under every one of them.
#include "runner/search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <string>

#include "nemesis/generator.h"
#include "runner/run.h"
#include "runner/system.h"
#include "sim/trace.h"

namespace faultline::runner {
namespace {

SearchPlan plan_of(const std::string& strategy, std::uint64_t seed, const std::string& system = "raft-kv") {
    RunConfig config;
    config.system = system;
    config.search = strategy;
    config.seed = seed;
    auto plan = plan_search(config, **system_named(system));
    EXPECT_TRUE(plan.has_value()) << plan.error().message;
    return *plan;
}

TEST(Search, APlanIsDrawnFromTheSeedAlone) {
    std::set<std::string> plans;
    for (std::uint64_t seed = 1; seed <= 30; ++seed) {
        EXPECT_EQ(plan_of("default", seed).to_json(), plan_of("default", seed).to_json()) << "seed " << seed;
        plans.insert(plan_of("default", seed).to_json().dump());
    }
    EXPECT_GT(plans.size(), 25u) << "seeds must try different things";
}

TEST(Search, RandomIsTheCommandLinesFaultsAndNothingElse) {
    const SearchPlan plan = plan_of("random", 9);
    EXPECT_EQ(plan.kinds, *nemesis::parse_fault_kinds("all"));
    EXPECT_EQ(plan.fault_interval, RunConfig{}.fault_interval);
    EXPECT_TRUE(plan.workload.empty());
    EXPECT_FALSE(plan.fault_points);
    EXPECT_FALSE(plan.clustered);
    EXPECT_EQ(plan.targeted, 0);
    EXPECT_EQ(plan.priorities.levels, 0);
}

TEST(Search, SwarmKeepsANonEmptySubsetOfTheAllowedKindsAndShapesTheWorkload) {
    int shaped = 0;
    std::set<std::size_t> sizes;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        RunConfig config;
        config.search = "swarm";
        config.nemesis = "partition,kill,pause";
        config.seed = seed;
        const SearchPlan plan = *plan_search(config, **system_named("raft-kv"));
        ASSERT_FALSE(plan.kinds.empty());
        for (nemesis::FaultKind kind : plan.kinds) {
            EXPECT_TRUE(kind == nemesis::FaultKind::partition || kind == nemesis::FaultKind::kill ||
                        kind == nemesis::FaultKind::pause);
        }
        sizes.insert(plan.kinds.size());
        shaped += plan.workload.empty() ? 0 : 1;
        EXPECT_LE(plan.fault_interval, config.fault_interval);
    }
    EXPECT_EQ(sizes.size(), 3u) << "one, two and three kinds kept, by seed";
    EXPECT_GT(shaped, 20);
}

TEST(Search, TargetingNeedsASystemThatNamesRoles) {
    EXPECT_GT(plan_of("targeted", 1).targeted, 0);
    EXPECT_FALSE(plan_of("targeted", 1).roles.empty());
    EXPECT_EQ(plan_of("targeted", 1, "echo").targeted, 0) << "echo names no roles";
}

TEST(Search, AnUnknownStrategyIsRefusedWithTheKnownOnes) {
    RunConfig config;
    config.search = "telepathy";
    const auto status = config.validate();
    ASSERT_FALSE(status.has_value());
    EXPECT_NE(status.error().message.find("swarm"), std::string::npos) << status.error().message;
}

// A short correct run under `strategy`; the trace goes to `trace` when given.
RunResult short_run(const std::string& strategy, std::uint64_t seed, std::FILE* trace = nullptr) {
    RunConfig config;
    config.search = strategy;
    config.seed = seed;
    config.time_limit = seconds(20);
    config.recovery = seconds(5);
    std::optional<sim::JsonlTraceSink> sink;
    if (trace != nullptr) sink.emplace(trace);
    auto result = run(config, RunOptions{.trace_sink = sink ? &*sink : nullptr, .keep_node_logs = false});
    EXPECT_TRUE(result.has_value()) << result.error().message;
    return *result;
}

TEST(Search, NoClientStartsAnOperationInAQuietWindow) {
    int windows = 0;
    for (std::uint64_t seed = 1; seed <= 12; ++seed) {
        const RunResult result = short_run("swarm", seed);
        EXPECT_EQ(result.verdict, Verdict::valid) << "seed " << seed;
        EXPECT_EQ(result.search["strategy"], "swarm");
        if (!result.search.contains("workload") || !result.search["workload"].contains("quiet")) continue;
        for (const Json& window : result.search["workload"]["quiet"]) {
            ++windows;
            const Nanos from = window["from_ns"].get<Nanos>();
            const Nanos to = window["to_ns"].get<Nanos>();
            for (const check::Operation& op : result.history) {
                if (op.type == check::OpType::invoke) {
                    EXPECT_FALSE(op.time >= from && op.time < to) << "seed " << seed << ": invoked at " << op.time;
                }
            }
        }
    }
    EXPECT_GT(windows, 0) << "no seed drew a quiet window: the test proves nothing";
}

TEST(Search, TargetedFaultsStrikeTheHoldersOfRoles) {
    int struck = 0;
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        const RunResult result = short_run("targeted", seed);
        EXPECT_EQ(result.verdict, Verdict::valid) << "seed " << seed;
        for (const std::string& line : result.nemesis_log) {
            for (nemesis::TargetRole role : nemesis::target_roles()) {
                if (line.find(std::string(nemesis::target_role_name(role)) + " (n") != std::string::npos) ++struck;
            }
        }
    }
    EXPECT_GT(struck, 0);
}

TEST(Search, FaultPointsActInARaftRunAndCorrectRaftSurvivesThem) {
    int acted = 0;
    int crashed = 0;
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        std::FILE* trace = std::tmpfile();
        ASSERT_NE(trace, nullptr);
        const RunResult result = short_run("fault-points", seed, trace);
        EXPECT_EQ(result.verdict, Verdict::valid) << "seed " << seed;
        std::rewind(trace);
        char line[4096];
        int acted_here = 0;
        // The crashes as the trace tells them: node and instant, then the
        // node's next restart.
        std::vector<std::pair<std::string, Nanos>> crashes;
        std::vector<Nanos> restarts;
        while (std::fgets(line, sizeof line, trace) != nullptr) {
            if (std::string(line).find("\"fault point ") != std::string::npos) ++acted_here;
            if (std::string(line).find("fault point raft.") != std::string::npos) ++acted;
            const Json event = Json::parse(line);
            const std::string text = event.value("text", "");
            if (const auto crash = text.find(": crash n");
                text.starts_with("fault point ") && crash != std::string::npos) {
                const std::string node = text.substr(crash + 8, text.find(' ', crash + 8) - (crash + 8));
                crashes.emplace_back(node, event["t"].get<Nanos>());
                restarts.push_back(0);
            }
            if (event["kind"] == "restart") {
                for (std::size_t i = 0; i < crashes.size(); ++i) {
                    if (crashes[i].first == event["node"] && restarts[i] == 0) restarts[i] = event["t"].get<Nanos>();
                }
            }
        }
        std::fclose(trace);
        EXPECT_EQ(result.fault_point_hits(), acted_here) << "seed " << seed << ": every action counted, once";
        ASSERT_EQ(result.fault_point_crashes.size(), crashes.size()) << "seed " << seed;
        for (std::size_t i = 0; i < crashes.size(); ++i) {
            const auto& recorded = result.fault_point_crashes[i];
            EXPECT_EQ("n" + std::to_string(recorded.node.value), crashes[i].first) << "seed " << seed;
            EXPECT_EQ(recorded.at, crashes[i].second) << "seed " << seed;
            EXPECT_EQ(recorded.restart_at, restarts[i]) << "seed " << seed << ": back when the trace says";
            EXPECT_EQ(std::count(result.fault_point_acted.begin(), result.fault_point_acted.end(), recorded.action), 1)
                << "seed " << seed << ": a crash is one of the actions that acted";
        }
        crashed += static_cast<int>(crashes.size());
    }
    EXPECT_GT(crashed, 0) << "no fault point crashed a node in six runs: the crash records went untested";
    EXPECT_GT(acted, 0) << "no fault point acted in six runs";
}

// Fault points acting are counted (the shrinker counts each as a fault), and
// a config can limit them to the first few, leave some out by number, or turn
// them off without changing anything else in the plan.
TEST(Search, FaultPointsAreCountedAndCanBeLimitedSkippedOrTurnedOff) {
    int counted = 0;
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        RunConfig config;
        config.search = "default";
        config.seed = seed;
        const SearchPlan on = *plan_search(config, **system_named("raft-kv"));
        config.fault_point_actions_max = 0;
        const SearchPlan off = *plan_search(config, **system_named("raft-kv"));
        EXPECT_FALSE(off.fault_points);
        Json on_json = on.to_json();
        Json off_json = off.to_json();
        on_json.erase("fault_points");
        off_json.erase("fault_points");
        EXPECT_EQ(on_json, off_json) << "seed " << seed << ": only the fault points may differ";
        config.time_limit = seconds(20);
        config.fault_point_actions_max = kFaultPointActionsMax;
        const RunResult with_points = *run(config);
        counted += with_points.fault_point_hits();
        config.fault_point_actions_max = 0;
        EXPECT_EQ(run(config)->fault_point_hits(), 0) << "seed " << seed;
        config.fault_point_actions_max = 1;
        EXPECT_EQ(run(config)->fault_point_hits(), std::min(1, with_points.fault_point_hits())) << "seed " << seed;
        if (with_points.fault_point_acted.size() < 2) continue;
        // One left out by number: those before it act as in the full run, and it does not.
        config.fault_point_actions_max = kFaultPointActionsMax;
        const int second = with_points.fault_point_acted[1];
        config.fault_point_actions_skipped = {second};
        const RunResult skipping = *run(config);
        ASSERT_FALSE(skipping.fault_point_acted.empty()) << "seed " << seed;
        EXPECT_EQ(skipping.fault_point_acted.front(), with_points.fault_point_acted.front()) << "seed " << seed;
        EXPECT_EQ(std::count(skipping.fault_point_acted.begin(), skipping.fault_point_acted.end(), second), 0)
            << "seed " << seed;
        config.fault_point_actions_skipped.clear();
    }
    EXPECT_GT(counted, 0) << "no fault point acted in six default runs";
}

TEST(Search, PriorityScheduleRunsAreValidAndDifferFromTheRandomOnes) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        const RunResult pct = short_run("pct", seed);
        EXPECT_EQ(pct.verdict, Verdict::valid) << "seed " << seed;
        EXPECT_TRUE(pct.search.contains("priorities"));
        EXPECT_NE(pct.trace_hash, short_run("random", seed).trace_hash);
    }
}

}  // namespace
}  // namespace faultline::runner
