// two-generals as a model: every loss pattern of a chain of messengers
// (protocols/generals/two_generals.h), explored exhaustively; `faultline
// generals two` and scenarios with model = "two-generals".
#include "protocols/generals/two_generals.h"

#include <fmt/format.h>

#include "runner/model_check.h"
#include "systems/model_bounds.h"

namespace faultline::systems {

namespace {

using protocols::generals::TwoGeneralsResult;
using protocols::generals::TwoGeneralsSetup;

struct TwoGeneralsOptions {
    int messengers = 3;
    int copies = 1;
    std::string rule = "all";
    exhaustive::Bounds bounds;
};

const runner::OptionTable<TwoGeneralsOptions>& two_generals_options() {
    static const auto table = [] {
        runner::OptionTable<TwoGeneralsOptions> t;
        t.add("messengers", &TwoGeneralsOptions::messengers,
              "Messengers in the chain A -> B, B -> A, A -> B, ... (each sent when the one before arrives)")
            .range(1, 8);
        t.add("copies", &TwoGeneralsOptions::copies,
              "Messengers sent at once for each one of the chain (the first to arrive counts)")
            .range(1, 3);
        t.add("rule", &TwoGeneralsOptions::rule,
              "When a general attacks: all (once every messenger addressed to it arrived) or never")
            .choices({"all", "never"});
        add_bound_options(t, true);
        return t;
    }();
    return table;
}

runner::ModelResult judge(const TwoGeneralsSetup& setup, const exhaustive::Bounds& bounds,
                          const TwoGeneralsResult& result) {
    const exhaustive::ExplorationStats& stats = result.agreement.stats;
    runner::ModelResult model;
    check::Outcome agreement{.name = "agreement"};
    agreement.verdict = explored_verdict(result.agreement.counterexample.has_value(), stats);
    const std::string census =
        fmt::format("{} final states: both attack in {}, neither in {}, one alone in {}", stats.final_states,
                    result.both_attack, result.neither_attacks, result.one_attacks);
    if (result.agreement.counterexample) {
        agreement.summary = result.agreement.counterexample->violation;
    } else if (agreement.verdict == check::Verdict::valid) {
        agreement.summary = "every loss pattern leaves both attacking or neither";
    } else {
        agreement.summary = "no disagreement within the bounds, but they cut the search";
    }
    agreement.details = Json{{"both_attack", result.both_attack},
                             {"neither_attacks", result.neither_attacks},
                             {"one_attacks", result.one_attacks}};
    check::Outcome validity{.name = "validity"};
    validity.verdict = !result.without_loss_complete ? check::Verdict::unknown
                       : result.attack_without_loss  ? check::Verdict::valid
                                                     : check::Verdict::invalid;
    validity.summary = result.attack_without_loss
                           ? "with no messenger lost, both attack"
                           : fmt::format(
                                 "with no messenger lost, they do not both attack: the rule is useless "
                                 "(both attack in {} of {} final states)",
                                 result.both_attack, stats.final_states);
    model.checks = {agreement, validity};
    model.verdict = runner::model_verdict(model.checks);
    model.stats = exploration_json(stats);

    std::string report = fmt::format(
        "The two generals: {}.\nEvery messenger may be lost (up to {} on a path), and copies arrive in every "
        "order.\n\n",
        protocols::generals::describe_setup(setup), bounds.max_lost);
    report += outcome_line(agreement);
    if (result.agreement.counterexample) {
        const auto& steps = result.agreement.counterexample->steps;
        report += fmt::format("  a shortest loss pattern that leaves them disagreeing ({} steps):\n", steps.size());
        report += exhaustive::format_timeline(steps, protocols::generals::two_generals_vocabulary());
    }
    report += "  " + census + "\n";
    report += outcome_line(validity);
    report += "explored: " + stats.summary() + "\n";
    model.report = report;
    return model;
}

const runner::ModelRegistration registration{{
    .name = "two-generals",
    .summary = "A chain of messengers over a lossy valley: every loss pattern, and the one that leaves one general "
               "attacking alone",
    .command = "generals two",
    .repro_keys = {"messengers", "rule"},
    .options = &two_generals_options(),
    .checks = {"agreement", "validity"},
    .run = [](const Json& values) -> Result<runner::ModelResult> {
        auto options = two_generals_options().decode(values);
        if (!options) return options.error();
        TwoGeneralsSetup setup{.messengers = options->messengers, .copies = options->copies};
        setup.rule = options->rule == "never" ? protocols::generals::rule_never()
                                              : protocols::generals::rule_all(options->messengers);
        return judge(setup, options->bounds, protocols::generals::explore_two_generals(setup, options->bounds));
    },
}};

}  // namespace

}  // namespace faultline::systems
