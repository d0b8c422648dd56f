#include "runner/scenario.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <set>
#include <sstream>

#include "nemesis/schedule.h"
#include "runner/run.h"
#include "sim/latency.h"

namespace faultline::runner {

namespace fs = std::filesystem;

namespace {

std::string where(const std::string& path, const toml::node& node) {
    return fmt::format("{}:{}", path, node.source().begin.line);
}

// Reads a duration: "250ms" or a number of seconds.
Result<Nanos> duration_of(const std::string& path, const toml::node& node) {
    if (auto text = node.value<std::string>()) {
        auto parsed = parse_duration(*text, seconds(1));
        if (!parsed) return make_error(ErrorCode::invalid_argument, where(path, node) + ": " + parsed.error().message);
        return *parsed;
    }
    if (auto number = node.value<double>()) {
        // The same range as parse_duration's: beyond it the cast would be undefined.
        if (!(*number >= 0 && *number * 1e9 <= 9.2e18)) {
            return make_error(ErrorCode::invalid_argument,
                              where(path, node) + ": a duration in seconds must be in [0, 9.2e9]");
        }
        return static_cast<Nanos>(*number * 1e9);
    }
    return make_error(ErrorCode::parse_error, where(path, node) + ": expected a duration such as \"5s\" or \"250ms\"");
}

// A duration that may be negative ("-500ms": a clock set back).
Result<Nanos> signed_duration_of(const std::string& path, const toml::node& node) {
    if (auto text = node.value<std::string>(); text && text->starts_with('-')) {
        auto parsed = parse_duration(text->substr(1), seconds(1));
        if (!parsed) return make_error(ErrorCode::invalid_argument, where(path, node) + ": " + parsed.error().message);
        return -*parsed;
    }
    if (auto number = node.value<double>(); number && *number < 0) {
        if (!(*number * 1e9 >= -9.2e18)) {
            return make_error(ErrorCode::invalid_argument,
                              where(path, node) + ": a duration in seconds must be in [-9.2e9, 9.2e9]");
        }
        return static_cast<Nanos>(*number * 1e9);
    }
    return duration_of(path, node);
}

template <class T>
Result<T> value_of(const std::string& path, const toml::node& node, const char* what) {
    if (auto value = node.value<T>()) return *value;
    return make_error(ErrorCode::parse_error, fmt::format("{}: expected {}", where(path, node), what));
}

// A TOML integer (64-bit) that must fit in [low, high]: `nodes = 4294967297`
// must not wrap to 1, nor `seeds = [-1]` to 2^64-1.
Result<std::int64_t> integer_of(const std::string& path, const toml::node& node, std::int64_t low, std::int64_t high) {
    const std::string what = fmt::format("an integer in [{}, {}]", low, high);
    auto value = value_of<std::int64_t>(path, node, what.c_str());
    if (!value) return value.error();
    if (*value < low || *value > high) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("{}: expected {}, got {}", where(path, node), what, *value));
    }
    return *value;
}

Result<nemesis::Fault> fault_of(const std::string& path, const toml::table& table, int nodes) {
    Json json = Json::object();
    for (const auto& [key, node] : table) {
        const std::string name(key.str());
        if (name == "kind" || name == "shape" || name == "links" || name == "target") {
            auto text = value_of<std::string>(path, node, "a string");
            if (!text) return text.error();
            json[name] = *text;
        } else if (name == "start" || name == "duration" || name == "delta") {
            auto duration = name == "delta" ? signed_duration_of(path, node) : duration_of(path, node);
            if (!duration) return duration.error();
            json[name == "delta" ? "delta_ns" : name + "_ns"] = *duration;
        } else if (name == "amount") {
            auto amount = value_of<double>(path, node, "a number");
            if (!amount) return amount.error();
            json["amount"] = *amount;
        } else if (name == "nodes") {
            const toml::array* array = node.as_array();
            if (array == nullptr) return make_error(ErrorCode::parse_error, where(path, node) + ": expected an array");
            json["nodes"] = Json::array();
            for (const toml::node& element : *array) {
                auto index = value_of<std::int64_t>(path, element, "a node index");
                if (!index) return index.error();
                json["nodes"].push_back(*index);
            }
        } else {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("{}: unknown fault field '{}' (kind, shape, start, duration, nodes, "
                                          "amount, delta, links, target)",
                                          where(path, node), name));
        }
    }
    auto fault = nemesis::fault_from_json(json, nodes);
    if (!fault) return make_error(fault.error().code, where(path, table) + ": " + fault.error().message);
    return *fault;
}

// A TOML scalar as JSON (tables and arrays are no option's value).
Result<Json> scalar_of(const std::string& path, const toml::node& node) {
    if (auto value = node.value_exact<bool>()) return Json(*value);
    if (auto value = node.value_exact<std::int64_t>()) return Json(*value);
    if (auto value = node.value_exact<double>()) return Json(*value);
    if (auto value = node.value_exact<std::string>()) return Json(*value);
    return make_error(ErrorCode::parse_error, where(path, node) + ": expected a value, not a table or an array");
}

// Which other system an option belongs to, for a helpful error.
std::string owner_hint(const std::string& key) {
    for (const SystemDescription* system : all_systems()) {
        if (system->options != nullptr && system->options->find(key) != nullptr) {
            return fmt::format(" (an option of {}, not of this scenario's system)", system->name);
        }
    }
    return "";
}

Status apply_listed(const std::string& path, const std::string& name, const toml::node& node, RunConfig& config) {
    const toml::array* array = node.as_array();
    if (array == nullptr) return make_error(ErrorCode::parse_error, where(path, node) + ": expected an array");
    for (const toml::node& element : *array) {
        if (name == "fault_point_actions_skipped") {
            auto action = value_of<std::int64_t>(path, element, "an action number");
            if (!action) return action.error();
            if (*action < 0 || *action >= kFaultPointActionsMax) {
                return make_error(ErrorCode::parse_error, fmt::format("{}: an action number is in 0..{}",
                                                                      where(path, element), kFaultPointActionsMax - 1));
            }
            config.fault_point_actions_skipped.push_back(static_cast<int>(*action));
        } else if (name == "only_ops") {
            auto op = value_of<std::string>(path, element, "\"CLIENT:N\"");
            if (!op) return op.error();
            if (!parse_op_ref(*op)) {
                return make_error(ErrorCode::parse_error,
                                  fmt::format("{}: '{}' is not CLIENT:N", where(path, element), *op));
            }
            if (!config.only_ops) config.only_ops.emplace();
            config.only_ops->push_back(*op);
        } else if (auto number = element.value<std::int64_t>()) {
            config.only_keys.emplace_back(*number);
        } else if (auto text = element.value<std::string>()) {
            config.only_keys.emplace_back(*text);
        } else {
            return make_error(ErrorCode::parse_error, where(path, element) + ": a key is an integer or a string");
        }
    }
    if (name == "only_ops" && !config.only_ops) config.only_ops.emplace();  // [] sends none
    return ok_status();
}

// One top-level key: a common option, or one of the system's own. Checked
// against its declaration here, so the error names the line.
Status apply_field(const std::string& path, const std::string& name, const toml::node& node, RunConfig& config) {
    if (name == "only_keys" || name == "only_ops" || name == "fault_point_actions_skipped") {
        return apply_listed(path, name, node, config);
    }
    const OptionInfo* common = RunConfig::options().find(name);
    if (common != nullptr && !(common->scope & in_toml)) common = nullptr;
    const SystemDescription* system = find_system(config.system);
    const OptionInfo* own = system != nullptr && system->options != nullptr ? system->options->find(name) : nullptr;
    if (common == nullptr && own == nullptr) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("{}: unknown key '{}'{}", where(path, node), name, owner_hint(name)));
    }
    const OptionInfo& info = common != nullptr ? *common : *own;
    auto scalar = scalar_of(path, node);
    if (!scalar) return scalar.error();
    auto value = option_value_from_scenario(info, *scalar);
    Status status = value ? ok_status() : Status(value.error());
    if (status && common != nullptr) {
        status = RunConfig::options().set(config, info, *value);
    } else if (status) {
        const Json one{{info.json_key(), *value}};
        if (auto normalized = system->options->normalize(one); !normalized)
            status = normalized.error();
        else
            config.system_options[info.json_key()] = *value;
    }
    if (!status) return make_error(status.error().code, where(path, node) + ": " + status.error().message);
    return ok_status();
}

Result<Verdict> verdict_of(const std::string& text) {
    if (text == "valid") return Verdict::valid;
    if (text == "invalid") return Verdict::invalid;
    if (text == "unknown") return Verdict::unknown;
    return make_error(ErrorCode::invalid_argument, fmt::format("unknown verdict '{}' (valid, invalid, unknown)", text));
}

// A scenario's `failing` may name only checks its system runs: a misspelt
// name would otherwise wait forever for a check that never fails.
Status check_failing_names(const std::string& path, const toml::table& root, const Scenario& scenario) {
    const SystemDescription* system = find_system(scenario.config.system);
    for (const std::string& name : scenario.expect.failing) {
        const auto& own = system->checks;
        if (std::find(own.begin(), own.end(), name) != own.end() ||
            std::find(kServiceChecks.begin(), kServiceChecks.end(), name) != kServiceChecks.end()) {
            continue;
        }
        std::string known;
        for (const auto& check : own) known += (known.empty() ? "" : ", ") + check;
        for (const auto& check : kServiceChecks) known += ", " + check;
        const toml::node* failing = root.at_path("expect.failing").node();
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("{}: {} runs no check named '{}' (its checks: {})",
                                      failing != nullptr ? where(path, *failing) : path, system->name, name, known));
    }
    return ok_status();
}

// `seeds = [...]`: a non-empty array of seeds.
Status read_seeds(const std::string& path, const toml::node& node, Scenario& scenario) {
    const toml::array* array = node.as_array();
    if (array == nullptr || array->empty()) {
        return make_error(ErrorCode::parse_error, where(path, node) + ": seeds must be a non-empty array");
    }
    scenario.seeds.clear();
    for (const toml::node& element : *array) {
        // TOML integers are signed 64-bit: seeds above 2^63 cannot be written.
        auto seed = integer_of(path, element, 0, std::numeric_limits<std::int64_t>::max());
        if (!seed) return seed.error();
        scenario.seeds.push_back(static_cast<std::uint64_t>(*seed));
    }
    return ok_status();
}

// `[[fault]]` tables, read once the run's options are known (fault_of).
Status collect_fault_tables(const std::string& path, const toml::node& node, std::vector<const toml::table*>& faults) {
    const toml::array* array = node.as_array();
    if (array == nullptr) return make_error(ErrorCode::parse_error, where(path, node) + ": use [[fault]]");
    for (const toml::node& element : *array) {
        if (!element.is_table()) return make_error(ErrorCode::parse_error, where(path, element) + ": use [[fault]]");
        faults.push_back(element.as_table());
    }
    return ok_status();
}

// One `[[availability]]` window: from, to, min.
Result<AvailabilityWindow> availability_window_of(const std::string& path, const toml::table& table) {
    AvailabilityWindow window;
    for (const auto& [window_key, window_node] : table) {
        const std::string field(window_key.str());
        if (field == "from" || field == "to") {
            auto duration = duration_of(path, window_node);
            if (!duration) return duration.error();
            (field == "from" ? window.from : window.to) = *duration;
        } else if (field == "min") {
            auto min = value_of<double>(path, window_node, "a fraction");
            if (!min) return min.error();
            window.min = *min;
        } else {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("{}: unknown key '{}' in [[availability]] (from, to, min)",
                                          where(path, window_node), field));
        }
    }
    return window;
}

Status read_availability(const std::string& path, const toml::node& node, RunConfig& config) {
    const toml::array* array = node.as_array();
    if (array == nullptr) return make_error(ErrorCode::parse_error, where(path, node) + ": use [[availability]]");
    for (const toml::node& element : *array) {
        const toml::table* table = element.as_table();
        if (table == nullptr)
            return make_error(ErrorCode::parse_error, where(path, element) + ": use [[availability]]");
        auto window = availability_window_of(path, *table);
        if (!window) return window.error();
        config.availability.push_back(*window);
    }
    return ok_status();
}

// `[expect]`: the verdict, and the checks that must fail.
Status read_expect(const std::string& path, const toml::node& node, Expectation& expect_out) {
    const toml::table* expect = node.as_table();
    if (expect == nullptr) return make_error(ErrorCode::parse_error, where(path, node) + ": use [expect]");
    for (const auto& [expect_key, expect_node] : *expect) {
        const std::string field(expect_key.str());
        if (field == "verdict") {
            auto text = value_of<std::string>(path, expect_node, "a verdict");
            if (!text) return text.error();
            auto verdict = verdict_of(*text);
            if (!verdict)
                return make_error(verdict.error().code, where(path, expect_node) + ": " + verdict.error().message);
            expect_out.verdict = *verdict;
        } else if (field == "failing") {
            const toml::array* array = expect_node.as_array();
            if (array == nullptr)
                return make_error(ErrorCode::parse_error,
                                  where(path, expect_node) + ": expected an array of check names");
            for (const toml::node& element : *array) {
                auto check = value_of<std::string>(path, element, "a check name");
                if (!check) return check.error();
                expect_out.failing.push_back(*check);
            }
        } else {
            return make_error(
                ErrorCode::invalid_argument,
                fmt::format("{}: unknown key '{}' in [expect] (verdict, failing)", where(path, expect_node), field));
        }
    }
    return ok_status();
}

// One top-level key of a scenario file other than `system` (read first): a
// scenario field, fault tables (kept in `faults`), or a run option.
Status read_key(const std::string& path, const std::string& name, const toml::node& node, Scenario& scenario,
                std::vector<const toml::table*>& faults) {
    if (name == "name") {
        auto value = value_of<std::string>(path, node, "a string");
        if (!value) return value.error();
        scenario.name = *value;
    } else if (name == "description") {
        auto value = value_of<std::string>(path, node, "a string");
        if (!value) return value.error();
        scenario.description = *value;
    } else if (name == "seeds") {
        return read_seeds(path, node, scenario);
    } else if (name == "fault") {
        return collect_fault_tables(path, node, faults);
    } else if (name == "availability") {
        return read_availability(path, node, scenario.config);
    } else if (name == "expect") {
        return read_expect(path, node, scenario.expect);
    } else {
        return apply_field(path, name, node, scenario.config);
    }
    return ok_status();
}

// The faults as the run's schedule, in order of start.
Status apply_faults(const std::string& path, const std::vector<const toml::table*>& faults, Scenario& scenario) {
    nemesis::Schedule schedule;
    for (const toml::table* table : faults) {
        auto fault = fault_of(path, *table, scenario.config.nodes);
        if (!fault) return fault.error();
        schedule.faults.push_back(std::move(*fault));
    }
    std::stable_sort(schedule.faults.begin(), schedule.faults.end(),
                     [](const nemesis::Fault& a, const nemesis::Fault& b) { return a.start < b.start; });
    scenario.config.schedule = schedule.to_json();
    return ok_status();
}

// A model's scenario (model = "NAME"): a name, a description, [expect], and
// the model's options as keys, each checked against its declaration here.
Result<Scenario> load_model_scenario(const std::string& path, const toml::table& root) {
    const toml::node& named = *root.get("model");
    auto name = value_of<std::string>(path, named, "a model name");
    if (!name) return name.error();
    const ModelDescription* model = find_model(*name);
    if (model == nullptr) {
        std::string known;
        for (const ModelDescription* other : all_models()) known += (known.empty() ? "" : ", ") + other->name;
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("{}: unknown model '{}' (models: {})", where(path, named), *name, known));
    }
    if (const toml::node* system = root.get("system")) {
        return make_error(ErrorCode::invalid_argument,
                          where(path, *system) + ": a scenario names a system or a model, not both");
    }
    Scenario scenario;
    scenario.path = path;
    scenario.model = model->name;
    scenario.seeds.clear();
    Json values = Json::object();
    std::vector<const toml::table*> unused_faults;
    for (const auto& [key, node] : root) {
        const std::string field(key.str());
        if (field == "model") continue;
        if (field == "name" || field == "description" || field == "expect") {
            if (auto status = read_key(path, field, node, scenario, unused_faults); !status) return status.error();
            continue;
        }
        const OptionInfo* info = model->options->find(field);
        if (info == nullptr || !(info->scope & in_toml)) {
            std::string keys;
            for (const OptionInfo& option : model->options->options()) keys += ", " + option.key;
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("{}: unknown key '{}' (a scenario of model {} takes name, description, "
                                          "[expect]{})",
                                          where(path, node), field, model->name, keys));
        }
        auto scalar = scalar_of(path, node);
        if (!scalar) return scalar.error();
        auto value = option_value_from_scenario(*info, *scalar);
        if (value) values[info->json_key()] = *value;
        auto normalized = value ? model->options->normalize(values) : Result<Json>(value.error());
        if (!normalized)
            return make_error(normalized.error().code, where(path, node) + ": " + normalized.error().message);
    }
    if (scenario.name.empty()) return make_error(ErrorCode::invalid_argument, path + ": a scenario needs a name");
    scenario.model_options = *model->options->normalize(values);
    for (const std::string& check : scenario.expect.failing) {
        if (std::find(model->checks.begin(), model->checks.end(), check) != model->checks.end()) continue;
        const toml::node* failing = root.at_path("expect.failing").node();
        return make_error(ErrorCode::invalid_argument, fmt::format("{}: {} runs no check named '{}' (its checks: {})",
                                                                   failing != nullptr ? where(path, *failing) : path,
                                                                   model->name, check, fmt::join(model->checks, ", ")));
    }
    return scenario;
}

}  // namespace

Result<Scenario> load_scenario(const std::string& path) {
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& error) {
        return make_error(ErrorCode::parse_error,
                          fmt::format("{}:{}: {}", path, error.source().begin.line, error.description()));
    }
    if (root.contains("model")) return load_model_scenario(path, root);
    Scenario scenario;
    scenario.path = path;
    scenario.config.nemesis = "none";  // a scenario states its faults
    // and its workload: no strategy reshapes either (a file may still ask for one).
    scenario.config.search = "random";
    std::vector<const toml::table*> faults;
    // The system first: which other keys are options depends on it.
    if (const toml::node* system = root.get("system")) {
        if (auto status = apply_field(path, "system", *system, scenario.config); !status) return status.error();
    }
    for (const auto& [key, node] : root) {
        const std::string name(key.str());
        if (name == "system") continue;  // read first
        if (auto status = read_key(path, name, node, scenario, faults); !status) return status.error();
    }
    if (scenario.name.empty()) return make_error(ErrorCode::invalid_argument, path + ": a scenario needs a name");
    if (!faults.empty()) {
        if (auto status = apply_faults(path, faults, scenario); !status) return status.error();
    }
    if (auto status = scenario.config.validate(); !status) {
        return make_error(status.error().code, path + ": " + status.error().message);
    }
    if (auto status = check_failing_names(path, root, scenario); !status) return status.error();
    return scenario;
}

Result<std::vector<Scenario>> load_scenarios(const std::string& directory) {
    std::vector<std::string> paths;
    std::error_code error;
    for (fs::recursive_directory_iterator it(directory, error), end; it != end && !error; it.increment(error)) {
        if (it->is_regular_file() && it->path().extension() == ".toml") paths.push_back(it->path().string());
    }
    if (error) return make_error(ErrorCode::io_error, fmt::format("{}: {}", directory, error.message()));
    std::vector<Scenario> scenarios;
    std::set<std::string> names;
    for (const std::string& path : paths) {
        auto scenario = load_scenario(path);
        if (!scenario) return scenario.error();
        if (!names.insert(scenario->name).second) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("{}: another scenario is also named '{}'", path, scenario->name));
        }
        scenarios.push_back(std::move(*scenario));
    }
    std::sort(scenarios.begin(), scenarios.end(), [](const Scenario& a, const Scenario& b) { return a.name < b.name; });
    return scenarios;
}

namespace {

std::string quoted(const std::string& text) {
    return Json(text).dump();
}

}  // namespace

namespace {

std::string toml_value(const OptionInfo& info, const Json& value) {
    if (info.kind == OptionKind::duration || info.kind == OptionKind::text) {
        return quoted(option_value_text(info, value));
    }
    return option_value_text(info, value);
}

// "key = value" lines for the options in `values` that differ from `defaults`
// (and for `always`, whatever their value).
void write_options(std::ostringstream& out, const OptionSchema& schema, const Json& values, const Json& defaults,
                   const std::vector<std::string_view>& always = {}) {
    for (const OptionInfo& info : schema.options()) {
        if (!(info.scope & in_toml) || !values.contains(info.json_key())) continue;
        const Json& value = values[info.json_key()];
        const bool listed = std::find(always.begin(), always.end(), info.key) != always.end() ||
                            std::find(always.begin(), always.end(), info.json_key()) != always.end();
        if (listed || value != defaults[info.json_key()]) out << info.key << " = " << toml_value(info, value) << "\n";
    }
}

// A model's scenario: its options that differ from their defaults.
std::string model_scenario_to_toml(const Scenario& scenario) {
    std::ostringstream out;
    out << "name = " << quoted(scenario.name) << "\n";
    if (!scenario.description.empty()) out << "description = " << quoted(scenario.description) << "\n";
    out << "model = " << quoted(scenario.model) << "\n";
    const ModelDescription* model = find_model(scenario.model);
    FL_ASSERT_MSG(model != nullptr, scenario.model);
    write_options(out, *model->options, scenario.model_options, model->options->defaults());
    return out.str();
}

std::string expect_to_toml(const Expectation& expect) {
    std::ostringstream out;
    out << "\n[expect]\nverdict = " << quoted(verdict_name(expect.verdict)) << "\n";
    if (!expect.failing.empty()) {
        std::vector<std::string> names;
        for (const std::string& check : expect.failing) names.push_back(quoted(check));
        out << "failing = [" << fmt::format("{}", fmt::join(names, ", ")) << "]\n";
    }
    return out.str();
}

}  // namespace

std::string scenario_to_toml(const Scenario& scenario) {
    if (!scenario.model.empty()) return model_scenario_to_toml(scenario) + expect_to_toml(scenario.expect);
    const RunConfig& config = scenario.config;
    std::ostringstream out;
    out << "name = " << quoted(scenario.name) << "\n";
    if (!scenario.description.empty()) out << "description = " << quoted(scenario.description) << "\n";
    out << "system = " << quoted(config.system) << "\n";
    Json values = RunConfig::options().to_json(config);
    values.erase("nemesis");  // written below, with the schedule
    values.erase("system");   // written above
    write_options(out, RunConfig::options(), values, RunConfig::options().defaults(),
                  // `search`: a scenario's own default (random) is not the command line's.
                  {"nodes", "clients", "time_limit", "rate", "timeout", "latency", "recovery", "search"});
    if (!config.only_keys.empty()) out << "only_keys = " << Json(config.only_keys).dump() << "\n";
    if (config.only_ops) out << "only_ops = " << Json(*config.only_ops).dump() << "\n";
    if (!config.fault_point_actions_skipped.empty()) {
        out << "fault_point_actions_skipped = " << Json(config.fault_point_actions_skipped).dump() << "\n";
    }
    if (const SystemDescription* system = find_system(config.system); system && system->options) {
        auto normalized = system->options->normalize(config.system_options);
        const Json own = normalized ? *normalized : config.system_options;
        // A knob the config sets is written even at its default: left out,
        // the seed's plan would flip it on some seeds (runner/search.h).
        std::vector<std::string_view> set_knobs;
        for (const std::string& knob : system->knobs) {
            if (config.system_options.contains(knob)) set_knobs.push_back(knob);
        }
        write_options(out, *system->options, own, system->options->defaults(), set_knobs);
    }
    out << "seeds = [" << fmt::format("{}", fmt::join(scenario.seeds, ", ")) << "]\n";
    auto schedule = config.schedule.is_null() ? Result<nemesis::Schedule>(nemesis::Schedule{})
                                              : nemesis::Schedule::from_json(config.schedule, config.nodes);
    if (config.schedule.is_null()) out << "nemesis = " << quoted(config.nemesis) << "\n";
    if (schedule) {
        for (const nemesis::Fault& fault : schedule->faults) {
            out << "\n[[fault]]\n";
            out << "kind = " << quoted(nemesis::fault_kind_name(fault.kind)) << "\n";
            if (fault.kind == nemesis::FaultKind::partition) {
                out << "shape = " << quoted(nemesis::partition_shape_name(fault.shape)) << "\n";
            }
            out << "start = " << quoted(format_duration_exact(fault.start)) << "\n";
            out << "duration = " << quoted(format_duration_exact(fault.duration)) << "\n";
            if (!fault.nodes.empty()) out << "nodes = [" << fmt::format("{}", fmt::join(fault.nodes, ", ")) << "]\n";
            if (fault.amount != 0) out << "amount = " << fmt::format("{}", fault.amount) << "\n";
            if (fault.delta != 0) out << "delta = " << quoted(format_duration_exact(fault.delta)) << "\n";
            if (fault.links == nemesis::LinkSelector::requests) out << "links = \"requests\"\n";
            if (fault.links == nemesis::LinkSelector::responses) out << "links = \"responses\"\n";
            if (fault.target != nemesis::TargetRole::none) {
                out << "target = " << quoted(nemesis::target_role_name(fault.target)) << "\n";
            }
        }
    }
    for (const AvailabilityWindow& window : config.availability) {
        out << "\n[[availability]]\nfrom = " << quoted(format_duration_exact(window.from))
            << "\nto = " << quoted(format_duration_exact(window.to)) << "\nmin = " << fmt::format("{}", window.min)
            << "\n";
    }
    out << expect_to_toml(scenario.expect);
    return out.str();
}

ScenarioOutcome judge(const Expectation& expect, const RunResult& result) {
    ScenarioOutcome outcome = judge(expect, result.verdict, result.checks);
    outcome.seed = result.config.seed;
    return outcome;
}

ScenarioOutcome judge(const Expectation& expect, Verdict verdict, const std::vector<CheckOutcome>& checks) {
    ScenarioOutcome outcome;
    outcome.verdict = verdict;
    std::vector<std::string> failing;
    for (const CheckOutcome& check : checks) {
        if (check.verdict == Verdict::invalid) failing.push_back(check.name);
    }
    std::vector<std::string> missing;
    for (const std::string& check : expect.failing) {
        if (std::find(failing.begin(), failing.end(), check) == failing.end()) missing.push_back(check);
    }
    outcome.as_expected = verdict == expect.verdict && missing.empty();
    outcome.explanation =
        fmt::format("expected {}{}, got {}{}", verdict_name(expect.verdict),
                    expect.failing.empty() ? "" : fmt::format(" ({})", fmt::join(expect.failing, ", ")),
                    verdict_name(verdict), failing.empty() ? "" : fmt::format(" ({})", fmt::join(failing, ", ")));
    return outcome;
}

}  // namespace faultline::runner
