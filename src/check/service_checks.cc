#include "check/service_checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace faultline::check {

Outcome check_availability(const History& history, const std::function<bool(const Operation&)>& served_by_system,
                           Nanos window_start, Nanos window_end, double threshold) {
    std::unordered_map<std::int64_t, Nanos> invoked_at;
    std::int64_t total = 0, served = 0;
    for (const Operation& op : history) {
        if (op.type == OpType::invoke) {
            invoked_at[op.process] = op.time;
            continue;
        }
        auto found = invoked_at.find(op.process);
        if (found == invoked_at.end()) continue;
        const Nanos invoked = found->second;
        invoked_at.erase(found);
        if (invoked < window_start || invoked >= window_end) continue;
        ++total;
        served += served_by_system(op) ? 1 : 0;
    }
    // Operations still open at the end never completed: unserved.
    for (const auto& [process, invoked] : invoked_at) {
        if (invoked >= window_start && invoked < window_end) ++total;
    }
    Json details{{"window_start_ns", window_start},
                 {"window_end_ns", window_end},
                 {"invoked", total},
                 {"served", served},
                 {"threshold", threshold}};
    if (total == 0) {
        return Outcome{"availability", Verdict::unknown,
                       fmt::format("no operations were invoked in [{}, {})", format_duration(window_start),
                                   format_duration(window_end)),
                       details};
    }
    const double fraction = static_cast<double>(served) / static_cast<double>(total);
    details["fraction"] = fraction;
    return Outcome{
        "availability", fraction >= threshold ? Verdict::valid : Verdict::invalid,
        fmt::format("{:.0f}% of {} operations invoked in [{}, {}) were served (need {:.0f}%)", fraction * 100, total,
                    format_duration(window_start), format_duration(window_end), threshold * 100),
        details};
}

namespace {

// Liveness over the operations invoked at or after `from`.
Outcome liveness_from(const History& history, Nanos run_end, Nanos bound, Nanos grace, Nanos from, std::string name) {
    std::unordered_map<std::int64_t, const Operation*> open;
    std::int64_t too_slow = 0;
    const Operation* slowest = nullptr;
    Nanos slowest_wait = 0;
    for (const Operation& op : history) {
        if (op.type == OpType::invoke) {
            if (op.time >= from) open[op.process] = &op;
            continue;
        }
        auto found = open.find(op.process);
        if (found == open.end()) continue;
        const Nanos waited = op.time - found->second->time;
        if (bound > 0 && waited > bound) {
            ++too_slow;
            if (waited > slowest_wait) {
                slowest_wait = waited;
                slowest = found->second;
            }
        }
        open.erase(found);
    }
    std::int64_t cut_off = 0;  // open at the end, but not yet for as long as they may take
    for (const auto& [process, op] : open) {
        const Nanos waited = run_end - op->time;
        if (bound > 0 ? waited <= bound : waited < grace) {
            ++cut_off;
            continue;
        }
        ++too_slow;
        if (waited >= slowest_wait) {
            slowest_wait = waited;
            slowest = op;
        }
    }
    Json details{{"late_or_never", too_slow},
                 {"bound_ns", bound},
                 {"never_completed", open.size()},
                 {"cut_off_by_the_end", cut_off}};
    const std::string which = from > 0 ? fmt::format(" invoked from {} on", format_duration(from)) : "";
    if (from > 0) details["from_ns"] = from;
    if (too_slow == 0) {
        const std::string open_at_end =
            cut_off == 0 ? "" : fmt::format("; {} still open at the end, for less than they may take", cut_off);
        return Outcome{std::move(name), Verdict::valid,
                       bound > 0 ? fmt::format("every operation{} completed within {}{}", which, format_duration(bound),
                                               open_at_end)
                                 : fmt::format("every operation{} completed{}", which, open_at_end),
                       details};
    }
    return Outcome{
        std::move(name), Verdict::invalid,
        fmt::format("{} operations{} {}; process {} waited {} for its {} (invoked at {})", too_slow, which,
                    bound > 0 ? fmt::format("took longer than {} or never completed", format_duration(bound))
                              : "never completed",
                    slowest->process, format_duration(slowest_wait), slowest->f, format_duration(slowest->time)),
        details};
}

}  // namespace

Outcome check_liveness(const History& history, Nanos run_end, Nanos bound, Nanos grace) {
    return liveness_from(history, run_end, bound, grace, 0, "liveness");
}

Outcome check_liveness_after(const History& history, Nanos run_end, Nanos bound, Nanos gst, Nanos grace) {
    return liveness_from(history, run_end, bound, grace, gst, "liveness-after-gst");
}

Outcome check_latency(const History& history, Nanos from, Nanos to, Nanos p99_max) {
    std::unordered_map<std::int64_t, Nanos> invoked_at;
    std::vector<Nanos> latencies;
    for (const Operation& op : history) {
        if (op.type == OpType::invoke) {
            invoked_at[op.process] = op.time;
            continue;
        }
        auto found = invoked_at.find(op.process);
        if (found == invoked_at.end()) continue;
        if (op.type == OpType::ok && found->second >= from && found->second < to) {
            latencies.push_back(op.time - found->second);
        }
        invoked_at.erase(found);
    }
    Json details{{"operations", latencies.size()}, {"p99_max_ns", p99_max}};
    if (latencies.empty()) {
        return Outcome{"latency", Verdict::unknown, "no operation completed ok in the window", details};
    }
    std::sort(latencies.begin(), latencies.end());
    const Nanos p99 = latencies[static_cast<std::size_t>(0.99 * static_cast<double>(latencies.size() - 1))];
    details["p99_ns"] = p99;
    return Outcome{"latency", p99 <= p99_max ? Verdict::valid : Verdict::invalid,
                   fmt::format("p99 {} over {} operations (at most {})", format_duration(p99), latencies.size(),
                               format_duration(p99_max)),
                   details};
}

Outcome check_msgs_per_op(const History& history, std::uint64_t server_messages, double max) {
    std::int64_t operations = 0;
    for (const Operation& op : history) operations += op.type == OpType::invoke ? 1 : 0;
    const double per_op = operations > 0 ? static_cast<double>(server_messages) / static_cast<double>(operations) : 0;
    Json details{
        {"server_messages", server_messages}, {"operations", operations}, {"msgs_per_op", per_op}, {"max", max}};
    return Outcome{"msgs-per-op", per_op <= max ? Verdict::valid : Verdict::invalid,
                   fmt::format("{:.1f} server messages per operation (at most {})", per_op, max), details};
}

}  // namespace faultline::check
