// The isolation checker's results for people and tools: a transaction in
// words, the terminal text, results.json, and the check's Outcome.
#include <fmt/format.h>

#include "check/txn/checker.h"
#include "check/txn/text.h"

namespace faultline::check::txn {

std::string describe_txn(const TxnHistory& history, std::uint32_t t) {
    const Txn& x = history.txns[t];
    std::vector<std::string> mops;
    for (const Mop& mop : history.mops_of(x)) mops.push_back(mop_text(history, mop));
    std::string when =
        x.complete_position == Txn::kNever
            ? fmt::format("invoked at op {} ({}), never completed", x.index, format_duration(x.invoke_time))
            : fmt::format("op {} -> {}, {} -> {}", x.index, x.index + (x.complete_position - x.invoke_position),
                          format_duration(x.invoke_time), format_duration(x.complete_time));
    std::string where = x.line > 0 ? fmt::format(", line {}", x.line) : "";
    return fmt::format("T{} ({}, process {}, {}{}): [{}]", x.index, txn_status_name(x.status), x.process, when, where,
                       fmt::join(mops, " "));
}

namespace {

std::vector<std::string> model_names(const std::vector<Model>& models) {
    std::vector<std::string> names;
    for (Model m : models) names.push_back(model_name(m));
    return names;
}

}  // namespace

std::string isolation_result_to_text(const IsolationResult& result, const std::string& indent) {
    std::string out;
    for (int a = 0; a < kAnomalyCount; ++a) {
        if (result.counts[a] == 0) continue;
        out += fmt::format("{}{} x{}: rules out {}\n", indent, anomaly_name(static_cast<Anomaly>(a)), result.counts[a],
                           fmt::join(model_names(weakest(models_ruled_out_by(static_cast<Anomaly>(a)))), ", "));
    }
    for (const AnomalyReport& r : result.anomalies) {
        out += fmt::format("{}{}: {}{}\n", indent, anomaly_name(r.anomaly), r.explanation,
                           r.shortest ? "" : " (the search ran out before proving it the shortest)");
        for (const std::string& step : r.steps) out += fmt::format("{}    {}\n", indent, step);
        for (const std::string& txn : r.described) out += fmt::format("{}      {}\n", indent, txn);
    }
    return out;
}

Json isolation_result_to_json(const IsolationResult& result) {
    Json anomalies = Json::object();
    for (const AnomalyReport& r : result.anomalies) {
        Json item{{"explanation", r.explanation}, {"txns", r.described}};
        if (!r.cycle.empty()) {
            Json cycle = Json::array();
            for (const CycleStep& step : r.cycle) {
                cycle.push_back({{"from", step.from}, {"to", step.to}, {"type", edge_kind_name(step.kind)}});
            }
            item["cycle"] = std::move(cycle);
            item["steps"] = r.steps;
            item["shortest"] = r.shortest;
        }
        anomalies[anomaly_name(r.anomaly)].push_back(std::move(item));
    }
    Json counts = Json::object();
    for (int a = 0; a < kAnomalyCount; ++a) {
        if (result.counts[a] > 0) counts[anomaly_name(static_cast<Anomaly>(a))] = result.counts[a];
    }
    Json json{{"valid", verdict_name(result.verdict)},
              {"workload", workload_name(result.workload)},
              {"consistency_models", model_names(result.models)},
              {"anomaly_types", Json::array()},
              {"anomaly_counts", counts},
              {"anomalies", anomalies},
              {"not", model_names(weakest(result.ruled_out))},
              {"ruled_out", model_names(result.ruled_out)},
              {"txns", result.txns},
              {"committed", result.committed},
              {"edges", result.edges},
              {"components", result.components},
              {"largest_component", result.largest_component},
              {"search_steps", result.search_steps},
              {"search_exhausted", result.search_exhausted}};
    for (auto it = counts.begin(); it != counts.end(); ++it) json["anomaly_types"].push_back(it.key());
    if (!result.unknown_reason.empty()) json["unknown_reason"] = result.unknown_reason;
    return json;
}

Outcome outcome_of(const IsolationResult& result) {
    std::string summary;
    if (result.verdict == Verdict::valid) {
        summary = fmt::format("{} transactions ({} committed) consistent with {}", result.txns, result.committed,
                              fmt::join(model_names(result.models), ", "));
    } else if (result.verdict == Verdict::unknown) {
        summary = result.unknown_reason;
    } else {
        std::vector<std::string> types;
        for (int a = 0; a < kAnomalyCount; ++a) {
            if (result.counts[a] > 0) types.push_back(anomaly_name(static_cast<Anomaly>(a)));
        }
        summary =
            fmt::format("{}: not {}", fmt::join(types, ", "), fmt::join(model_names(weakest(result.ruled_out)), ", "));
    }
    return Outcome{"isolation", result.verdict, summary, isolation_result_to_json(result), std::nullopt};
}

}  // namespace faultline::check::txn
