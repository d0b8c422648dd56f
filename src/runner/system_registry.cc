// The registry of systems, filled by each system's own SystemRegistration.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "runner/system.h"

namespace faultline::runner {

namespace {

// Built on first use: registrations run during static initialization, in an
// order across files that C++ leaves open.
std::map<std::string, SystemDescription, std::less<>>& registry() {
    static std::map<std::string, SystemDescription, std::less<>> systems;
    return systems;
}

}  // namespace

workload::ClientOptions System::client_options(const RunConfig& config) const {
    workload::ClientOptions options;
    options.timeout = config.timeout;
    options.retries_max = config.client_retries;
    options.timeout_retries_max = config.client_timeout_retries;
    options.blind_retries = !config.idempotency_keys;
    options.wait_forever = config.timeout == 0;
    return options;
}

SystemRegistration::SystemRegistration(SystemDescription description) {
    FL_ASSERT(!description.name.empty() && description.make);
    // A system's option must not shadow a common one: config.json and
    // scenario files hold both side by side.
    if (description.options != nullptr) {
        for (const OptionInfo& own : description.options->options()) {
            FL_ASSERT_MSG(RunConfig::options().find(own.key) == nullptr, "a system option shadows a common option");
        }
    }
    const std::string name = description.name;
    const bool added = registry().emplace(name, std::move(description)).second;
    FL_ASSERT_MSG(added, "two systems share a name");
}

std::vector<const SystemDescription*> all_systems() {
    std::vector<const SystemDescription*> out;
    for (const auto& [name, description] : registry()) out.push_back(&description);
    return out;
}

const SystemDescription* find_system(std::string_view name) {
    const auto found = registry().find(name);
    return found == registry().end() ? nullptr : &found->second;
}

std::vector<std::string> system_names() {
    std::vector<std::string> names;
    for (const auto& [name, description] : registry()) names.push_back(name);
    return names;
}

Result<const SystemDescription*> system_named(std::string_view name) {
    if (const SystemDescription* description = find_system(name)) return description;
    std::string known;
    for (const auto& system : system_names()) known += (known.empty() ? "" : ", ") + system;
    return make_error(ErrorCode::invalid_argument, fmt::format("unknown system '{}' (known: {})", name, known));
}

void apply_bug_needs(RunConfig& config) {
    const SystemDescription* system = find_system(config.system);
    if (system == nullptr) return;
    if (auto needs = system->bug_needs.find(config.bug); needs != system->bug_needs.end()) {
        config.system_options.update(needs->second);
    }
}

Result<std::unique_ptr<System>> make_system(const RunConfig& config) {
    auto description = system_named(config.system);
    if (!description) return description.error();
    const auto& bugs = (*description)->bugs;
    if (!config.bug.empty() && std::find(bugs.begin(), bugs.end(), config.bug) == bugs.end()) {
        if (bugs.empty()) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("{} has no deliberate bugs (--bug '{}')", config.system, config.bug));
        }
        std::string known;
        for (const auto& bug : bugs) known += (known.empty() ? "" : ", ") + bug;
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("unknown bug '{}' for {} (known: {})", config.bug, config.system, known));
    }
    // A bug whose code only a setting reaches is refused without it: a run
    // would be the correct system's, and the bug would count as never caught.
    const SystemDescription& system = **description;
    if (auto needs = system.bug_needs.find(config.bug); needs != system.bug_needs.end() && system.options != nullptr) {
        if (auto own = system.options->normalize(config.system_options)) {
            for (const auto& [key, value] : needs->second.items()) {
                if ((*own)[key] == value) continue;
                std::string flags = system.options->command_line(needs->second);
                if (flags.starts_with(' ')) flags.erase(0, 1);
                return make_error(
                    ErrorCode::invalid_argument,
                    fmt::format("--bug {} needs {}: without it, its code is never reached", config.bug, flags));
            }
        }
    }
    return system.make(config);
}

}  // namespace faultline::runner
