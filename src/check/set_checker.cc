#include "check/set_checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

#include "base/assert.h"

namespace faultline::check {

namespace {

using Range = std::pair<std::int64_t, std::int64_t>;  // inclusive

// A set of integers as disjoint ranges, merged as they are inserted: the
// values a workload adds come in runs, so this stays small.
class RangeSet {
  public:
    void insert(std::int64_t lo, std::int64_t hi) {
        FL_ASSERT_LE(lo, hi);
        // Merge with every range that overlaps or touches [lo, hi].
        auto it = ranges_.upper_bound(lo);
        if (it != ranges_.begin()) {
            auto before = std::prev(it);
            if (before->second >= lo || before->second + 1 == lo) it = before;
        }
        while (it != ranges_.end() && (it->first <= hi || it->first - 1 == hi)) {
            lo = std::min(lo, it->first);
            hi = std::max(hi, it->second);
            it = ranges_.erase(it);
        }
        ranges_.emplace(lo, hi);
    }
    // The smallest value of [lo, hi] not in the set, if any.
    std::optional<std::int64_t> first_missing(std::int64_t lo, std::int64_t hi) const {
        FL_ASSERT_LE(lo, hi);
        auto it = ranges_.upper_bound(lo);
        if (it == ranges_.begin()) return lo;
        --it;
        if (it->second < lo) return lo;
        if (it->second >= hi) return std::nullopt;
        return it->second + 1;
    }
    bool contains(std::int64_t value) const { return !first_missing(value, value); }

  private:
    std::map<std::int64_t, std::int64_t> ranges_;  // lo -> hi
};

// A read's value as ranges, from either form (see the header); integers
// only (anything else in an array is skipped, as no add could have put it
// there); nullopt if the value is neither form.
std::optional<std::vector<Range>> read_ranges(const Json& value) {
    std::vector<Range> ranges;
    if (value.is_array()) {
        std::vector<std::int64_t> values;
        values.reserve(value.size());
        for (const Json& v : value) {
            if (v.is_number_integer()) values.push_back(v.get<std::int64_t>());
        }
        std::sort(values.begin(), values.end());
        for (std::int64_t v : values) {
            // Sorted: v >= back().second, and the difference fits unsigned.
            if (!ranges.empty() &&
                static_cast<std::uint64_t>(v) - static_cast<std::uint64_t>(ranges.back().second) <= 1) {
                ranges.back().second = v;
            } else {
                ranges.emplace_back(v, v);
            }
        }
        return ranges;
    }
    if (!value.is_object() || !value.contains("ranges") || !value["ranges"].is_array()) return std::nullopt;
    for (const Json& range : value["ranges"]) {
        if (!range.is_array() || range.size() != 2 || !range[0].is_number_integer() || !range[1].is_number_integer()) {
            return std::nullopt;
        }
        const std::int64_t lo = range[0].get<std::int64_t>();
        const std::int64_t hi = range[1].get<std::int64_t>();
        if (lo > hi || (!ranges.empty() && lo <= ranges.back().second)) return std::nullopt;
        ranges.emplace_back(lo, hi);
    }
    return ranges;
}

}  // namespace

Json compact_set(const std::vector<std::int64_t>& values) {
    Json ranges = Json::array();
    std::size_t start = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        FL_ASSERT(i == 0 || values[i - 1] < values[i]);
        const bool run_ends = i + 1 == values.size() || values[i + 1] != values[i] + 1;
        if (!run_ends) continue;
        ranges.push_back(Json::array({values[start], values[i]}));
        start = i + 1;
    }
    return Json{{"ranges", std::move(ranges)}};
}

Json set_as_array(const Json& value) {
    const auto ranges = value.is_object() ? read_ranges(value) : std::nullopt;
    if (!ranges) return value;
    Json values = Json::array();
    for (const auto& [lo, hi] : *ranges) {
        for (std::int64_t v = lo;; ++v) {
            values.push_back(v);
            if (v == hi) break;
        }
    }
    return values;
}

SetCheckResult check_set(const History& history, Nanos finals_from) {
    SetCheckResult result;
    std::unordered_map<std::int64_t, const Operation*> open;
    std::set<std::int64_t> acknowledged;
    RangeSet attempted;
    std::vector<RangeSet> finals;
    for (const Operation& op : history) {
        if (op.type == OpType::invoke) {
            open[op.process] = &op;
            if (op.f == "add" && op.value.is_number_integer()) {
                const std::int64_t v = op.value.get<std::int64_t>();
                attempted.insert(v, v);
            }
            continue;
        }
        auto found = open.find(op.process);
        if (found == open.end()) continue;
        const Operation& invoke = *found->second;
        open.erase(found);
        if (op.type != OpType::ok) continue;
        if (op.f == "add" && invoke.value.is_number_integer()) acknowledged.insert(invoke.value.get<std::int64_t>());
        if (op.f != "read") continue;
        const auto ranges = read_ranges(op.value);
        if (!ranges) continue;
        RangeSet seen;
        for (const auto& [lo, hi] : *ranges) {
            if (const auto missing = attempted.first_missing(lo, hi)) {
                result.valid = false;
                if (result.errors.size() < 10) {
                    result.errors.push_back(fmt::format("op {}: read {}, which nobody added", op.index, *missing));
                }
            }
            seen.insert(lo, hi);
        }
        if (invoke.time >= finals_from) finals.push_back(std::move(seen));
    }
    result.acknowledged = static_cast<std::int64_t>(acknowledged.size());
    result.final_reads = static_cast<std::int64_t>(finals.size());
    for (std::int64_t value : acknowledged) {
        for (const auto& final_read : finals) {
            if (!final_read.contains(value)) {
                ++result.lost;
                if (result.errors.size() < 10) {
                    result.errors.push_back(fmt::format("acknowledged add {} is missing from a final read", value));
                }
                break;
            }
        }
    }
    if (result.lost > 0) result.valid = false;
    return result;
}

Outcome outcome_of(const SetCheckResult& result) {
    return Outcome{"set", result.valid ? Verdict::valid : Verdict::invalid,
                   result.valid ? fmt::format("{} acknowledged values in all {} final reads", result.acknowledged,
                                              result.final_reads)
                                : result.errors.front(),
                   Json{{"acknowledged", result.acknowledged}, {"lost", result.lost}, {"errors", result.errors}}};
}

}  // namespace faultline::check
