#include "check/counter_checker.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

namespace faultline::check {

CounterCheckResult check_counter(const History& history) {
    struct Pair {
        const Operation* invoke = nullptr;
        const Operation* completion = nullptr;
    };
    std::vector<Pair> ops;
    std::unordered_map<std::int64_t, std::size_t> open;
    for (const Operation& op : history) {
        if (op.f != "add" && op.f != "read") continue;
        if (op.type == OpType::invoke) {
            open[op.process] = ops.size();
            ops.push_back(Pair{&op, nullptr});
            continue;
        }
        auto found = open.find(op.process);
        if (found == open.end()) continue;
        ops[found->second].completion = &op;
        open.erase(found);
    }
    CounterCheckResult result;
    // Adds, by when they certainly happened (ok completion) and when they might
    // have started (invocation).
    struct Add {
        Nanos invoked;
        Nanos completed;  // max() unless ok
        std::int64_t delta;
        bool ok;
    };
    std::vector<Add> adds;
    for (const Pair& pair : ops) {
        if (pair.invoke->f != "add") continue;
        const bool ok = pair.completion != nullptr && pair.completion->type == OpType::ok;
        const bool failed = pair.completion != nullptr && pair.completion->type == OpType::fail;
        if (failed) continue;
        const std::int64_t delta = pair.invoke->value.is_number_integer() ? pair.invoke->value.get<std::int64_t>() : 0;
        adds.push_back(Add{pair.invoke->time, ok ? pair.completion->time : std::numeric_limits<Nanos>::max(), delta, ok});
        (ok ? result.adds_ok : result.adds_unknown) += 1;
    }
    for (const Pair& pair : ops) {
        if (pair.invoke->f != "read" || pair.completion == nullptr || pair.completion->type != OpType::ok) continue;
        if (!pair.completion->value.is_number_integer()) continue;
        const std::int64_t value = pair.completion->value.get<std::int64_t>();
        const Nanos start = pair.invoke->time;
        const Nanos end = pair.completion->time;
        std::int64_t lower = 0, upper = 0;
        for (const Add& add : adds) {
            if (add.ok && add.completed < start) lower += add.delta;
            if (add.invoked < end) upper += add.delta;
        }
        ++result.reads_checked;
        if (value < lower || value > upper) {
            result.valid = false;
            if (result.errors.size() < 10) {
                result.errors.push_back(fmt::format(
                    "op {}: read {} but the counter was certainly at least {} and at most {}{}", pair.completion->index,
                    value, lower, upper, value > upper ? " (an add applied twice?)" : " (an acknowledged add lost?)"));
            }
        }
    }
    return result;
}

}  // namespace faultline::check
