#include "nemesis/schedule.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>

#include "sim/latency.h"

namespace faultline::nemesis {

namespace {

struct KindName {
    FaultKind kind;
    const char* name;
};
constexpr KindName kind_names[] = {
    {FaultKind::partition, "partition"},
    {FaultKind::kill, "kill"},
    {FaultKind::pause, "pause"},
    {FaultKind::clock_skew, "clock-skew"},
    {FaultKind::clock_drift, "clock-drift"},
    {FaultKind::clock_step, "clock-step"},
    {FaultKind::loss, "loss"},
    {FaultKind::latency, "latency"},
    {FaultKind::duplicate, "duplicate"},
    {FaultKind::bandwidth, "bandwidth"},
    {FaultKind::disk, "disk"},
    {FaultKind::tamper, "tamper"},
    {FaultKind::slow, "slow"},
};

struct ShapeName {
    PartitionShape shape;
    const char* name;
};
constexpr ShapeName shape_names[] = {
    {PartitionShape::halves, "halves"},
    {PartitionShape::one, "one"},
    {PartitionShape::majority, "majority"},
    {PartitionShape::minority_third, "minority-third"},
    {PartitionShape::majorities_ring, "majorities-ring"},
    {PartitionShape::bridge, "bridge"},
    {PartitionShape::isolate_leader, "isolate-leader"},
    {PartitionShape::one_way, "one-way"},
};

struct RoleName {
    TargetRole role;
    const char* name;
};
constexpr RoleName role_names[] = {
    {TargetRole::none, "none"},
    {TargetRole::leader, "leader"},
    {TargetRole::fresh_leader, "fresh-leader"},
    {TargetRole::candidate, "candidate"},
    {TargetRole::longest_log, "longest-log"},
    {TargetRole::just_voted, "just-voted"},
};

}  // namespace

const char* target_role_name(TargetRole role) {
    for (const RoleName& entry : role_names) {
        if (entry.role == role) return entry.name;
    }
    return "?";
}

Result<TargetRole> parse_target_role(std::string_view name) {
    for (const RoleName& entry : role_names) {
        if (name == entry.name) return entry.role;
    }
    std::string known;
    for (const RoleName& entry : role_names) known += (known.empty() ? "" : ", ") + std::string(entry.name);
    return make_error(ErrorCode::invalid_argument, fmt::format("unknown target '{}' (known: {})", name, known));
}

std::vector<TargetRole> target_roles() {
    std::vector<TargetRole> roles;
    for (const RoleName& entry : role_names) {
        if (entry.role != TargetRole::none) roles.push_back(entry.role);
    }
    return roles;
}

bool acts_on_nodes(FaultKind kind) {
    switch (kind) {
        case FaultKind::kill:
        case FaultKind::pause:
        case FaultKind::disk:
        case FaultKind::clock_skew:
        case FaultKind::clock_drift:
        case FaultKind::clock_step:
        case FaultKind::slow:
            return true;
        default:
            return false;
    }
}

bool targetable(FaultKind kind) {
    switch (kind) {
        case FaultKind::partition:
        case FaultKind::kill:
        case FaultKind::pause:
        case FaultKind::clock_skew:
        case FaultKind::clock_drift:
        case FaultKind::clock_step:
        case FaultKind::slow:
            return true;
        // Not disk faults: they stay on a minority drawn for the whole run
        // (nemesis/generator.cc), and a role moves from node to node.
        default:
            return false;
    }
}

const char* fault_kind_name(FaultKind kind) {
    for (const KindName& entry : kind_names) {
        if (entry.kind == kind) return entry.name;
    }
    return "?";
}

Result<FaultKind> parse_fault_kind(std::string_view name) {
    for (const KindName& entry : kind_names) {
        if (name == entry.name) return entry.kind;
    }
    std::string known;
    for (const KindName& entry : kind_names) known += (known.empty() ? "" : ", ") + std::string(entry.name);
    return make_error(ErrorCode::invalid_argument, fmt::format("unknown fault '{}' (known: {})", name, known));
}

const char* partition_shape_name(PartitionShape shape) {
    for (const ShapeName& entry : shape_names) {
        if (entry.shape == shape) return entry.name;
    }
    return "?";
}

Result<PartitionShape> parse_partition_shape(std::string_view name) {
    for (const ShapeName& entry : shape_names) {
        if (name == entry.name) return entry.shape;
    }
    return make_error(ErrorCode::invalid_argument, fmt::format("unknown partition shape '{}' (known: {})", name,
                                                               fmt::join(partition_shape_names(), ", ")));
}

std::vector<std::string> partition_shape_names() {
    std::vector<std::string> names;
    for (const ShapeName& entry : shape_names) names.emplace_back(entry.name);
    return names;
}

std::string Fault::what() const {
    std::string targets;
    for (int node : nodes) targets += (targets.empty() ? "n" : " n") + std::to_string(node);
    if (targets.empty()) targets = "leader";
    if (target != TargetRole::none) targets = target_role_name(target);
    switch (kind) {
        case FaultKind::partition:
            if (target != TargetRole::none) return fmt::format("partition isolate {}", targets);
            if (shape == PartitionShape::isolate_leader) return "partition isolate-leader";
            return fmt::format("partition {} [{}]", partition_shape_name(shape), targets);
        case FaultKind::kill:
            return fmt::format("kill {}", targets);
        case FaultKind::pause:
            return fmt::format("pause {}", targets);
        case FaultKind::clock_skew:
            return fmt::format("clock-skew {} by {}", targets, format_duration(delta));
        case FaultKind::clock_drift:
            return fmt::format("clock-drift {} at {} ppm", targets, amount);
        case FaultKind::clock_step:
            return fmt::format("clock-step {} by {}", targets, format_duration(delta));
        case FaultKind::loss:
            return fmt::format("loss {:.0f}%{}", amount * 100,
                               links == LinkSelector::requests    ? " of requests"
                               : links == LinkSelector::responses ? " of responses"
                                                                  : "");
        case FaultKind::latency:
            return fmt::format("latency mean {}", format_duration(delta));
        case FaultKind::duplicate:
            return fmt::format("duplicate {:.0f}%", amount * 100);
        case FaultKind::bandwidth:
            return fmt::format("bandwidth {:.0f} B/s", amount);
        case FaultKind::disk:
            return fmt::format("disk faults on {} (bit flips {:.2g})", targets, amount);
        case FaultKind::tamper:
            return fmt::format("tamper {:.0f}%", amount * 100);
        case FaultKind::slow:
            return fmt::format("slow {} ({} per event)", targets, format_duration(delta));
    }
    return "?";
}

std::string Fault::describe() const {
    // This text is part of the trace (and so of its hash): keep its shape.
    if (kind == FaultKind::clock_step) return fmt::format("{} {}", format_duration(start), what());
    return fmt::format("{} +{} {}", format_duration(start), format_duration(duration), what());
}

std::string Fault::describe_span() const {
    if (kind == FaultKind::clock_step) return fmt::format("{} {}", format_duration(start), what());
    return fmt::format("{}..{} {}", format_duration(start), format_duration(start + duration), what());
}

Json fault_to_json(const Fault& fault) {
    Json json{{"kind", fault_kind_name(fault.kind)},
              {"start_ns", fault.start},
              {"duration_ns", fault.duration},
              {"nodes", fault.nodes}};
    if (fault.kind == FaultKind::partition) json["shape"] = partition_shape_name(fault.shape);
    if (fault.amount != 0) json["amount"] = fault.amount;
    if (fault.delta != 0) json["delta_ns"] = fault.delta;
    if (fault.links == LinkSelector::requests) json["links"] = "requests";
    if (fault.links == LinkSelector::responses) json["links"] = "responses";
    if (fault.target != TargetRole::none) json["target"] = target_role_name(fault.target);
    return json;
}

namespace {

// A fault's kind and times: `kind`, `start_ns`, `duration_ns` and `delta_ns`.
Status read_kind_and_times(const Json& json, Fault& fault) {
    auto kind = json.contains("kind") && json["kind"].is_string()
                    ? parse_fault_kind(json["kind"].get<std::string>())
                    : Result<FaultKind>(make_error(ErrorCode::parse_error, "a fault needs a string 'kind'"));
    if (!kind) return kind.error();
    fault.kind = *kind;
    auto integer = [&](const char* field, Nanos& out) -> Status {
        if (!json.contains(field)) return ok_status();
        if (!json[field].is_number_integer()) {
            return make_error(ErrorCode::parse_error, fmt::format("'{}' must be an integer", field));
        }
        out = json[field].get<Nanos>();
        return ok_status();
    };
    if (auto status = integer("start_ns", fault.start); !status) return status.error();
    if (auto status = integer("duration_ns", fault.duration); !status) return status.error();
    if (auto status = integer("delta_ns", fault.delta); !status) return status.error();
    if (fault.start < 0 || fault.duration < 0) {
        return make_error(ErrorCode::invalid_argument, "a fault's start and duration must be >= 0");
    }
    if (fault.duration > std::numeric_limits<Nanos>::max() - fault.start) {
        return make_error(ErrorCode::invalid_argument, "a fault's start plus duration is out of range");
    }
    return ok_status();
}

// `links`: which links a network burst hits.
Status read_links(const Json& json, Fault& fault) {
    const std::string links = json["links"].is_string() ? json["links"].get<std::string>() : "";
    if (links == "all") {
        fault.links = LinkSelector::all;
    } else if (links == "requests") {
        fault.links = LinkSelector::requests;
    } else if (links == "responses") {
        fault.links = LinkSelector::responses;
    } else {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("'links' is all, requests or responses, not {}", json["links"].dump()));
    }
    return ok_status();
}

// `nodes`: server indexes, each in [0, nodes).
Status read_nodes(const Json& json, int nodes, Fault& fault) {
    if (!json["nodes"].is_array()) return make_error(ErrorCode::parse_error, "'nodes' must be an array");
    for (const Json& node : json["nodes"]) {
        // Compared as 64-bit numbers: 4294967296 must not pass as node 0.
        bool index = false;
        if (node.is_number_unsigned()) {
            index = node.get<std::uint64_t>() < static_cast<std::uint64_t>(nodes);
        } else if (node.is_number_integer()) {
            index = node.get<std::int64_t>() >= 0 && node.get<std::int64_t>() < nodes;
        }
        if (!index) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("node {} is not a server index in [0, {})", node.dump(), nodes));
        }
        fault.nodes.push_back(node.get<int>());
    }
    return ok_status();
}

// Reads every field of a fault, each checked on its own.
Status read_fault_fields(const Json& json, int nodes, Fault& fault) {
    if (auto status = read_kind_and_times(json, fault); !status) return status;
    if (json.contains("amount")) {
        if (!json["amount"].is_number()) return make_error(ErrorCode::parse_error, "'amount' must be a number");
        fault.amount = json["amount"].get<double>();
    }
    if (json.contains("links")) {
        if (auto status = read_links(json, fault); !status) return status;
    }
    if (json.contains("shape")) {
        if (!json["shape"].is_string()) return make_error(ErrorCode::parse_error, "'shape' must be a string");
        auto shape = parse_partition_shape(json["shape"].get<std::string>());
        if (!shape) return shape.error();
        fault.shape = *shape;
    }
    if (json.contains("nodes")) {
        if (auto status = read_nodes(json, nodes, fault); !status) return status;
    }
    if (json.contains("target")) {
        if (!json["target"].is_string()) return make_error(ErrorCode::parse_error, "'target' must be a string");
        auto target = parse_target_role(json["target"].get<std::string>());
        if (!target) return target.error();
        fault.target = *target;
    }
    return ok_status();
}

// A partition's `nodes` against its shape and the servers of the run.
Status check_partition_nodes(const Fault& fault, int nodes) {
    // A shape reads `nodes` as the order of every server (see shapes.h);
    // only isolate-leader, which picks its side when it starts, needs none.
    if (nodes < 2) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("a partition needs at least 2 servers; this run has {}", nodes));
    }
    std::vector<int> sorted = fault.nodes;
    std::sort(sorted.begin(), sorted.end());
    const bool every_server_once =
        static_cast<int>(sorted.size()) == nodes && std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
    const bool picks_at_start = fault.shape == PartitionShape::isolate_leader || fault.target != TargetRole::none;
    if (fault.target != TargetRole::none && fault.shape != PartitionShape::one) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("a partition aimed at a role isolates it: its shape is 'one', not '{}'",
                                      partition_shape_name(fault.shape)));
    }
    if (!picks_at_start && !every_server_once) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("a {} partition needs 'nodes' listing every server 0..{} once, in the "
                                      "order its shape reads",
                                      partition_shape_name(fault.shape), nodes - 1));
    }
    if (picks_at_start && !fault.nodes.empty() && !every_server_once) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("an isolate-leader or targeted partition's 'nodes', when given, list every "
                                      "server 0..{} once",
                                      nodes - 1));
    }
    return ok_status();
}

// The fields a fault's kind needs, and their ranges.
Status check_fault_values(const Fault& fault) {
    if (fault.target != TargetRole::none && !targetable(fault.kind)) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("a {} fault strikes every link, not a role: it takes no 'target'",
                                      fault_kind_name(fault.kind)));
    }
    if (fault.target != TargetRole::none && fault.kind != FaultKind::partition && !fault.nodes.empty()) {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("a {} fault names its 'nodes' or a 'target', not both", fault_kind_name(fault.kind)));
    }
    const bool needs_nodes =
        fault.kind == FaultKind::kill || fault.kind == FaultKind::pause || fault.kind == FaultKind::disk;
    if (needs_nodes && fault.nodes.empty() && fault.target == TargetRole::none) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("a {} fault needs 'nodes'", fault_kind_name(fault.kind)));
    }
    const bool probability = fault.kind == FaultKind::loss || fault.kind == FaultKind::duplicate ||
                             fault.kind == FaultKind::disk || fault.kind == FaultKind::tamper;
    if (probability && !(fault.amount >= 0 && fault.amount <= 1)) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("a {} fault's amount is a probability in [0, 1]", fault_kind_name(fault.kind)));
    }
    if (fault.kind == FaultKind::latency) {
        // The burst's latency is exponential with mean `delta` (see Nemesis).
        if (fault.delta <= 0) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("a latency fault needs a positive 'delta' (the mean latency), got {}",
                                          format_duration(fault.delta)));
        }
        if (auto status = sim::LatencyModel::exponential(fault.delta, fault.delta / 10).check(); !status) {
            return make_error(
                ErrorCode::invalid_argument,
                fmt::format("a latency fault of mean {} {}", format_duration(fault.delta), status.error().message));
        }
    }
    if (fault.kind == FaultKind::slow && fault.delta <= 0) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("a slow fault needs a positive 'delta' (the time each event takes), got {}",
                                      format_duration(fault.delta)));
    }
    if (fault.kind == FaultKind::slow && fault.delta > sim::kLatencyMax) {
        return make_error(ErrorCode::invalid_argument,
                          "a slow fault's 'delta' (the time each event takes) must be at most 10 years");
    }
    // The cap is whole bytes per second: less than one would have to be rounded.
    if (fault.kind == FaultKind::bandwidth && !(fault.amount >= 1 && fault.amount <= 0x1p63)) {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("a bandwidth fault's amount is at least 1 byte per second, got {}", fault.amount));
    }
    // A clock running at half speed or less (or at double) is no longer a drift.
    if (fault.kind == FaultKind::clock_drift && !(fault.amount > -500000 && fault.amount < 500000)) {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("a clock-drift fault's amount is in ppm, within (-500000, 500000); got {}", fault.amount));
    }
    return ok_status();
}

}  // namespace

Result<Fault> fault_from_json(const Json& json, int nodes) {
    if (!json.is_object()) return make_error(ErrorCode::parse_error, "a fault must be an object");
    Fault fault;
    if (auto status = read_fault_fields(json, nodes, fault); !status) return status.error();
    if (fault.kind == FaultKind::partition) {
        if (auto status = check_partition_nodes(fault, nodes); !status) return status.error();
    }
    if (auto status = check_fault_values(fault); !status) return status.error();
    return fault;
}

Json Schedule::to_json() const {
    Json json = Json::array();
    for (const Fault& fault : faults) json.push_back(fault_to_json(fault));
    return json;
}

Result<Schedule> Schedule::from_json(const Json& json, int nodes) {
    if (!json.is_array()) return make_error(ErrorCode::parse_error, "a schedule must be an array of faults");
    Schedule schedule;
    for (std::size_t i = 0; i < json.size(); ++i) {
        auto fault = fault_from_json(json[i], nodes);
        if (!fault) {
            return make_error(fault.error().code, fmt::format("fault {}: {}", i + 1, fault.error().message));
        }
        schedule.faults.push_back(std::move(*fault));
    }
    return schedule;
}

std::string Schedule::describe() const {
    std::string out;
    for (const Fault& fault : faults) out += fault.describe() + "\n";
    return out;
}

}  // namespace faultline::nemesis
