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
    std::vector<std::uint32_t> rank(n);
    if (semantics.order_by_time) {
        std::vector<std::uint32_t> order(n);
        std::iota(order.begin(), order.end(), 0u);
        std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
            return history[a].time < history[b].time;
        });
        for (std::uint32_t r = 0; r < n; ++r) rank[order[r]] = r;
    } else {
        std::iota(rank.begin(), rank.end(), 0u);
    }

    std::vector<PairedOp> ops;
    std::unordered_map<std::int64_t, std::uint32_t> open;  // process -> index in ops
    // Events are visited in real-time order so "the next completion of the same
    // process" means next in time.
    std::vector<std::uint32_t> by_rank(n);
    for (std::uint32_t i = 0; i < n; ++i) by_rank[rank[i]] = i;
    for (std::uint32_t position : by_rank) {
        const Operation& op = history[position];
        if (op.process < 0) continue;
        auto found = open.find(op.process);
        if (op.type == OpType::invoke) {
            if (found != open.end()) {
                return make_error(
                    ErrorCode::parse_error,
                    fmt::format("{}: process {} invokes {} while its {} ({}) has not completed",
                                locate(position), op.process, op.f,
                                history[ops[found->second].invoke].f,
                                locate(ops[found->second].invoke)));
            }
            PairedOp paired;
            paired.invoke = position;
            paired.call_rank = rank[position];
            open.emplace(op.process, static_cast<std::uint32_t>(ops.size()));
            ops.push_back(paired);
            continue;
        }
        if (found == open.end()) {
            if (op.type == OpType::info) continue;
            return make_error(
                ErrorCode::parse_error,
                fmt::format("{}: process {} completes {} ({}) without an invocation",
                            locate(position), op.process, op.f, op_type_name(op.type)));
        }
        PairedOp& paired = ops[found->second];
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
        paired.complete_rank = rank[position];
        paired.completion = op.type == OpType::ok     ? models::Completion::ok
                            : op.type == OpType::fail ? models::Completion::fail
                                                      : models::Completion::unknown;
        open.erase(found);
    }
    return ops;
}

}  // namespace faultline::check::lin
