#include "runner/search.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "base/assert.h"
#include "base/prng.h"
#include "nemesis/generator.h"
#include "runner/run_config.h"
#include "runner/system.h"

namespace faultline::runner {

const std::vector<std::string>& search_strategy_names() {
    static const std::vector<std::string> names = {"default", "random", "swarm", "targeted", "fault-points", "pct"};
    return names;
}

namespace {

double uniform(Prng& random, double low, double high) {
    return low + (high - low) * random.unit();
}

// A short interval or duration: 1/32 to 1/3 of the longest the command line
// allows (log-uniform): faults every few hundred milliseconds, each over
// before an election ends.
Nanos shorten(Nanos longest, Prng& random) {
    const double factor = std::exp(uniform(random, std::log(1.0 / 32), std::log(1.0 / 3)));
    return std::max<Nanos>(static_cast<Nanos>(factor * static_cast<double>(longest)), milliseconds(1));
}

// Swarm: a random subset of the fault kinds (of one to all, small ones the
// most likely, so that one or two kinds get the whole run to themselves),
// short or long intervals and durations, and sometimes bursts.
void swarm_faults(SearchPlan& plan, Prng& random) {
    std::vector<nemesis::FaultKind> kinds = plan.kinds;
    for (std::size_t i = kinds.size(); i > 1; --i) std::swap(kinds[i - 1], kinds[random.below(i)]);
    // Few kinds more often than many (u squared): each kind then strikes
    // often enough to matter.
    if (!kinds.empty()) {
        const double u = random.unit();
        kinds.resize(1 + static_cast<std::size_t>(u * u * static_cast<double>(kinds.size())));
    }
    // In the command line's order, so that the plan reads the same way.
    std::vector<nemesis::FaultKind> kept;
    for (nemesis::FaultKind kind : plan.kinds) {
        if (std::find(kinds.begin(), kinds.end(), kind) != kinds.end()) kept.push_back(kind);
    }
    plan.kinds = kept;
    if (random.chance(0.5)) plan.fault_interval = shorten(plan.fault_interval, random);
    if (random.chance(0.5)) plan.fault_duration = shorten(plan.fault_duration, random);
    plan.clustered = random.chance(1.0 / 3);
}

// Swarm: half the seeds run on a slow network (mean latency 5 to 30 ms)
// when the command line left the latency at its default: more messages in
// flight at once, so elections overlap and replies cross.
void swarm_network(SearchPlan& plan, const RunConfig& config, Prng& random) {
    if (config.latency != RunConfig{}.latency || !random.chance(0.5)) return;
    plan.latency = fmt::format("exponential:{}ms,1ms", random.between(5, 30));
}

// Swarm: the workload's mix, its keys, and quiet windows.
void swarm_workload(SearchPlan& plan, const RunConfig& config, Prng& random) {
    workload::WorkloadShape& shape = plan.workload;
    switch (random.below(3)) {
        case 0:  // write-heavy
            shape.read_percent = 10;
            shape.write_percent = 60;
            break;
        case 1:  // read-mostly
            shape.read_percent = 85;
            shape.write_percent = 10;
            break;
        default:
            break;
    }
    switch (random.below(3)) {
        case 0:
            shape.keys_active = 1;
            break;
        case 1:
            shape.keys_active = 16;
            break;
        default:
            break;
    }
    if (random.chance(1.0 / 3)) shape.rate_factor = 1.0 / 20;  // a trickle
    // Up to three windows of no client operations, each at most a quarter of
    // the run: a leader elected in one has only its no-op of its own term.
    const Nanos span = config.time_limit - config.workload_start;
    if (span > milliseconds(100) && random.chance(0.5)) {
        const auto windows = random.between(1, 3);
        for (std::int64_t i = 0; i < windows; ++i) {
            const Nanos from = config.workload_start + random.between(0, span - 1);
            const Nanos length = random.between(span / 20, span / 4);
            shape.quiet.emplace_back(from, std::min(from + length, config.time_limit));
        }
        // Merged, so that the end of one window never lies inside another.
        std::sort(shape.quiet.begin(), shape.quiet.end());
        std::vector<std::pair<Nanos, Nanos>> merged;
        for (const auto& window : shape.quiet) {
            if (!merged.empty() && window.first <= merged.back().second) {
                merged.back().second = std::max(merged.back().second, window.second);
            } else {
                merged.push_back(window);
            }
        }
        shape.quiet = merged;
    }
}

// A targeted campaign (Jepsen's targeted nemeses): one or two kinds of
// fault that can be aimed, every one of them aimed at one or two roles, often
// (1/32 to 1/3 of the command line's interval), sometimes on a slow network.
// A campaign concentrates a run on one mechanism, where a mix of every fault
// dilutes it: "kill each candidate for a moment", "isolate each fresh leader".
void targeted_campaign(SearchPlan& plan, const RunConfig& config, const std::vector<nemesis::FaultKind>& allowed,
                       const std::vector<nemesis::TargetRole>& roles, Prng& random) {
    std::vector<nemesis::FaultKind> aimable;
    for (nemesis::FaultKind kind : allowed) {
        if (nemesis::targetable(kind)) aimable.push_back(kind);
    }
    if (aimable.empty()) return;
    std::vector<nemesis::FaultKind> kinds{aimable[random.below(aimable.size())]};
    const nemesis::FaultKind second = aimable[random.below(aimable.size())];
    if (random.chance(0.5) && second != kinds.front()) kinds.push_back(second);
    plan.kinds = kinds;
    plan.roles = {roles[random.below(roles.size())]};
    const nemesis::TargetRole other = roles[random.below(roles.size())];
    if (random.chance(0.5) && other != plan.roles.front()) plan.roles.push_back(other);
    plan.targeted = 1;
    plan.fault_interval = shorten(config.fault_interval, random);
    plan.fault_duration = random.chance(0.5) ? shorten(config.fault_duration, random) : config.fault_duration;
    plan.clustered = false;
}

// PCT: eight priority levels a step of 0.5 to 5 ms apart, and a depth of 1 to 4.
void priority_schedule(SearchPlan& plan, const RunConfig& config, Prng& random) {
    plan.priorities.levels = 8;
    plan.priorities.step = random.between(microseconds(500), milliseconds(5));
    plan.priorities.seed = random.next();
    const auto depth = random.between(1, 4);
    for (std::int64_t i = 1; i < depth; ++i) {
        plan.priorities.change_points.push_back(random.between(0, config.time_limit - 1));
    }
    std::sort(plan.priorities.change_points.begin(), plan.priorities.change_points.end());
}

// Knobs: each of the system's knobs the run leaves unset is flipped from its
// default with probability 1/4, unless the system refuses the result (a
// combination of settings it does not support, such as raft-kv's lease reads
// without CheckQuorum).
void swarm_knobs(SearchPlan& plan, const RunConfig& config, const SystemDescription& system, Prng& random) {
    if (system.options == nullptr) return;
    const Json defaults = system.options->defaults();
    for (const std::string& knob : system.knobs) {
        FL_ASSERT_MSG(defaults.contains(knob) && defaults[knob].is_boolean(), "a knob is a boolean option");
        const bool flip = random.chance(0.25);
        if (!flip || config.system_options.contains(knob)) continue;
        RunConfig flipped = config;
        flipped.system_options.update(plan.knobs);
        flipped.system_options[knob] = !defaults[knob].get<bool>();
        if (system.make(flipped)) plan.knobs[knob] = flipped.system_options[knob];
    }
}

}  // namespace

Result<SearchPlan> plan_search(const RunConfig& config, const SystemDescription& system) {
    const auto& names = search_strategy_names();
    if (std::find(names.begin(), names.end(), config.search) == names.end()) {
        return make_error(ErrorCode::invalid_argument, fmt::format("unknown search strategy '{}' (known: {})",
                                                                   config.search, fmt::join(names, ", ")));
    }
    auto kinds = nemesis::parse_fault_kinds(config.nemesis);
    if (!kinds) return kinds.error();
    SearchPlan plan;
    plan.strategy = config.search;
    plan.kinds = *kinds;
    plan.fault_interval = config.fault_interval;
    plan.fault_duration = config.fault_duration;
    if (config.search == "random") return plan;

    // Each part draws from its own stream, so that no choice depends on
    // another: the combined default makes the same workload choices whether
    // or not it targets roles, and a run with an explicit schedule (a
    // replay, a shrunk scenario, whose fault kinds may differ) gets the same
    // workload, network, fault points and priorities as the run it came from.
    Prng choose = Prng::stream(config.seed, "search");
    Prng swarm = Prng::stream(config.seed, "search/swarm");
    Prng workload = Prng::stream(config.seed, "search/workload");
    Prng network = Prng::stream(config.seed, "search/network");
    Prng pct = Prng::stream(config.seed, "search/pct");
    const bool combined = config.search == "default";
    if (combined || config.search == "swarm") {
        swarm_faults(plan, swarm);
        swarm_workload(plan, config, workload);
        Prng knobs = Prng::stream(config.seed, "search/knobs");
        swarm_knobs(plan, config, system, knobs);
    }
    if (combined || config.search == "swarm" || config.search == "targeted") swarm_network(plan, config, network);
    // The combined default: half the seeds follow a targeted campaign in
    // place of the swarm's faults (the swarm's workload stays).
    const bool target = config.search == "targeted" || (combined && choose.chance(0.5));
    if (target && !system.roles.empty()) {
        Prng campaign = Prng::stream(config.seed, "search/targeted");
        targeted_campaign(plan, config, *kinds, system.roles, campaign);
    }
    // The chance is drawn either way, so that turning fault points off
    // changes nothing else in the plan.
    const bool drawn_fault_points = config.search == "fault-points" || (combined && choose.chance(0.5));
    plan.fault_points = drawn_fault_points && config.fault_point_actions_max > 0;
    if (config.search == "pct" || (combined && choose.chance(0.25))) priority_schedule(plan, config, pct);
    return plan;
}

Json SearchPlan::to_json() const {
    Json kinds_json = Json::array();
    for (nemesis::FaultKind kind : kinds) kinds_json.push_back(nemesis::fault_kind_name(kind));
    Json json{{"strategy", strategy},
              {"fault_kinds", kinds_json},
              {"fault_interval_ns", fault_interval},
              {"fault_duration_ns", fault_duration},
              {"clustered", clustered},
              {"fault_points", fault_points}};
    if (targeted > 0) {
        Json roles_json = Json::array();
        for (nemesis::TargetRole role : roles) roles_json.push_back(nemesis::target_role_name(role));
        json["targeted"] = Json{{"share", targeted}, {"roles", roles_json}};
    }
    if (!workload.empty()) json["workload"] = workload.to_json();
    if (!knobs.empty()) json["knobs"] = knobs;
    if (!latency.empty()) json["latency"] = latency;
    if (priorities.levels > 0) {
        json["priorities"] = Json{{"levels", priorities.levels},
                                  {"step_ns", priorities.step},
                                  {"depth", priorities.change_points.size() + 1},
                                  {"change_points_ns", priorities.change_points}};
    }
    return json;
}

std::string SearchPlan::describe() const {
    std::vector<std::string> parts;
    std::vector<std::string> kind_names;
    for (nemesis::FaultKind kind : kinds) kind_names.emplace_back(nemesis::fault_kind_name(kind));
    parts.push_back(kind_names.empty() ? "no faults" : fmt::format("{}", fmt::join(kind_names, ",")));
    if (clustered) parts.emplace_back("bursts");
    if (targeted > 0) parts.push_back(fmt::format("{:.0f}% aimed at roles", targeted * 100));
    if (workload.read_percent) parts.push_back(*workload.read_percent <= 10 ? "write-heavy" : "read-mostly");
    if (workload.keys_active) {
        parts.push_back(fmt::format("{} key{}", *workload.keys_active, *workload.keys_active == 1 ? "" : "s"));
    }
    if (workload.rate_factor != 1) parts.push_back(fmt::format("{:g}x the rate", workload.rate_factor));
    if (!workload.quiet.empty()) {
        parts.push_back(fmt::format("{} quiet window{}", workload.quiet.size(), workload.quiet.size() == 1 ? "" : "s"));
    }
    if (!latency.empty()) parts.push_back("latency " + latency);
    for (const auto& [knob, value] : knobs.items()) parts.push_back(fmt::format("{} {}", knob, value.dump()));
    if (fault_points) parts.emplace_back("fault points");
    if (priorities.levels > 0) parts.push_back(fmt::format("priorities depth {}", priorities.change_points.size() + 1));
    return fmt::format("{}: {}", strategy, fmt::join(parts, "; "));
}

}  // namespace faultline::runner
