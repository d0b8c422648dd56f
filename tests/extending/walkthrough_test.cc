// The system docs/extending.md adds (single-kv), built from the walk-through's
// own code blocks: it registers itself, its option has one name everywhere,
// and it behaves as the walk-through says: in memory it loses acknowledged
// writes to a crash, synced to disk it does not.
#include <gtest/gtest.h>

#include "runner/run.h"
#include "runner/scenario.h"
#include "runner/system.h"

namespace faultline::runner {
namespace {

RunConfig single_kv(std::uint64_t seed, bool durable) {
    RunConfig config;
    config.system = "single-kv";
    config.nodes = 1;
    config.nemesis = "kill";
    config.time_limit = seconds(20);
    config.seed = seed;
    config.system_options["durable"] = durable;
    return config;
}

TEST(Walkthrough, TheExampleSystemRegistersItself) {
    const SystemDescription* system = find_system("single-kv");
    ASSERT_NE(system, nullptr);
    ASSERT_NE(system->options, nullptr);
    EXPECT_NE(system->options->find("durable"), nullptr);
    EXPECT_TRUE(single_kv(1, true).validate()) << single_kv(1, true).validate().error().message;
}

TEST(Walkthrough, ItsOptionHasOneNameEverywhere) {
    const RunConfig config = single_kv(3, true);
    EXPECT_NE(config.command_line().find("--system single-kv"), std::string::npos) << config.command_line();
    EXPECT_NE(config.command_line().find("--durable"), std::string::npos) << config.command_line();
    const Json json = config.to_json();
    EXPECT_EQ(json["durable"], true);
    auto read_back = RunConfig::from_json(json);
    ASSERT_TRUE(read_back.has_value()) << read_back.error().message;
    EXPECT_EQ(read_back->to_json(), json);
    RunConfig wrong = config;
    wrong.system_options["durable"] = 1;
    EXPECT_FALSE(wrong.validate());
}

TEST(Walkthrough, InMemoryACrashLosesAcknowledgedWrites) {
    int invalid = 0;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        auto result = run(single_kv(seed, false));
        ASSERT_TRUE(result.has_value()) << result.error().message;
        invalid += result->verdict == Verdict::invalid ? 1 : 0;
    }
    EXPECT_GE(invalid, 3);
}

TEST(Walkthrough, SyncedToDiskTheSameCrashesLoseNothing) {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        auto result = run(single_kv(seed, true));
        ASSERT_TRUE(result.has_value()) << result.error().message;
        EXPECT_EQ(result->verdict, Verdict::valid) << "seed " << seed;
    }
}

TEST(Walkthrough, TheScenarioItShowsBehavesAsItExpects) {
    auto scenario = load_scenario(FAULTLINE_WALKTHROUGH_DIR "/scenarios/durability/in-memory.toml");
    ASSERT_TRUE(scenario.has_value()) << scenario.error().message;
    for (std::uint64_t seed : scenario->seeds) {
        RunConfig config = scenario->config;
        config.seed = seed;
        auto result = run(config);
        ASSERT_TRUE(result.has_value()) << result.error().message;
        const ScenarioOutcome outcome = judge(scenario->expect, *result);
        EXPECT_TRUE(outcome.as_expected) << "seed " << seed << ": " << outcome.explanation;
    }
}

}  // namespace
}  // namespace faultline::runner
