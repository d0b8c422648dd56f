// Every scenario of the catalog (scenarios/*.toml) gives its expected verdict,
// failing the checks it names, on every seed it lists (a model's scenario,
// explored exhaustively, once).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "runner/scenario.h"

namespace faultline::runner {
namespace {

std::vector<Scenario> catalog() {
    auto scenarios = load_scenarios(std::string(FAULTLINE_SOURCE_DIR) + "/scenarios");
    return scenarios ? *scenarios : std::vector<Scenario>{};
}

TEST(Catalog, LoadsAndIsNotEmpty) {
    auto scenarios = load_scenarios(std::string(FAULTLINE_SOURCE_DIR) + "/scenarios");
    ASSERT_TRUE(scenarios.has_value()) << scenarios.error().message;
    EXPECT_GE(scenarios->size(), 40u);
}

// One test case per scenario, so ctest runs and reports each on its own.
class CatalogScenario : public testing::TestWithParam<Scenario> {};

TEST_P(CatalogScenario, GivesItsExpectedVerdictOnEverySeed) {
    const Scenario& scenario = GetParam();
    if (!scenario.model.empty()) {
        // A model explored exhaustively: one result, no seeds.
        const ModelDescription* model = find_model(scenario.model);
        ASSERT_NE(model, nullptr) << scenario.name;
        auto result = run_model(*model, scenario.model_options);
        ASSERT_TRUE(result.has_value()) << scenario.name << ": " << result.error().message;
        const ScenarioOutcome outcome = judge(scenario.expect, result->verdict, result->checks);
        EXPECT_TRUE(outcome.as_expected) << scenario.name << ": " << outcome.explanation << "\n" << result->report;
        return;
    }
    for (std::uint64_t seed : scenario.seeds) {
        RunConfig config = scenario.config;
        config.seed = seed;
        auto result = run(config, RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(result.has_value()) << scenario.name << ": " << result.error().message;
        const ScenarioOutcome outcome = judge(scenario.expect, *result);
        EXPECT_TRUE(outcome.as_expected) << scenario.name << " seed " << seed << ": " << outcome.explanation;
    }
}

INSTANTIATE_TEST_SUITE_P(Catalog, CatalogScenario, testing::ValuesIn(catalog()),
                         [](const testing::TestParamInfo<Scenario>& info) {
                             std::string name = info.param.name;
                             for (char& c : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             }
                             return name;
                         });

// A naive variant teaches by failing; next to it (same group) there must be a
// variant that passes, or the lesson has no answer.
TEST(Catalog, EveryNaiveVariantHasAPassingSibling) {
    auto scenarios = load_scenarios(std::string(FAULTLINE_SOURCE_DIR) + "/scenarios");
    ASSERT_TRUE(scenarios.has_value()) << scenarios.error().message;
    for (const Scenario& scenario : *scenarios) {
        const auto slash = scenario.name.rfind('/');
        const std::string variant = scenario.name.substr(slash + 1);
        if (variant != "naive" && variant != "blind-retry") continue;
        EXPECT_EQ(scenario.expect.verdict, Verdict::invalid) << scenario.name;
        const std::string group = scenario.name.substr(0, slash + 1);
        const bool answered = std::any_of(scenarios->begin(), scenarios->end(), [&](const Scenario& candidate) {
            return candidate.name.rfind(group, 0) == 0 && candidate.expect.verdict == Verdict::valid;
        });
        EXPECT_TRUE(answered) << scenario.name << " has no passing sibling in " << group;
    }
}

}  // namespace
}  // namespace faultline::runner
