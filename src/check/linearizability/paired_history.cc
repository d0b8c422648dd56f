#include "check/linearizability/paired_history.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <unordered_map>

namespace faultline::check::lin {

Locator default_locator(const History& history) {
    return [&history](std::uint32_t position) {
        return fmt::format("history op {}", history[position].index);
    };
}

Result<std::vector<PairedOp>> pair_operations(const History& history,
                                              const models::Semantics& semantics,
                                              const Locator& locate) {
    if (history.size() >= std::numeric_limits<std::uint32_t>::max() / 2) {
        return make_error(ErrorCode::unsupported, "history too long (over 2^31 events)");
    }
    const auto n = static_cast<std::uint32_t>(history.size());
    // Ranks: positions, or positions in time order (stable).
    std::vector<std::uint32_t> by_rank;  // rank -> position; empty: the identity
    std::vector<std::uint32_t> rank;     // position -> rank; empty: the identity
    if (semantics.order_by_time &&
        !std::is_sorted(history.begin(), history.end(),
                        [](const Operation& a, const Operation& b) { return a.time < b.time; })) {
        by_rank.resize(n);
        std::iota(by_rank.begin(), by_rank.end(), 0u);
        std::stable_sort(by_rank.begin(), by_rank.end(), [&](std::uint32_t a, std::uint32_t b) {
            return history[a].time < history[b].time;
        });
        rank.resize(n);
        for (std::uint32_t r = 0; r < n; ++r) rank[by_rank[r]] = r;
    }
    auto rank_of = [&](std::uint32_t position) { return rank.empty() ? position : rank[position]; };

    std::vector<PairedOp> ops;
    ops.reserve(n / 2 + 1);
    // Open operations by process: a flat table for the usual small process
    // numbers, a map for the rest.
    constexpr std::int64_t kDense = 1 << 16;
    constexpr std::uint32_t kNone = PairedOp::kNoEvent;
    std::vector<std::uint32_t> open_dense;
    std::unordered_map<std::int64_t, std::uint32_t> open_sparse;
    auto open_find = [&](std::int64_t process) -> std::uint32_t {
        if (process < kDense) {
            return static_cast<std::size_t>(process) < open_dense.size() ? open_dense[process]
                                                                         : kNone;
        }
        auto found = open_sparse.find(process);
        return found == open_sparse.end() ? kNone : found->second;
    };
    auto open_set = [&](std::int64_t process, std::uint32_t value) {
        if (process < kDense) {
            if (static_cast<std::size_t>(process) >= open_dense.size()) {
                open_dense.resize(static_cast<std::size_t>(process) + 1, kNone);
            }
            open_dense[process] = value;
        } else if (value == kNone) {
            open_sparse.erase(process);
        } else {
            open_sparse[process] = value;
        }
    };
    // Events are visited in real-time order so "the next completion of the same
    // process" means next in time.
    for (std::uint32_t r = 0; r < n; ++r) {
        const std::uint32_t position = by_rank.empty() ? r : by_rank[r];
        const Operation& op = history[position];
        if (op.process < 0) continue;
        const std::uint32_t found = open_find(op.process);
        if (op.type == OpType::invoke) {
            if (found != kNone) {
                return make_error(
                    ErrorCode::parse_error,
                    fmt::format("{}: process {} invokes {} while its {} ({}) has not completed",
                                locate(position), op.process, op.f, history[ops[found].invoke].f,
                                locate(ops[found].invoke)));
            }
            PairedOp paired;
            paired.invoke = position;
            paired.call_rank = rank_of(position);
            open_set(op.process, static_cast<std::uint32_t>(ops.size()));
            ops.push_back(paired);
            continue;
        }
        if (found == kNone) {
            if (op.type == OpType::info) continue;
            return make_error(
                ErrorCode::parse_error,
                fmt::format("{}: process {} completes {} ({}) without an invocation",
                            locate(position), op.process, op.f, op_type_name(op.type)));
        }
        PairedOp& paired = ops[found];
        const Operation& invoke = history[paired.invoke];
        if (invoke.f != op.f) {
            return make_error(
                ErrorCode::parse_error,
                fmt::format("{}: process {} completes {} but invoked {} ({})", locate(position),
                            op.process, op.f, invoke.f, locate(paired.invoke)));
        }
        if (!op.key.is_null() && op.key != invoke.key) {
            return make_error(ErrorCode::parse_error,
                              fmt::format("{}: completion key {} differs from the invocation's {}",
                                          locate(position), op.key.dump(), invoke.key.dump()));
        }
        paired.complete = position;
        paired.complete_rank = rank_of(position);
        paired.completion = op.type == OpType::ok     ? models::Completion::ok
                            : op.type == OpType::fail ? models::Completion::fail
                                                      : models::Completion::unknown;
        open_set(op.process, kNone);
    }
    return ops;
}

}  // namespace faultline::check::lin
