// The transactional isolation checker (Elle's method, Kingsbury & Alvaro,
// VLDB 2020): from a history of transactions of micro-operations, infer the
// dependencies between transactions, find the cycles and the other anomalies,
// and name the consistency models they rule out.
//
// list-append: every read of a key shows a prefix of that key's version order,
// so the longest read gives the order itself; a read that is not a prefix of it
// is an incompatible order. rw-register: a version order is inferred only in
// part: nil (the initial state) comes before every written value, and a
// transaction that read v1 and then wrote v2 to the same key put v2 right
// after v1 (writes follow reads). Written values must be unique per key (a
// duplicate is an error in the history, not an anomaly).
//
// From these, ww, wr and rw edges join the transactions that committed (ok)
// or may have (info: only when something it wrote was seen); a transaction
// that failed is aborted and only its being read matters (G1a). Process and
// realtime edges are added when the models asked for need them
// (strong-session-* and strict-serializable). The result names each anomaly
// with its transactions and, for a cycle, the shortest one found and why each
// edge holds, in words.
//
// Deterministic: same history and options, same result. The only budget,
// `cycle_search_budget`, counts edges followed by the cycle searches.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "check/outcome.h"
#include "check/txn/consistency_models.h"
#include "check/txn/graph.h"
#include "check/txn/txn_history.h"

namespace faultline::check::txn {

struct IsolationOptions {
    // The verdict is invalid iff an anomaly rules out one of these.
    std::vector<Model> models = {Model::strict_serializable};
    // Edges followed, per strongly connected component and anomaly class,
    // before that search gives up (it keeps the shortest cycle found so far).
    std::uint64_t cycle_search_budget = 50'000'000;
    // How many instances of each anomaly to describe (all are counted).
    std::size_t examples_per_anomaly = 8;

    static constexpr std::uint64_t kCycleSearchBudgetDefault = 50'000'000;
};

// One instance of an anomaly.
struct AnomalyReport {
    Anomaly anomaly = Anomaly::G0;
    std::vector<std::uint32_t> txns;     // the transactions involved, in the order of the story
    std::vector<CycleStep> cycle;        // for the cycle classes: T0 -> T1 -> ... -> T0
    std::vector<std::string> steps;      // for a cycle: one sentence per edge
    std::string explanation;             // one or two sentences
    std::vector<std::string> described;  // describe_txn of each of `txns`
    bool shortest = true;                // false: the search ran out before proving no shorter cycle exists
};

struct IsolationResult {
    Verdict verdict = Verdict::valid;
    Workload workload = Workload::list_append;
    std::vector<Model> models;
    std::vector<AnomalyReport> anomalies;               // up to examples_per_anomaly of each
    std::array<std::uint64_t, kAnomalyCount> counts{};  // all instances found
    std::vector<Model> ruled_out;                       // every known model some anomaly rules out, weakest first
    std::size_t txns = 0;
    std::size_t committed = 0;  // ok
    std::size_t edges = 0;
    std::size_t components = 0;  // strongly connected components of more than one transaction
    std::size_t largest_component = 0;
    std::uint64_t search_steps = 0;
    bool search_exhausted = false;  // some cycle search ran out of budget
    std::string unknown_reason;
};

Result<IsolationResult> check_isolation(const TxnHistory& history, const IsolationOptions& options = {});

// "T12 (process 3, op 12 -> 15, line 13): [[:append 3 2] [:r 4 [1 2]]]"
std::string describe_txn(const TxnHistory& history, std::uint32_t txn);

// The terminal text: a line per anomaly type, then each example.
std::string isolation_result_to_text(const IsolationResult& result, const std::string& indent);
Json isolation_result_to_json(const IsolationResult& result);

// The "isolation" check's outcome.
Outcome outcome_of(const IsolationResult& result);

}  // namespace faultline::check::txn
