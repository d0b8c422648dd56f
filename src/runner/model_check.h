// Model checks: a tiny system explored exhaustively (exhaustive/explorer.h)
// in place of a simulated run, for results that hold for every run of a
// bounded system or fail with a printed counterexample (the two generals,
// OM(m) of the Byzantine generals).
//
// A model is a description registered by itself, as a system is
// (runner/system.h): its options, declared once (the command line of
// `faultline generals`, scenario keys), the names of its checks, and the
// function that explores it. A scenario names one with `model = "NAME"` in
// place of `system`, and `faultline scenario run` and the catalog test judge
// its result as they judge a run's:
//
//   name = "generals/two-generals"
//   model = "two-generals"
//   messengers = 3
//   [expect]
//   verdict = "invalid"
//   failing = ["agreement"]
//
// A model's verdict: invalid if a check found a counterexample, unknown if a
// bound cut the exploration before the check could hold everywhere, valid
// otherwise. There are no seeds: nothing is drawn at random.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "check/outcome.h"
#include "runner/options.h"

namespace faultline::runner {

struct ModelResult {
    check::Verdict verdict = check::Verdict::valid;
    std::vector<check::Outcome> checks;
    std::string report;  // for people: what was explored, and the counterexample as a timeline
    Json stats;          // states, transitions, seconds, ...
};

struct ModelDescription {
    std::string name;
    std::string summary;  // one line
    // The command that runs it on its own ("generals two"), for repro lines,
    // and the options such a line always spells out (the others appear when
    // they differ from their defaults).
    std::string command;
    std::vector<std::string> repro_keys;
    const OptionSchema* options = nullptr;
    std::vector<std::string> checks;  // the names of the outcomes `run` returns
    // Explores the model; `options` is normalized (every key, within range).
    // An error is a combination of options the model cannot take.
    std::function<Result<ModelResult>(const Json& options)> run;
};

class ModelRegistration {
  public:
    explicit ModelRegistration(ModelDescription description);
};

std::vector<const ModelDescription*> all_models();
const ModelDescription* find_model(std::string_view name);

// Normalizes `options` against the model's declarations, then runs it.
Result<ModelResult> run_model(const ModelDescription& model, const Json& options);

// "faultline generals byzantine --nodes 3 --traitors 1 --rounds 1": the
// command that runs the model with these (normalized) options.
std::string model_command_line(const ModelDescription& model, const Json& options);

// The verdict of a model's checks: invalid beats unknown beats valid.
check::Verdict model_verdict(const std::vector<check::Outcome>& checks);

}  // namespace faultline::runner
