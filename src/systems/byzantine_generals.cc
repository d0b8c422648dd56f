// byzantine-generals as a model: OM(m) (protocols/generals/oral_messages.h)
// under every placement of its traitors and every value they send, explored
// exhaustively; `faultline generals byzantine` and scenarios with
// model = "byzantine-generals".
#include <fmt/format.h>

#include "protocols/generals/oral_messages.h"
#include "runner/model_check.h"
#include "systems/model_bounds.h"

namespace faultline::systems {

namespace {

using protocols::generals::OralMessagesResult;
using protocols::generals::OralMessagesSetup;

struct ByzantineOptions {
    int nodes = 4;
    int rounds = 1;
    int traitors = 1;
    bool one_order = false;
    exhaustive::Bounds bounds;
};

const runner::OptionTable<ByzantineOptions>& byzantine_options() {
    static const auto table = [] {
        runner::OptionTable<ByzantineOptions> t;
        t.add("nodes", &ByzantineOptions::nodes, "Generals: the commander and nodes - 1 lieutenants").range(3, 7);
        t.add("rounds", &ByzantineOptions::rounds, "m, of OM(m): the traitors the algorithm is built to withstand")
            .range(0, 3);
        t.add("traitors", &ByzantineOptions::traitors,
              "Traitors among the generals (every placement is explored, the commander among them)")
            .range(0, 3);
        t.add("one_order", &ByzantineOptions::one_order,
              "Explore one order of delivery (deliveries commute: the same final states, far fewer states)");
        add_bound_options(t, false);
        return t;
    }();
    return table;
}

std::string placement_table(const OralMessagesResult& result) {
    std::string out = fmt::format("  {:<46} {:>10} {:>7} {:>8}\n", "placement", "states", "final", "failing");
    for (const auto& placement : result.placements) {
        out +=
            fmt::format("  {:<46} {:>10} {:>7} {:>8}{}\n", protocols::generals::describe_placement(placement.placement),
                        placement.stats.states, placement.stats.final_states, placement.stats.violations,
                        placement.stats.complete() ? "" : "  (cut by a bound)");
    }
    return out;
}

runner::ModelResult judge(const OralMessagesSetup& setup, const OralMessagesResult& result) {
    const exhaustive::ExplorationStats& stats = result.total;
    runner::ModelResult model;
    check::Outcome consistency{.name = "interactive-consistency"};
    consistency.verdict = explored_verdict(result.counterexample.has_value(), stats);
    std::string decisions;  // the failing run's loyal lieutenants, one a line
    if (result.counterexample) {
        const std::string& violation = result.counterexample->violation;
        const auto newline = violation.find('\n');
        consistency.summary = violation.substr(0, newline);
        if (newline != std::string::npos) decisions = violation.substr(newline + 1) + "\n";
    } else if (consistency.verdict == check::Verdict::valid) {
        consistency.summary = "IC1 and IC2 hold in every final state of every placement";
    } else {
        consistency.summary = "no violation within the bounds, but they cut the search";
    }
    consistency.details = Json{{"placements", result.placements.size()}};
    model.checks = {consistency};
    model.verdict = runner::model_verdict(model.checks);
    model.stats = exploration_json(stats);

    std::string report = fmt::format(
        "The Byzantine generals: OM({}) with {} generals (the commander and {} lieutenants), {} traitor{}.\n"
        "Every placement of the traitors, both orders of a loyal commander, attack or retreat in place of every "
        "message a traitor sends, and {}.\n\n",
        setup.rounds, setup.nodes, setup.nodes - 1, setup.traitors, setup.traitors == 1 ? "" : "s",
        setup.one_order ? "one order of delivery (deliveries commute)" : "every order of delivery");
    report += placement_table(result) + "\n";
    report += outcome_line(consistency);
    if (result.counterexample) {
        const auto& steps = result.counterexample->steps;
        report += fmt::format("  {}. A shortest run ({} steps):\n",
                              protocols::generals::describe_placement(*result.failing), steps.size());
        report += exhaustive::format_timeline(steps, protocols::generals::oral_messages_vocabulary());
        report += decisions;
    }
    report += "explored: " + stats.summary() + "\n";
    model.report = report;
    return model;
}

const runner::ModelRegistration registration{{
    .name = "byzantine-generals",
    .summary = "OM(m), the oral-messages algorithm, under every placement and choice of its traitors",
    .command = "generals byzantine",
    .repro_keys = {"nodes", "traitors", "rounds"},
    .options = &byzantine_options(),
    .checks = {"interactive-consistency"},
    .run = [](const Json& values) -> Result<runner::ModelResult> {
        auto options = byzantine_options().decode(values);
        if (!options) return options.error();
        if (options->rounds > options->nodes - 2) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("OM({}) with {} generals: its relays need {} lieutenants and there are {} "
                                          "(--rounds must be at most --nodes - 2)",
                                          options->rounds, options->nodes, options->rounds + 1, options->nodes - 1));
        }
        if (options->traitors > options->nodes) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("{} traitors among {} generals: --traitors must be at most --nodes",
                                          options->traitors, options->nodes));
        }
        const OralMessagesSetup setup{.nodes = options->nodes,
                                      .rounds = options->rounds,
                                      .traitors = options->traitors,
                                      .one_order = options->one_order};
        return judge(setup, protocols::generals::explore_oral_messages(setup, options->bounds));
    },
}};

}  // namespace

}  // namespace faultline::systems
