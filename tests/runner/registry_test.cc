// Every registered system, whatever it is: it builds, the outcomes it returns
// are among the checks it declares, and each of its options (and each common
// option) survives config.json and a scenario file with its value.
#include <gtest/gtest.h>

#include <algorithm>

#include "runner/run.h"
#include "runner/scenario.h"
#include "runner/system.h"
#include "support/faultline_process.h"

namespace faultline::runner {
namespace {

// A config each system accepts: the one-node systems get one node.
RunConfig config_for(const SystemDescription& system) {
    RunConfig config;
    config.system = system.name;
    config.time_limit = seconds(5);
    config.recovery = seconds(2);
    config.nemesis = "none";
    if (!config.validate()) config.nodes = 1;
    return config;
}

// A value other than the default, inside the declared range.
Json other_value(const OptionInfo& info, const Json& value) {
    switch (info.kind) {
        case OptionKind::flag:
            return !value.get<bool>();
        case OptionKind::text:
            return info.choices.empty()
                       ? value
                       : Json(info.choices.back() == value ? info.choices.front() : info.choices.back());
        case OptionKind::duration:
        case OptionKind::integer: {
            const bool at_max = !info.max.is_null() && value == info.max;
            return at_max ? Json(value.get<std::int64_t>() - 1) : Json(value.get<std::int64_t>() + 1);
        }
        case OptionKind::number: {
            const double max = info.max.is_null() ? 1e9 : info.max.get<double>();
            const double min = info.min.is_null() ? 0 : info.min.get<double>();
            return (min + max) / 2 == value.get<double>() ? Json(min) : Json((min + max) / 2);
        }
    }
    return value;
}

TEST(Registry, EverySystemRunsAndReturnsOnlyTheChecksItDeclares) {
    ASSERT_GE(all_systems().size(), 8u);
    for (const SystemDescription* system : all_systems()) {
        const RunConfig config = config_for(*system);
        ASSERT_TRUE(config.validate()) << system->name << ": " << config.validate().error().message;
        auto result = run(config);
        ASSERT_TRUE(result.has_value()) << system->name << ": " << result.error().message;
        for (const CheckOutcome& check : result->checks) {
            const bool declared = std::count(system->checks.begin(), system->checks.end(), check.name) > 0 ||
                                  std::count(kServiceChecks.begin(), kServiceChecks.end(), check.name) > 0;
            EXPECT_TRUE(declared) << system->name << " returned an undeclared check '" << check.name << "'";
        }
    }
}

TEST(Registry, EveryOptionSurvivesConfigJsonAndAScenarioFile) {
    const std::string folder = faultline::testing::fresh_folder("registry");
    ASSERT_FALSE(folder.empty());
    int carried = 0;  // (system, option) pairs that went through both
    for (const SystemDescription* system : all_systems()) {
        std::vector<std::pair<const OptionSchema*, bool>> schemas{{&RunConfig::options(), true}};
        if (system->options != nullptr) schemas.push_back({system->options, false});
        for (const auto& [schema, common] : schemas) {
            const Json defaults = schema->defaults();
            for (const OptionInfo& info : schema->options()) {
                if (info.key == "system" || info.key == "bug" || info.key == "seed" || info.key == "nemesis" ||
                    info.key == "latency" || !(info.scope & in_toml)) {
                    continue;  // spelled specially, or text without a closed set of values
                }
                RunConfig config = config_for(*system);
                const Json value = other_value(
                    info, common ? RunConfig::options().to_json(config)[info.json_key()] : defaults[info.json_key()]);
                if (common) {
                    ASSERT_TRUE(RunConfig::options().set(config, info, value)) << info.key;
                } else {
                    config.system_options[info.json_key()] = value;
                }
                if (!config.validate()) continue;  // refused by a condition across options: nothing to carry
                auto read_back = RunConfig::from_json(config.to_json());
                ASSERT_TRUE(read_back.has_value())
                    << system->name << " " << info.key << ": " << read_back.error().message;
                EXPECT_EQ(read_back->to_json(), config.to_json()) << system->name << " " << info.key;

                Scenario scenario{.name = "x", .config = config};
                const std::string path = folder + "/x.toml";
                FILE* file = std::fopen(path.c_str(), "w");
                ASSERT_NE(file, nullptr);
                const std::string text = scenario_to_toml(scenario);
                std::fputs(text.c_str(), file);
                std::fclose(file);
                auto loaded = load_scenario(path);
                ASSERT_TRUE(loaded.has_value())
                    << system->name << " " << info.key << ": " << loaded.error().message << "\n"
                    << text;
                RunConfig expected = config;
                expected.seed = loaded->config.seed;
                EXPECT_EQ(loaded->config.to_json(), expected.to_json()) << system->name << " " << info.key << "\n"
                                                                        << text;
                ++carried;
            }
        }
    }
    // Every system's run options, and every system option but the few a
    // condition across options refuses alone.
    EXPECT_GE(carried, 8 * 25 + 15) << carried;
}

// A bug whose code only a setting reaches is refused without that setting
// (a sweep would otherwise run the correct system and call the bug uncaught),
// and every system's needs name one of its bugs and its own options.
TEST(SystemRegistry, ABugIsRefusedWithoutTheSettingItsCodeNeeds) {
    RunConfig config;
    config.bug = "lease-no-drift";
    auto refused = config.validate();
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().message.find("needs --lease-reads"), std::string::npos) << refused.error().message;
    config.system_options["lease_reads"] = true;
    EXPECT_TRUE(config.validate().has_value());
    for (const SystemDescription* system : all_systems()) {
        for (const auto& [bug, needs] : system->bug_needs) {
            EXPECT_NE(std::find(system->bugs.begin(), system->bugs.end(), bug), system->bugs.end()) << bug;
            RunConfig with_needs;
            with_needs.system = system->name;
            with_needs.bug = bug;
            with_needs.system_options = needs;
            EXPECT_TRUE(with_needs.validate().has_value()) << system->name << " " << bug;
        }
    }
}

}  // namespace
}  // namespace faultline::runner
