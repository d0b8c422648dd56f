// The exhaustive explorer's bounds (exhaustive/explorer.h) as declared
// options, so every model offers them alike: `--max-states` on the command
// line, `max_states` in a scenario, each with its range in --help.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <string>

#include "check/outcome.h"
#include "exhaustive/explorer.h"
#include "runner/options.h"

namespace faultline::systems {

// 2^24 states take about 800 MiB to remember (50 bytes a state, see explorer.h).
inline constexpr std::int64_t kMaxStatesLimit = std::int64_t{1} << 24;

// Declares the bounds of `Options::bounds` (an exhaustive::Bounds). Losses
// are bounded only where messages can be lost (`lossy`).
template <class Options>
void add_bound_options(runner::OptionTable<Options>& t, bool lossy) {
    using Access64 = std::function<std::int64_t&(Options&)>;
    using Access = std::function<int&(Options&)>;
    t.template add<std::int64_t>(
         "max_states", Access64([](Options& o) -> std::int64_t& { return o.bounds.max_states; }),
         "Distinct states the explorer visits, over all its searches together; it stops there, and a check that "
         "held is then unknown")
        .range(1, kMaxStatesLimit);
    t.template add<std::int64_t>(
         "max_memory", Access64([](Options& o) -> std::int64_t& { return o.bounds.max_memory_mb; }),
         "MiB the explorer may hold, as it estimates them (visited states, and the states of two levels kept "
         "whole); it stops there, and a check that held is then unknown")
        .range(16, 65536);
    t.template add<int>("max_depth", Access([](Options& o) -> int& { return o.bounds.max_depth; }),
                        "Steps from the start; deeper states are not expanded")
        .range(1, 10000);
    t.template add<int>("max_in_flight", Access([](Options& o) -> int& { return o.bounds.max_in_flight; }),
                        "Messages in flight in one state; states with more are not expanded")
        .range(1, 1024);
    if (lossy) {
        t.template add<int>("max_lost", Access([](Options& o) -> int& { return o.bounds.max_lost; }),
                            "Messages lost along one path (a bound on the faults, not on the search)")
            .range(0, 64);
    }
}

// The verdict of a property the explorer checked: invalid with a
// counterexample, unknown if a bound cut the search, valid otherwise.
inline check::Verdict explored_verdict(bool counterexample, const exhaustive::ExplorationStats& stats) {
    if (counterexample) return check::Verdict::invalid;
    return stats.complete() ? check::Verdict::valid : check::Verdict::unknown;
}

// "agreement  invalid  A attacks alone: ..." (a line of a model's report).
inline std::string outcome_line(const check::Outcome& outcome) {
    return fmt::format("{:<10} {:<8} {}\n", outcome.name, check::verdict_name(outcome.verdict), outcome.summary);
}

// The figures of an exploration, for results and scenario reports.
inline Json exploration_json(const exhaustive::ExplorationStats& stats) {
    return Json{{"states", stats.states},
                {"memory_bytes", stats.peak_memory_bytes},
                {"transitions", stats.transitions},
                {"final_states", stats.final_states},
                {"failing_final_states", stats.violations},
                {"depth", stats.depth},
                {"complete", stats.complete()},
                {"seconds", stats.seconds},
                {"states_per_second", stats.states_per_second()}};
}

}  // namespace faultline::systems
