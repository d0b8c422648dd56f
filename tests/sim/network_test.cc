// The network model does what its configuration says, measured over enough
// messages for the statistics to mean something: loss and duplication rates,
// latency means and quantiles within a few standard errors of the configured
// distribution; partitions cut exactly the links they name, in the directions
// they name; bandwidth makes messages queue.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <vector>

#include "sim/simulation.h"
#include "sim/test_nodes.h"

namespace faultline::sim {
namespace {

using testing::Probe;
using testing::ProbeNode;

constexpr int message_count = 100'000;

struct Observed {
    std::vector<Nanos> latencies;  // of every delivered copy
    std::int64_t distinct_delivered = 0;
    std::int64_t duplicates = 0;
};

// n0 sends `message_count` probes to n1 at t=0 over a link with `link`.
Observed send_burst(const LinkConfig& link, std::uint64_t seed = 11) {
    Simulation simulation(SimulationOptions{.seed = seed, .link = link});
    const NodeId sender = simulation.add_server("n0", testing::make_probe);
    const NodeId receiver = simulation.add_server("n1", testing::make_probe);
    simulation.start();
    simulation.invoke(sender, [&](Node&, Context& ctx) {
        for (int i = 0; i < message_count; ++i) {
            ctx.send(receiver, std::make_shared<Probe>(static_cast<std::uint64_t>(i)));
        }
    });
    simulation.run_until(seconds(3600));
    Observed observed;
    std::set<std::uint64_t> seen;
    for (const auto& received : simulation.node_as<ProbeNode>(receiver)->received) {
        observed.latencies.push_back(received.local_time);  // sent at 0, no clock skew
        if (!seen.insert(received.sequence).second) ++observed.duplicates;
    }
    observed.distinct_delivered = static_cast<std::int64_t>(seen.size());
    std::sort(observed.latencies.begin(), observed.latencies.end());
    return observed;
}

double mean(const std::vector<Nanos>& values) {
    return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

double quantile(const std::vector<Nanos>& sorted, double q) {
    return static_cast<double>(sorted[static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1))]);
}

// |observed - p| within 5 standard errors of a binomial proportion.
void expect_rate(double observed, double p, double n) {
    const double standard_error = std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(observed, p, 5 * standard_error) << "configured " << p;
}

TEST(NetworkModel, LossRateMatchesConfiguration) {
    for (double loss : {0.01, 0.1, 0.3}) {
        LinkConfig link;
        link.loss = loss;
        const Observed observed = send_burst(link);
        const double lost = 1.0 - static_cast<double>(observed.distinct_delivered) / message_count;
        expect_rate(lost, loss, message_count);
    }
}

TEST(NetworkModel, ZeroProbabilitiesMeanNever) {
    const Observed observed = send_burst(LinkConfig{});
    EXPECT_EQ(observed.distinct_delivered, message_count);
    EXPECT_EQ(observed.duplicates, 0);
}

TEST(NetworkModel, CertainLossDropsEverything) {
    LinkConfig link;
    link.loss = 1.0;
    EXPECT_EQ(send_burst(link).distinct_delivered, 0);
}

TEST(NetworkModel, DuplicationRateMatchesConfiguration) {
    for (double duplicate : {0.05, 0.2}) {
        LinkConfig link;
        link.duplicate = duplicate;
        const Observed observed = send_burst(link);
        EXPECT_EQ(observed.distinct_delivered, message_count);
        expect_rate(static_cast<double>(observed.duplicates) / message_count, duplicate, message_count);
    }
}

TEST(NetworkModel, ExponentialLatencyMeanAndQuantiles) {
    LinkConfig link;
    link.latency = LatencyModel::exponential(milliseconds(5), milliseconds(1));
    const Observed observed = send_burst(link);
    // 1 ms + Exp(4 ms): mean 5 ms, median 1 + 4 ln 2, p99 1 + 4 ln 100 (in ms).
    EXPECT_NEAR(mean(observed.latencies) / 1e6, 5.0, 0.05);
    EXPECT_NEAR(quantile(observed.latencies, 0.5) / 1e6, 1 + 4 * std::log(2.0), 0.05);
    EXPECT_NEAR(quantile(observed.latencies, 0.99) / 1e6, 1 + 4 * std::log(100.0), 0.7);
    EXPECT_GE(observed.latencies.front(), milliseconds(1));
}

TEST(NetworkModel, UniformLatencyStaysInBoundsWithTheRightMean) {
    LinkConfig link;
    link.latency = LatencyModel::uniform(milliseconds(2), milliseconds(10));
    const Observed observed = send_burst(link);
    EXPECT_GE(observed.latencies.front(), milliseconds(2));
    EXPECT_LE(observed.latencies.back(), milliseconds(10));
    EXPECT_NEAR(mean(observed.latencies) / 1e6, 6.0, 0.05);
    EXPECT_NEAR(quantile(observed.latencies, 0.99) / 1e6, 2 + 8 * 0.99, 0.1);
}

TEST(NetworkModel, ConstantLatencyIsExact) {
    LinkConfig link;
    link.latency = LatencyModel::constant(milliseconds(7));
    const Observed observed = send_burst(link);
    EXPECT_EQ(observed.latencies.front(), milliseconds(7));
    EXPECT_EQ(observed.latencies.back(), milliseconds(7));
}

TEST(NetworkModel, LognormalLatencyHasItsMedianAndALongTail) {
    LinkConfig link;
    link.latency = LatencyModel::lognormal(milliseconds(20), 0.5);
    const Observed observed = send_burst(link);
    EXPECT_NEAR(quantile(observed.latencies, 0.5) / 1e6, 20.0, 0.3);
    // p99 of a lognormal: median * exp(2.326 sigma).
    EXPECT_NEAR(quantile(observed.latencies, 0.99) / 1e6, 20.0 * std::exp(2.3263 * 0.5), 1.5);
    EXPECT_NEAR(mean(observed.latencies) / 1e6, 20.0 * std::exp(0.125), 0.3);
}

TEST(NetworkModel, ParetoLatencyHasItsScaleAsMinimumAndItsCap) {
    LinkConfig link;
    link.latency = LatencyModel::pareto(milliseconds(1), 1.5, milliseconds(500));
    const Observed observed = send_burst(link);
    EXPECT_GE(observed.latencies.front(), milliseconds(1));
    EXPECT_LE(observed.latencies.back(), milliseconds(500));
    // Median of Pareto(x_min, alpha): x_min * 2^(1/alpha).
    EXPECT_NEAR(quantile(observed.latencies, 0.5) / 1e6, std::pow(2.0, 1 / 1.5), 0.03);
}

TEST(NetworkModel, ReorderDelaysTheConfiguredFraction) {
    LinkConfig link;
    link.latency = LatencyModel::constant(milliseconds(1));
    link.reorder = 0.2;
    link.reorder_delay = milliseconds(50);
    const Observed observed = send_burst(link);
    const auto delayed = std::count_if(observed.latencies.begin(), observed.latencies.end(),
                                       [](Nanos latency) { return latency > milliseconds(1); });
    expect_rate(static_cast<double>(delayed) / message_count, 0.2, message_count);
    EXPECT_LE(observed.latencies.back(), milliseconds(51));
}

TEST(NetworkModel, WithoutReorderingAConstantLinkIsFifo) {
    Simulation simulation(SimulationOptions{.seed = 3, .link = LinkConfig{}});
    const NodeId a = simulation.add_server("a", testing::make_probe);
    const NodeId b = simulation.add_server("b", testing::make_probe);
    simulation.start();
    for (int i = 0; i < 1000; ++i) {
        simulation.at(microseconds(i), [&simulation, a, b, i] {
            simulation.invoke(
                a, [&](Node&, Context& ctx) { ctx.send(b, std::make_shared<Probe>(static_cast<std::uint64_t>(i))); });
        });
    }
    simulation.run_until(seconds(1));
    const auto& received = simulation.node_as<ProbeNode>(b)->received;
    ASSERT_EQ(received.size(), 1000u);
    for (std::size_t i = 0; i < received.size(); ++i) EXPECT_EQ(received[i].sequence, i);
}

// Every node sends one probe to every other node; returns the (from, to) pairs delivered.
std::set<std::pair<std::uint32_t, std::uint32_t>> all_to_all(Simulation& simulation) {
    const auto servers = simulation.servers();
    for (NodeId from : servers) {
        simulation.invoke(from, [&](Node&, Context& ctx) {
            for (NodeId to : servers) {
                if (to != from) ctx.send(to, std::make_shared<Probe>(from.value));
            }
        });
    }
    simulation.run_for(seconds(1));
    std::set<std::pair<std::uint32_t, std::uint32_t>> delivered;
    for (NodeId to : servers) {
        for (const auto& received : simulation.node_as<ProbeNode>(to)->received) {
            delivered.insert({received.from.value, to.value});
        }
        simulation.node_as<ProbeNode>(to)->received.clear();
    }
    return delivered;
}

Simulation& five_nodes(Simulation& simulation) {
    for (int i = 0; i < 5; ++i) simulation.add_server("n" + std::to_string(i), testing::make_probe);
    simulation.start();
    return simulation;
}

TEST(NetworkModel, PartitionBlocksExactlyTheCutLinks) {
    Simulation simulation(SimulationOptions{.seed = 5});
    five_nodes(simulation);
    simulation.network().partition({{NodeId(0), NodeId(1)}, {NodeId(2), NodeId(3), NodeId(4)}});
    const auto delivered = all_to_all(simulation);
    auto side = [](std::uint32_t node) { return node < 2 ? 0 : 1; };
    for (std::uint32_t from = 0; from < 5; ++from) {
        for (std::uint32_t to = 0; to < 5; ++to) {
            if (from == to) continue;
            const bool same_side = side(from) == side(to);
            EXPECT_EQ(delivered.count({from, to}) == 1, same_side) << from << " -> " << to;
        }
    }
    EXPECT_EQ(simulation.stats().dropped_by_reason[static_cast<int>(DropReason::partition)], 12u);

    simulation.network().heal();
    EXPECT_EQ(all_to_all(simulation).size(), 20u);
}

TEST(NetworkModel, OneWayPartitionIsOneWay) {
    Simulation simulation(SimulationOptions{.seed = 5});
    five_nodes(simulation);
    simulation.network().block(NodeId(0), NodeId(1));
    const auto delivered = all_to_all(simulation);
    EXPECT_EQ(delivered.count({0, 1}), 0u);
    EXPECT_EQ(delivered.count({1, 0}), 1u);
    EXPECT_EQ(delivered.size(), 19u);
}

TEST(NetworkModel, InFlightMessagesSurviveACutUnlessTheSwitchIsOn) {
    for (bool drop_in_flight : {false, true}) {
        LinkConfig link;
        link.latency = LatencyModel::constant(milliseconds(10));
        Simulation simulation(SimulationOptions{.seed = 9, .link = link});
        simulation.network().set_drop_in_flight(drop_in_flight);
        const NodeId a = simulation.add_server("a", testing::make_probe);
        const NodeId b = simulation.add_server("b", testing::make_probe);
        simulation.start();
        simulation.invoke(a, [&](Node&, Context& ctx) { ctx.send(b, std::make_shared<Probe>(1)); });
        simulation.run_for(milliseconds(5));  // the message is on the wire
        simulation.network().block(a, b);
        simulation.run_for(milliseconds(10));
        simulation.network().unblock(a, b);
        const auto& received = simulation.node_as<ProbeNode>(b)->received;
        EXPECT_EQ(received.size(), drop_in_flight ? 0u : 1u) << "drop_in_flight=" << drop_in_flight;
        // After the heal, new messages flow again either way.
        simulation.invoke(a, [&](Node&, Context& ctx) { ctx.send(b, std::make_shared<Probe>(2)); });
        simulation.run_for(milliseconds(20));
        EXPECT_EQ(received.back().sequence, 2u);
    }
}

TEST(NetworkModel, BandwidthQueuesMessagesBehindEachOther) {
    LinkConfig link;
    link.latency = LatencyModel::constant(milliseconds(1));
    link.bandwidth_bytes_per_second = 1'000'000;  // a 1000-byte message takes 1 ms
    Simulation simulation(SimulationOptions{.seed = 2, .link = link});
    const NodeId a = simulation.add_server("a", testing::make_probe);
    const NodeId b = simulation.add_server("b", testing::make_probe);
    simulation.start();
    simulation.invoke(a, [&](Node&, Context& ctx) {
        for (int i = 0; i < 10; ++i) ctx.send(b, std::make_shared<Probe>(i, 1000));
    });
    simulation.run_for(seconds(1));
    const auto& received = simulation.node_as<ProbeNode>(b)->received;
    ASSERT_EQ(received.size(), 10u);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(received[i].local_time, milliseconds(1) * (i + 2));
}

TEST(NetworkModel, QueueOverflowDropsWhenTheBufferIsFull) {
    LinkConfig link;
    link.bandwidth_bytes_per_second = 1'000'000;
    link.queue_delay_max = milliseconds(3);
    Simulation simulation(SimulationOptions{.seed = 2, .link = link});
    const NodeId a = simulation.add_server("a", testing::make_probe);
    const NodeId b = simulation.add_server("b", testing::make_probe);
    simulation.start();
    simulation.invoke(a, [&](Node&, Context& ctx) {
        for (int i = 0; i < 10; ++i) ctx.send(b, std::make_shared<Probe>(i, 1000));
    });
    simulation.run_for(seconds(1));
    // Messages 0..3 wait at most 3 ms; the rest find the queue full.
    EXPECT_EQ(simulation.node_as<ProbeNode>(b)->received.size(), 4u);
    EXPECT_EQ(simulation.stats().dropped_by_reason[static_cast<int>(DropReason::queue_full)], 6u);
}

TEST(NetworkModel, LinkClassesGiveEachLinkItsOwnConfig) {
    Simulation simulation(SimulationOptions{.seed = 4});
    five_nodes(simulation);
    LinkConfig far;
    far.latency = LatencyModel::constant(milliseconds(80));
    const LinkClassId cross_region = simulation.network().define_class("cross-region", far);
    simulation.network().assign_class(NodeId(0), NodeId(4), cross_region);
    simulation.invoke(NodeId(0), [&](Node&, Context& ctx) {
        ctx.send(NodeId(4), std::make_shared<Probe>(1));
        ctx.send(NodeId(3), std::make_shared<Probe>(2));
    });
    simulation.run_for(seconds(1));
    EXPECT_EQ(simulation.node_as<ProbeNode>(NodeId(4))->received.at(0).local_time, milliseconds(80));
    EXPECT_EQ(simulation.node_as<ProbeNode>(NodeId(3))->received.at(0).local_time, milliseconds(1));
    EXPECT_EQ(simulation.network().class_name(simulation.network().class_of(NodeId(0), NodeId(4))), "cross-region");
}

}  // namespace
}  // namespace faultline::sim
