#include "check/echo_checker.h"

#include <fmt/format.h>

#include <unordered_map>

namespace faultline::check {

EchoCheckResult check_echo(const History& history) {
    EchoCheckResult result;
    std::unordered_map<std::int64_t, const Operation*> open;  // process -> its invoke
    constexpr std::size_t errors_max = 20;
    for (const Operation& op : history) {
        if (op.f != "echo") continue;
        if (op.type == OpType::invoke) {
            open[op.process] = &op;
            continue;
        }
        auto found = open.find(op.process);
        if (found == open.end()) {
            result.valid = false;
            if (result.errors.size() < errors_max) {
                result.errors.push_back(
                    fmt::format("op {}: completion without an invoke (process {})", op.index, op.process));
            }
            continue;
        }
        const Operation& invoke = *found->second;
        open.erase(found);
        if (op.type != OpType::ok) continue;
        ++result.ok_count;
        if (op.value != invoke.value) {
            result.valid = false;
            if (result.errors.size() < errors_max) {
                result.errors.push_back(
                    fmt::format("op {}: sent {} but got back {}", op.index, invoke.value.dump(), op.value.dump()));
            }
        }
    }
    return result;
}

Outcome outcome_of(const EchoCheckResult& result) {
    return Outcome{"echo", result.valid ? Verdict::valid : Verdict::invalid,
                   result.valid ? fmt::format("{} replies matched", result.ok_count)
                                : fmt::format("{} mismatched replies", result.errors.size()),
                   Json{{"ok_count", result.ok_count}, {"errors", result.errors}}};
}

}  // namespace faultline::check
