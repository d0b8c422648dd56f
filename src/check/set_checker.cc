#include "check/set_checker.h"

#include <fmt/format.h>

#include <set>
#include <unordered_map>

namespace faultline::check {

SetCheckResult check_set(const History& history, Nanos finals_from) {
    SetCheckResult result;
    std::unordered_map<std::int64_t, const Operation*> open;
    std::set<std::int64_t> acknowledged, attempted;
    std::vector<std::set<std::int64_t>> finals;
    for (const Operation& op : history) {
        if (op.type == OpType::invoke) {
            open[op.process] = &op;
            if (op.f == "add" && op.value.is_number_integer()) attempted.insert(op.value.get<std::int64_t>());
            continue;
        }
        auto found = open.find(op.process);
        if (found == open.end()) continue;
        const Operation& invoke = *found->second;
        open.erase(found);
        if (op.type != OpType::ok) continue;
        if (op.f == "add" && invoke.value.is_number_integer()) acknowledged.insert(invoke.value.get<std::int64_t>());
        if (op.f == "read" && op.value.is_array()) {
            std::set<std::int64_t> seen;
            for (const Json& value : op.value) {
                if (!value.is_number_integer()) continue;
                const std::int64_t v = value.get<std::int64_t>();
                seen.insert(v);
                if (attempted.count(v) == 0 && result.errors.size() < 10) {
                    result.valid = false;
                    result.errors.push_back(fmt::format("op {}: read {}, which nobody added", op.index, v));
                }
            }
            if (invoke.time >= finals_from) finals.push_back(std::move(seen));
        }
    }
    result.acknowledged = static_cast<std::int64_t>(acknowledged.size());
    result.final_reads = static_cast<std::int64_t>(finals.size());
    for (std::int64_t value : acknowledged) {
        for (const auto& final_read : finals) {
            if (final_read.count(value) == 0) {
                ++result.lost;
                if (result.errors.size() < 10) {
                    result.errors.push_back(fmt::format("acknowledged add {} is missing from a final read", value));
                }
                break;
            }
        }
    }
    if (result.lost > 0) result.valid = false;
    return result;
}

Outcome outcome_of(const SetCheckResult& result) {
    return Outcome{"set", result.valid ? Verdict::valid : Verdict::invalid,
                   result.valid ? fmt::format("{} acknowledged values in all {} final reads", result.acknowledged,
                                              result.final_reads)
                                : result.errors.front(),
                   Json{{"acknowledged", result.acknowledged}, {"lost", result.lost}, {"errors", result.errors}}};
}

}  // namespace faultline::check
