// Strong integer types for the identifiers protocols juggle: node ids, terms and
// log indexes. Each is a distinct type, so a Term can never be passed where a
// LogIndex is expected, and none converts silently from a plain integer.
//
// A StrongInt supports comparison, hashing, printing and the arithmetic that makes
// sense for counters (adding or subtracting a plain count). The raw value is
// available as `.value` for serialization.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>

namespace faultline {

// 128-bit integers for exact intermediate products (time scaling, bounded draws).
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

template <class Tag, class Rep>
struct StrongInt {
    Rep value{};

    constexpr StrongInt() = default;
    constexpr explicit StrongInt(Rep raw) : value(raw) {}

    constexpr auto operator<=>(const StrongInt&) const = default;

    constexpr StrongInt operator+(Rep count) const { return StrongInt(value + count); }
    constexpr StrongInt operator-(Rep count) const { return StrongInt(value - count); }
    constexpr StrongInt& operator++() {
        ++value;
        return *this;
    }
    constexpr StrongInt next() const { return StrongInt(value + 1); }
    constexpr StrongInt prev() const { return StrongInt(value - 1); }

    friend std::ostream& operator<<(std::ostream& out, StrongInt id) { return out << id.value; }
};

// Identifies a node (server or client) within one simulation: a dense index.
using NodeId = StrongInt<struct NodeIdTag, std::uint32_t>;
// A Raft term (or any epoch-like counter a protocol keeps).
using Term = StrongInt<struct TermTag, std::uint64_t>;
// A position in a replicated log, 1-based; 0 means "before the first entry".
using LogIndex = StrongInt<struct LogIndexTag, std::uint64_t>;

}  // namespace faultline

template <class Tag, class Rep>
struct std::hash<faultline::StrongInt<Tag, Rep>> {
    std::size_t operator()(faultline::StrongInt<Tag, Rep> id) const noexcept { return std::hash<Rep>{}(id.value); }
};
