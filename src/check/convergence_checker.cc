#include "check/convergence_checker.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace faultline::check {

namespace {

constexpr std::size_t kExamplesMax = 5;

std::string describe(const ReplicaCopy& copy) {
    std::string who = copy.node;
    if (!copy.role.empty()) who += fmt::format(" ({})", copy.role);
    if (copy.version.empty()) return fmt::format("{}: nothing", who);
    return fmt::format("{}: {} at version ({})", who, copy.value, fmt::join(copy.version, ","));
}

}  // namespace

ConvergenceResult check_convergence(const std::vector<KeyCopies>& keys, Nanos at) {
    ConvergenceResult result;
    result.at = at;
    for (const KeyCopies& key : keys) {
        ++result.keys;
        const ReplicaCopy* newest = nullptr;
        auto consider = [&](const ReplicaCopy& copy) {
            if (!copy.version.empty() && (newest == nullptr || copy.version > newest->version)) newest = &copy;
        };
        for (const ReplicaCopy& copy : key.replicas) consider(copy);
        for (const ReplicaCopy& copy : key.others) consider(copy);
        if (newest == nullptr) continue;  // nobody holds anything: they agree
        const bool agree = std::all_of(key.replicas.begin(), key.replicas.end(), [&](const ReplicaCopy& copy) {
            return copy.version == newest->version && copy.value == newest->value;
        });
        if (agree) continue;
        ++result.diverged;
        if (result.examples.size() < kExamplesMax) {
            std::vector<std::string> held;
            for (const ReplicaCopy& copy : key.replicas) held.push_back(describe(copy));
            result.examples.push_back(fmt::format("key {}: newest is {}; replicas hold {}", key.key, describe(*newest),
                                                  fmt::join(held, "; ")));
        }
    }
    return result;
}

Outcome outcome_of(const ConvergenceResult& result) {
    Outcome outcome;
    outcome.name = "convergence";
    outcome.details =
        Json{{"keys", result.keys}, {"diverged", result.diverged}, {"at_ns", result.at}, {"examples", result.examples}};
    if (result.valid()) {
        outcome.verdict = Verdict::valid;
        outcome.summary = fmt::format("every replica of each of {} keys holds the newest copy at {}", result.keys,
                                      format_duration(result.at));
        return outcome;
    }
    outcome.verdict = Verdict::invalid;
    outcome.summary = fmt::format("{} of {} keys diverged at {} (after the recovery window): {}", result.diverged,
                                  result.keys, format_duration(result.at), result.examples.front());
    outcome.failed_at = result.at;
    return outcome;
}

}  // namespace faultline::check
