// The checker's verdict in its own words, and its result as JSON (for
// results.json and `faultline check --json`).
#include "base/assert.h"
#include "check/linearizability/checker.h"

namespace faultline::check {

const char* linearizability_verdict_text(Verdict verdict) {
    switch (verdict) {
        case Verdict::valid:
            return "linearizable";
        case Verdict::invalid:
            return "not linearizable";
        case Verdict::unknown:
            return "unknown";
    }
    FL_UNREACHABLE();
}

Json linearizability_result_to_json(const LinearizabilityResult& result) {
    Json json;
    json["valid"] = result.verdict == Verdict::valid     ? Json(true)
                    : result.verdict == Verdict::invalid ? Json(false)
                                                         : Json("unknown");
    json["verdict"] = linearizability_verdict_text(result.verdict);
    if (!result.unknown_reason.empty()) json["unknown_reason"] = result.unknown_reason;
    json["operations"] = result.operations;
    json["checked_operations"] = result.checked_ops;
    json["configurations"] = result.configs;
    json["peak_bytes"] = result.peak_bytes;
    json["elapsed_ns"] = result.elapsed;
    Json partitions = Json::array();
    for (const PartitionResult& part : result.partitions) {
        Json p;
        p["key"] = part.key;
        p["verdict"] = linearizability_verdict_text(part.verdict);
        if (!part.unknown_reason.empty()) p["unknown_reason"] = part.unknown_reason;
        p["operations"] = part.operations;
        p["optional_operations"] = part.optional_ops;
        p["segments"] = part.segments;
        p["configurations"] = part.configs;
        p["peak_bytes"] = part.peak_bytes;
        if (part.decided_by_precheck) p["decided_by_precheck"] = true;
        partitions.push_back(std::move(p));
    }
    json["partitions"] = std::move(partitions);
    if (result.counterexample) json["counterexample"] = result.counterexample->to_json();
    return json;
}

}  // namespace faultline::check
