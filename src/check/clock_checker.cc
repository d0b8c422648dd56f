#include "check/clock_checker.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "base/assert.h"

namespace faultline::check {

namespace {

// Each event's ground-truth vector: how many events of each process are in
// its causal past, itself included.
std::vector<std::vector<std::uint32_t>> true_vectors(const ClockHistory& history) {
    const std::size_t n = history.names.size();
    std::vector<std::vector<std::uint32_t>> vectors;
    vectors.reserve(history.events.size());
    std::vector<std::vector<std::uint32_t>> current(n, std::vector<std::uint32_t>(n, 0));
    for (std::size_t i = 0; i < history.events.size(); ++i) {
        const ClockEvent& event = history.events[i];
        FL_ASSERT(event.process >= 0 && static_cast<std::size_t>(event.process) < n);
        auto& mine = current[static_cast<std::size_t>(event.process)];
        if (event.receives) {
            FL_ASSERT_LT(*event.receives, i);
            const auto& sent = vectors[*event.receives];
            for (std::size_t s = 0; s < n; ++s) mine[s] = std::max(mine[s], sent[s]);
        }
        ++mine[static_cast<std::size_t>(event.process)];
        vectors.push_back(mine);
    }
    return vectors;
}

bool happens_before(const ClockHistory& history, const std::vector<std::vector<std::uint32_t>>& vectors, std::size_t a,
                    std::size_t b) {
    if (a == b) return false;
    const auto p = static_cast<std::size_t>(history.events[a].process);
    return vectors[a][p] <= vectors[b][p];
}

bool stamp_less(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b, StampOrder order) {
    FL_ASSERT_EQ(a.size(), b.size());
    if (order == StampOrder::scalar) return a < b;  // lexicographic: one entry, or (time, node) pairs
    bool smaller = false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] > b[i]) return false;
        if (a[i] < b[i]) smaller = true;
    }
    return smaller;
}

std::string stamp_text(const std::vector<std::uint64_t>& stamp) {
    return stamp.size() == 1 ? fmt::format("{}", stamp[0]) : fmt::format("[{}]", fmt::join(stamp, ","));
}

// "n1's event 3 (stamp [2,1,0])": events are numbered per process from 1.
std::string event_text(const ClockHistory& history, const std::vector<std::vector<std::uint32_t>>& vectors,
                       std::size_t e) {
    const ClockEvent& event = history.events[e];
    const auto p = static_cast<std::size_t>(event.process);
    return fmt::format("{}'s event {}{} (stamp {})", history.names[p], vectors[e][p],
                       event.receives ? ", a receive" : "", stamp_text(event.stamp));
}

Outcome verdict(const char* name, std::uint64_t violations, std::string first, std::optional<Nanos> at,
                std::uint64_t events) {
    Outcome outcome{name};
    outcome.details = Json{{"violations", violations}, {"events", events}};
    if (violations == 0) {
        outcome.summary = fmt::format("{}: holds on {} events", name, events);
        return outcome;
    }
    outcome.verdict = Verdict::invalid;
    outcome.summary = violations == 1 ? first : fmt::format("{} (and {} more)", first, violations - 1);
    outcome.details["first"] = first;
    outcome.failed_at = at;
    return outcome;
}

}  // namespace

std::size_t ClockHistory::add(int process, std::vector<std::uint64_t> stamp, Nanos at) {
    events.push_back({process, std::nullopt, std::move(stamp), at});
    return events.size() - 1;
}

std::size_t ClockHistory::add_receive(int process, std::size_t send, std::vector<std::uint64_t> stamp, Nanos at) {
    events.push_back({process, send, std::move(stamp), at});
    return events.size() - 1;
}

// Happens-before is the transitive closure of program order and
// send-before-receive, and both stamp orders are transitive: the condition
// holds on every pair exactly when it holds on those direct edges.
Outcome check_clock_condition(const ClockHistory& history, StampOrder order) {
    const auto vectors = true_vectors(history);
    std::vector<std::optional<std::size_t>> previous(history.names.size());
    std::uint64_t violations = 0;
    std::string first;
    std::optional<Nanos> at;
    auto edge = [&](std::size_t a, std::size_t b, const char* why) {
        if (stamp_less(history.events[a].stamp, history.events[b].stamp, order)) return;
        if (violations++ == 0) {
            first = fmt::format("clock-condition: {} happens before {} ({}), but its stamp is not smaller",
                                event_text(history, vectors, a), event_text(history, vectors, b), why);
            at = history.events[b].at;
        }
    };
    for (std::size_t i = 0; i < history.events.size(); ++i) {
        const ClockEvent& event = history.events[i];
        auto& before = previous[static_cast<std::size_t>(event.process)];
        if (before) edge(*before, i, "same process");
        if (event.receives) edge(*event.receives, i, "its send");
        before = i;
    }
    return verdict("clock-condition", violations, std::move(first), at, history.events.size());
}

Outcome check_clock_exactness(const ClockHistory& history, StampOrder order) {
    const auto vectors = true_vectors(history);
    std::uint64_t violations = 0;
    std::string first;
    std::optional<Nanos> at;
    for (std::size_t b = 0; b < history.events.size(); ++b) {
        for (std::size_t a = 0; a < b; ++a) {
            // Events are listed in the order they happened: b never happens before a.
            const bool before = happens_before(history, vectors, a, b);
            const bool less = stamp_less(history.events[a].stamp, history.events[b].stamp, order);
            const bool reversed = stamp_less(history.events[b].stamp, history.events[a].stamp, order);
            if (before == less && !reversed) continue;
            if (violations++ == 0) {
                at = history.events[b].at;
                const std::string ea = event_text(history, vectors, a);
                const std::string eb = event_text(history, vectors, b);
                if (before) {
                    first = fmt::format("clock-exactness: {} happens before {}, but its stamp is not smaller", ea, eb);
                } else {
                    first = fmt::format("clock-exactness: {} and {} are concurrent, but one stamp is smaller", ea, eb);
                }
            }
        }
    }
    return verdict("clock-exactness", violations, std::move(first), at, history.events.size());
}

}  // namespace faultline::check
