#include "nemesis/nemesis.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/assert.h"

namespace faultline::nemesis {

namespace {

// For a fault aimed at "the leader" or a role: who that turned out to be.
std::string targets_note(const Fault& fault, const std::vector<int>& targets) {
    if (!fault.nodes.empty()) return "";
    if (targets.empty()) return " (no leader: nobody)";
    std::string names;
    for (int target : targets) names += (names.empty() ? "n" : " n") + std::to_string(target);
    return " (" + names + ")";
}

}  // namespace

Nemesis::Nemesis(NemesisTarget target, Schedule schedule)
    : target_(std::move(target)), schedule_(std::move(schedule)), active_(schedule_.faults.size()) {
    FL_ASSERT(target_.runtime != nullptr);
}

void Nemesis::install() {
    runtime::Runtime& runtime = *target_.runtime;
    const bool directional = std::any_of(schedule_.faults.begin(), schedule_.faults.end(),
                                         [](const Fault& fault) { return fault.links != LinkSelector::all; });
    if (directional && !target_.clients.empty()) {
        // Requests and responses get classes of their own (copies of whatever
        // they had), so a burst can hit one direction only.
        const sim::LinkConfig base = runtime.link(target_.clients.front(), target_.servers.front());
        requests_class_ = runtime.define_link_class("requests", base);
        responses_class_ = runtime.define_link_class("responses", base);
        for (NodeId client : target_.clients) {
            for (NodeId server : target_.servers) {
                runtime.assign_link_class(client, server, requests_class_);
                runtime.assign_link_class(server, client, responses_class_);
            }
        }
    }
    base_links_ = runtime.link_classes();
    if (!target_.servers.empty()) base_disk_ = runtime.disk_faults(target_.servers.front());
    for (std::size_t i = 0; i < schedule_.faults.size(); ++i) {
        const Fault& fault = schedule_.faults[i];
        if (fault.target != TargetRole::none) {
            runtime.at(fault.start, [this, i] { arm(i); });
            continue;
        }
        runtime.at(fault.start, [this, i] { start(i); });
        if (fault.kind != FaultKind::clock_step) runtime.at(fault.end(), [this, i] { end(i); });
    }
}

double Nemesis::Layered::pop(std::size_t index) {
    auto found =
        std::find_if(in_force.begin(), in_force.end(), [index](const auto& entry) { return entry.first == index; });
    FL_ASSERT(found != in_force.end());
    in_force.erase(found);
    return in_force.empty() ? base : in_force.back().second;
}

Schedule Nemesis::played() const {
    const int nodes = static_cast<int>(target_.servers.size());
    Schedule played;
    for (std::size_t i = 0; i < schedule_.faults.size(); ++i) {
        Fault fault = schedule_.faults[i];
        const Active& active = active_[i];
        const bool aimed = fault.target != TargetRole::none || (fault.nodes.empty() && acts_on_nodes(fault.kind));
        if (!aimed) {
            played.faults.push_back(std::move(fault));
            continue;
        }
        // Aimed at whoever led at its start: if it found no one, it did nothing.
        if (!active.struck_at || active.targets.empty()) continue;
        fault.start = *active.struck_at;
        fault.target = TargetRole::none;
        if (fault.kind == FaultKind::partition) {
            fault.shape = PartitionShape::one;
            fault.nodes = {active.targets.front()};
            for (int other = 0; other < nodes; ++other) {
                if (other != active.targets.front()) fault.nodes.push_back(other);
            }
        } else {
            fault.nodes = active.targets;
        }
        played.faults.push_back(std::move(fault));
    }
    // In start order, as a schedule is; a fault struck late may now come after
    // others.
    std::stable_sort(played.faults.begin(), played.faults.end(),
                     [](const Fault& a, const Fault& b) { return a.start < b.start; });
    return played;
}

std::vector<int> Nemesis::resolve_targets(const Fault& fault) const {
    if (!fault.nodes.empty()) return fault.nodes;
    if (target_.holder) {
        if (auto leader = target_.holder(TargetRole::leader)) return {*leader};
    }
    return {};  // no leader now: the fault strikes nobody
}

void Nemesis::arm(std::size_t index) {
    const Fault& fault = schedule_.faults[index];
    Active& active = active_[index];
    if (active.running || active.armed) return;
    // A vote persisted before the fault started is no longer "just" persisted:
    // that role is only ever found after a step.
    if (fault.target != TargetRole::just_voted && target_.holder) {
        if (auto node = target_.holder(fault.target)) {
            strike(index, *node);
            return;
        }
    }
    active.armed = true;
    armed_.push_back(index);
    target_.runtime->at(fault.start + fault.duration, [this, index] { disarm(index); });
}

void Nemesis::strike_armed() {
    if (!target_.holder) return;
    // By index, so that two faults armed at once strike in schedule order.
    for (std::size_t i = 0; i < armed_.size();) {
        const std::size_t index = armed_[i];
        if (auto node = target_.holder(schedule_.faults[index].target)) {
            strike(index, *node);  // removes it from armed_
        } else {
            ++i;
        }
    }
}

void Nemesis::strike(std::size_t index, int node) {
    const Fault& fault = schedule_.faults[index];
    Active& active = active_[index];
    if (active.armed) {
        active.armed = false;
        std::erase(armed_, index);
    }
    active.targets = {node};
    start(index);
    if (fault.kind != FaultKind::clock_step) {
        target_.runtime->at(target_.runtime->now() + fault.duration, [this, index] { end(index); });
    }
}

void Nemesis::disarm(std::size_t index) {
    Active& active = active_[index];
    if (!active.armed) return;
    active.armed = false;
    std::erase(armed_, index);
    const Fault& fault = schedule_.faults[index];
    note(fmt::format("{}: no {} arose, nothing struck", fault.what(), target_role_name(fault.target)));
}

void Nemesis::note(const std::string& text) {
    runtime::Runtime& runtime = *target_.runtime;
    log_.push_back(fmt::format("{:>8} {}", format_duration(runtime.now()), text));
    runtime.note_fault(text);
}

void Nemesis::cut(const std::vector<Link>& links) {
    for (const Link& link : links) {
        if (cut_count_[link]++ == 0) target_.runtime->block(node(link.first), node(link.second));
    }
}

void Nemesis::uncut(const std::vector<Link>& links) {
    for (const Link& link : links) {
        auto found = cut_count_.find(link);
        FL_ASSERT(found != cut_count_.end() && found->second > 0);
        if (--found->second == 0) {
            target_.runtime->unblock(node(link.first), node(link.second));
            cut_count_.erase(found);
        }
    }
}

void Nemesis::apply_bursts() {
    // Every link class gets its base configuration plus every active burst.
    std::vector<sim::LinkConfig> configs = base_links_;
    for (std::size_t i = 0; i < schedule_.faults.size(); ++i) {
        if (!active_[i].running) continue;
        const Fault& fault = schedule_.faults[i];
        for (std::size_t class_id = 0; class_id < configs.size(); ++class_id) {
            sim::LinkConfig& config = configs[class_id];
            if (fault.links == LinkSelector::requests && class_id != requests_class_) continue;
            if (fault.links == LinkSelector::responses && class_id != responses_class_) continue;
            if (fault.links != LinkSelector::all && requests_class_ == 0) continue;  // no clients
            switch (fault.kind) {
                case FaultKind::loss:
                    config.loss = std::max(config.loss, fault.amount);
                    break;
                case FaultKind::duplicate:
                    config.duplicate = std::max(config.duplicate, fault.amount);
                    break;
                case FaultKind::latency:
                    config.latency = sim::LatencyModel::exponential(fault.delta, fault.delta / 10);
                    break;
                case FaultKind::bandwidth: {
                    const auto cap = static_cast<std::uint64_t>(std::max(1.0, fault.amount));
                    config.bandwidth_bytes_per_second =
                        config.bandwidth_bytes_per_second == 0 ? cap : std::min(config.bandwidth_bytes_per_second, cap);
                    break;
                }
                default:
                    break;
            }
        }
    }
    target_.runtime->set_link_classes(configs);
    double tamper = 0;
    for (std::size_t i = 0; i < schedule_.faults.size(); ++i) {
        if (active_[i].running && schedule_.faults[i].kind == FaultKind::tamper) {
            tamper = std::max(tamper, schedule_.faults[i].amount);
        }
    }
    target_.runtime->set_tamper_probability(tamper);
}

void Nemesis::start(std::size_t index) {
    const Fault& fault = schedule_.faults[index];
    Active& active = active_[index];
    if (active.running) return;
    active.running = true;
    active.struck_at = target_.runtime->now();
    // A targeted fault's node was found by strike().
    if (fault.target == TargetRole::none && fault.kind != FaultKind::partition) active.targets = resolve_targets(fault);
    switch (fault.kind) {
        case FaultKind::partition:
            start_partition(fault, active);
            break;
        case FaultKind::kill:
        case FaultKind::disk:
            start_kill(fault, active);
            break;
        case FaultKind::pause:
            start_pause(fault, active);
            break;
        case FaultKind::clock_skew:
        case FaultKind::clock_step:
            start_clock_step(fault, active);
            break;
        case FaultKind::clock_drift:
            start_clock_drift(index, fault, active);
            break;
        case FaultKind::loss:
        case FaultKind::latency:
        case FaultKind::duplicate:
        case FaultKind::bandwidth:
        case FaultKind::tamper:
            apply_bursts();
            note(fault.describe());
            break;
        case FaultKind::slow:
            start_slow(index, fault, active);
            break;
    }
}

void Nemesis::start_partition(const Fault& fault, Active& active) {
    const int nodes = static_cast<int>(target_.servers.size());
    if (fault.target != TargetRole::none) {
        // The role's holder alone, against every other server.
        std::vector<int> order{active.targets.front()};
        for (int other = 0; other < nodes; ++other) {
            if (other != order.front()) order.push_back(other);
        }
        active.cut = cut_links(PartitionShape::one, order, nodes);
        cut(active.cut);
        note(fmt::format("partition isolate {}: {}", target_role_name(fault.target),
                         describe_cut(PartitionShape::one, order, nodes)));
        return;
    }
    std::optional<int> leader;
    if (fault.shape == PartitionShape::isolate_leader && target_.holder) leader = target_.holder(TargetRole::leader);
    active.cut = cut_links(fault.shape, fault.nodes, nodes, leader);
    cut(active.cut);
    note(fmt::format("partition {}: {}", partition_shape_name(fault.shape),
                     describe_cut(fault.shape, fault.nodes, nodes, leader)));
}

// A kill, or a disk fault: a kill while the disk misbehaves.
void Nemesis::start_kill(const Fault& fault, const Active& active) {
    runtime::Runtime& runtime = *target_.runtime;
    for (int target : active.targets) {
        if (fault.kind == FaultKind::disk) {
            // Power loss while the disk misbehaves: unsynced writes torn,
            // and bits flipped when the node reads its files back.
            sim::DiskConfig& disk = runtime.disk_faults(node(target));
            disk.torn_write_probability = 0.5;
            disk.bit_flip_probability = fault.amount;
        }
        if (killed_count_[target]++ == 0) runtime.crash(node(target));
    }
    note(fault.describe() + targets_note(fault, active.targets));
}

void Nemesis::start_pause(const Fault& fault, const Active& active) {
    runtime::Runtime& runtime = *target_.runtime;
    for (int target : active.targets) {
        if (paused_count_[target]++ == 0) runtime.pause(node(target));
    }
    note(fault.describe() + targets_note(fault, active.targets));
}

// A clock skew or step: each target's clock jumps by the fault's delta.
void Nemesis::start_clock_step(const Fault& fault, Active& active) {
    runtime::Runtime& runtime = *target_.runtime;
    for (int target : active.targets) runtime.step_clock(node(target), fault.delta);
    note(fault.describe() + targets_note(fault, active.targets));
}

void Nemesis::start_clock_drift(std::size_t index, const Fault& fault, Active& active) {
    runtime::Runtime& runtime = *target_.runtime;
    for (int target : active.targets) {
        Layered& drift = drift_ppm_[target];
        if (drift.in_force.empty()) drift.base = runtime.clock_drift_ppm(node(target));
        drift.push(index, fault.amount);
        runtime.set_clock_drift_ppm(node(target), fault.amount);
    }
    note(fault.describe() + targets_note(fault, active.targets));
}

void Nemesis::start_slow(std::size_t index, const Fault& fault, Active& active) {
    runtime::Runtime& runtime = *target_.runtime;
    std::string targets;
    for (int node_index : active.targets) {
        slowdown_ns_[node_index].push(index, static_cast<double>(fault.delta));
        runtime.set_processing_delay(node(node_index), fault.delta);
        targets += (targets.empty() ? "n" : " n") + std::to_string(node_index);
    }
    note(fmt::format("slow {}: {} per event", targets.empty() ? "nobody (no leader)" : targets,
                     format_duration(fault.delta)));
}

void Nemesis::end(std::size_t index) {
    const Fault& fault = schedule_.faults[index];
    Active& active = active_[index];
    if (!active.running) return;
    active.running = false;
    runtime::Runtime& runtime = *target_.runtime;
    std::string what = fmt::format("heal {}", fault_kind_name(fault.kind));
    // Whom it struck: the nodes it names, or the holder of its role.
    const std::vector<int>& struck = fault.target == TargetRole::none ? fault.nodes : active.targets;
    if (!struck.empty() && fault.kind != FaultKind::partition) {
        for (int target : struck) what += " n" + std::to_string(target);
    }
    switch (fault.kind) {
        case FaultKind::partition:
            uncut(active.cut);
            active.cut.clear();
            note(fmt::format("heal partition {}", partition_shape_name(fault.shape)));
            return;
        case FaultKind::kill:
        case FaultKind::disk:
            for (int target : active.targets) {
                if (--killed_count_[target] == 0) {
                    killed_count_.erase(target);
                    runtime.restart(node(target));
                }
                // The disk is healthy again once the node has read its files.
                if (fault.kind == FaultKind::disk) runtime.disk_faults(node(target)) = base_disk_;
            }
            break;
        case FaultKind::pause:
            for (int target : active.targets) {
                if (--paused_count_[target] == 0) {
                    paused_count_.erase(target);
                    runtime.resume(node(target));
                }
            }
            break;
        case FaultKind::clock_skew:
            for (int target : active.targets) runtime.step_clock(node(target), -fault.delta);
            break;
        case FaultKind::clock_drift:
            for (int target : active.targets) {
                runtime.set_clock_drift_ppm(node(target), drift_ppm_[target].pop(index));
            }
            break;
        case FaultKind::clock_step:
            return;  // instantaneous: nothing to heal
        case FaultKind::loss:
        case FaultKind::latency:
        case FaultKind::duplicate:
        case FaultKind::bandwidth:
        case FaultKind::tamper:
            apply_bursts();
            break;
        case FaultKind::slow:
            for (int node_index : active.targets) {
                runtime.set_processing_delay(node(node_index), static_cast<Nanos>(slowdown_ns_[node_index].pop(index)));
            }
            break;
    }
    note(what);
}

void Nemesis::heal_all() {
    for (std::size_t i = 0; i < schedule_.faults.size(); ++i) {
        disarm(i);
        end(i);
    }
    runtime::Runtime& runtime = *target_.runtime;
    // Whatever else is down or paused comes back too (faults injected by hand).
    for (NodeId server : target_.servers) {
        if (runtime.is_paused(server)) runtime.resume(server);
        if (!runtime.is_up(server)) runtime.restart(server);
    }
    runtime.heal_links();
    cut_count_.clear();
    // The recovery window asks whether the system serves again once the
    // network is sound: configured loss, duplication and reordering stop too
    // (latency and bandwidth are the network's shape, not faults, and stay).
    for (sim::LinkConfig& link : base_links_) link.loss = link.duplicate = link.reorder = 0;
    runtime.set_link_classes(base_links_);
    note("heal all");
}

}  // namespace faultline::nemesis
