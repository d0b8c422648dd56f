// The set workload over broadcast (Maelstrom's broadcast): `add` a unique
// integer through any node, `read` a node's set. Final reads ask every node.
#pragma once

#include <cstdint>

#include "base/prng.h"
#include "workload/client.h"

namespace faultline::workload {

class SetGenerator {
  public:
    // 70% adds of fresh values, 30% reads.
    OpRequest next(Prng& random);

  private:
    std::int64_t next_value_ = 0;
};

}  // namespace faultline::workload
