#include "nemesis/generator.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/assert.h"
#include "base/prng.h"

namespace faultline::nemesis {

Result<std::vector<FaultKind>> parse_fault_kinds(std::string_view text) {
    std::vector<FaultKind> kinds;
    auto add = [&](FaultKind kind) {
        if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
    };
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = text.find(',', start);
        const std::string_view word =
            text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
        if (word.empty()) {
            // "kill,,pause" or "": a slip, not a request for no faults (none).
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("'{}': an empty fault name (none: no faults)", text));
        }
        if (word == "none") continue;
        if (word == "all") {
            for (FaultKind kind : {FaultKind::partition, FaultKind::kill, FaultKind::pause, FaultKind::clock_skew,
                                   FaultKind::clock_drift, FaultKind::clock_step, FaultKind::loss, FaultKind::latency,
                                   FaultKind::duplicate, FaultKind::bandwidth, FaultKind::disk, FaultKind::slow}) {
                add(kind);
            }
        } else if (word == "clock") {
            add(FaultKind::clock_skew);
            add(FaultKind::clock_drift);
            add(FaultKind::clock_step);
        } else if (word == "network") {
            add(FaultKind::loss);
            add(FaultKind::latency);
            add(FaultKind::duplicate);
            add(FaultKind::bandwidth);
        } else {
            auto kind = parse_fault_kind(word);
            if (!kind) {
                return make_error(ErrorCode::invalid_argument,
                                  kind.error().message + " (also: all, none, clock, network)");
            }
            add(*kind);
        }
    }
    return kinds;
}

namespace {

std::vector<int> shuffled(int nodes, Prng& random) {
    std::vector<int> order(static_cast<std::size_t>(nodes));
    for (int i = 0; i < nodes; ++i) order[static_cast<std::size_t>(i)] = i;
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[random.below(i)]);
    return order;
}

double uniform(Prng& random, double low, double high) {
    return low + (high - low) * random.unit();
}

// The swarm: this run's intensity, drawn once per schedule.
struct Swarm {
    double interval_mean = 0;
    double duration_mean = 0;
    double loss_max = 0;
    int minority = 1;
    // disk_prone_servers(), drawn from a stream of its own, so that the rest
    // of the schedule's draws are those of earlier versions.
    std::vector<int> disk_prone;
};

Swarm draw_swarm(const GeneratorOptions& options, Prng& random) {
    Swarm swarm;
    swarm.interval_mean = uniform(random, 0.25, 1.0) * static_cast<double>(options.interval_mean_max);
    swarm.duration_mean = uniform(random, 0.2, 1.0) * static_cast<double>(options.duration_mean_max);
    swarm.loss_max = uniform(random, 0.1, 0.6);
    swarm.minority = std::max(1, (options.nodes - 1) / 2);
    return swarm;
}

// Draws what `fault` (its kind, start and duration drawn) strikes and how
// hard: its nodes, from `order` (every server, shuffled), and its shape,
// amount or delta.
void draw_fault_details(Fault& fault, const std::vector<int>& order, const Swarm& swarm, Prng& random) {
    const int one = order[0];
    switch (fault.kind) {
        case FaultKind::partition: {
            fault.shape = static_cast<PartitionShape>(random.below(8));
            fault.nodes = order;
            break;
        }
        case FaultKind::kill:
        case FaultKind::pause: {
            const auto count = static_cast<std::size_t>(random.between(1, swarm.minority));
            fault.nodes.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count));
            break;
        }
        case FaultKind::clock_skew:
            fault.nodes = {one};
            fault.delta = (random.chance(0.5) ? 1 : -1) * random.between(milliseconds(10), seconds(2));
            break;
        case FaultKind::clock_drift:
            fault.nodes = {one};
            fault.amount = (random.chance(0.5) ? 1.0 : -1.0) * uniform(random, 100, 5000);
            break;
        case FaultKind::clock_step:
            fault.nodes = {one};
            fault.duration = 0;
            fault.delta = (random.chance(0.5) ? 1 : -1) * random.between(milliseconds(100), seconds(5));
            break;
        case FaultKind::loss:
            fault.amount = uniform(random, 0.05, swarm.loss_max);
            break;
        case FaultKind::latency:
            fault.delta = random.between(milliseconds(5), milliseconds(200));
            break;
        case FaultKind::duplicate:
            fault.amount = uniform(random, 0.05, 0.3);
            break;
        case FaultKind::bandwidth:
            fault.amount = uniform(random, 10e3, 1e6);
            break;
        case FaultKind::disk:
            // The first of the shuffled order that is disk-prone.
            fault.nodes = {*std::find_if(order.begin(), order.end(), [&](int node) {
                return std::find(swarm.disk_prone.begin(), swarm.disk_prone.end(), node) != swarm.disk_prone.end();
            })};
            fault.amount = uniform(random, 0.001, 0.05);
            break;
        case FaultKind::tamper:
            fault.amount = uniform(random, 0.01, 0.2);
            break;
        case FaultKind::slow:
            fault.nodes = {one};
            fault.delta = random.between(milliseconds(1), milliseconds(50));
            break;
    }
}

}  // namespace

std::vector<int> disk_prone_servers(int nodes, Prng& random) {
    std::vector<int> servers = shuffled(nodes, random);
    servers.resize(static_cast<std::size_t>(std::max(0, (nodes - 1) / 2)));
    return servers;
}

void aim_at_role(Fault& fault, TargetRole role) {
    fault.target = role;
    // A kill aimed at a role is short: the node is back while the election
    // or the commit it interrupted is still under way.
    if (fault.kind == FaultKind::kill) fault.duration = std::min(fault.duration, milliseconds(300));
    if (fault.kind == FaultKind::partition) {
        fault.shape = PartitionShape::one;  // the holder alone; its `nodes` may stay as drawn
    } else {
        fault.nodes.clear();
    }
}

Schedule generate_schedule(const GeneratorOptions& options, std::uint64_t seed) {
    Schedule schedule;
    // One server cannot be partitioned from another: with one, "all" faults
    // means all that apply (RunConfig::validate refuses `partition` named
    // alone, and `disk` named alone below three nodes).
    std::vector<FaultKind> kinds = options.kinds;
    if (options.nodes < 2) std::erase(kinds, FaultKind::partition);
    if (options.nodes < 3) std::erase(kinds, FaultKind::disk);
    if (kinds.empty() || options.nodes < 1) return schedule;
    Prng random = Prng::stream(seed, "nemesis");
    Swarm swarm = draw_swarm(options, random);
    Prng disk_random = Prng::stream(seed, "nemesis/disk");
    swarm.disk_prone = disk_prone_servers(options.nodes, disk_random);

    Nanos at = static_cast<Nanos>(random.exponential(swarm.interval_mean));
    int burst_left = 0;  // faults still to come in this burst (clustered)
    while (at < options.time_limit) {
        Fault fault;
        fault.kind = kinds[random.below(kinds.size())];
        fault.start = at;
        const auto duration = static_cast<Nanos>(random.exponential(swarm.duration_mean)) + milliseconds(100);
        fault.duration = std::min(duration, options.time_limit - at);
        const std::vector<int> order = shuffled(options.nodes, random);
        draw_fault_details(fault, order, swarm, random);
        // Only with targeting or clustering asked for do these draw, so that
        // a schedule without them stays the one earlier versions drew.
        if (options.targeted > 0 && !options.roles.empty() && targetable(fault.kind) &&
            random.chance(options.targeted)) {
            aim_at_role(fault, options.roles[random.below(options.roles.size())]);
        }
        schedule.faults.push_back(std::move(fault));
        if (options.clustered && burst_left == 0) burst_left = static_cast<int>(random.between(1, 4));
        if (burst_left > 0) {
            --burst_left;
            at += random.between(milliseconds(50), milliseconds(500));
        } else {
            at += static_cast<Nanos>(random.exponential(swarm.interval_mean)) + milliseconds(1);
        }
    }
    return schedule;
}

}  // namespace faultline::nemesis
