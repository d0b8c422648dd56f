#include "check/physical_clock_checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace faultline::check {

std::vector<Outcome> check_sync(const std::vector<SyncRecord>& records, const SyncBounds& bounds) {
    std::size_t beyond_bound = 0, inaccurate = 0;
    std::string first_beyond, first_inaccurate;
    Nanos worst_error = 0, worst_residual = 0;
    double worst_share = 0;  // of the bound d/2 an error used
    Json series = Json::array();
    for (const SyncRecord& r : records) {
        const Nanos error = r.estimate - r.true_offset;
        // Both clocks may drift, and a slew move the client's, while the exchange is in flight.
        const auto slack =
            static_cast<Nanos>((2 * bounds.drift_ppm_max + bounds.slew_ppm_max) * 1e-6 * static_cast<double>(r.delay)) +
            1000;
        const Nanos bound = r.delay / 2 + slack;
        worst_error = std::max(worst_error, std::abs(error));
        if (r.delay > 0) worst_share = std::max(worst_share, static_cast<double>(std::abs(error)) / (r.delay / 2.0));
        if (std::abs(error) > bound && beyond_bound++ == 0) {
            first_beyond = fmt::format(
                "{} at {}: estimated offset {} but it was {}, off by {} with a round trip of {} "
                "(bound {})",
                r.client, format_duration(r.at), format_duration(r.estimate), format_duration(r.true_offset),
                format_duration(error), format_duration(r.delay), format_duration(r.delay / 2));
        }
        const Nanos residual = r.true_offset - r.applied;
        worst_residual = std::max(worst_residual, std::abs(residual));
        if (std::abs(residual) > bounds.sync_error_max && inaccurate++ == 0) {
            first_inaccurate = fmt::format("{} at {}: {} from the reference after its {}", r.client,
                                           format_duration(r.at), format_duration(residual), r.decision);
        }
        if (series.size() < 2000) series.push_back(Json::array({r.at, error, r.delay / 2}));
    }
    std::vector<Outcome> outcomes;
    const bool none = records.empty();
    outcomes.push_back(Outcome{
        "offset-bound", beyond_bound == 0 ? Verdict::valid : Verdict::invalid,
        none ? "no exchange completed"
        : beyond_bound == 0
            ? fmt::format("all {} estimates within half their round trip; the worst was off by {}, {:.0f}% of its "
                          "bound",
                          records.size(), format_duration(worst_error), 100 * worst_share)
            : fmt::format("{} ({} of {} estimates beyond the bound)", first_beyond, beyond_bound, records.size()),
        Json{{"exchanges", records.size()},
             {"beyond", beyond_bound},
             {"worst_error_ns", worst_error},
             {"series", series}}});
    outcomes.push_back(
        Outcome{"clock-accuracy", inaccurate == 0 ? Verdict::valid : Verdict::invalid,
                none              ? "no exchange completed"
                : inaccurate == 0 ? fmt::format("every exchange left its client within {} of the reference (worst {})",
                                                format_duration(bounds.sync_error_max), format_duration(worst_residual))
                                  : fmt::format("{} (allowed: {}; {} of {} exchanges)", first_inaccurate,
                                                format_duration(bounds.sync_error_max), inaccurate, records.size()),
                Json{{"worst_ns", worst_residual}, {"max_ns", bounds.sync_error_max}, {"inaccurate", inaccurate}}});
    return outcomes;
}

Outcome check_external_consistency(const std::vector<CommitRecord>& commits) {
    std::size_t violations = 0, pairs = 0;
    std::string first;
    // Commits are sequential (each starts after the previous answered), so
    // every earlier one precedes every later one: timestamps must rise strictly.
    for (std::size_t i = 1; i < commits.size(); ++i) {
        const CommitRecord& a = commits[i - 1];
        const CommitRecord& b = commits[i];
        if (a.answered >= b.started) continue;  // not ordered in real time: nothing to demand
        ++pairs;
        if (a.timestamp < b.timestamp) continue;
        if (violations++ == 0) {
            first = fmt::format(
                "a commit on {} answered at {} with timestamp {}, and the next, started after it on {}, "
                "got timestamp {}: {} earlier",
                a.shard, format_duration(a.answered), format_duration(a.timestamp), b.shard,
                format_duration(b.timestamp), format_duration(a.timestamp - b.timestamp));
        }
    }
    return Outcome{"external-consistency", violations == 0 ? Verdict::valid : Verdict::invalid,
                   commits.empty()   ? "no commit"
                   : violations == 0 ? fmt::format("{} commits, each timestamped after every commit answered before "
                                                   "it started",
                                                   commits.size())
                                     : fmt::format("{} ({} of {} ordered pairs)", first, violations, pairs),
                   Json{{"commits", commits.size()}, {"violations", violations}}};
}

}  // namespace faultline::check
