#include "nemesis/shapes.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "base/assert.h"

namespace faultline::nemesis {

namespace {

void cut_between(const std::vector<int>& side_a, const std::vector<int>& side_b, std::vector<Link>& links) {
    for (int a : side_a) {
        for (int b : side_b) {
            links.emplace_back(a, b);
            links.emplace_back(b, a);
        }
    }
}

std::vector<int> slice(const std::vector<int>& order, std::size_t begin, std::size_t end) {
    return std::vector<int>(order.begin() + static_cast<std::ptrdiff_t>(begin),
                            order.begin() + static_cast<std::ptrdiff_t>(std::min(end, order.size())));
}

// Where the two sides of a two-sided shape split `order`.
std::size_t split_point(PartitionShape shape, int nodes) {
    const auto n = static_cast<std::size_t>(nodes);
    switch (shape) {
        case PartitionShape::halves:
            return n / 2;
        case PartitionShape::one:
            return 1;
        case PartitionShape::majority:
            return n / 2 + 1;
        case PartitionShape::minority_third:
            return std::max<std::size_t>(1, n / 3);
        default:
            FL_UNREACHABLE();
    }
}

int ring_distance(int a, int b, int nodes) {
    const int d = std::abs(a - b) % nodes;
    return std::min(d, nodes - d);
}

}  // namespace

std::vector<Link> cut_links(PartitionShape shape, const std::vector<int>& order, int nodes, std::optional<int> leader) {
    FL_ASSERT(shape == PartitionShape::isolate_leader || static_cast<int>(order.size()) == nodes);
    std::vector<Link> links;
    if (nodes < 2) return links;
    switch (shape) {
        case PartitionShape::halves:
        case PartitionShape::one:
        case PartitionShape::majority:
        case PartitionShape::minority_third: {
            const std::size_t split = split_point(shape, nodes);
            cut_between(slice(order, 0, split), slice(order, split, order.size()), links);
            break;
        }
        case PartitionShape::majorities_ring: {
            // Ring positions follow `order`; each node keeps the nodes within
            // distance d, which with d = ceil((majority - 1) / 2) is a majority.
            const int majority = nodes / 2 + 1;
            const int reach = majority / 2;
            for (int p = 0; p < nodes; ++p) {
                for (int q = 0; q < nodes; ++q) {
                    if (p != q && ring_distance(p, q, nodes) > reach) {
                        links.emplace_back(order[static_cast<std::size_t>(p)], order[static_cast<std::size_t>(q)]);
                    }
                }
            }
            break;
        }
        case PartitionShape::bridge: {
            // order[0] bridges two halves of the others.
            const std::size_t half = 1 + (order.size() - 1) / 2;
            cut_between(slice(order, 1, half), slice(order, half, order.size()), links);
            break;
        }
        case PartitionShape::isolate_leader: {
            if (!leader) break;
            std::vector<int> others;
            for (int node = 0; node < nodes; ++node) {
                if (node != *leader) others.push_back(node);
            }
            cut_between({*leader}, others, links);
            break;
        }
        case PartitionShape::one_way: {
            // order[0] still sends, but nothing reaches it.
            for (int node = 0; node < nodes; ++node) {
                if (node != order[0]) links.emplace_back(node, order[0]);
            }
            break;
        }
    }
    return links;
}

std::string describe_cut(PartitionShape shape, const std::vector<int>& order, int nodes, std::optional<int> leader) {
    auto names = [](const std::vector<int>& group) {
        std::string out;
        for (int node : group) out += (out.empty() ? "n" : " n") + std::to_string(node);
        return out;
    };
    switch (shape) {
        case PartitionShape::halves:
        case PartitionShape::one:
        case PartitionShape::majority:
        case PartitionShape::minority_third: {
            const std::size_t split = split_point(shape, nodes);
            return fmt::format("{} | {}", names(slice(order, 0, split)), names(slice(order, split, order.size())));
        }
        case PartitionShape::majorities_ring:
            return fmt::format("ring {}: each node sees its neighbours within {}", names(order), (nodes / 2 + 1) / 2);
        case PartitionShape::bridge: {
            const std::size_t half = 1 + (order.size() - 1) / 2;
            return fmt::format("{} | bridge n{} | {}", names(slice(order, 1, half)), order[0],
                               names(slice(order, half, order.size())));
        }
        case PartitionShape::isolate_leader:
            return leader ? fmt::format("leader n{} alone", *leader) : "no leader to isolate";
        case PartitionShape::one_way:
            return fmt::format("n{} receives nothing (it still sends)", order[0]);
    }
    return "?";
}

}  // namespace faultline::nemesis
