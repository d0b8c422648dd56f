// Time in faultline is an integer count of nanoseconds (Nanos).
//
// Virtual time in the simulator, durations in configs and the readings of a node's
// own clock all use it. Integers keep runs bit-for-bit reproducible; 2^63 ns is
// about 292 years of simulated time. Helpers build durations from common units and
// parse/format human spellings such as "250ms", "1.5s" or "20us".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace faultline {

using Nanos = std::int64_t;

constexpr Nanos nanoseconds(std::int64_t n) {
    return n;
}
constexpr Nanos microseconds(std::int64_t n) {
    return n * 1'000;
}
constexpr Nanos milliseconds(std::int64_t n) {
    return n * 1'000'000;
}
constexpr Nanos seconds(std::int64_t n) {
    return n * 1'000'000'000;
}

constexpr double to_seconds(Nanos t) {
    return static_cast<double>(t) / 1e9;
}
constexpr double to_milliseconds(Nanos t) {
    return static_cast<double>(t) / 1e6;
}

// Parses "5ms", "1.5s", "250us", "10ns", "2m" (minutes). A bare number is read in
// `bare_unit` (milliseconds by default, as Maelstrom's --latency).
Result<Nanos> parse_duration(std::string_view text, Nanos bare_unit = milliseconds(1));

// Formats with the largest unit that keeps the number readable: "1.5s", "250ms".
std::string format_duration(Nanos t);
// Formats exactly, so parse_duration gives back the same value: "1500ms", "7ns".
std::string format_duration_exact(Nanos t);

}  // namespace faultline
