#include "runner/run_config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>

#include <fmt/format.h>

#include "nemesis/generator.h"
#include "runner/system.h"
#include "sim/latency.h"

namespace faultline::runner {

Json RunConfig::to_json() const {
    return Json{
        {"system", system},
        {"bug", bug},
        {"pre_vote", pre_vote},
        {"check_quorum", check_quorum},
        {"authenticate", authenticate},
        {"step_down_when_slow", step_down_when_slow},
        {"flow_control", flow_control},
        {"lease_reads", lease_reads},
        {"timestamps", timestamps},
        {"detectors", detectors},
        {"detector_interval_ns", detector_interval},
        {"detector_timeout_ns", detector_timeout},
        {"phi_threshold", phi_threshold},
        {"acceptable_pause_ns", acceptable_pause},
        {"false_suspicions_per_hour_max", false_suspicions_per_hour_max},
        {"detection_time_max_ns", detection_time_max},
        {"clock_drift_bound", clock_drift_bound},
        {"topology", topology},
        {"value_bytes", value_bytes},
        {"inflight_appends_max", inflight_appends_max},
        {"append_bytes_max", append_bytes_max},
        {"latency_p99_max_ns", latency_p99_max},
        {"msgs_per_op_max", msgs_per_op_max},
        {"nodes", nodes},
        {"clients", clients},
        {"time_limit_ns", time_limit},
        {"seed", seed},
        {"rate", rate},
        {"workload_start_ns", workload_start},
        {"only_keys", only_keys},
        {"only_ops", only_ops ? Json(*only_ops) : Json()},
        {"final_ops", final_ops},
        {"timeout_ns", timeout},
        {"latency", latency},
        {"loss", loss},
        {"duplicate", duplicate},
        {"reorder", reorder},
        {"reorder_delay_ns", reorder_delay},
        {"bandwidth_bytes_per_second", bandwidth_bytes_per_second},
        {"drop_in_flight", drop_in_flight},
        {"nemesis", nemesis},
        {"fault_interval_max_ns", fault_interval_max},
        {"fault_duration_max_ns", fault_duration_max},
        {"schedule", schedule},
        {"recovery_ns", recovery},
        {"client_retries", client_retries},
        {"client_timeout_retries", client_timeout_retries},
        {"completion_bound_ns", completion_bound},
        {"idempotency_keys", idempotency_keys},
        {"election_timeout_min_ns", election_timeout_min},
        {"election_timeout_max_ns", election_timeout_max},
        {"heartbeat_interval_ns", heartbeat_interval},
        {"availability", [&] {
             Json windows = Json::array();
             for (const AvailabilityWindow& window : availability) {
                 windows.push_back(Json{{"from_ns", window.from}, {"to_ns", window.to}, {"min", window.min}});
             }
             return windows;
         }()},
        {"disk",
         {{"sync_latency_ns", disk.sync_latency},
          {"torn_write_probability", disk.torn_write_probability},
          {"bit_flip_probability", disk.bit_flip_probability},
          {"io_error_probability", disk.io_error_probability},
          {"capacity_bytes", disk.capacity_bytes}}},
    };
}

namespace {

// Reads `name` into `out` with the field's exact type: nlohmann's get<> would
// truncate 1.5 to 1 for an integer, wrap 4294967297 into an int, and read -1
// as 2^64-1 for an unsigned field. Each of those is an error here.
template <class T>
Status read_field(const Json& json, const char* name, T& out) {
    auto found = json.find(name);
    if (found == json.end()) return ok_status();  // absent: keep the default
    const Json& value = *found;
    auto wrong = [&](const char* expected) {
        return make_error(ErrorCode::parse_error,
                          fmt::format("field '{}' must be {}, got {}", name, expected, value.dump()));
    };
    if constexpr (std::is_same_v<T, bool>) {
        if (!value.is_boolean()) return wrong("true or false");
        out = value.get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
        const std::string expected = fmt::format("an integer in [{}, {}]", std::numeric_limits<T>::min(),
                                                 std::numeric_limits<T>::max());
        if (value.is_number_unsigned()) {
            const auto number = value.get<std::uint64_t>();
            if (number > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return wrong(expected.c_str());
            out = static_cast<T>(number);
        } else if (value.is_number_integer()) {
            const auto number = value.get<std::int64_t>();
            if (number < 0 && std::is_unsigned_v<T>) return wrong(expected.c_str());
            if constexpr (std::is_signed_v<T>) {
                if (number < std::numeric_limits<T>::min() || number > std::numeric_limits<T>::max()) {
                    return wrong(expected.c_str());
                }
            } else {
                if (static_cast<std::uint64_t>(number) > std::numeric_limits<T>::max()) return wrong(expected.c_str());
            }
            out = static_cast<T>(number);
        } else {
            return wrong(expected.c_str());
        }
    } else if constexpr (std::is_same_v<T, double>) {
        if (!value.is_number()) return wrong("a number");
        out = value.get<double>();
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (!value.is_string()) return wrong("a string");
        out = value.get<std::string>();
    } else if constexpr (std::is_same_v<T, Json>) {
        out = value;
    } else if constexpr (std::is_same_v<T, std::vector<Json>>) {
        if (!value.is_array()) return wrong("an array");
        out = value.get<std::vector<Json>>();
    } else {
        static_assert(std::is_same_v<T, std::vector<std::string>>);
        if (!value.is_array() || !std::all_of(value.begin(), value.end(), [](const Json& e) { return e.is_string(); })) {
            return wrong("an array of strings");
        }
        out = value.get<std::vector<std::string>>();
    }
    return ok_status();
}

// An error naming the first key of `json` that is not one of `known`'s: a
// misspelt or stale field would otherwise be ignored, and the replay would
// quietly run something else (the scenario reader refuses them too).
Status only_known_keys(const Json& json, const Json& known, const char* where) {
    for (const auto& [key, value] : json.items()) {
        if (!known.contains(key)) {
            return make_error(ErrorCode::invalid_argument, fmt::format("unknown field '{}'{}", key, where));
        }
    }
    return ok_status();
}

bool nemesis_names_partition(std::string_view text) {
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        if (text.substr(start, comma - start) == "partition") return true;
        start = comma + 1;
    }
    return false;
}

}  // namespace

std::optional<OpRef> parse_op_ref(std::string_view text) {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    OpRef ref;
    const std::string_view client = text.substr(0, colon);
    const std::string_view number = text.substr(colon + 1);
    auto [client_end, client_error] = std::from_chars(client.data(), client.data() + client.size(), ref.client);
    auto [number_end, number_error] = std::from_chars(number.data(), number.data() + number.size(), ref.number);
    if (client.empty() || number.empty() || client_error != std::errc{} || number_error != std::errc{} ||
        client_end != client.data() + client.size() || number_end != number.data() + number.size()) {
        return std::nullopt;
    }
    return ref;
}

std::string format_op_ref(OpRef ref) { return fmt::format("{}:{}", ref.client, ref.number); }

Result<RunConfig> RunConfig::from_json(const Json& json) {
    if (!json.is_object()) return make_error(ErrorCode::parse_error, "config must be a JSON object");
    RunConfig config;
    // to_json() writes every field there is: its keys are the known ones.
    const Json known = config.to_json();
    if (auto status = only_known_keys(json, known, ""); !status) return status.error();
    Status statuses[] = {
        read_field(json, "system", config.system),
        read_field(json, "bug", config.bug),
        read_field(json, "pre_vote", config.pre_vote),
        read_field(json, "check_quorum", config.check_quorum),
        read_field(json, "authenticate", config.authenticate),
        read_field(json, "step_down_when_slow", config.step_down_when_slow),
        read_field(json, "flow_control", config.flow_control),
        read_field(json, "lease_reads", config.lease_reads),
        read_field(json, "timestamps", config.timestamps),
        read_field(json, "detectors", config.detectors),
        read_field(json, "detector_interval_ns", config.detector_interval),
        read_field(json, "detector_timeout_ns", config.detector_timeout),
        read_field(json, "phi_threshold", config.phi_threshold),
        read_field(json, "acceptable_pause_ns", config.acceptable_pause),
        read_field(json, "false_suspicions_per_hour_max", config.false_suspicions_per_hour_max),
        read_field(json, "detection_time_max_ns", config.detection_time_max),
        read_field(json, "clock_drift_bound", config.clock_drift_bound),
        read_field(json, "topology", config.topology),
        read_field(json, "value_bytes", config.value_bytes),
        read_field(json, "inflight_appends_max", config.inflight_appends_max),
        read_field(json, "append_bytes_max", config.append_bytes_max),
        read_field(json, "latency_p99_max_ns", config.latency_p99_max),
        read_field(json, "msgs_per_op_max", config.msgs_per_op_max),
        read_field(json, "nodes", config.nodes),
        read_field(json, "clients", config.clients),
        read_field(json, "time_limit_ns", config.time_limit),
        read_field(json, "seed", config.seed),
        read_field(json, "rate", config.rate),
        read_field(json, "workload_start_ns", config.workload_start),
        read_field(json, "only_keys", config.only_keys),
        read_field(json, "final_ops", config.final_ops),
        read_field(json, "timeout_ns", config.timeout),
        read_field(json, "latency", config.latency),
        read_field(json, "loss", config.loss),
        read_field(json, "duplicate", config.duplicate),
        read_field(json, "reorder", config.reorder),
        read_field(json, "reorder_delay_ns", config.reorder_delay),
        read_field(json, "bandwidth_bytes_per_second", config.bandwidth_bytes_per_second),
        read_field(json, "drop_in_flight", config.drop_in_flight),
        read_field(json, "nemesis", config.nemesis),
        read_field(json, "fault_interval_max_ns", config.fault_interval_max),
        read_field(json, "fault_duration_max_ns", config.fault_duration_max),
        read_field(json, "schedule", config.schedule),
        read_field(json, "recovery_ns", config.recovery),
        read_field(json, "client_retries", config.client_retries),
        read_field(json, "client_timeout_retries", config.client_timeout_retries),
        read_field(json, "completion_bound_ns", config.completion_bound),
        read_field(json, "idempotency_keys", config.idempotency_keys),
        read_field(json, "election_timeout_min_ns", config.election_timeout_min),
        read_field(json, "election_timeout_max_ns", config.election_timeout_max),
        read_field(json, "heartbeat_interval_ns", config.heartbeat_interval),
    };
    for (const Status& status : statuses) {
        if (!status) return status.error();
    }
    if (auto windows = json.find("availability"); windows != json.end()) {
        if (!windows->is_array()) {
            return make_error(ErrorCode::parse_error,
                              fmt::format("field 'availability' must be an array, got {}", windows->dump()));
        }
        const Json known_window = Json{{"from_ns", 0}, {"to_ns", 0}, {"min", 0}};
        for (const Json& window : *windows) {
            if (!window.is_object()) {
                return make_error(ErrorCode::parse_error,
                                  fmt::format("an availability window must be an object, got {}", window.dump()));
            }
            if (auto status = only_known_keys(window, known_window, " in an availability window"); !status) {
                return status.error();
            }
            AvailabilityWindow parsed;
            if (auto status = read_field(window, "from_ns", parsed.from); !status) return status.error();
            if (auto status = read_field(window, "to_ns", parsed.to); !status) return status.error();
            if (auto status = read_field(window, "min", parsed.min); !status) return status.error();
            config.availability.push_back(parsed);
        }
    }
    if (auto ops = json.find("only_ops"); ops != json.end() && !ops->is_null()) {
        std::vector<std::string> refs;
        if (auto status = read_field(json, "only_ops", refs); !status) return status.error();
        config.only_ops = std::move(refs);
    }
    if (auto disk = json.find("disk"); disk != json.end()) {
        if (!disk->is_object()) {
            return make_error(ErrorCode::parse_error, fmt::format("field 'disk' must be an object, got {}", disk->dump()));
        }
        if (auto status = only_known_keys(*disk, known["disk"], " in 'disk'"); !status) return status.error();
        Status disk_statuses[] = {
            read_field(*disk, "sync_latency_ns", config.disk.sync_latency),
            read_field(*disk, "torn_write_probability", config.disk.torn_write_probability),
            read_field(*disk, "bit_flip_probability", config.disk.bit_flip_probability),
            read_field(*disk, "io_error_probability", config.disk.io_error_probability),
            read_field(*disk, "capacity_bytes", config.disk.capacity_bytes),
        };
        for (const Status& status : disk_statuses) {
            if (!status) return status.error();
        }
    }
    if (auto status = config.validate(); !status) return status.error();
    return config;
}

Status RunConfig::validate() const {
    auto probability = [](const char* name, double p) -> Status {
        if (!(p >= 0 && p <= 1)) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("{} must be a probability in [0, 1], got {}", name, p));
        }
        return ok_status();
    };
    if (nodes < 1 || nodes > 1000) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("nodes must be in [1, 1000], got {}", nodes));
    }
    if (clients < 0 || clients > 10000) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("clients must be in [0, 10000], got {}", clients));
    }
    if (time_limit <= 0 || time_limit > kTimeLimitMax) {
        return make_error(ErrorCode::invalid_argument, fmt::format("time limit must be in (0, {}], got {}",
                                                                   format_duration(kTimeLimitMax),
                                                                   format_duration(time_limit)));
    }
    for (auto [name, value, max] : {std::tuple{"recovery", recovery, kWindowMax},
                                    {"timeout", timeout, kWindowMax},
                                    {"fault_interval_max", fault_interval_max, kWindowMax},
                                    {"fault_duration_max", fault_duration_max, kWindowMax},
                                    {"detector_interval", detector_interval, kWindowMax},
                                    {"detector_timeout", detector_timeout, kWindowMax},
                                    {"acceptable_pause", acceptable_pause, kWindowMax},
                                    {"latency_p99_max", latency_p99_max, kWindowMax},
                                    {"heartbeat_interval", heartbeat_interval, kWindowMax},
                                    {"election_timeout_max", election_timeout_max, kWindowMax},
                                    {"completion_bound", completion_bound, kTimeLimitMax},
                                    {"detection_time_max", detection_time_max, kTimeLimitMax},
                                    {"workload_start", workload_start, time_limit}}) {
        if (value > max) {
            return make_error(ErrorCode::invalid_argument, fmt::format("{} must be at most {}, got {}", name,
                                                                       format_duration(max), format_duration(value)));
        }
    }
    if (!(rate >= 0 && std::isfinite(rate))) return make_error(ErrorCode::invalid_argument, "rate must be >= 0");
    // Numbers from the command line or a scenario may be nan or inf, which no
    // bound below could judge.
    for (auto [name, value] : {std::pair{"phi_threshold", phi_threshold},
                               {"false_suspicions_per_hour_max", false_suspicions_per_hour_max},
                               {"msgs_per_op_max", msgs_per_op_max}}) {
        if (!(std::isfinite(value) && value >= 0)) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("{} must be a finite number >= 0, got {}", name, value));
        }
    }
    // Timers firing more often than this flood the event queue: a 1 ns
    // heartbeat is a billion events per simulated second, and the run never
    // ends. No real system's timers are that fast.
    for (auto [name, interval] : {std::pair{"heartbeat_interval", heartbeat_interval},
                                  {"election_timeout_min", election_timeout_min},
                                  {"detector_interval", detector_interval}}) {
        // 0 keeps the protocol's default (detector_interval is always given).
        const bool defaulted = interval == 0 && name != std::string_view("detector_interval");
        if (!defaulted && interval < kTimerIntervalMin) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("{} must be at least {} (got {}): shorter timers flood the simulation",
                                          name, format_duration(kTimerIntervalMin), format_duration(interval)));
        }
    }
    if (reorder_delay < 0 || reorder_delay > sim::kLatencyMax) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("reorder_delay must be in [0, {}]", format_duration(sim::kLatencyMax)));
    }
    if (workload_start < 0) return make_error(ErrorCode::invalid_argument, "workload start must be >= 0");
    for (const std::string& op : only_ops.value_or(std::vector<std::string>{})) {
        if (!parse_op_ref(op)) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("operation '{}' in only_ops must be CLIENT:N (e.g. 3:17)", op));
        }
    }
    if (timeout < 0) return make_error(ErrorCode::invalid_argument, "timeout must be >= 0 (0: wait forever)");
    if (fault_interval_max <= 0 || fault_duration_max <= 0) {
        return make_error(ErrorCode::invalid_argument, "fault interval and duration must be positive");
    }
    if (schedule.is_null() && nemesis != "none" &&
        static_cast<std::uint64_t>(time_limit / std::max<Nanos>(1, fault_interval_max / 4)) > kFaultsMax) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("a fault interval of {} over {} could schedule more than {} faults: raise "
                                      "the fault interval or shorten the time limit",
                                      format_duration(fault_interval_max), format_duration(time_limit), kFaultsMax));
    }
    for (auto [name, p] : {std::pair{"loss", loss}, {"duplicate", duplicate}, {"reorder", reorder},
                           {"disk torn write probability", disk.torn_write_probability},
                           {"disk bit flip probability", disk.bit_flip_probability},
                           {"disk I/O error probability", disk.io_error_probability}}) {
        if (auto status = probability(name, p); !status) return status;
    }
    if (auto link = link_config(); !link) return link.error();
    if (auto kinds = nemesis::parse_fault_kinds(nemesis); !kinds) return kinds.error();
    // "all" leaves partitions out of a one-node run (generate_schedule), but a
    // run that names them alone would silently have no faults.
    if (nodes < 2 && nemesis_names_partition(nemesis)) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("nemesis: a partition needs at least 2 nodes (got {})", nodes));
    }
    if (!schedule.is_null()) {
        if (auto parsed = nemesis::Schedule::from_json(schedule, nodes); !parsed) {
            return make_error(parsed.error().code, "schedule: " + parsed.error().message);
        }
    }
    if (recovery < 0) return make_error(ErrorCode::invalid_argument, "recovery must be >= 0");
    if (!(clock_drift_bound >= 0 && clock_drift_bound < 1)) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("clock drift bound must be in [0, 1), got {}", clock_drift_bound));
    }
    if (client_retries < 0 || client_timeout_retries < 0) {
        return make_error(ErrorCode::invalid_argument, "client retries must be >= 0");
    }
    if (election_timeout_min < 0 || election_timeout_max < election_timeout_min || heartbeat_interval < 0) {
        return make_error(ErrorCode::invalid_argument, "election timeouts must satisfy 0 <= min <= max");
    }
    for (const AvailabilityWindow& window : availability) {
        if (window.from < 0 || window.to <= window.from || window.min < 0 || window.min > 1) {
            return make_error(ErrorCode::invalid_argument,
                              "an availability window needs 0 <= from < to and a minimum in [0, 1]");
        }
    }
    // The system name and the bug must be known before anything runs.
    if (auto system = make_system(*this); !system) return system.error();
    if (fault_interval_max <= 0 || fault_duration_max <= 0) {
        return make_error(ErrorCode::invalid_argument, "fault interval and duration must be positive");
    }
    return ok_status();
}

std::string RunConfig::command_line() const {
    const RunConfig defaults;
    std::string out = "faultline test";
    auto add = [&](const std::string& option) { out += " " + option; };
    if (system != defaults.system) add("--system " + system);
    if (!bug.empty()) add("--bug " + bug);
    if (!pre_vote) add("--no-pre-vote");
    if (!check_quorum) add("--no-check-quorum");
    if (authenticate) add("--authenticate");
    if (step_down_when_slow) add("--step-down-when-slow");
    if (!flow_control) add("--no-flow-control");
    if (lease_reads) add("--lease-reads");
    if (timestamps != RunConfig{}.timestamps) add("--timestamps " + timestamps);
    if (detectors != defaults.detectors) add("--detectors " + detectors);
    if (detector_interval != defaults.detector_interval) add("--detector-interval " + format_duration_exact(detector_interval));
    if (detector_timeout != defaults.detector_timeout) add("--detector-timeout " + format_duration_exact(detector_timeout));
    if (phi_threshold != defaults.phi_threshold) add(fmt::format("--phi-threshold {}", phi_threshold));
    if (acceptable_pause != defaults.acceptable_pause) add("--acceptable-pause " + format_duration_exact(acceptable_pause));
    if (false_suspicions_per_hour_max != defaults.false_suspicions_per_hour_max) {
        add(fmt::format("--mistakes-per-hour-max {}", false_suspicions_per_hour_max));
    }
    if (detection_time_max != defaults.detection_time_max) add("--detection-time-max " + format_duration_exact(detection_time_max));
    if (clock_drift_bound != RunConfig{}.clock_drift_bound) add(fmt::format("--clock-drift-bound {}", clock_drift_bound));
    if (topology != defaults.topology) add("--topology " + topology);
    if (value_bytes != 0) add(fmt::format("--value-bytes {}", value_bytes));
    if (inflight_appends_max != 0) add(fmt::format("--inflight-appends {}", inflight_appends_max));
    if (append_bytes_max != 0) add(fmt::format("--append-bytes {}", append_bytes_max));
    if (latency_p99_max != 0) add("--latency-p99-max " + format_duration_exact(latency_p99_max));
    if (msgs_per_op_max != 0) add(fmt::format("--msgs-per-op-max {}", msgs_per_op_max));
    if (nodes != defaults.nodes) add(fmt::format("--nodes {}", nodes));
    if (clients != defaults.clients) add(fmt::format("--clients {}", clients));
    if (time_limit != defaults.time_limit) add("--time-limit " + format_duration_exact(time_limit));
    if (rate != defaults.rate) add(fmt::format("--rate {}", rate));
    if (workload_start != 0) add("--workload-start " + format_duration_exact(workload_start));
    if (timeout != defaults.timeout) add("--timeout " + format_duration_exact(timeout));
    if (latency != defaults.latency) add("--latency " + latency);
    if (loss != defaults.loss) add(fmt::format("--loss {}", loss));
    if (duplicate != defaults.duplicate) add(fmt::format("--duplicate {}", duplicate));
    if (reorder != defaults.reorder) add(fmt::format("--reorder {}", reorder));
    if (reorder_delay != defaults.reorder_delay) add("--reorder-delay " + format_duration_exact(reorder_delay));
    if (bandwidth_bytes_per_second != 0) add(fmt::format("--bandwidth {}", bandwidth_bytes_per_second));
    if (drop_in_flight) add("--drop-in-flight");
    if (disk.sync_latency != 0) add("--disk-sync-latency " + format_duration_exact(disk.sync_latency));
    if (disk.torn_write_probability != 0) add(fmt::format("--disk-torn-write {}", disk.torn_write_probability));
    if (disk.bit_flip_probability != 0) add(fmt::format("--disk-bit-flip {}", disk.bit_flip_probability));
    if (nemesis != defaults.nemesis) add("--nemesis " + (nemesis.empty() ? std::string("none") : nemesis));
    if (fault_interval_max != defaults.fault_interval_max) add("--fault-interval " + format_duration_exact(fault_interval_max));
    if (fault_duration_max != defaults.fault_duration_max) add("--fault-duration " + format_duration_exact(fault_duration_max));
    if (recovery != defaults.recovery) add("--recovery " + format_duration_exact(recovery));
    if (client_retries != defaults.client_retries) add(fmt::format("--client-retries {}", client_retries));
    if (client_timeout_retries != 0) add(fmt::format("--client-timeout-retries {}", client_timeout_retries));
    if (!idempotency_keys) add("--no-idempotency-keys");
    if (completion_bound != 0) add("--completion-bound " + format_duration_exact(completion_bound));
    if (election_timeout_min != 0) {
        add("--election-timeout " + format_duration_exact(election_timeout_min) + ".." +
            format_duration_exact(election_timeout_max));
    }
    if (heartbeat_interval != 0) add("--heartbeat " + format_duration_exact(heartbeat_interval));
    add(fmt::format("--seed {}", seed));
    return out;
}

Result<sim::LinkConfig> RunConfig::link_config() const {
    auto model = sim::LatencyModel::parse(latency);
    if (!model) return model.error();
    sim::LinkConfig link;
    link.latency = *model;
    link.loss = loss;
    link.duplicate = duplicate;
    link.reorder = reorder;
    link.reorder_delay = reorder_delay;
    link.bandwidth_bytes_per_second = bandwidth_bytes_per_second;
    return link;
}

}  // namespace faultline::runner
