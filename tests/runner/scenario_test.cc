// Scenario files: what they say is what runs; mistakes are named by file and line.
#include "runner/scenario.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "runner/search.h"
#include "runner/system.h"
#include "support/faultline_process.h"

namespace faultline::runner {
namespace {

// Files go to a folder of this test binary's own, so two copies of the suite
// (two checkouts, ctest -j) never write the same path.
std::string write_file(const std::string& name, const std::string& text) {
    static const std::filesystem::path folder = faultline::testing::fresh_folder("scenario-test");
    const auto path = folder / name;
    std::ofstream(path) << text;
    return path.string();
}

TEST(ScenarioFile, ReadsConfigFaultsAndExpectations) {
    const std::string path = write_file("faultline-scenario-ok.toml", R"(
name = "test/ok"
description = "a test"
system = "raft-kv"
nodes = 3
time_limit = "12s"
rate = 50
pre_vote = false
fault_point_actions_max = 6
fault_point_actions_skipped = [1, 4]
seeds = [4, 5]

[[fault]]
kind = "partition"
shape = "one"
start = "2s"
duration = 3
nodes = [2, 0, 1]

[[availability]]
from = "6s"
to = "10s"
min = 0.5

[expect]
verdict = "invalid"
failing = ["linearizability"]
)");
    auto scenario = load_scenario(path);
    ASSERT_TRUE(scenario.has_value()) << scenario.error().message;
    EXPECT_EQ(scenario->name, "test/ok");
    EXPECT_EQ(scenario->config.nodes, 3);
    EXPECT_EQ(scenario->config.time_limit, seconds(12));
    EXPECT_EQ(scenario->config.system_options["pre_vote"], false);
    EXPECT_EQ(scenario->seeds, (std::vector<std::uint64_t>{4, 5}));
    EXPECT_EQ(scenario->config.fault_point_actions_max, 6);
    EXPECT_EQ(scenario->config.fault_point_actions_skipped, (std::vector<int>{1, 4}));
    ASSERT_TRUE(scenario->config.schedule.is_array());
    EXPECT_EQ(scenario->config.schedule.size(), 1u);
    EXPECT_EQ(scenario->config.schedule[0]["duration_ns"], seconds(3));
    ASSERT_EQ(scenario->config.availability.size(), 1u);
    EXPECT_EQ(scenario->config.availability[0], (AvailabilityWindow{seconds(6), seconds(10), 0.5}));
    EXPECT_EQ(scenario->expect.verdict, Verdict::invalid);
    // Written back and read again, it is the same scenario.
    const std::string again = write_file("faultline-scenario-again.toml", scenario_to_toml(*scenario));
    auto reread = load_scenario(again);
    ASSERT_TRUE(reread.has_value()) << reread.error().message;
    EXPECT_EQ(reread->config.to_json(), scenario->config.to_json());
    EXPECT_EQ(reread->seeds, scenario->seeds);
    EXPECT_EQ(reread->expect.failing, scenario->expect.failing);
}

// A knob the config sets is written even at its default value: a knob a
// run leaves unset is flipped by some seeds' plans (runner/search.h), so
// leaving it out would make the scenario another run. A shrunk run from a
// stored config.json sets every knob.
TEST(ScenarioFile, AKnobTheConfigSetsIsWrittenEvenAtItsDefault) {
    int knobs = 0;
    int flipped_if_unset = 0;
    for (const SystemDescription* system : all_systems()) {
        if (system->options == nullptr) continue;
        for (const std::string& knob : system->knobs) {
            ++knobs;
            RunConfig config;
            config.system = system->name;
            config.search = "default";
            config.system_options[knob] = system->options->defaults()[knob];
            const std::string path = write_file("knob.toml", scenario_to_toml(Scenario{.name = "x", .config = config}));
            auto loaded = load_scenario(path);
            ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
            ASSERT_TRUE(loaded->config.system_options.contains(knob)) << system->name << " " << knob;
            EXPECT_EQ(loaded->config.system_options[knob], config.system_options[knob]);
            RunConfig unset = config;
            unset.system_options.erase(knob);
            for (std::uint64_t seed = 1; seed <= 16; ++seed) {
                config.seed = loaded->config.seed = unset.seed = seed;
                const Json written = plan_search(loaded->config, *system)->knobs;
                EXPECT_EQ(written, plan_search(config, *system)->knobs) << system->name << " seed " << seed;
                if (plan_search(unset, *system)->knobs.contains(knob)) ++flipped_if_unset;
            }
        }
    }
    EXPECT_GT(knobs, 0) << "no system has knobs: the test proves nothing";
    EXPECT_GT(flipped_if_unset, 0) << "no seed flips an unset knob: the test proves nothing";
}

TEST(ScenarioFile, MistakesNameTheFileAndLine) {
    struct Case {
        const char* text;
        const char* says;
    } cases[] = {
        {"name = \"x\"\nnodse = 3\n", ":2: unknown key 'nodse'"},
        {"name = \"x\"\ntime_limit = \"soon\"\n", ":2:"},
        {"name = \"x\"\n[[fault]]\nkind = \"meteor\"\n", "unknown fault 'meteor'"},
        {"name = \"x\"\n[[fault]]\nkind = \"kill\"\nnodes = [7]\n", "node 7 is not a server index"},
        {"name = \"x\"\n[expect]\nverdict = \"maybe\"\n", ":3: unknown verdict 'maybe'"},
        {"name = \"x\"\nthis is not toml\n", ":2:"},
        {"description = \"no name\"\n", "needs a name"},
        {"name = \"x\"\n[[fault]]\nkind = \"clock-drift\"\namount = -700000\n", "within (-500000, 500000)"},
        {"name = \"x\"\nonly_ops = [\"3\"]\n", ":2:"},
        {"name = \"x\"\nfault_point_actions_skipped = [-1]\n", ":2:"},
        {"name = \"x\"\nfault_point_actions_skipped = [\"one\"]\n", ":2:"},
        {"name = \"x\"\nfault_point_actions_skipped = [4, 2]\n", "each once and in order"},
        {"name = \"x\"\nclock_drift_bound = 1.5\n", "clock_drift_bound must be in [0, 0.99]"},
        // A check the system does not run could never be seen failing.
        {"name = \"x\"\n[expect]\nverdict = \"invalid\"\nfailing = [\"linearizabilty\"]\n",
         ":4: raft-kv runs no check named 'linearizabilty'"},
        // Another system's option, named as such.
        {"name = \"x\"\nsystem = \"echo\"\nlease_reads = true\n", "an option of raft-kv"},
    };
    for (const Case& c : cases) {
        const std::string path = write_file("faultline-scenario-bad.toml", c.text);
        auto scenario = load_scenario(path);
        ASSERT_FALSE(scenario.has_value()) << c.text;
        EXPECT_NE(scenario.error().message.find(path), std::string::npos) << scenario.error().message;
        EXPECT_NE(scenario.error().message.find(c.says), std::string::npos) << scenario.error().message;
    }
}

TEST(ScenarioFile, AModelScenarioTakesTheModelsOptions) {
    const std::string path = write_file("faultline-scenario-model.toml", R"(
name = "test/model"
description = "a model"
model = "byzantine-generals"
nodes = 3
one_order = true

[expect]
verdict = "invalid"
failing = ["interactive-consistency"]
)");
    auto scenario = load_scenario(path);
    ASSERT_TRUE(scenario.has_value()) << scenario.error().message;
    EXPECT_EQ(scenario->model, "byzantine-generals");
    EXPECT_EQ(scenario->model_options["nodes"], 3);
    EXPECT_EQ(scenario->model_options["one_order"], true);
    EXPECT_EQ(scenario->model_options["traitors"], 1);  // normalized: the defaults filled in
    EXPECT_TRUE(scenario->seeds.empty());
    // It runs, and gives what it expects.
    auto result = run_model(*find_model(scenario->model), scenario->model_options);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_TRUE(judge(scenario->expect, result->verdict, result->checks).as_expected);
    // The command that prints its counterexample: the main options always, the others as they differ.
    EXPECT_EQ(model_command_line(*find_model(scenario->model), scenario->model_options),
              "faultline generals byzantine --nodes 3 --traitors 1 --rounds 1 --one-order");
    // Written back and read again, it is the same scenario.
    const std::string again = write_file("faultline-scenario-model-again.toml", scenario_to_toml(*scenario));
    auto reread = load_scenario(again);
    ASSERT_TRUE(reread.has_value()) << reread.error().message;
    EXPECT_EQ(reread->model_options, scenario->model_options);
    EXPECT_EQ(reread->expect.failing, scenario->expect.failing);
}

TEST(ScenarioFile, AModelScenariosMistakesNameTheFileAndLine) {
    struct Case {
        const char* text;
        const char* says;
    } cases[] = {
        {"name = \"x\"\nmodel = \"three-generals\"\n", ":2: unknown model 'three-generals'"},
        {"name = \"x\"\nmodel = \"two-generals\"\nsystem = \"echo\"\n", ":3: a scenario names a system or a model"},
        {"name = \"x\"\nmodel = \"two-generals\"\nnodes = 3\n", ":3: unknown key 'nodes'"},
        {"name = \"x\"\nmodel = \"two-generals\"\nseeds = [1]\n", ":3: unknown key 'seeds'"},
        {"name = \"x\"\nmodel = \"two-generals\"\nmessengers = 9\n", ":3: messengers must be in [1, 8]"},
        {"model = \"two-generals\"\n", "needs a name"},
        {"name = \"x\"\nmodel = \"two-generals\"\n[expect]\nverdict = \"invalid\"\nfailing = [\"linearizability\"]\n",
         ":5: two-generals runs no check named 'linearizability' (its checks: agreement, validity)"},
    };
    for (const Case& c : cases) {
        const std::string path = write_file("faultline-scenario-model-bad.toml", c.text);
        auto scenario = load_scenario(path);
        ASSERT_FALSE(scenario.has_value()) << c.text;
        EXPECT_NE(scenario.error().message.find(path), std::string::npos) << scenario.error().message;
        EXPECT_NE(scenario.error().message.find(c.says), std::string::npos) << scenario.error().message;
    }
}

}  // namespace
}  // namespace faultline::runner
