// The lin-kv workload: read, write and compare-and-set on integer keys, as in
// Maelstrom, against the Raft KV.
//
// Keys are used in a bounded way so that checking stays tractable: a window of
// `keys_active` keys is in use at any time, and a key retires after
// `ops_per_key_max` operations, replaced by a fresh one. Values are drawn from a
// small range (0..values-1) so that reads often see contention.
#pragma once

#include <cstdint>
#include <vector>

#include "base/prng.h"
#include "workload/client.h"

namespace faultline::workload {

struct LinKvOptions {
    int keys_active = 4;
    int ops_per_key_max = 150;
    int values = 5;
    // Mix of operations, in percent; the rest are cas.
    int read_percent = 40;
    int write_percent = 30;
};

class LinKvGenerator {
  public:
    explicit LinKvGenerator(LinKvOptions options = {});
    OpRequest next(Prng& random);
    // Every key handed out so far, in order.
    std::vector<std::int64_t> keys_used() const;

  private:
    LinKvOptions options_;
    std::vector<std::int64_t> keys_;
    std::vector<int> ops_on_key_;
    std::int64_t next_key_ = 0;
};

// Reads and writes of one register per key (keys 0..keys-1), every write's value
// unique (1, 2, 3, ...): the lost-write check must know which write a value
// came from.
class UniqueWriteGenerator {
  public:
    explicit UniqueWriteGenerator(int keys = 1, int read_percent = 50) : keys_(keys), read_percent_(read_percent) {}
    OpRequest next(Prng& random);

  private:
    int keys_;
    int read_percent_;
    std::int64_t next_value_ = 1;
};

}  // namespace faultline::workload
