#include "harness/shrink.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace faultline::harness {

std::vector<std::string> failing_checks(const HarnessResult& result) {
    std::vector<std::string> failing;
    for (const check::Outcome& outcome : result.checks) {
        if (outcome.verdict == check::Verdict::invalid) failing.push_back(outcome.name);
    }
    return failing;
}

namespace {

class Shrinker {
  public:
    Shrinker(const std::vector<std::string>& failing, const HarnessShrinkOptions& options)
        : failing_(failing), options_(options) {}

    int runs() const { return runs_; }
    bool exhausted() const { return runs_ >= options_.runs_max; }

    // Whether `config` with `schedule` still fails one of the original checks,
    // in any of up to `attempts` runs.
    Result<bool> still_fails(HarnessConfig config, const nemesis::Schedule& schedule, const std::string& what) {
        config.schedule_file = fmt::format("{}/schedule-{}.json", options_.scratch, candidate_);
        const std::string folder = fmt::format("{}/run-{}", options_.scratch, candidate_++);
        {
            std::ofstream out(config.schedule_file);
            out << schedule.to_json().dump() << "\n";
            if (!out) return make_error(ErrorCode::io_error, "cannot write " + config.schedule_file);
        }
        for (int attempt = 0; attempt < options_.attempts && !exhausted(); ++attempt) {
            ++runs_;
            auto result = run_harness(config, folder);
            if (!result) return result.error();
            std::error_code ignored;
            std::filesystem::remove_all(folder, ignored);
            for (const std::string& check : failing_checks(*result)) {
                if (std::find(failing_.begin(), failing_.end(), check) != failing_.end()) {
                    note(fmt::format("{}: still fails {} (run {})", what, check, runs_));
                    return true;
                }
            }
        }
        note(fmt::format("{}: passes; kept as it was (run {})", what, runs_));
        return false;
    }

  private:
    void note(const std::string& line) {
        if (options_.progress) options_.progress(line);
    }

    const std::vector<std::string>& failing_;
    const HarnessShrinkOptions& options_;
    int runs_ = 0;
    int candidate_ = 0;
};

}  // namespace

Result<HarnessShrinkResult> shrink_harness(const HarnessConfig& original, const std::vector<std::string>& failing,
                                           const HarnessShrinkOptions& options) {
    FL_ASSERT(!failing.empty());
    std::ifstream in(original.schedule_file);
    const Json schedule_json = in ? Json::parse(in, nullptr, false) : Json::array();
    auto schedule = nemesis::Schedule::from_json(schedule_json.is_discarded() ? Json::array() : schedule_json,
                                                 static_cast<int>(server_names(original).size()));
    if (!schedule) return schedule.error();
    HarnessShrinkResult best{
        .config = original, .schedule = *schedule, .failing = failing, .faults_before = schedule->faults.size()};
    Shrinker shrinker(failing, options);
    auto attempt = [&](const HarnessConfig& config, const nemesis::Schedule& faults,
                       const std::string& what) -> Result<bool> {
        if (shrinker.exhausted()) return false;
        auto fails = shrinker.still_fails(config, faults, what);
        if (!fails) return fails.error();
        if (*fails) {
            best.config = config;
            best.schedule = faults;
        }
        return *fails;
    };

    // Faults: all at once, else one at a time.
    if (!best.schedule.faults.empty()) {
        auto none = attempt(best.config, nemesis::Schedule{}, "no faults");
        if (!none) return none.error();
        for (std::size_t i = best.schedule.faults.size(); !*none && i-- > 0;) {
            nemesis::Schedule fewer = best.schedule;
            fewer.faults.erase(fewer.faults.begin() + static_cast<std::ptrdiff_t>(i));
            if (auto fails = attempt(best.config, fewer, "without " + best.schedule.faults[i].describe()); !fails) {
                return fails.error();
            }
        }
    }
    // Time: halved while it still fails, faults past the end dropped.
    while (best.config.time_limit > seconds(1)) {
        HarnessConfig shorter = best.config;
        shorter.time_limit = std::max(seconds(1), best.config.time_limit / 2);
        nemesis::Schedule within;
        for (const nemesis::Fault& fault : best.schedule.faults) {
            if (fault.start < shorter.time_limit) within.faults.push_back(fault);
        }
        auto fails = attempt(shorter, within, fmt::format("time limit {}s", shorter.time_limit / seconds(1)));
        if (!fails) return fails.error();
        if (!*fails) break;
    }
    // Nodes: one fewer while it still fails, as long as no fault names the
    // node left out.
    for (;;) {
        const int nodes = static_cast<int>(server_names(best.config).size());
        if (nodes <= 1) break;
        HarnessConfig fewer = best.config;
        fewer.node_count = nodes - 1;
        auto kept = nemesis::Schedule::from_json(best.schedule.to_json(), nodes - 1);
        if (!kept) break;  // a fault names the node left out
        auto fails = attempt(fewer, *kept, fmt::format("nodes {}", nodes - 1));
        if (!fails) return fails.error();
        if (!*fails) break;
    }
    // Rate: halved while it still fails.
    while (best.config.rate > 1) {
        HarnessConfig slower = best.config;
        slower.rate = std::max(1.0, best.config.rate / 2);
        auto fails = attempt(slower, best.schedule, fmt::format("rate {}", slower.rate));
        if (!fails) return fails.error();
        if (!*fails) break;
    }
    best.runs = shrinker.runs();
    best.budget_exhausted = shrinker.exhausted();
    best.config.schedule_file = options.scratch + "/shrunk-schedule.json";
    std::ofstream out(best.config.schedule_file);
    out << best.schedule.to_json().dump(2) << "\n";
    if (!out) return make_error(ErrorCode::io_error, "cannot write " + best.config.schedule_file);
    return best;
}

}  // namespace faultline::harness
