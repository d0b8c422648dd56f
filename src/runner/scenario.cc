#include "runner/scenario.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

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
    return make_error(ErrorCode::parse_error,
                      where(path, node) + ": expected a duration such as \"5s\" or \"250ms\"");
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
Result<std::int64_t> integer_of(const std::string& path, const toml::node& node, std::int64_t low,
                                std::int64_t high) {
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
        if (name == "kind" || name == "shape" || name == "links") {
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
                                          "amount, delta, links)",
                                          where(path, node), name));
        }
    }
    auto fault = nemesis::fault_from_json(json, nodes);
    if (!fault) return make_error(fault.error().code, where(path, table) + ": " + fault.error().message);
    return *fault;
}

Status apply_field(const std::string& path, const std::string& name, const toml::node& node, RunConfig& config) {
    auto set_string = [&](std::string& out) -> Status {
        auto value = value_of<std::string>(path, node, "a string");
        if (!value) return value.error();
        out = *value;
        return ok_status();
    };
    auto set_int = [&](int& out) -> Status {
        auto value = integer_of(path, node, std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
        if (!value) return value.error();
        out = static_cast<int>(*value);
        return ok_status();
    };
    auto set_double = [&](double& out) -> Status {
        auto value = value_of<double>(path, node, "a number");
        if (!value) return value.error();
        out = *value;
        return ok_status();
    };
    auto set_bool = [&](bool& out) -> Status {
        auto value = value_of<bool>(path, node, "true or false");
        if (!value) return value.error();
        out = *value;
        return ok_status();
    };
    auto set_duration = [&](Nanos& out) -> Status {
        auto value = duration_of(path, node);
        if (!value) return value.error();
        out = *value;
        return ok_status();
    };
    if (name == "system") return set_string(config.system);
    if (name == "bug") return set_string(config.bug);
    if (name == "nodes") return set_int(config.nodes);
    if (name == "clients") return set_int(config.clients);
    if (name == "time_limit") return set_duration(config.time_limit);
    if (name == "rate") return set_double(config.rate);
    if (name == "workload_start") return set_duration(config.workload_start);
    if (name == "only_keys" || name == "only_ops") {
        const toml::array* array = node.as_array();
        if (array == nullptr) return make_error(ErrorCode::parse_error, where(path, node) + ": expected an array");
        for (const toml::node& element : *array) {
            if (name == "only_ops") {
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
    if (name == "final_ops") return set_bool(config.final_ops);
    if (name == "timeout") return set_duration(config.timeout);
    // Checked here as well as by RunConfig::validate, so the error names the line.
    auto checked = [&](std::string& out, auto check) -> Status {
        if (auto status = set_string(out); !status) return status;
        if (auto status = check(out); !status) {
            return make_error(status.error().code, fmt::format("{}: {}", where(path, node), status.error().message));
        }
        return ok_status();
    };
    if (name == "latency") {
        return checked(config.latency, [](const std::string& text) -> Status {
            auto model = sim::LatencyModel::parse(text);
            if (!model) return model.error();
            return ok_status();
        });
    }
    if (name == "loss") return set_double(config.loss);
    if (name == "duplicate") return set_double(config.duplicate);
    if (name == "reorder") return set_double(config.reorder);
    if (name == "reorder_delay") return set_duration(config.reorder_delay);
    if (name == "drop_in_flight") return set_bool(config.drop_in_flight);
    if (name == "pre_vote") return set_bool(config.pre_vote);
    if (name == "check_quorum") return set_bool(config.check_quorum);
    if (name == "authenticate") return set_bool(config.authenticate);
    if (name == "step_down_when_slow") return set_bool(config.step_down_when_slow);
    if (name == "flow_control") return set_bool(config.flow_control);
    if (name == "lease_reads") return set_bool(config.lease_reads);
    if (name == "timestamps") return set_string(config.timestamps);
    if (name == "detectors") return checked(config.detectors, [](const std::string& text) { return check_detector_list(text); });
    if (name == "detector_interval") return set_duration(config.detector_interval);
    if (name == "detector_timeout") return set_duration(config.detector_timeout);
    if (name == "phi_threshold") return set_double(config.phi_threshold);
    if (name == "acceptable_pause") return set_duration(config.acceptable_pause);
    if (name == "false_suspicions_per_hour_max") return set_double(config.false_suspicions_per_hour_max);
    if (name == "detection_time_max") return set_duration(config.detection_time_max);
    if (name == "clock_drift_bound") return set_double(config.clock_drift_bound);
    if (name == "topology") return set_string(config.topology);
    if (name == "latency_p99_max") return set_duration(config.latency_p99_max);
    if (name == "value_bytes" || name == "inflight_appends_max" || name == "append_bytes_max") {
        auto value = integer_of(path, node, 0, std::numeric_limits<std::uint32_t>::max());
        if (!value) return value.error();
        std::uint32_t& field = name == "value_bytes"            ? config.value_bytes
                               : name == "inflight_appends_max" ? config.inflight_appends_max
                                                                : config.append_bytes_max;
        field = static_cast<std::uint32_t>(*value);
        return ok_status();
    }
    if (name == "msgs_per_op_max") return set_double(config.msgs_per_op_max);
    if (name == "nemesis") return set_string(config.nemesis);
    if (name == "fault_interval") return set_duration(config.fault_interval_max);
    if (name == "fault_duration") return set_duration(config.fault_duration_max);
    if (name == "recovery") return set_duration(config.recovery);
    if (name == "client_retries") return set_int(config.client_retries);
    if (name == "client_timeout_retries") return set_int(config.client_timeout_retries);
    if (name == "idempotency_keys") return set_bool(config.idempotency_keys);
    if (name == "completion_bound") return set_duration(config.completion_bound);
    if (name == "election_timeout_min") return set_duration(config.election_timeout_min);
    if (name == "election_timeout_max") return set_duration(config.election_timeout_max);
    if (name == "heartbeat_interval") return set_duration(config.heartbeat_interval);
    if (name == "bandwidth") {
        auto value = integer_of(path, node, 0, std::numeric_limits<std::int64_t>::max());
        if (!value) return value.error();
        config.bandwidth_bytes_per_second = static_cast<std::uint64_t>(*value);
        return ok_status();
    }
    return make_error(ErrorCode::invalid_argument, fmt::format("{}: unknown key '{}'", where(path, node), name));
}

Result<Verdict> verdict_of(const std::string& text) {
    if (text == "valid") return Verdict::valid;
    if (text == "invalid") return Verdict::invalid;
    if (text == "unknown") return Verdict::unknown;
    return make_error(ErrorCode::invalid_argument,
                      fmt::format("unknown verdict '{}' (valid, invalid, unknown)", text));
}

}  // namespace

Result<Scenario> load_scenario(const std::string& path) {
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& error) {
        return make_error(ErrorCode::parse_error, fmt::format("{}:{}: {}", path, error.source().begin.line,
                                                              error.description()));
    }
    Scenario scenario;
    scenario.path = path;
    scenario.config.nemesis = "none";  // a scenario states its faults
    std::vector<const toml::table*> faults;
    for (const auto& [key, node] : root) {
        const std::string name(key.str());
        if (name == "name") {
            auto value = value_of<std::string>(path, node, "a string");
            if (!value) return value.error();
            scenario.name = *value;
        } else if (name == "description") {
            auto value = value_of<std::string>(path, node, "a string");
            if (!value) return value.error();
            scenario.description = *value;
        } else if (name == "seeds") {
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
        } else if (name == "fault") {
            const toml::array* array = node.as_array();
            if (array == nullptr) return make_error(ErrorCode::parse_error, where(path, node) + ": use [[fault]]");
            for (const toml::node& element : *array) {
                if (!element.is_table()) return make_error(ErrorCode::parse_error, where(path, element) + ": use [[fault]]");
                faults.push_back(element.as_table());
            }
        } else if (name == "availability") {
            const toml::array* array = node.as_array();
            if (array == nullptr) return make_error(ErrorCode::parse_error, where(path, node) + ": use [[availability]]");
            for (const toml::node& element : *array) {
                const toml::table* table = element.as_table();
                if (table == nullptr) return make_error(ErrorCode::parse_error, where(path, element) + ": use [[availability]]");
                AvailabilityWindow window;
                for (const auto& [window_key, window_node] : *table) {
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
                scenario.config.availability.push_back(window);
            }
        } else if (name == "expect") {
            const toml::table* expect = node.as_table();
            if (expect == nullptr) return make_error(ErrorCode::parse_error, where(path, node) + ": use [expect]");
            for (const auto& [expect_key, expect_node] : *expect) {
                const std::string field(expect_key.str());
                if (field == "verdict") {
                    auto text = value_of<std::string>(path, expect_node, "a verdict");
                    if (!text) return text.error();
                    auto verdict = verdict_of(*text);
                    if (!verdict) return make_error(verdict.error().code, where(path, expect_node) + ": " + verdict.error().message);
                    scenario.expect.verdict = *verdict;
                } else if (field == "failing") {
                    const toml::array* array = expect_node.as_array();
                    if (array == nullptr) return make_error(ErrorCode::parse_error, where(path, expect_node) + ": expected an array of check names");
                    for (const toml::node& element : *array) {
                        auto check = value_of<std::string>(path, element, "a check name");
                        if (!check) return check.error();
                        scenario.expect.failing.push_back(*check);
                    }
                } else {
                    return make_error(ErrorCode::invalid_argument,
                                      fmt::format("{}: unknown key '{}' in [expect] (verdict, failing)",
                                                  where(path, expect_node), field));
                }
            }
        } else if (auto status = apply_field(path, name, node, scenario.config); !status) {
            return status.error();
        }
    }
    if (scenario.name.empty()) return make_error(ErrorCode::invalid_argument, path + ": a scenario needs a name");
    if (!faults.empty()) {
        nemesis::Schedule schedule;
        for (const toml::table* table : faults) {
            auto fault = fault_of(path, *table, scenario.config.nodes);
            if (!fault) return fault.error();
            schedule.faults.push_back(std::move(*fault));
        }
        std::stable_sort(schedule.faults.begin(), schedule.faults.end(),
                         [](const nemesis::Fault& a, const nemesis::Fault& b) { return a.start < b.start; });
        scenario.config.schedule = schedule.to_json();
    }
    if (auto status = scenario.config.validate(); !status) {
        return make_error(status.error().code, path + ": " + status.error().message);
    }
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
            return make_error(ErrorCode::invalid_argument, fmt::format("{}: another scenario is also named '{}'",
                                                                       path, scenario->name));
        }
        scenarios.push_back(std::move(*scenario));
    }
    std::sort(scenarios.begin(), scenarios.end(), [](const Scenario& a, const Scenario& b) { return a.name < b.name; });
    return scenarios;
}

namespace {

std::string quoted(const std::string& text) { return Json(text).dump(); }

}  // namespace

std::string scenario_to_toml(const Scenario& scenario) {
    const RunConfig& config = scenario.config;
    const RunConfig defaults;
    std::ostringstream out;
    out << "name = " << quoted(scenario.name) << "\n";
    if (!scenario.description.empty()) out << "description = " << quoted(scenario.description) << "\n";
    out << "system = " << quoted(config.system) << "\n";
    if (!config.bug.empty()) out << "bug = " << quoted(config.bug) << "\n";
    out << "nodes = " << config.nodes << "\n";
    out << "clients = " << config.clients << "\n";
    out << "time_limit = " << quoted(format_duration_exact(config.time_limit)) << "\n";
    out << "rate = " << fmt::format("{}", config.rate) << "\n";
    if (config.workload_start != 0) out << "workload_start = " << quoted(format_duration_exact(config.workload_start)) << "\n";
    if (!config.only_keys.empty()) out << "only_keys = " << Json(config.only_keys).dump() << "\n";
    if (config.only_ops) out << "only_ops = " << Json(*config.only_ops).dump() << "\n";
    if (!config.final_ops) out << "final_ops = false\n";
    out << "timeout = " << quoted(format_duration_exact(config.timeout)) << "\n";
    out << "latency = " << quoted(config.latency) << "\n";
    if (config.loss != 0) out << "loss = " << fmt::format("{}", config.loss) << "\n";
    if (config.duplicate != 0) out << "duplicate = " << fmt::format("{}", config.duplicate) << "\n";
    if (config.reorder != 0) out << "reorder = " << fmt::format("{}", config.reorder) << "\n";
    if (config.reorder_delay != defaults.reorder_delay) {
        out << "reorder_delay = " << quoted(format_duration_exact(config.reorder_delay)) << "\n";
    }
    if (config.bandwidth_bytes_per_second != 0) out << "bandwidth = " << config.bandwidth_bytes_per_second << "\n";
    if (config.drop_in_flight) out << "drop_in_flight = true\n";
    if (!config.pre_vote) out << "pre_vote = false\n";
    if (!config.check_quorum) out << "check_quorum = false\n";
    if (config.authenticate) out << "authenticate = true\n";
    if (config.step_down_when_slow) out << "step_down_when_slow = true\n";
    if (!config.flow_control) out << "flow_control = false\n";
    if (config.lease_reads) out << "lease_reads = true\n";
    if (config.timestamps != RunConfig{}.timestamps) out << "timestamps = " << quoted(config.timestamps) << "\n";
    if (config.system == "detector") {
        out << "detectors = " << quoted(config.detectors) << "\n";
        out << "detector_interval = " << quoted(format_duration_exact(config.detector_interval)) << "\n";
        out << "detector_timeout = " << quoted(format_duration_exact(config.detector_timeout)) << "\n";
        out << "phi_threshold = " << fmt::format("{}", config.phi_threshold) << "\n";
        out << "acceptable_pause = " << quoted(format_duration_exact(config.acceptable_pause)) << "\n";
        out << "false_suspicions_per_hour_max = " << fmt::format("{}", config.false_suspicions_per_hour_max) << "\n";
        out << "detection_time_max = " << quoted(format_duration_exact(config.detection_time_max)) << "\n";
    }
    if (config.clock_drift_bound != RunConfig{}.clock_drift_bound) out << "clock_drift_bound = " << fmt::format("{}", config.clock_drift_bound) << "\n";
    if (config.topology != defaults.topology) out << "topology = " << quoted(config.topology) << "\n";
    if (config.value_bytes != 0) out << "value_bytes = " << config.value_bytes << "\n";
    if (config.inflight_appends_max != 0) out << "inflight_appends_max = " << config.inflight_appends_max << "\n";
    if (config.append_bytes_max != 0) out << "append_bytes_max = " << config.append_bytes_max << "\n";
    if (config.latency_p99_max != 0) out << "latency_p99_max = " << quoted(format_duration_exact(config.latency_p99_max)) << "\n";
    if (config.msgs_per_op_max != 0) out << "msgs_per_op_max = " << fmt::format("{}", config.msgs_per_op_max) << "\n";
    out << "recovery = " << quoted(format_duration_exact(config.recovery)) << "\n";
    if (config.client_retries != defaults.client_retries) out << "client_retries = " << config.client_retries << "\n";
    if (config.client_timeout_retries != 0) out << "client_timeout_retries = " << config.client_timeout_retries << "\n";
    if (!config.idempotency_keys) out << "idempotency_keys = false\n";
    if (config.completion_bound != 0) out << "completion_bound = " << quoted(format_duration_exact(config.completion_bound)) << "\n";
    if (config.election_timeout_min != 0) {
        out << "election_timeout_min = " << quoted(format_duration_exact(config.election_timeout_min)) << "\n";
        out << "election_timeout_max = " << quoted(format_duration_exact(config.election_timeout_max)) << "\n";
    }
    if (config.heartbeat_interval != 0) {
        out << "heartbeat_interval = " << quoted(format_duration_exact(config.heartbeat_interval)) << "\n";
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
        }
    }
    for (const AvailabilityWindow& window : config.availability) {
        out << "\n[[availability]]\nfrom = " << quoted(format_duration_exact(window.from)) << "\nto = "
            << quoted(format_duration_exact(window.to)) << "\nmin = " << fmt::format("{}", window.min) << "\n";
    }
    out << "\n[expect]\nverdict = " << quoted(verdict_name(scenario.expect.verdict)) << "\n";
    if (!scenario.expect.failing.empty()) {
        std::vector<std::string> names;
        for (const std::string& check : scenario.expect.failing) names.push_back(quoted(check));
        out << "failing = [" << fmt::format("{}", fmt::join(names, ", ")) << "]\n";
    }
    return out.str();
}

ScenarioOutcome judge(const Expectation& expect, const RunResult& result) {
    ScenarioOutcome outcome;
    outcome.seed = result.config.seed;
    outcome.verdict = result.verdict;
    std::vector<std::string> failing;
    for (const CheckOutcome& check : result.checks) {
        if (check.verdict == Verdict::invalid) failing.push_back(check.name);
    }
    std::vector<std::string> missing;
    for (const std::string& check : expect.failing) {
        if (std::find(failing.begin(), failing.end(), check) == failing.end()) missing.push_back(check);
    }
    outcome.as_expected = result.verdict == expect.verdict && missing.empty();
    outcome.explanation = fmt::format("expected {}{}, got {}{}", verdict_name(expect.verdict),
                                      expect.failing.empty() ? "" : fmt::format(" ({})", fmt::join(expect.failing, ", ")),
                                      verdict_name(result.verdict),
                                      failing.empty() ? "" : fmt::format(" ({})", fmt::join(failing, ", ")));
    return outcome;
}

}  // namespace faultline::runner
