// A harness run from a test: the command's outcome, and the results.json of
// the run it stored (the one run of a fresh store).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "base/json.h"
#include "support/faultline_process.h"

namespace faultline::testing {

struct HarnessRun {
    Outcome outcome;
    Json results;  // results.json of the run (null if none)
    std::string folder;
};

// Runs `faultline test --store STORE ARGUMENTS` (STORE: a fresh folder's) and
// reads back the run it stored.
inline HarnessRun run_into_store(const std::string& store, const std::string& arguments) {
    HarnessRun run;
    run.outcome = run_faultline("test --store " + store + " " + arguments, "timeout 120 ");
    if (!std::filesystem::is_directory(store)) return run;
    for (const auto& workload : std::filesystem::directory_iterator(store)) {
        if (!workload.is_directory() || workload.path().filename() == "latest") continue;
        for (const auto& folder : std::filesystem::directory_iterator(workload.path())) {
            run.folder = folder.path().string();
            std::ifstream in(folder.path() / "results.json");
            if (in) run.results = Json::parse(in, nullptr, false);
        }
    }
    return run;
}

// A check's verdict in the run's results ("valid", "invalid", "unknown").
inline std::string verdict_of(const HarnessRun& run, const std::string& check) {
    if (!run.results.is_object() || !run.results["checks"].contains(check)) return "(no " + check + " check)";
    return run.results["checks"][check]["valid"].get<std::string>();
}

}  // namespace faultline::testing
