#include "check/linearizability/paired_history.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <unordered_map>

namespace faultline::check::lin {

Locator default_locator(const History& history) {
    return [&history](std::uint32_t position) { return fmt::format("history op {}", history[position].index); };
}

namespace {

constexpr std::uint32_t kNone = PairedOp::kNoEvent;

// Ranks: positions, or positions in time order (stable).
class RealTimeOrder {
  public:
    RealTimeOrder(const History& history, const models::Semantics& semantics) {
        const auto n = static_cast<std::uint32_t>(history.size());
        const auto by_time = [](const Operation& a, const Operation& b) { return a.time < b.time; };
        if (semantics.order_by_time && !std::is_sorted(history.begin(), history.end(), by_time)) {
            by_rank_.resize(n);
            std::iota(by_rank_.begin(), by_rank_.end(), 0u);
            std::stable_sort(by_rank_.begin(), by_rank_.end(),
                             [&](std::uint32_t a, std::uint32_t b) { return history[a].time < history[b].time; });
            rank_.resize(n);
            for (std::uint32_t r = 0; r < n; ++r) rank_[by_rank_[r]] = r;
        }
    }

    std::uint32_t rank_of(std::uint32_t position) const { return rank_.empty() ? position : rank_[position]; }
    std::uint32_t position_at(std::uint32_t rank) const { return by_rank_.empty() ? rank : by_rank_[rank]; }

  private:
    std::vector<std::uint32_t> by_rank_;  // rank -> position; empty: the identity
    std::vector<std::uint32_t> rank_;     // position -> rank; empty: the identity
};

// Open operations by process: a flat table for the usual small process
// numbers, a map for the rest.
class OpenOps {
  public:
    std::uint32_t find(std::int64_t process) const {
        if (process < kDense) {
            return static_cast<std::size_t>(process) < dense_.size() ? dense_[process] : kNone;
        }
        auto found = sparse_.find(process);
        return found == sparse_.end() ? kNone : found->second;
    }
    void set(std::int64_t process, std::uint32_t value) {
        if (process < kDense) {
            if (static_cast<std::size_t>(process) >= dense_.size()) {
                dense_.resize(static_cast<std::size_t>(process) + 1, kNone);
            }
            dense_[process] = value;
        } else if (value == kNone) {
            sparse_.erase(process);
        } else {
            sparse_[process] = value;
        }
    }

  private:
    static constexpr std::int64_t kDense = 1 << 16;
    std::vector<std::uint32_t> dense_;
    std::unordered_map<std::int64_t, std::uint32_t> sparse_;
};

// Completes `paired` with the completion at `position` (of rank `rank`),
// which must be of the same function and key.
Status complete_op(const History& history, std::uint32_t position, std::uint32_t rank, const Locator& locate,
                   PairedOp& paired) {
    const Operation& op = history[position];
    const Operation& invoke = history[paired.invoke];
    if (invoke.f != op.f) {
        return make_error(ErrorCode::parse_error,
                          fmt::format("{}: process {} completes {} but invoked {} ({})", locate(position), op.process,
                                      op.f, invoke.f, locate(paired.invoke)));
    }
    if (!op.key.is_null() && op.key != invoke.key) {
        return make_error(ErrorCode::parse_error, fmt::format("{}: completion key {} differs from the invocation's {}",
                                                              locate(position), op.key.dump(), invoke.key.dump()));
    }
    paired.complete = position;
    paired.complete_rank = rank;
    paired.completion = op.type == OpType::ok     ? models::Completion::ok
                        : op.type == OpType::fail ? models::Completion::fail
                                                  : models::Completion::unknown;
    return ok_status();
}

}  // namespace

Result<std::vector<PairedOp>> pair_operations(const History& history, const models::Semantics& semantics,
                                              const Locator& locate) {
    if (history.size() >= std::numeric_limits<std::uint32_t>::max() / 2) {
        return make_error(ErrorCode::unsupported, "history too long (over 2^31 events)");
    }
    const auto n = static_cast<std::uint32_t>(history.size());
    const RealTimeOrder order(history, semantics);
    std::vector<PairedOp> ops;
    ops.reserve(n / 2 + 1);
    OpenOps open;
    // Events are visited in real-time order so "the next completion of the same
    // process" means next in time.
    for (std::uint32_t r = 0; r < n; ++r) {
        const std::uint32_t position = order.position_at(r);
        const Operation& op = history[position];
        if (op.process < 0) continue;
        const std::uint32_t found = open.find(op.process);
        if (op.type == OpType::invoke) {
            if (found != kNone) {
                return make_error(
                    ErrorCode::parse_error,
                    fmt::format("{}: process {} invokes {} while its {} ({}) has not completed", locate(position),
                                op.process, op.f, history[ops[found].invoke].f, locate(ops[found].invoke)));
            }
            PairedOp paired;
            paired.invoke = position;
            paired.call_rank = order.rank_of(position);
            open.set(op.process, static_cast<std::uint32_t>(ops.size()));
            ops.push_back(paired);
            continue;
        }
        if (found == kNone) {
            if (op.type == OpType::info) continue;
            return make_error(ErrorCode::parse_error,
                              fmt::format("{}: process {} completes {} ({}) without an invocation", locate(position),
                                          op.process, op.f, op_type_name(op.type)));
        }
        const std::uint32_t rank = order.rank_of(position);
        if (auto status = complete_op(history, position, rank, locate, ops[found]); !status) {
            return status.error();
        }
        open.set(op.process, kNone);
    }
    return ops;
}

}  // namespace faultline::check::lin
