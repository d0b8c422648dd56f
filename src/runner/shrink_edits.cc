#include "runner/shrink_edits.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include "sim/latency.h"

namespace faultline::runner {

using nemesis::Fault;
using nemesis::FaultKind;
using nemesis::PartitionShape;
using nemesis::TargetRole;

namespace {

// The lowest rate a thinner workload asks for, in operations per second.
constexpr double kRateMin = 0.1;

// Shorter faults and milder intensities stop here: below, halving changes
// nothing a reader would notice.
constexpr Nanos kDurationMin = milliseconds(10);
constexpr double kProbabilityMin = 0.01;
constexpr Nanos kDeltaMin = milliseconds(1);
constexpr double kBandwidthMax = 1e9;

// Partition shapes from the simplest to tell: one node alone, then two halves.
int shape_rank(PartitionShape shape) {
    switch (shape) {
        case PartitionShape::one:
            return 0;
        case PartitionShape::halves:
            return 1;
        default:
            return 2;
    }
}

}  // namespace

bool strikes_by_chance(FaultKind kind) {
    return kind == FaultKind::loss || kind == FaultKind::duplicate || kind == FaultKind::tamper ||
           kind == FaultKind::disk;
}

std::vector<Fault> faults_for_nodes(const std::vector<Fault>& faults, int nodes) {
    std::vector<Fault> kept;
    for (Fault fault : faults) {
        const bool named = !fault.nodes.empty();
        std::erase_if(fault.nodes, [nodes](int node) { return node >= nodes; });
        if (fault.kind == FaultKind::partition && nodes < 2) continue;
        if (nemesis::acts_on_nodes(fault.kind) && named && fault.nodes.empty()) continue;
        kept.push_back(std::move(fault));
    }
    return kept;
}

std::vector<Fault> simpler_versions(const Fault& fault) {
    std::vector<Fault> versions;
    // A partition's nodes are every server, in the order its shape reads.
    if (fault.kind != FaultKind::partition && fault.nodes.size() >= 2) {
        for (std::size_t i = 0; i < fault.nodes.size(); ++i) {
            Fault fewer = fault;
            fewer.nodes.erase(fewer.nodes.begin() + static_cast<std::ptrdiff_t>(i));
            versions.push_back(std::move(fewer));
        }
    }
    // isolate-leader reads no order (its nodes may be empty) and is simple to tell already.
    if (fault.kind == FaultKind::partition && fault.shape != PartitionShape::isolate_leader) {
        for (PartitionShape shape : {PartitionShape::one, PartitionShape::halves}) {
            if (shape_rank(shape) >= shape_rank(fault.shape)) continue;
            Fault simpler = fault;
            simpler.shape = shape;
            versions.push_back(std::move(simpler));
        }
    }
    if (fault.kind != FaultKind::clock_step && fault.duration >= 2 * kDurationMin) {
        Fault shorter = fault;
        shorter.duration /= 2;
        versions.push_back(std::move(shorter));
    }
    Fault milder = fault;
    switch (fault.kind) {
        case FaultKind::loss:
        case FaultKind::duplicate:
        case FaultKind::tamper:
        case FaultKind::disk:
            if (fault.amount >= 1 || fault.amount < 2 * kProbabilityMin) return versions;
            milder.amount = fault.amount / 2;
            break;
        case FaultKind::clock_drift:
            if (std::abs(fault.amount) < 2) return versions;
            milder.amount = fault.amount / 2;
            break;
        case FaultKind::clock_skew:
        case FaultKind::clock_step:
        case FaultKind::latency:
        case FaultKind::slow:
            if (std::abs(fault.delta) < 2 * kDeltaMin) return versions;
            milder.delta = fault.delta / 2;
            break;
        case FaultKind::bandwidth:
            if (fault.amount * 2 > kBandwidthMax) return versions;
            milder.amount = fault.amount * 2;
            break;
        default:
            return versions;
    }
    versions.push_back(std::move(milder));
    return versions;
}

bool make_network_plain(RunConfig& config) {
    auto model = sim::LatencyModel::parse(config.latency);
    if (!model) return false;
    const bool plain_links = config.loss == 0 && config.duplicate == 0 && config.reorder == 0;
    if (model->kind == sim::LatencyModel::Kind::constant && plain_links) return false;
    if (model->kind != sim::LatencyModel::Kind::constant) {
        const double mean = model->mean();
        const Nanos step = mean >= static_cast<double>(milliseconds(1)) ? microseconds(100) : microseconds(1);
        const Nanos latency = std::max(step, static_cast<Nanos>(std::llround(mean / static_cast<double>(step))) * step);
        config.latency = format_duration_exact(latency);
    }
    config.loss = 0;
    config.duplicate = 0;
    config.reorder = 0;
    return true;
}

bool same_effect(const Fault& a, const Fault& b) {
    const bool counted = a.kind == FaultKind::kill || a.kind == FaultKind::pause || a.kind == FaultKind::partition;
    return counted && a.kind == b.kind && a.target == TargetRole::none && b.target == TargetRole::none &&
           !a.nodes.empty() && a.nodes == b.nodes && (a.kind != FaultKind::partition || a.shape == b.shape);
}

bool merge_overlapping(std::vector<Fault>& faults) {
    bool merged_any = false;
    for (std::size_t i = 0; i < faults.size(); ++i) {
        for (std::size_t j = i + 1; j < faults.size() && faults[j].start <= faults[i].end(); ++j) {
            if (!same_effect(faults[i], faults[j])) continue;
            faults[i].duration = std::max(faults[i].end(), faults[j].end()) - faults[i].start;
            faults.erase(faults.begin() + static_cast<std::ptrdiff_t>(j));
            merged_any = true;
            j = i;  // the span grew: look again from just after it
        }
    }
    return merged_any;
}

std::optional<Fault> joined(const Fault& a, const Fault& b) {
    const bool joinable = (a.kind == FaultKind::kill || a.kind == FaultKind::pause) && a.kind == b.kind &&
                          a.target == TargetRole::none && b.target == TargetRole::none && !a.nodes.empty() &&
                          !b.nodes.empty();
    if (!joinable || a.start > b.end() || b.start > a.end()) return std::nullopt;
    std::vector<int> nodes = a.nodes;
    nodes.insert(nodes.end(), b.nodes.begin(), b.nodes.end());
    std::sort(nodes.begin(), nodes.end());
    // The same nodes are same_effect's to merge, exactly.
    if (std::adjacent_find(nodes.begin(), nodes.end()) != nodes.end()) return std::nullopt;
    Fault joint = a;
    joint.start = std::min(a.start, b.start);
    joint.duration = std::max(a.end(), b.end()) - joint.start;
    joint.nodes = std::move(nodes);
    return joint;
}

double readable_rate(double rate) {
    if (rate <= kRateMin) return kRateMin;
    const double exponent = std::floor(std::log10(rate)) - 1;
    // Below 10, divide by a power of ten rather than multiply by its inverse:
    // 63 / 10 is the double nearest 6.3, while 63 * 0.1 prints as 6.300000000000001.
    if (exponent < 0) {
        const double inverse = std::pow(10.0, -exponent);
        return std::round(rate * inverse) / inverse;
    }
    const double scale = std::pow(10.0, exponent);
    return std::round(rate / scale) * scale;
}

}  // namespace faultline::runner
