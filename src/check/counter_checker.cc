#include "check/counter_checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "base/types.h"

namespace faultline::check {

namespace {

// An integer get<std::int64_t>() reads as it is (unsigned JSON above 2^63-1 would wrap).
bool is_int64(const Json& value) {
    if (value.is_number_unsigned()) {
        return value.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    }
    return value.is_number_integer();
}

std::string to_string(Int128 value) {
    if (value == 0) return "0";
    const bool negative = value < 0;
    // Digit by digit from the low end; negated digits so INT128_MIN needs no special case.
    std::string digits;
    for (; value != 0; value /= 10) {
        digits += static_cast<char>('0' + (negative ? -(value % 10) : value % 10));
    }
    if (negative) digits += '-';
    return std::string(digits.rbegin(), digits.rend());
}

// An add or read and its completion (none if the history ends first).
struct Pair {
    const Operation* invoke = nullptr;
    const Operation* completion = nullptr;
};

// Adds, by when they certainly happened (ok completion) and when they might
// have started (invocation).
struct Add {
    Nanos invoked;
    Nanos completed;  // max() unless ok
    std::int64_t delta;
    bool ok;
};

// The history's adds and reads, each paired with its completion.
std::vector<Pair> pair_counter_ops(const History& history) {
    std::vector<Pair> ops;
    std::unordered_map<std::int64_t, std::size_t> open;
    for (const Operation& op : history) {
        if (op.f != "add" && op.f != "read") continue;
        if (op.type == OpType::invoke) {
            open[op.process] = ops.size();
            ops.push_back(Pair{&op, nullptr});
            continue;
        }
        auto found = open.find(op.process);
        if (found == open.end()) continue;
        ops[found->second].completion = &op;
        open.erase(found);
    }
    return ops;
}

// The adds that may have happened (all but failed ones), counted in
// `result`. False, with `result` saying why, if a delta is not a 64-bit
// integer.
bool collect_adds(const std::vector<Pair>& ops, std::vector<Add>& adds, CounterCheckResult& result) {
    for (const Pair& pair : ops) {
        if (pair.invoke->f != "add") continue;
        const bool ok = pair.completion != nullptr && pair.completion->type == OpType::ok;
        const bool failed = pair.completion != nullptr && pair.completion->type == OpType::fail;
        if (failed) continue;
        const Json& value = pair.invoke->value;
        if (!is_int64(value)) {
            result.valid = false;
            result.cannot_check =
                fmt::format("op {}: add of {}: a delta must be a 64-bit integer", pair.invoke->index, value.dump());
            return false;
        }
        const std::int64_t delta = value.get<std::int64_t>();
        adds.push_back(
            Add{pair.invoke->time, ok ? pair.completion->time : std::numeric_limits<Nanos>::max(), delta, ok});
        (ok ? result.adds_ok : result.adds_unknown) += 1;
    }
    return true;
}

// Holds each ok read to the bounds the adds allow: at least every add
// acknowledged before it began, at most every add invoked before it ended.
void check_reads(const std::vector<Pair>& ops, const std::vector<Add>& adds, CounterCheckResult& result) {
    for (const Pair& pair : ops) {
        if (pair.invoke->f != "read" || pair.completion == nullptr || pair.completion->type != OpType::ok) continue;
        const Json& read = pair.completion->value;
        if (!is_int64(read)) {
            result.valid = false;
            result.cannot_check = fmt::format("op {}: read {}: a counter's value must be a 64-bit integer",
                                              pair.completion->index, read.dump());
            return;
        }
        const std::int64_t value = read.get<std::int64_t>();
        const Nanos start = pair.invoke->time;
        const Nanos end = pair.completion->time;
        // 128 bits: no number of int64 deltas a history can hold overflows it.
        Int128 lower = 0, upper = 0;
        for (const Add& add : adds) {
            if (add.ok && add.completed < start) lower += add.delta;
            if (add.invoked < end) upper += add.delta;
        }
        ++result.reads_checked;
        if (value < lower || value > upper) {
            result.valid = false;
            if (result.errors.size() < 10) {
                result.errors.push_back(
                    fmt::format("op {}: read {} but the counter was certainly at least {} and at most {}{}",
                                pair.completion->index, value, to_string(lower), to_string(upper),
                                value > upper ? " (an add applied twice?)" : " (an acknowledged add lost?)"));
            }
        }
    }
}

}  // namespace

CounterCheckResult check_counter(const History& history) {
    const std::vector<Pair> ops = pair_counter_ops(history);
    CounterCheckResult result;
    std::vector<Add> adds;
    if (!collect_adds(ops, adds, result)) return result;
    check_reads(ops, adds, result);
    return result;
}

Outcome outcome_of(const CounterCheckResult& result) {
    if (!result.cannot_check.empty()) {
        return Outcome{"counter", Verdict::unknown, result.cannot_check,
                       Json{{"reads_checked", result.reads_checked}, {"error", result.cannot_check}}};
    }
    return Outcome{"counter", result.valid ? Verdict::valid : Verdict::invalid,
                   result.valid ? fmt::format("{} reads within bounds ({} adds ok, {} unknown)", result.reads_checked,
                                              result.adds_ok, result.adds_unknown)
                                : result.errors.front(),
                   Json{{"reads_checked", result.reads_checked}, {"errors", result.errors}}};
}

}  // namespace faultline::check
