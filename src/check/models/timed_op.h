// TimedOp: an encoded op with its real-time interval, as the cheap pre-checks
// (Model::impossible) see it, and Impossible: what a pre-check reports.
//
// Ranks are positions in the history's real-time order; kNever marks an op that
// may take effect at any time after its invocation (its outcome is unknown).
#pragma once

#include <cstdint>
#include <limits>
#include <string>

namespace faultline::check::models {

inline constexpr std::uint32_t kNever = std::numeric_limits<std::uint32_t>::max();

template <class Op>
struct TimedOp {
    Op op;
    std::uint32_t call = 0;      // rank of the invocation
    std::uint32_t ret = kNever;  // rank of the completion; kNever if optional
    bool required() const { return ret != kNever; }
};

// An op that no linearization can contain, found without search, and why.
struct Impossible {
    std::uint32_t op = 0;  // index into the span given to impossible()
    std::string reason;
};

}  // namespace faultline::check::models
