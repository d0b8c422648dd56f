#include "check/linearizability/outcome.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/assert.h"

namespace faultline::check {

Outcome linearizability_check(const History& history, const LinearizabilityOptions& options) {
    auto result = check_linearizability(history, options);
    if (!result) return Outcome{"linearizability", Verdict::unknown, "cannot check: " + result.error().message, Json()};
    return outcome_of(*result);
}

Outcome outcome_of(const LinearizabilityResult& result) {
    Json details = linearizability_result_to_json(result);
    switch (result.verdict) {
        case Verdict::valid:
            return Outcome{"linearizability", Verdict::valid,
                           fmt::format("{} operations on {} keys", result.checked_ops, result.partitions.size()),
                           details};
        case Verdict::invalid: {
            std::string summary = "not linearizable";
            std::optional<Nanos> failed_at;
            if (const auto& counterexample = result.counterexample) {
                summary = fmt::format("not linearizable: key {}\n{}", counterexample->key.dump(),
                                      counterexample->to_text("               "));
                // The text is shared with `faultline check`, whose --json a run
                // does not have: a run keeps the whole counterexample in results.json.
                for (std::size_t at = summary.find("(see --json)"); at != std::string::npos;
                     at = summary.find("(see --json)", at)) {
                    summary.replace(at, 12, "(see results.json)");
                }
                // Complete once the op that cannot be placed, and the window of
                // ops it cannot be ordered with, have all returned.
                std::vector<std::size_t> involved = counterexample->window;
                if (counterexample->op) involved.push_back(*counterexample->op);
                Json history_indexes = Json::array();
                for (std::size_t position : involved) {
                    const auto& op = counterexample->ops.at(position);
                    const Nanos at = op.completed ? op.complete_time : op.invoke_time;
                    failed_at = std::max(failed_at.value_or(0), at);
                    history_indexes.push_back(op.index);
                }
                details["involved_ops"] = history_indexes;
            }
            return Outcome{"linearizability", Verdict::invalid, summary, details, failed_at};
        }
        case Verdict::unknown:
            return Outcome{"linearizability", Verdict::unknown, "gave up: " + result.unknown_reason, details};
    }
    FL_UNREACHABLE();
}

}  // namespace faultline::check
