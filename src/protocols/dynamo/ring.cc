#include "protocols/dynamo/ring.h"

#include <algorithm>

#include "base/assert.h"
#include "base/hash.h"

namespace faultline::protocols::dynamo {

namespace {
constexpr std::uint64_t token_seed = 0x72696e67;  // "ring"
constexpr std::uint64_t key_seed = 0x6b6579;      // "key"
}  // namespace

Ring::Ring(const std::vector<NodeId>& servers, int tokens_per_server) : servers_(servers.size()) {
    FL_ASSERT_GT(tokens_per_server, 0);
    for (NodeId server : servers) {
        for (int i = 0; i < tokens_per_server; ++i) {
            tokens_.emplace_back(hash_words({server.value, static_cast<std::uint64_t>(i)}, token_seed), server);
        }
    }
    std::sort(tokens_.begin(), tokens_.end());
}

std::vector<NodeId> Ring::preference(std::int64_t key) const {
    FL_ASSERT(!tokens_.empty());
    const std::uint64_t position = hash_words({static_cast<std::uint64_t>(key)}, key_seed);
    auto start = std::lower_bound(tokens_.begin(), tokens_.end(), std::make_pair(position, NodeId(0)));
    std::vector<NodeId> order;
    for (std::size_t i = 0; i < tokens_.size() && order.size() < servers_; ++i) {
        const auto index = (static_cast<std::size_t>(start - tokens_.begin()) + i) % tokens_.size();
        const NodeId server = tokens_[index].second;
        if (std::find(order.begin(), order.end(), server) == order.end()) order.push_back(server);
    }
    FL_ASSERT_EQ(order.size(), servers_);
    return order;
}

}  // namespace faultline::protocols::dynamo
