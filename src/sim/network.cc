#include "sim/network.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "base/assert.h"

namespace faultline::sim {

const char* drop_reason_name(DropReason reason) {
    switch (reason) {
        case DropReason::loss:
            return "loss";
        case DropReason::partition:
            return "partition";
        case DropReason::in_flight_cut:
            return "in-flight-cut";
        case DropReason::queue_full:
            return "queue-full";
        case DropReason::node_down:
            return "node-down";
    }
    FL_UNREACHABLE();
}

const char* timing_kind_name(TimingKind kind) {
    switch (kind) {
        case TimingKind::none:
            return "none";
        case TimingKind::sync:
            return "sync";
        case TimingKind::partial:
            return "partial";
        case TimingKind::async:
            return "async";
    }
    FL_UNREACHABLE();
}

Network::Network(std::uint64_t seed, LinkConfig default_link) : seed_(seed) {
    classes_.push_back(LinkClass{"default", default_link});
}

void Network::add_node() {
    resize(node_count_ + 1);
}

void Network::resize(std::uint32_t count) {
    FL_ASSERT_GT(count, node_count_);
    if (count <= stride_) {
        node_count_ = count;  // the new rows and columns already hold defaults
        return;
    }
    const std::uint32_t old_stride = stride_;
    const std::uint32_t stride = std::max(count, std::max<std::uint32_t>(8, old_stride * 2));
    const std::size_t cells = static_cast<std::size_t>(stride) * stride;
    std::vector<LinkClassId> link_class(cells, 0);
    std::vector<std::uint8_t> blocked(cells, 0);
    std::vector<std::uint32_t> epoch(cells, 0);
    std::vector<Nanos> busy(cells, 0);
    std::vector<Prng> random(cells, Prng(0));
    std::vector<std::uint8_t> made(cells, 0);
    for (std::uint32_t from = 0; from < node_count_; ++from) {
        for (std::uint32_t to = 0; to < node_count_; ++to) {
            const std::size_t new_index = static_cast<std::size_t>(from) * stride + to;
            const std::size_t old_index = static_cast<std::size_t>(from) * old_stride + to;
            link_class[new_index] = link_class_[old_index];
            blocked[new_index] = blocked_[old_index];
            epoch[new_index] = link_epoch_[old_index];
            busy[new_index] = link_busy_until_[old_index];
            random[new_index] = link_random_[old_index];
            made[new_index] = link_random_made_[old_index];
        }
    }
    node_count_ = count;
    stride_ = stride;
    link_class_ = std::move(link_class);
    blocked_ = std::move(blocked);
    link_epoch_ = std::move(epoch);
    link_busy_until_ = std::move(busy);
    link_random_ = std::move(random);
    link_random_made_ = std::move(made);
}

void Network::make_link_random(std::size_t index, NodeId from, NodeId to) {
    link_random_[index] = Prng::stream(seed_, fmt::format("link/{}/{}", from.value, to.value));
    link_random_made_[index] = 1;
}

LinkClassId Network::define_class(std::string name, LinkConfig config) {
    classes_.push_back(LinkClass{std::move(name), config});
    return static_cast<LinkClassId>(classes_.size() - 1);
}

void Network::assign_class(NodeId from, NodeId to, LinkClassId link_class) {
    FL_ASSERT_LT(link_class, classes_.size());
    link_class_[index(from, to)] = link_class;
}

void Network::set_class_config(LinkClassId link_class, LinkConfig config) {
    FL_ASSERT_LT(link_class, classes_.size());
    classes_[link_class].config = config;
}

LinkClassId Network::class_of(NodeId from, NodeId to) const {
    return link_class_[index(from, to)];
}

const LinkConfig& Network::class_config(LinkClassId link_class) const {
    FL_ASSERT_LT(link_class, classes_.size());
    return classes_[link_class].config;
}

const std::string& Network::class_name(LinkClassId link_class) const {
    FL_ASSERT_LT(link_class, classes_.size());
    return classes_[link_class].name;
}

std::vector<LinkConfig> Network::snapshot_classes() const {
    std::vector<LinkConfig> configs;
    configs.reserve(classes_.size());
    for (const auto& link_class : classes_) configs.push_back(link_class.config);
    return configs;
}

void Network::restore_classes(const std::vector<LinkConfig>& configs) {
    FL_ASSERT_EQ(configs.size(), classes_.size());
    for (std::size_t i = 0; i < configs.size(); ++i) classes_[i].config = configs[i];
}

void Network::block(NodeId from, NodeId to) {
    const std::size_t i = index(from, to);
    if (blocked_[i] == 0 && drop_in_flight_) ++link_epoch_[i];
    blocked_[i] = 1;
}

void Network::unblock(NodeId from, NodeId to) {
    blocked_[index(from, to)] = 0;
}

void Network::partition(const std::vector<std::vector<NodeId>>& groups) {
    for (std::size_t g = 0; g < groups.size(); ++g) {
        for (std::size_t h = 0; h < groups.size(); ++h) {
            if (g == h) continue;
            for (NodeId from : groups[g]) {
                for (NodeId to : groups[h]) block(from, to);
            }
        }
    }
}

void Network::heal() {
    std::fill(blocked_.begin(), blocked_.end(), 0);
}

Transmission Network::transmit(NodeId from, NodeId to, std::uint32_t size_bytes, Nanos now) {
    FL_ASSERT_LT(from.value, node_count_);
    FL_ASSERT_LT(to.value, node_count_);
    const std::size_t i = index(from, to);
    const LinkConfig& config = classes_[link_class_[i]].config;
    Transmission result;
    result.epoch = link_epoch_[i];

    // Draw every random decision up front, whatever the outcome, so that one
    // message's fate never changes how many draws the next message sees.
    Prng& random = link_random(i, from, to);
    const bool lost = random.chance(config.loss);
    const bool duplicated = random.chance(config.duplicate);
    const bool reordered = random.chance(config.reorder);
    const Nanos reorder_extra = random.between(0, config.reorder_delay);
    const Nanos latency_first = config.latency.sample(random);
    const Nanos latency_second = config.latency.sample(random);
    // Partial synchrony's hold, drawn for every message of such a run (held
    // or not), so that the link's later draws do not hang on the clock.
    const double hold_unit = timing_.kind == TimingKind::partial ? random.unit() : 0;

    if (blocked_[i] != 0) {
        result.dropped = true;
        result.reason = DropReason::partition;
        return result;
    }
    if (lost) {
        result.dropped = true;
        result.reason = DropReason::loss;
        return result;
    }

    Nanos departure = now;
    if (config.bandwidth_bytes_per_second > 0) {
        const Nanos start = std::max(now, link_busy_until_[i]);
        if (config.queue_delay_max > 0 && start - now > config.queue_delay_max) {
            result.dropped = true;
            result.reason = DropReason::queue_full;
            return result;
        }
        const auto transmit_time =
            static_cast<Nanos>(static_cast<UInt128>(size_bytes) * 1'000'000'000ULL / config.bandwidth_bytes_per_second);
        departure = start + transmit_time;
        link_busy_until_[i] = departure;
    }

    const Nanos priority_extra = priorities_.levels > 0 ? priority_delay(i, from, to, now) : 0;
    result.copies = duplicated ? 2 : 1;
    result.arrival[0] = departure + priority_extra + latency_first + (reordered ? reorder_extra : 0);
    result.arrival[1] = departure + priority_extra + latency_second;
    if (timing_.kind != TimingKind::none) [[unlikely]]
        apply_timing(from, to, now, hold_unit, result);
    FL_ASSERT_GE(result.arrival[0], now);
    FL_ASSERT_GE(result.arrival[1], now);
    return result;
}

void Network::set_timing(TimingModel timing) {
    FL_ASSERT(timing.kind == TimingKind::none || timing.kind == TimingKind::async || timing.delay_max > 0);
    FL_ASSERT(timing.kind != TimingKind::partial || (timing.gst >= 0 && timing.hold_scale > 0));
    FL_ASSERT(timing.kind != TimingKind::partial || (timing.hold_shape > 0 && timing.hold_shape <= 1));
    FL_ASSERT(timing.kind != TimingKind::async || (timing.async_hold > 0 && timing.making_progress));
    timing_ = std::move(timing);
}

void Network::apply_timing(NodeId from, NodeId to, Nanos sent, double hold_unit, Transmission& result) const {
    const TimingModel& t = timing_;
    for (int copy = 0; copy < result.copies; ++copy) {
        Nanos& arrival = result.arrival[static_cast<std::size_t>(copy)];
        switch (t.kind) {
            case TimingKind::none:
                break;
            case TimingKind::sync:
                arrival = std::min(arrival, sent + t.delay_max);
                break;
            case TimingKind::partial:
                if (sent >= t.gst) {
                    arrival = std::min(arrival, sent + t.delay_max);
                } else {
                    // A Pareto hold (inverse transform of the same uniform for
                    // both copies), cut at the latest arrival the model allows:
                    // the cut comes first, in doubles, since the draw itself
                    // may be beyond any integer time.
                    const Nanos latest = t.gst + t.delay_max;
                    const double hold =
                        static_cast<double>(t.hold_scale) / std::pow(1.0 - hold_unit, 1.0 / t.hold_shape);
                    const double held = static_cast<double>(arrival) + hold;
                    arrival = held >= static_cast<double>(latest) ? latest : std::min(latest, static_cast<Nanos>(held));
                }
                break;
            case TimingKind::async:
                if (t.making_progress(from) || t.making_progress(to)) {
                    arrival += t.async_hold + sent / 2;
                }
                break;
        }
        FL_ASSERT_GE(arrival, sent);
    }
}

void Network::set_priority_schedule(PrioritySchedule schedule) {
    FL_ASSERT_GE(schedule.levels, 0);
    FL_ASSERT_GE(schedule.step, 0);
    FL_ASSERT(std::is_sorted(schedule.change_points.begin(), schedule.change_points.end()));
    priorities_ = std::move(schedule);
    change_points_passed_ = 0;
    demoted_.clear();
}

Nanos Network::priority_delay(std::size_t i, NodeId from, NodeId to, Nanos now) {
    if (change_points_passed_ < priorities_.change_points.size() &&
        now >= priorities_.change_points[change_points_passed_]) {
        // Below every link's drawn level and every link demoted before.
        demoted_[i] = priorities_.levels + static_cast<int>(change_points_passed_);
        ++change_points_passed_;
    }
    int level;
    if (auto found = demoted_.find(i); found != demoted_.end()) {
        level = found->second;
    } else {
        // The link's level from the seed and the link alone: no matter which
        // links carried traffic first.
        Prng draw(priorities_.seed ^ (static_cast<std::uint64_t>(from.value) << 32 | to.value));
        level = static_cast<int>(draw.below(static_cast<std::uint64_t>(priorities_.levels)));
    }
    return priorities_.step * level;
}

}  // namespace faultline::sim
