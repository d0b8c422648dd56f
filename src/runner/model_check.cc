// The registry of models, filled by each model's own ModelRegistration.
#include "runner/model_check.h"

#include <map>

namespace faultline::runner {

namespace {

// Built on first use: registrations run during static initialization, in an
// order across files that C++ leaves open.
std::map<std::string, ModelDescription, std::less<>>& registry() {
    static std::map<std::string, ModelDescription, std::less<>> models;
    return models;
}

}  // namespace

ModelRegistration::ModelRegistration(ModelDescription description) {
    FL_ASSERT(!description.name.empty() && description.run && description.options != nullptr);
    FL_ASSERT(!description.checks.empty());
    const std::string name = description.name;
    const bool added = registry().emplace(name, std::move(description)).second;
    FL_ASSERT_MSG(added, "two models share a name");
}

std::vector<const ModelDescription*> all_models() {
    std::vector<const ModelDescription*> out;
    for (const auto& [name, description] : registry()) out.push_back(&description);
    return out;
}

const ModelDescription* find_model(std::string_view name) {
    const auto found = registry().find(name);
    return found == registry().end() ? nullptr : &found->second;
}

Result<ModelResult> run_model(const ModelDescription& model, const Json& options) {
    auto normalized = model.options->normalize(options);
    if (!normalized) return normalized.error();
    auto result = model.run(*normalized);
    if (!result) return result.error();
    // Every check the model declares answers, and no other.
    FL_ASSERT_EQ(result->checks.size(), model.checks.size());
    for (std::size_t i = 0; i < model.checks.size(); ++i) FL_ASSERT_EQ(result->checks[i].name, model.checks[i]);
    FL_ASSERT(result->verdict == model_verdict(result->checks));
    return result;
}

std::string model_command_line(const ModelDescription& model, const Json& options) {
    std::string line = "faultline " + model.command;
    Json rest = options;
    for (const std::string& key : model.repro_keys) {
        const OptionInfo* info = model.options->find(key);
        FL_ASSERT_MSG(info != nullptr && info->kind != OptionKind::flag, key);
        FL_ASSERT(options.contains(info->json_key()));
        line += " " + info->flag() + " " + option_value_text(*info, options[info->json_key()]);
        rest.erase(info->json_key());
    }
    return line + model.options->command_line(rest);
}

check::Verdict model_verdict(const std::vector<check::Outcome>& checks) {
    check::Verdict verdict = check::Verdict::valid;
    for (const check::Outcome& outcome : checks) verdict = check::combine(verdict, outcome.verdict);
    return verdict;
}

}  // namespace faultline::runner
