#include "check/membership_checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "base/assert.h"

namespace faultline::check {

namespace {

struct Mark {
    Nanos at = 0;
    bool dead = false;
};

bool down_at(const std::vector<Interval>& downs, Nanos t) {
    return std::any_of(downs.begin(), downs.end(), [t](const Interval& d) { return d.from <= t && t < d.to; });
}

bool down_within(const std::vector<Interval>& downs, Nanos from, Nanos to) {
    return std::any_of(downs.begin(), downs.end(), [&](const Interval& d) { return d.from <= to && from < d.to; });
}

// Each observer's view of each member, as dead / not dead over time.
class Views {
  public:
    Views(const std::vector<ViewChange>& changes, const MembershipTruth& truth) : n_(truth.names.size()) {
        marks_.assign(n_ * n_, {});
        for (const ViewChange& change : changes) {
            FL_ASSERT_LT(static_cast<std::size_t>(change.observer), n_);
            FL_ASSERT_LT(static_cast<std::size_t>(change.member), n_);
            marks_[index(change.observer, change.member)].push_back({change.at, change.state == ViewState::dead});
        }
        // A restarted member starts again believing everyone alive.
        for (std::size_t observer = 0; observer < n_; ++observer) {
            for (const Interval& down : truth.downs[observer]) {
                for (std::size_t member = 0; member < n_; ++member) {
                    auto& marks = marks_[index(observer, member)];
                    const auto at = std::lower_bound(marks.begin(), marks.end(), down.to,
                                                     [](const Mark& m, Nanos t) { return m.at < t; });
                    marks.insert(at, Mark{down.to, false});
                }
            }
        }
    }
    // When `observer` believed `member` dead, first, within [from, to].
    std::optional<Nanos> dead_within(std::size_t observer, std::size_t member, Nanos from, Nanos to) const {
        bool dead = false;
        for (const Mark& mark : marks_[index(observer, member)]) {
            if (mark.at > to) break;
            if (mark.at <= from) {
                dead = mark.dead;
                continue;
            }
            if (dead) return from;
            if (mark.dead) return mark.at;
        }
        if (dead) return from;
        return std::nullopt;
    }

  private:
    std::size_t index(std::size_t observer, std::size_t member) const { return observer * n_ + member; }
    std::size_t n_;
    std::vector<std::vector<Mark>> marks_;
};

}  // namespace

std::vector<Outcome> check_membership(const std::vector<ViewChange>& changes, const MembershipTruth& truth,
                                      const MembershipBounds& bounds) {
    const std::size_t n = truth.names.size();
    FL_ASSERT_EQ(truth.downs.size(), n);
    const Views views(changes, truth);

    // Completeness and dissemination, crash by crash.
    std::string missed;
    std::size_t misses = 0, judged = 0;
    std::string slowest_spread;
    Nanos worst_spread = -1;
    Json crashes = Json::array();
    Json detection_ns = Json::array();  // every (crash, observer) judged
    for (std::size_t member = 0; member < n; ++member) {
        for (const Interval& down : truth.downs[member]) {
            if (down.to - down.from <= bounds.detection_time_max) continue;
            ++judged;
            const Nanos deadline = down.from + bounds.detection_time_max;
            std::optional<Nanos> first, last;
            bool complete = true;
            Json times = Json::array();
            for (std::size_t observer = 0; observer < n; ++observer) {
                if (observer == member || down_within(truth.downs[observer], down.from, deadline) ||
                    (observer < truth.pauses.size() && down_within(truth.pauses[observer], down.from, deadline))) {
                    continue;
                }
                const auto at = views.dead_within(observer, member, down.from, deadline);
                if (!at) {
                    complete = false;
                    if (misses++ == 0) {
                        missed = fmt::format("{} crashed at {} and {} had not declared it dead {} later",
                                             truth.names[member], format_duration(down.from), truth.names[observer],
                                             format_duration(bounds.detection_time_max));
                    }
                    continue;
                }
                times.push_back(*at - down.from);
                detection_ns.push_back(*at - down.from);
                first = first ? std::min(*first, *at) : *at;
                last = last ? std::max(*last, *at) : *at;
            }
            Json crash{{"member", truth.names[member]}, {"at_ns", down.from}, {"detection_ns", times}};
            if (complete && first) {
                const Nanos spread = *last - *first;
                crash["dissemination_ns"] = spread;
                if (spread > worst_spread) {
                    worst_spread = spread;
                    slowest_spread =
                        fmt::format("{}'s death (crash at {}) took {} to reach every member", truth.names[member],
                                    format_duration(down.from), format_duration(spread));
                }
            }
            crashes.push_back(std::move(crash));
        }
    }
    std::vector<Outcome> outcomes;
    const std::string nothing = fmt::format("no crash lasted longer than {}: nothing had to be detected",
                                            format_duration(bounds.detection_time_max));
    outcomes.push_back(
        Outcome{"completeness", misses == 0 ? Verdict::valid : Verdict::invalid,
                judged == 0   ? nothing
                : misses == 0 ? fmt::format("every one of {} crashes declared dead by every live member within {}",
                                            judged, format_duration(bounds.detection_time_max))
                              : fmt::format("{} ({} misses in all)", missed, misses),
                Json{{"crashes", crashes}, {"detection_ns", detection_ns}, {"max_ns", bounds.detection_time_max}}});
    const bool spread_ok = worst_spread <= bounds.dissemination_time_max;
    outcomes.push_back(Outcome{"dissemination", spread_ok ? Verdict::valid : Verdict::invalid,
                               worst_spread < 0 ? "no complete detection to measure"
                                                : fmt::format("{} (allowed: {})", slowest_spread,
                                                              format_duration(bounds.dissemination_time_max)),
                               Json{{"worst_ns", worst_spread}, {"max_ns", bounds.dissemination_time_max}}});

    // Accuracy: deaths declared of live members, one mistake per (member, incarnation).
    std::set<std::pair<int, std::uint32_t>> mistakes;
    std::size_t declarations = 0, suspicions = 0;
    std::set<std::pair<int, std::uint32_t>> impaired_deaths;
    std::string first_mistake, first_suspicion;
    std::vector<std::int64_t> by_member(n, 0);
    for (const ViewChange& change : changes) {
        const auto& downs = truth.downs[static_cast<std::size_t>(change.member)];
        if (change.state == ViewState::alive || down_at(downs, change.at) ||
            down_within(downs, change.at - bounds.detection_time_max, change.at)) {
            continue;
        }
        const auto member = static_cast<std::size_t>(change.member);
        if (member < truth.impaired.size() && truth.impaired[member]) {
            if (change.state == ViewState::dead) impaired_deaths.insert({change.member, change.incarnation});
            continue;
        }
        if (change.state == ViewState::suspect) {
            if (suspicions++ == 0) {
                first_suspicion =
                    fmt::format("{} suspected live {} at {}", truth.names[static_cast<std::size_t>(change.observer)],
                                truth.names[static_cast<std::size_t>(change.member)], format_duration(change.at));
            }
            continue;
        }
        ++declarations;
        if (!mistakes.insert({change.member, change.incarnation}).second) continue;
        ++by_member[static_cast<std::size_t>(change.member)];
        if (first_mistake.empty()) {
            first_mistake = fmt::format("{} declared live {} dead at {} (incarnation {})",
                                        truth.names[static_cast<std::size_t>(change.observer)],
                                        truth.names[static_cast<std::size_t>(change.member)],
                                        format_duration(change.at), change.incarnation);
        }
    }
    Json per_hour = Json::array();
    for (std::size_t member = 0; member < n; ++member) {
        Nanos up = truth.end;
        for (const Interval& down : truth.downs[member]) up -= down.to - down.from;
        per_hour.push_back(static_cast<double>(by_member[member]) /
                           (static_cast<double>(std::max<Nanos>(up, 1)) / 3.6e12));
    }
    const auto count = static_cast<std::int64_t>(mistakes.size());
    const bool too_suspicious =
        bounds.suspicions_max >= 0 && static_cast<std::int64_t>(suspicions) > bounds.suspicions_max;
    std::string summary;
    const std::string impaired =
        impaired_deaths.empty()
            ? ""
            : fmt::format(" (impaired members, not judged: declared dead {} times)", impaired_deaths.size());
    if (count > 0) {
        summary = fmt::format(
            "{}: {} false deaths in all, reaching {} members' views; {} suspicions of live "
            "members (allowed: {} false deaths)",
            first_mistake, count, declarations, suspicions, bounds.false_deaths_max);
    } else if (too_suspicious) {
        summary = fmt::format("{}: {} suspicions of live members (allowed: {}), though none was declared dead",
                              first_suspicion, suspicions, bounds.suspicions_max);
    } else {
        summary =
            fmt::format("no live member declared dead; {} suspicions of live members, all refuted in time", suspicions);
    }
    outcomes.push_back(Outcome{
        "accuracy", count <= bounds.false_deaths_max && !too_suspicious ? Verdict::valid : Verdict::invalid, summary,
        Json{{"false_deaths", count},
             {"declarations", declarations},
             {"suspicions_of_live", suspicions},
             {"false_deaths_per_hour", per_hour},
             {"max", bounds.false_deaths_max},
             {"suspicions_max", bounds.suspicions_max},
             {"impaired_deaths", impaired_deaths.size()}}});
    outcomes.back().summary += impaired;
    return outcomes;
}

}  // namespace faultline::check
