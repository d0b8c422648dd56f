#include "runner/run_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "nemesis/generator.h"
#include "runner/search.h"
#include "runner/system.h"
#include "sim/latency.h"

namespace faultline::runner {

namespace {

OptionTable<RunConfig> declare_run_options() {
    OptionTable<RunConfig> t;
    using C = RunConfig;
    t.add("system", &C::system, "The system to run").scope(in_json | in_toml | flag_by_hand);
    t.add("bug", &C::bug, "Run a deliberately broken variant of the system (see its --help)")
        .scope(in_json | in_toml | in_repro | flag_by_hand);
    t.add("nodes", &C::nodes, "Number of server nodes").range(1, 1000).alias("--node-count");
    t.add("clients", &C::clients, "Number of concurrent clients").range(0, 10000).alias("--concurrency");
    t.duration("time_limit", &C::time_limit, seconds(1), "Simulated time to issue operations for")
        .range(1, kTimeLimitMax);
    t.add("seed", &C::seed, "Seed of the run (a scenario lists its seeds)").scope(in_json | flag_by_hand);
    t.add("rate", &C::rate, "Total client operations per simulated second").range(0, 1e7);
    t.duration("workload_start", &C::workload_start, seconds(1), "When clients start issuing operations")
        .range(0, kTimeLimitMax);
    t.add("final_ops", &C::final_ops, "Read every key once the recovery window is over").scope(in_json | in_toml);
    t.add("fault_point_actions_max", &C::fault_point_actions_max,
          "At most this many fault-point actions, the first ones (0: none), when the search plan turns fault points on")
        .range(0, kFaultPointActionsMax)
        .scope(in_json | in_toml);
    t.duration("timeout", &C::timeout, milliseconds(1), "Client request timeout (0: wait forever)")
        .range(0, kWindowMax);
    t.add("client_retries", &C::client_retries, "Retries of an operation after a definite redirect (not the leader)")
        .range(0, 1000000);
    t.add("client_timeout_retries", &C::client_timeout_retries,
          "Retries of an operation after a timeout, with the same session sequence")
        .range(0, 1000000);
    t.add("idempotency_keys", &C::idempotency_keys,
          "Retries carry the operation's idempotency key (off: each retry is a new, blind request)");
    t.add("latency", &C::latency,
          "Link latency: 5ms, uniform:1ms..10ms, exponential:MEAN[,MIN], lognormal:MEDIAN,SIGMA, "
          "pareto:SCALE,ALPHA[,CAP]")
        .check([](const Json& value) -> Status {
            auto model = sim::LatencyModel::parse(value.get<std::string>());
            if (!model) return model.error();
            return ok_status();
        });
    t.duration("latency_p99_max", &C::latency_p99_max, milliseconds(1),
               "Latency check: the p99 of ok operations must stay below this (0: no check)")
        .range(0, kWindowMax);
    t.add("loss", &C::loss, "Probability that a message is lost").range(0, 1);
    t.add("duplicate", &C::duplicate, "Probability that a message is delivered twice").range(0, 1);
    t.add("reorder", &C::reorder, "Probability that a message is delayed extra").range(0, 1);
    t.duration("reorder_delay", &C::reorder_delay, milliseconds(1), "Largest extra delay for reordering")
        .range(0, sim::kLatencyMax);
    t.add<std::uint64_t>(
        "bandwidth", [](C& c) -> std::uint64_t& { return c.bandwidth_bytes_per_second; },
        "Per-link bandwidth in bytes per second (0: unlimited)");
    t.add("drop_in_flight", &C::drop_in_flight, "Partitions also drop messages already in flight");
    t.duration(
         "disk_sync_latency", [](C& c) -> Nanos& { return c.disk.sync_latency; }, milliseconds(1),
         "Time a disk sync takes")
        .range(0, kWindowMax);
    t.add<double>(
         "disk_torn_write", [](C& c) -> double& { return c.disk.torn_write_probability; },
         "Probability that a crash tears a file's unsynced writes")
        .range(0, 1);
    t.add<double>(
         "disk_bit_flip", [](C& c) -> double& { return c.disk.bit_flip_probability; },
         "Probability that a read flips a bit")
        .range(0, 1);
    t.add<double>(
         "disk_io_error", [](C& c) -> double& { return c.disk.io_error_probability; },
         "Probability that a disk operation fails with an I/O error")
        .range(0, 1);
    t.add<std::uint64_t>(
        "disk_capacity", [](C& c) -> std::uint64_t& { return c.disk.capacity_bytes; },
        "Bytes a node's disk holds; writes beyond fail as a full disk (0: unlimited)");
    t.add("nemesis", &C::nemesis,
          "Faults, comma-separated: partition, kill, pause, clock-skew, clock-drift, clock-step, loss, latency, "
          "duplicate, bandwidth, slow, disk, tamper; or clock, network, all, none")
        .check([](const Json& value) -> Status {
            auto kinds = nemesis::parse_fault_kinds(value.get<std::string>());
            if (!kinds) return kinds.error();
            return ok_status();
        });
    t.add("search", &C::search,
          "How each seed chooses what to try: default (a mix of all), random (faults only), swarm (whole fault "
          "kinds and workload features on or off), targeted (faults aimed at roles), fault-points (the protocol's "
          "own), pct (priority schedules)")
        .choices(search_strategy_names());
    t.duration("fault_interval", &C::fault_interval, seconds(1),
               "Longest mean time between faults (each seed draws its own)")
        .range(1, kWindowMax);
    t.duration("fault_duration", &C::fault_duration, seconds(1),
               "Longest mean fault duration (each seed draws its own)")
        .range(1, kWindowMax);
    t.duration("recovery", &C::recovery, seconds(1),
               "After the heal: time in which the system must serve clients again")
        .range(0, kWindowMax);
    t.duration("completion_bound", &C::completion_bound, seconds(1),
               "Liveness: every operation must complete within this (0: complete at all)")
        .range(0, kTimeLimitMax);
    t.add("timing", &C::timing,
          "Timing model: none (the configured latency and faults), sync (delays within --delay-max), partial "
          "(unbounded delays until --gst, then bounded), async (no bound: an adversary holds the leader's and "
          "candidates' messages)")
        .choices({"none", "sync", "partial", "async"});
    t.duration("gst", &C::gst, seconds(1),
               "Partial synchrony: the global stabilisation time (0: drawn from the seed and reported)")
        .range(0, kTimeLimitMax);
    t.duration("delay_max", &C::delay_max, milliseconds(1),
               "Sync, and partial after GST: the bound on every message's delay")
        .range(microseconds(1), kWindowMax);
    t.add<double>(
         "drift_max", [](C& c) -> double& { return c.drift_max_ppm; },
         "Under a timing model: each server's clock drift is drawn within +-this, in ppm")
        .range(0, 100000);
    t.duration("async_hold", &C::async_hold, milliseconds(1),
               "Async: the adversary's least hold of a message to or from the leader or a candidate")
        .range(milliseconds(1), kWindowMax);
    return t;
}

// Does the comma-separated nemesis list name `kind` itself?
bool nemesis_names(std::string_view text, std::string_view kind) {
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        if (text.substr(start, comma - start) == kind) return true;
        start = comma + 1;
    }
    return false;
}

// A timing model bounds (or, async, schedules) every message's delay: a loss,
// partition or pause would escape it, and a clock fault would break the drift
// bound. Crash faults are the model's business no more than the network's.
Status validate_timing(const RunConfig& config) {
    const RunConfig defaults;
    if (config.timing == "none") {
        const bool tuned = config.gst != defaults.gst || config.delay_max != defaults.delay_max ||
                           config.drift_max_ppm != defaults.drift_max_ppm || config.async_hold != defaults.async_hold;
        if (tuned) {
            return make_error(ErrorCode::invalid_argument,
                              "gst, delay_max, drift_max and async_hold set a timing model's bounds: name the "
                              "model with --timing sync, partial or async");
        }
        return ok_status();
    }
    if (config.gst != 0 && config.timing != "partial") {
        return make_error(ErrorCode::invalid_argument, "gst is partial synchrony's: it needs --timing partial");
    }
    if (config.gst > config.time_limit) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("gst ({}) must be within the time limit ({})", format_duration(config.gst),
                                      format_duration(config.time_limit)));
    }
    if (config.loss > 0) {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("--timing {} keeps every message: loss must be 0 (got {})", config.timing, config.loss));
    }
    const auto only_crashes = [](const std::vector<nemesis::FaultKind>& kinds) {
        return std::all_of(kinds.begin(), kinds.end(),
                           [](nemesis::FaultKind k) { return k == nemesis::FaultKind::kill; });
    };
    std::vector<nemesis::FaultKind> kinds;
    if (!config.schedule.is_null()) {
        auto parsed = nemesis::Schedule::from_json(config.schedule, config.nodes);
        if (parsed) {
            for (const nemesis::Fault& fault : parsed->faults) kinds.push_back(fault.kind);
        }
    } else if (config.nemesis != "none") {
        auto parsed = nemesis::parse_fault_kinds(config.nemesis);
        if (parsed) kinds = *parsed;
    }
    if (!only_crashes(kinds)) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("--timing {} allows crash faults only (--nemesis kill or none): partitions, "
                                      "loss, pauses and clock faults would escape its bounds",
                                      config.timing));
    }
    return ok_status();
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

std::string format_op_ref(OpRef ref) {
    return fmt::format("{}:{}", ref.client, ref.number);
}

Status check_timer_interval(const Json& value) {
    if (value.get<Nanos>() < kTimerIntervalMin) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("must be at least {} (got {}): shorter timers flood the simulation",
                                      format_duration(kTimerIntervalMin), format_duration(value.get<Nanos>())));
    }
    return ok_status();
}

const OptionTable<RunConfig>& RunConfig::options() {
    static const OptionTable<RunConfig> table = declare_run_options();
    return table;
}

Json RunConfig::to_json() const {
    Json json = options().to_json(*this);
    json["only_keys"] = only_keys;
    json["only_ops"] = only_ops ? Json(*only_ops) : Json();
    json["fault_point_actions_skipped"] = fault_point_actions_skipped;
    json["schedule"] = schedule;
    Json windows = Json::array();
    for (const AvailabilityWindow& window : availability) {
        windows.push_back(Json{{"from_ns", window.from}, {"to_ns", window.to}, {"min", window.min}});
    }
    json["availability"] = windows;
    // The system's own options, complete (defaults filled in) when they are valid.
    Json own = system_options;
    if (const SystemDescription* description = find_system(system); description && description->options) {
        if (auto normalized = description->options->normalize(system_options)) own = *normalized;
    }
    for (const auto& [key, value] : own.items()) json[key] = value;
    return json;
}

namespace {

Result<std::vector<AvailabilityWindow>> windows_from_json(const Json& windows) {
    if (!windows.is_array()) {
        return make_error(ErrorCode::parse_error,
                          fmt::format("field 'availability' must be an array, got {}", windows.dump()));
    }
    std::vector<AvailabilityWindow> out;
    for (const Json& window : windows) {
        if (!window.is_object()) {
            return make_error(ErrorCode::parse_error,
                              fmt::format("an availability window must be an object, got {}", window.dump()));
        }
        AvailabilityWindow parsed;
        for (const auto& [key, value] : window.items()) {
            const bool is_time = key == "from_ns" || key == "to_ns";
            if (!is_time && key != "min") {
                return make_error(ErrorCode::invalid_argument,
                                  fmt::format("unknown field '{}' in an availability window", key));
            }
            if (is_time ? !value.is_number_integer() : !value.is_number()) {
                return make_error(ErrorCode::parse_error,
                                  fmt::format("field '{}' of an availability window must "
                                              "be {}, got {}",
                                              key, is_time ? "an integer" : "a number", value.dump()));
            }
            if (key == "from_ns") parsed.from = value.get<Nanos>();
            if (key == "to_ns") parsed.to = value.get<Nanos>();
            if (key == "min") parsed.min = value.get<double>();
        }
        out.push_back(parsed);
    }
    return out;
}

// The structured fields beside the declared options.
Status structured_from_json(const Json& json, RunConfig& config) {
    if (auto keys = json.find("only_keys"); keys != json.end()) {
        if (!keys->is_array()) return make_error(ErrorCode::parse_error, "field 'only_keys' must be an array");
        config.only_keys = keys->get<std::vector<Json>>();
    }
    if (auto ops = json.find("only_ops"); ops != json.end() && !ops->is_null()) {
        if (!ops->is_array() || !std::all_of(ops->begin(), ops->end(), [](const Json& e) { return e.is_string(); })) {
            return make_error(ErrorCode::parse_error,
                              fmt::format("field 'only_ops' must be an array of strings, got {}", ops->dump()));
        }
        config.only_ops = ops->get<std::vector<std::string>>();
    }
    if (auto skipped = json.find("fault_point_actions_skipped"); skipped != json.end()) {
        if (!skipped->is_array() ||
            !std::all_of(skipped->begin(), skipped->end(), [](const Json& e) { return e.is_number_integer(); })) {
            return make_error(ErrorCode::parse_error,
                              fmt::format("field 'fault_point_actions_skipped' must be an array of integers, got {}",
                                          skipped->dump()));
        }
        config.fault_point_actions_skipped = skipped->get<std::vector<int>>();
    }
    if (auto schedule = json.find("schedule"); schedule != json.end()) config.schedule = *schedule;
    if (auto windows = json.find("availability"); windows != json.end()) {
        auto parsed = windows_from_json(*windows);
        if (!parsed) return parsed.error();
        config.availability = std::move(*parsed);
    }
    return ok_status();
}

bool is_structured_key(const std::string& key) {
    return key == "only_keys" || key == "only_ops" || key == "fault_point_actions_skipped" || key == "schedule" ||
           key == "availability";
}

}  // namespace

Result<RunConfig> RunConfig::from_json(const Json& json) {
    if (!json.is_object()) return make_error(ErrorCode::parse_error, "config must be a JSON object");
    RunConfig config;
    if (auto status = options().from_json(json, config); !status) return status.error();
    if (auto status = structured_from_json(json, config); !status) return status.error();
    auto description = system_named(config.system);
    if (!description) return description.error();
    // Every other key must be one of the system's own options: a misspelt or
    // stale field would otherwise be ignored, and the replay would quietly run
    // something else.
    for (const auto& [key, value] : json.items()) {
        if (is_structured_key(key)) continue;
        bool common = false;
        for (const OptionInfo& info : options().options())
            common = common || ((info.scope & in_json) && info.json_key() == key);
        if (common) continue;
        const bool own =
            (*description)->options != nullptr &&
            std::any_of((*description)->options->options().begin(), (*description)->options->options().end(),
                        [&](const OptionInfo& info) { return info.json_key() == key; });
        if (!own) return make_error(ErrorCode::invalid_argument, fmt::format("unknown field '{}'", key));
        config.system_options[key] = value;
    }
    if (auto status = config.validate(); !status) return status.error();
    return config;
}

Status RunConfig::validate() const {
    if (auto status = options().validate(*this); !status) return status;
    auto description = system_named(system);
    if (!description) return description.error();
    if ((*description)->options != nullptr) {
        if (auto normalized = (*description)->options->normalize(system_options); !normalized) {
            return make_error(normalized.error().code, system + ": " + normalized.error().message);
        }
    } else if (!system_options.empty()) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("{} has no options of its own (got '{}')", system, system_options.begin().key()));
    }
    if (workload_start > time_limit) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("workload_start ({}) must be within the time "
                                      "limit ({})",
                                      format_duration(workload_start), format_duration(time_limit)));
    }
    for (std::size_t i = 0; i < fault_point_actions_skipped.size(); ++i) {
        const int action = fault_point_actions_skipped[i];
        if (action < 0 || action >= kFaultPointActionsMax || (i > 0 && action <= fault_point_actions_skipped[i - 1])) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("fault_point_actions_skipped must list action numbers in 0..{}, each once "
                                          "and in order; {} is not",
                                          kFaultPointActionsMax - 1, action));
        }
    }
    for (const std::string& op : only_ops.value_or(std::vector<std::string>{})) {
        if (!parse_op_ref(op)) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("operation '{}' in only_ops must be CLIENT:N (e.g. 3:17)", op));
        }
    }
    if (schedule.is_null() && nemesis != "none" &&
        static_cast<std::uint64_t>(time_limit / std::max<Nanos>(1, fault_interval / 4)) > kFaultsMax) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("a fault interval of {} over {} could schedule more than {} faults: raise "
                                      "the fault interval or shorten the time limit",
                                      format_duration(fault_interval), format_duration(time_limit), kFaultsMax));
    }
    // "all" leaves partitions out of a one-node run and disk faults out of a
    // run below three nodes (generate_schedule), but a run that names them
    // would silently go without.
    if (nodes < 2 && nemesis_names(nemesis, "partition")) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("nemesis: a partition needs at least 2 nodes (got {})", nodes));
    }
    if (nodes < 3 && nemesis_names(nemesis, "disk")) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("nemesis: disk faults need at least 3 nodes (got {}): a damaged node waits "
                                      "for a leader to repair it, and only from 3 nodes can one be spared",
                                      nodes));
    }
    if (auto status = validate_timing(*this); !status) return status;
    if (!schedule.is_null()) {
        if (auto parsed = nemesis::Schedule::from_json(schedule, nodes); !parsed) {
            return make_error(parsed.error().code, "schedule: " + parsed.error().message);
        }
    }
    for (const AvailabilityWindow& window : availability) {
        if (window.from < 0 || window.to <= window.from || window.min < 0 || window.min > 1) {
            return make_error(ErrorCode::invalid_argument,
                              "an availability window needs 0 <= from < to and a minimum in [0, 1]");
        }
    }
    // The system's own conditions (node counts, option combinations) and the bug.
    if (auto built = make_system(*this); !built) return built.error();
    return ok_status();
}

std::string RunConfig::command_line() const {
    std::string out = "faultline test";
    if (system != RunConfig{}.system) out += " --system " + system;
    out += options().command_line(to_json());
    if (const SystemDescription* description = find_system(system); description && description->options) {
        out += description->options->command_line(to_json());
    }
    out += fmt::format(" --seed {}", seed);
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
