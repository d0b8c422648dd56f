#include "check/sec_checker.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "base/assert.h"

namespace faultline::check {

namespace {

bool includes(const std::vector<std::uint64_t>& version, int origin, std::uint64_t seq) {
    return seq < version[static_cast<std::size_t>(origin)];
}

// Is `earlier` in the causal past of `later`?
bool before(const SecUpdate& earlier, const SecUpdate& later) {
    return includes(later.deps, earlier.origin, earlier.seq);
}

std::string version_text(const std::vector<std::uint64_t>& version) {
    return fmt::format("[{}]", fmt::join(version, " "));
}

}  // namespace

std::vector<Json> sec_expected(const SecHistory& history, const std::vector<std::uint64_t>& version) {
    FL_ASSERT_EQ(version.size(), history.names.size());
    std::vector<const SecUpdate*> in;
    for (const SecUpdate& update : history.updates) {
        if (includes(version, update.origin, update.seq)) in.push_back(&update);
    }
    if (history.type == "g-counter" || history.type == "pn-counter") {
        std::int64_t sum = 0;
        for (const SecUpdate* update : in) sum += update->arg;
        return {Json(sum)};
    }
    if (history.type == "or-set") {
        std::vector<std::int64_t> elements;
        for (const SecUpdate* add : in) {
            if (add->op != "add") continue;
            const bool removed = std::any_of(in.begin(), in.end(), [&](const SecUpdate* remove) {
                return remove->op == "remove" && remove->arg == add->arg && before(*add, *remove);
            });
            if (!removed) elements.push_back(add->arg);
        }
        std::sort(elements.begin(), elements.end());
        elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
        return {Json(elements)};
    }
    FL_ASSERT_EQ(history.type, std::string("lww-register"));
    std::vector<Json> winners;
    for (const SecUpdate* write : in) {
        const bool followed =
            std::any_of(in.begin(), in.end(), [&](const SecUpdate* later) { return before(*write, *later); });
        if (!followed) winners.emplace_back(write->arg);
    }
    if (winners.empty()) winners.emplace_back();  // never written: null
    return winners;
}

Outcome check_strong_convergence(const SecHistory& history) {
    Outcome outcome{.name = "strong-convergence"};
    std::map<std::vector<std::uint64_t>, const SecState*> first_with;  // version -> the first state that had it
    std::uint64_t violations = 0;
    for (const SecState& state : history.states) {
        FL_ASSERT(state.replica >= 0 && state.replica < history.replicas());
        auto [it, fresh] = first_with.emplace(state.version, &state);
        if (fresh || it->second->value == state.value) continue;
        if (violations++ == 0) {
            const SecState& first = *it->second;
            outcome.summary = fmt::format(
                "{} at {} and {} at {} had applied the same updates (version {}) but held {} and {}",
                history.names[first.replica], format_duration(first.at), history.names[state.replica],
                format_duration(state.at), version_text(state.version), first.value.dump(), state.value.dump());
            outcome.failed_at = state.at;
        }
    }
    outcome.details = Json{{"states", history.states.size()}, {"versions", first_with.size()}};
    if (violations == 0) {
        outcome.summary = fmt::format("{} states, {} distinct sets of updates: equal sets, equal values",
                                      history.states.size(), first_with.size());
        return outcome;
    }
    outcome.verdict = Verdict::invalid;
    outcome.details["violations"] = violations;
    outcome.details["first"] = outcome.summary;
    if (violations > 1) outcome.summary += fmt::format(" (and {} more)", violations - 1);
    return outcome;
}

Outcome check_eventual_convergence(const SecHistory& history) {
    Outcome outcome{.name = "eventual-convergence"};
    auto fail = [&](std::string why) {
        outcome.verdict = Verdict::invalid;
        outcome.summary = std::move(why);
        return outcome;
    };
    if (history.finals.empty()) {
        outcome.verdict = Verdict::unknown;
        outcome.summary = "no correct replica at the end";
        return outcome;
    }
    const SecState& first = history.finals.front();
    outcome.details = Json{{"updates", history.updates.size()}, {"value", first.value}};
    for (const SecState& final : history.finals) {
        FL_ASSERT(history.correct[final.replica]);
        for (const SecUpdate& update : history.updates) {
            if (!history.correct[update.origin] || includes(final.version, update.origin, update.seq)) continue;
            return fail(fmt::format("{} never applied {}'s update {} ({} {}, at {})", history.names[final.replica],
                                    history.names[update.origin], update.seq, update.op, update.arg,
                                    format_duration(update.at)));
        }
        if (final.version != first.version || final.value != first.value) {
            return fail(fmt::format("replicas differ at the end: {} holds {} (version {}), {} holds {} (version {})",
                                    history.names[first.replica], first.value.dump(), version_text(first.version),
                                    history.names[final.replica], final.value.dump(), version_text(final.version)));
        }
    }
    const std::vector<Json> expected = sec_expected(history, first.version);
    const auto applied = std::count_if(history.updates.begin(), history.updates.end(),
                                       [&](const SecUpdate& u) { return includes(first.version, u.origin, u.seq); });
    if (std::find(expected.begin(), expected.end(), first.value) == expected.end()) {
        return fail(fmt::format(
            "every replica holds {}, but the {} updates they applied make {}", first.value.dump(), applied,
            expected.size() == 1 ? expected.front().dump() : fmt::format("one of {}", Json(expected).dump())));
    }
    outcome.summary = fmt::format("all {} correct replicas hold {}, as the {} updates they applied make",
                                  history.finals.size(), first.value.dump(), applied);
    return outcome;
}

}  // namespace faultline::check
