#include "workload/kv_workload.h"

#include "base/assert.h"

namespace faultline::workload {

LinKvGenerator::LinKvGenerator(LinKvOptions options) : options_(options) {
    FL_ASSERT_GT(options_.keys_active, 0);
    FL_ASSERT_GT(options_.ops_per_key_max, 0);
    FL_ASSERT_GT(options_.values, 0);
    for (int i = 0; i < options_.keys_active; ++i) {
        keys_.push_back(next_key_++);
        ops_on_key_.push_back(0);
    }
}

std::vector<std::int64_t> LinKvGenerator::keys_used() const {
    std::vector<std::int64_t> keys;
    for (std::int64_t key = 0; key < next_key_; ++key) keys.push_back(key);
    return keys;
}

OpRequest UniqueWriteGenerator::next(Prng& random) {
    const auto key = static_cast<std::int64_t>(random.below(static_cast<std::uint64_t>(keys_)));
    if (static_cast<int>(random.below(100)) < read_percent_) return OpRequest{"read", Json(key), Json()};
    return OpRequest{"write", Json(key), Json(next_value_++)};
}

OpRequest LinKvGenerator::next(Prng& random) {
    const auto slot = static_cast<std::size_t>(random.below(keys_.size()));
    if (ops_on_key_[slot] >= options_.ops_per_key_max) {
        keys_[slot] = next_key_++;
        ops_on_key_[slot] = 0;
    }
    ++ops_on_key_[slot];
    const std::int64_t key = keys_[slot];
    const auto kind = static_cast<int>(random.below(100));
    const auto value = [&] {
        return static_cast<std::int64_t>(random.below(static_cast<std::uint64_t>(options_.values)));
    };
    if (kind < options_.read_percent) return OpRequest{"read", Json(key), Json()};
    if (kind < options_.read_percent + options_.write_percent) return OpRequest{"write", Json(key), Json(value())};
    const std::int64_t from = value();
    const std::int64_t to = value();
    return OpRequest{"cas", Json(key), Json::array({from, to})};
}

}  // namespace faultline::workload
