// The simulated network: what happens to a message between send and delivery.
//
// Every directed link (from, to) has a LinkConfig drawn from a link class, so a
// heterogeneous network (same rack, cross zone, cross region) is a handful of
// classes and an assignment. For each message the network decides, with the
// link's own random stream, whether it is lost, duplicated or delayed for
// reordering, when
// it leaves (bandwidth: messages queue behind each other on a link) and when it
// arrives (the latency distribution).
//
// Partitions block directed links, so a one-way partition blocks one direction
// only. A blocked link drops messages at send time. Messages already in flight
// when a link is cut still arrive, as in turmoil and Maelstrom, unless
// drop_in_flight is on: then cutting a link bumps its epoch and every message
// sent under an older epoch is dropped on arrival.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/prng.h"
#include "base/time.h"
#include "base/types.h"
#include "sim/latency.h"
#include "sim/timing.h"

namespace faultline::sim {

struct LinkConfig {
    LatencyModel latency = LatencyModel::constant(milliseconds(1));
    double loss = 0;       // probability a message is dropped
    double duplicate = 0;  // probability a message is delivered twice
    double reorder = 0;    // probability a message gets an extra delay in [0, reorder_delay]
    Nanos reorder_delay = milliseconds(10);
    // 0 means unlimited. Otherwise a message occupies the link for size/bandwidth
    // and later messages queue behind it.
    std::uint64_t bandwidth_bytes_per_second = 0;
    // With a bandwidth cap: a message that would wait longer than this in the
    // link's queue is dropped (a full buffer). A real link's buffer is finite,
    // and an endless queue is endless memory: a protocol that floods a capped
    // link (fallacy/infinite-bandwidth/naive) held 2 GB after 30 s. 0 means the
    // queue never overflows (tests of the queue itself).
    Nanos queue_delay_max = seconds(5);
};

using LinkClassId = std::uint32_t;

// Why the network (or the receiving node) did not deliver a message.
enum class DropReason : std::uint8_t { loss, partition, in_flight_cut, queue_full, node_down };
const char* drop_reason_name(DropReason reason);

struct Transmission {
    bool dropped = false;
    DropReason reason = DropReason::loss;
    int copies = 0;                  // 1, or 2 when duplicated
    std::array<Nanos, 2> arrival{};  // absolute arrival times of the copies
    std::uint32_t epoch = 0;         // the link's epoch at send time
};

// A priority schedule (PCT, Burckhardt et al., ASPLOS 2010; for message
// passing, Ozkan et al., OOPSLA 2018), on top of latency sampling: every
// directed link has a priority level in [0, levels), drawn from `seed` and
// the link alone, and each message on it arrives level x step later than its
// latency says, so messages on high-priority links overtake those on low ones
// sent about the same time. At each change point (a time), the next message
// sent demotes its link below every other link: d - 1 change points give a
// schedule of depth d, the number of ordering constraints a bug may need.
struct PrioritySchedule {
    int levels = 0;  // 0: off
    Nanos step = 0;
    std::vector<Nanos> change_points;  // ascending
    std::uint64_t seed = 0;
};

class Network {
  public:
    Network(std::uint64_t seed, LinkConfig default_link);

    // Grows the link tables for a new node; its links use the default class.
    void add_node();
    std::uint32_t node_count() const { return node_count_; }

    LinkClassId define_class(std::string name, LinkConfig config);
    void assign_class(NodeId from, NodeId to, LinkClassId link_class);
    // Changes a class's configuration; every link of that class follows.
    void set_class_config(LinkClassId link_class, LinkConfig config);
    LinkClassId class_of(NodeId from, NodeId to) const;
    const LinkConfig& class_config(LinkClassId link_class) const;
    const std::string& class_name(LinkClassId link_class) const;
    const LinkConfig& link(NodeId from, NodeId to) const { return classes_[link_class_[index(from, to)]].config; }
    // Changes every class at once (a network-wide fault burst), returning the
    // previous configs so the caller can restore them.
    std::vector<LinkConfig> snapshot_classes() const;
    void restore_classes(const std::vector<LinkConfig>& configs);

    // Partitions: block and unblock directed links.
    void block(NodeId from, NodeId to);
    void unblock(NodeId from, NodeId to);
    bool blocked(NodeId from, NodeId to) const { return blocked_[index(from, to)] != 0; }
    // Blocks every link between nodes of different groups, in both directions.
    // Nodes not named in any group keep all their links.
    void partition(const std::vector<std::vector<NodeId>>& groups);
    void heal();
    void set_drop_in_flight(bool enabled) { drop_in_flight_ = enabled; }
    bool drop_in_flight() const { return drop_in_flight_; }

    // Decides the fate of one message sent now on (from, to).
    Transmission transmit(NodeId from, NodeId to, std::uint32_t size_bytes, Nanos now);
    void set_priority_schedule(PrioritySchedule schedule);
    // The timing model every later message obeys (sim/timing.h).
    void set_timing(TimingModel timing);
    const TimingModel& timing() const { return timing_; }
    // True if a message sent under `epoch` may still be delivered on (from, to).
    bool epoch_current(NodeId from, NodeId to, std::uint32_t epoch) const {
        return link_epoch_[index(from, to)] == epoch;
    }

  private:
    struct LinkClass {
        std::string name;
        LinkConfig config;
    };

    // Links live in a square matrix of side stride_ >= node_count_, which
    // doubles when it fills: adding N nodes one at a time costs O(N^2), not
    // O(N^3) (2,000 clients used to take minutes).
    std::size_t index(NodeId from, NodeId to) const {
        return static_cast<std::size_t>(from.value) * stride_ + to.value;
    }
    void resize(std::uint32_t count);
    // The extra wait of a message sent now on link `i` under the priority schedule.
    Nanos priority_delay(std::size_t i, NodeId from, NodeId to, Nanos now);
    // Moves the arrivals of a message sent at `sent` where the timing model says.
    void apply_timing(NodeId from, NodeId to, Nanos sent, double hold_unit, Transmission& result) const;
    Prng& link_random(std::size_t index, NodeId from, NodeId to) {
        if (link_random_made_[index] == 0) [[unlikely]]
            make_link_random(index, from, to);
        return link_random_[index];
    }
    void make_link_random(std::size_t index, NodeId from, NodeId to);

    // One random stream per directed link: traffic on one link never changes the
    // fates drawn on another (so a run with a few operations left out keeps the
    // rest of its faults where they were, which the shrinker relies on). A
    // stream is derived from its link's name when the link is first used, so
    // the thousands of client-to-client links that never carry a message cost
    // nothing.
    std::uint64_t seed_;
    std::vector<Prng> link_random_;
    std::vector<std::uint8_t> link_random_made_;
    std::uint32_t node_count_ = 0;
    std::uint32_t stride_ = 0;
    std::vector<LinkClass> classes_;
    std::vector<LinkClassId> link_class_;
    std::vector<std::uint8_t> blocked_;
    std::vector<std::uint32_t> link_epoch_;
    std::vector<Nanos> link_busy_until_;
    bool drop_in_flight_ = false;
    PrioritySchedule priorities_;
    TimingModel timing_;
    std::size_t change_points_passed_ = 0;
    std::map<std::size_t, int> demoted_;  // link index -> its level after a change point
};

}  // namespace faultline::sim
