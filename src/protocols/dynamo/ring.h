// Ring: consistent hashing of keys onto servers, as in Dynamo. Each server
// owns `tokens` points on a 64-bit ring (virtual nodes, hashed from its id, so
// every node computes the same ring with no coordination); a key's preference
// list is every server in the order met walking clockwise from the key's hash.
// The first N are the key's home replicas; the rest, in order, are the
// stand-ins a sloppy quorum borrows when home replicas do not answer.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "base/types.h"

namespace faultline::protocols::dynamo {

class Ring {
  public:
    Ring() = default;
    Ring(const std::vector<NodeId>& servers, int tokens_per_server);

    // Every server once, in the preference order of `key`.
    std::vector<NodeId> preference(std::int64_t key) const;
    std::size_t servers() const { return servers_; }

  private:
    std::vector<std::pair<std::uint64_t, NodeId>> tokens_;  // sorted by position
    std::size_t servers_ = 0;
};

}  // namespace faultline::protocols::dynamo
