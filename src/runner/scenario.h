// Scenario files: a run (or a few seeds of it) and the verdict it must give,
// in TOML under scenarios/. `faultline scenario run NAME` runs one and says
// whether it behaved as expected; the shrinker writes its results as one.
//
//   name = "split-brain/raft"
//   description = "The partition of split-brain/no-quorum, on Raft: ..."
//   system = "raft-kv"          # and any RunConfig field: nodes, clients, rate,
//   time_limit = "20s"          # latency, loss, bug, pre_vote, nemesis, ...
//   seeds = [1, 2, 3]           # each must give the expected verdict
//
//   [[fault]]                   # an explicit schedule (otherwise `nemesis` draws one)
//   kind = "partition"
//   shape = "halves"            # see nemesis/schedule.h
//   start = "5s"
//   duration = "10s"
//   nodes = [0, 1, 2, 3, 4]
//
//   [expect]
//   verdict = "invalid"         # valid, invalid or unknown
//   failing = ["linearizability"]   # checks that must be among the failing ones
//
// Durations are strings with a unit ("250ms", "5s") or numbers of seconds.
// Unknown keys are errors: a misspelled option would otherwise be silently
// ignored and the scenario would test something else.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "runner/model_check.h"
#include "runner/run.h"
#include "runner/run_config.h"
#include "runner/system.h"

namespace faultline::runner {

struct Expectation {
    Verdict verdict = Verdict::valid;
    std::vector<std::string> failing;  // checks that must fail (when invalid)
};

struct Scenario {
    std::string name;
    std::string description;
    std::string path;  // where it was read from
    RunConfig config;
    std::vector<std::uint64_t> seeds{1};  // none for a model
    Expectation expect;
    // A model explored exhaustively in place of a simulated run ("" for a
    // run), and its options, normalized.
    std::string model;
    Json model_options;
};

Result<Scenario> load_scenario(const std::string& path);
// Every *.toml under `directory`, sorted by name. The first bad file is an error.
Result<std::vector<Scenario>> load_scenarios(const std::string& directory);
std::string scenario_to_toml(const Scenario& scenario);

struct ScenarioOutcome {
    std::uint64_t seed = 0;
    bool as_expected = false;
    Verdict verdict = Verdict::valid;
    std::string explanation;  // what was expected and what happened
};

// Does `result` meet the expectation? Fills `explanation` either way.
ScenarioOutcome judge(const Expectation& expect, const RunResult& result);
// The same for a verdict and its checks (a model's).
ScenarioOutcome judge(const Expectation& expect, Verdict verdict, const std::vector<CheckOutcome>& checks);

}  // namespace faultline::runner
