#include "check/gossip_checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/assert.h"

namespace faultline::check {

void GossipHistory::add_node(std::string name) {
    FL_ASSERT(rumours.empty());  // a rumour's learnt_at has a slot per node
    names.push_back(std::move(name));
    steady.push_back(true);
    up_at_end.push_back(true);
    known_at_end.emplace_back();
}

GossipRumour& GossipHistory::add_rumour(std::int64_t id, int node, Nanos at) {
    FL_ASSERT(node >= 0 && node < nodes());
    GossipRumour& rumour = rumours.emplace_back();
    rumour.id = id;
    rumour.given_to = node;
    rumour.given_at = at;
    rumour.learnt_at.assign(names.size(), -1);
    rumour.learnt_at[static_cast<std::size_t>(node)] = at;
    return rumour;
}

double gossip_expected_rounds(int nodes) {
    FL_ASSERT_GE(nodes, 1);
    return std::log2(static_cast<double>(nodes)) + std::log(static_cast<double>(nodes));
}

Outcome check_dissemination(const GossipHistory& history) {
    Outcome outcome{.name = "dissemination"};
    std::uint64_t judged = 0, missing = 0;
    std::string first;
    for (const GossipRumour& rumour : history.rumours) {
        FL_ASSERT_EQ(rumour.learnt_at.size(), history.names.size());
        bool steady_knew = false;
        for (int n = 0; n < history.nodes(); ++n) steady_knew |= history.steady[n] && rumour.learnt_at[n] >= 0;
        if (!steady_knew) continue;  // it died with the crashed nodes that alone knew it
        ++judged;
        for (int n = 0; n < history.nodes(); ++n) {
            if (!history.up_at_end[n] || history.known_at_end[n].contains(rumour.id)) continue;
            if (missing++ == 0) {
                first = fmt::format("rumour {} (given to {}) never reached {}", rumour.id,
                                    history.names[rumour.given_to], history.names[n]);
            }
        }
    }
    outcome.details = Json{{"rumours", judged}, {"missing", missing}};
    if (missing == 0) {
        outcome.summary = fmt::format("every node up at the end knows all {} rumours", judged);
        return outcome;
    }
    outcome.verdict = Verdict::invalid;
    outcome.summary = fmt::format("{} (and {} more rumour-node pairs missing at the end)", first, missing - 1);
    outcome.details["first"] = first;
    return outcome;
}

namespace {

// The q-quantile (0..1) of sorted values, by the nearest rank.
double quantile(const std::vector<double>& sorted, double q) {
    FL_ASSERT(!sorted.empty());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    return sorted[std::max<std::size_t>(rank, 1) - 1];
}

Json rounds_json(double rounds) {
    return std::isinf(rounds) ? Json("never") : Json(rounds);
}

}  // namespace

Outcome check_gossip_rounds(const GossipHistory& history, double factor) {
    FL_ASSERT_GT(factor, 0.0);
    FL_ASSERT_GT(history.round_interval, 0);
    Outcome outcome{.name = "gossip-rounds"};
    const double expected = gossip_expected_rounds(history.nodes());
    const double bound = factor * expected;
    std::vector<double> rounds;
    std::vector<double> copies;
    std::uint64_t pairs = 0, covered_pairs = 0;
    for (const GossipRumour& rumour : history.rumours) {
        if (!history.steady[rumour.given_to] || rumour.given_at >= history.timed_until) continue;
        Nanos last = rumour.given_at;
        bool covered = true;
        for (int n = 0; n < history.nodes(); ++n) {
            if (!history.steady[n]) continue;
            ++pairs;
            if (rumour.learnt_at[n] < 0) {
                covered = false;
                continue;
            }
            ++covered_pairs;
            last = std::max(last, rumour.learnt_at[n]);
        }
        const Nanos elapsed = last - rumour.given_at;
        rounds.push_back(covered ? std::ceil(static_cast<double>(elapsed) / static_cast<double>(history.round_interval))
                                 : std::numeric_limits<double>::infinity());
        copies.push_back(static_cast<double>(rumour.copies));
    }
    outcome.details = Json{{"nodes", history.nodes()},
                           {"expected_rounds", expected},
                           {"factor", factor},
                           {"bound_rounds", bound},
                           {"rumours_timed", rounds.size()}};
    if (rounds.empty()) {
        outcome.verdict = Verdict::unknown;
        outcome.summary = "no rumour was given to a node that stayed up, early enough to time";
        return outcome;
    }
    std::sort(rounds.begin(), rounds.end());
    std::sort(copies.begin(), copies.end());
    const double median = quantile(rounds, 0.5);
    const auto uncovered = std::count_if(rounds.begin(), rounds.end(), [](double r) { return std::isinf(r); });
    const double coverage = static_cast<double>(covered_pairs) / static_cast<double>(pairs);
    outcome.details["median_rounds"] = rounds_json(median);
    outcome.details["p90_rounds"] = rounds_json(quantile(rounds, 0.9));
    outcome.details["max_rounds"] = rounds_json(rounds.back());
    outcome.details["never_covered"] = uncovered;
    outcome.details["coverage"] = coverage;
    outcome.details["median_copies_per_rumour"] = quantile(copies, 0.5);
    outcome.details["server_messages_per_rumour"] =
        static_cast<double>(history.server_messages) / static_cast<double>(history.rumours.size());
    const std::string figures = fmt::format(
        "median {} rounds to reach all {} steady nodes (p90 {}, {} of {} rumours never did; coverage {:.4f}); "
        "bound {:.1f} = {} x (log2 N + ln N = {:.1f}); {} copies per rumour (median), {:.0f} messages per rumour",
        std::isinf(median) ? "never" : fmt::format("{:.0f}", median),
        std::count(history.steady.begin(), history.steady.end(), true),
        std::isinf(quantile(rounds, 0.9)) ? "never" : fmt::format("{:.0f}", quantile(rounds, 0.9)), uncovered,
        rounds.size(), coverage, bound, factor, expected, quantile(copies, 0.5),
        outcome.details["server_messages_per_rumour"].get<double>());
    outcome.verdict = median <= bound ? Verdict::valid : Verdict::invalid;
    outcome.summary = figures;
    return outcome;
}

}  // namespace faultline::check
