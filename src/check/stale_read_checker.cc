#include "check/stale_read_checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>

namespace faultline::check {

namespace {

constexpr std::size_t kExamplesMax = 5;

struct Write {
    std::int64_t value = 0;
    Nanos invoked = 0;
    std::optional<Nanos> acknowledged;  // none: failed or unknown
    bool may_have_happened = false;     // ok or unknown
};

struct Read {
    std::size_t order = 0;  // position in the history, to report in order
    Nanos invoked = 0;
    Nanos completed = 0;
    Json value;  // null: absent
};

struct KeyOps {
    Json key;
    std::vector<Write> writes;
    std::vector<Read> reads;
};

std::map<std::string, KeyOps> collect(const History& history, const StaleReadOptions& options) {
    std::map<std::string, KeyOps> keys;
    std::unordered_map<std::int64_t, const Operation*> open;  // process -> invoke
    std::size_t order = 0;
    for (const Operation& op : history) {
        if (op.type == OpType::invoke) {
            open[op.process] = &op;
            continue;
        }
        auto found = open.find(op.process);
        if (found == open.end()) continue;
        const Operation& invoke = *found->second;
        open.erase(found);
        KeyOps& ops = keys[invoke.key.dump()];
        ops.key = invoke.key;
        if (invoke.f == "write" && invoke.value.is_number_integer()) {
            Write write{invoke.value.get<std::int64_t>(), invoke.time, std::nullopt, op.type != OpType::fail};
            if (op.type == OpType::ok) write.acknowledged = op.time;
            ops.writes.push_back(write);
        } else if (invoke.f == "read") {
            const bool absent =
                op.type == OpType::fail && op.error.is_number_integer() && op.error.get<int>() == options.absent_error;
            if (op.type == OpType::ok || absent) {
                ops.reads.push_back(Read{order++, invoke.time, op.time, absent ? Json() : op.value});
            }
        }
    }
    for (const auto& [process, invoke] : open) {  // never completed: unknown outcome
        if (invoke->f == "write" && invoke->value.is_number_integer()) {
            KeyOps& ops = keys[invoke->key.dump()];
            ops.key = invoke->key;
            ops.writes.push_back(Write{invoke->value.get<std::int64_t>(), invoke->time, std::nullopt, true});
        }
    }
    return keys;
}

}  // namespace

StaleReadResult check_stale_reads(const History& history, const StaleReadOptions& options) {
    StaleReadResult result;
    std::vector<std::pair<std::size_t, StaleRead>> found;
    for (const auto& [name, ops] : collect(history, options)) {
        std::unordered_map<std::int64_t, const Write*> by_value;
        std::vector<const Write*> by_ack;
        for (const Write& write : ops.writes) {
            by_value[write.value] = &write;
            if (write.acknowledged) by_ack.push_back(&write);
        }
        std::sort(by_ack.begin(), by_ack.end(),
                  [](const Write* a, const Write* b) { return *a->acknowledged < *b->acknowledged; });
        // latest[i]: of by_ack[0..i], the write invoked last (the newest that
        // any read after by_ack[i]'s acknowledgement must not miss).
        std::vector<const Write*> latest;
        for (const Write* write : by_ack) {
            latest.push_back(latest.empty() || write->invoked > latest.back()->invoked ? write : latest.back());
        }
        for (const Read& read : ops.reads) {
            const bool final = read.invoked >= options.finals_from;
            ++result.reads;
            if (final) ++result.final_reads;
            const Write* seen = nullptr;
            if (!read.value.is_null()) {
                auto it =
                    read.value.is_number_integer() ? by_value.find(read.value.get<std::int64_t>()) : by_value.end();
                if (it == by_value.end() || !it->second->may_have_happened) {
                    result.errors.push_back(fmt::format("key {}: read {} at {}, a value never (successfully) written",
                                                        name, read.value.dump(), format_duration(read.invoked)));
                    continue;
                }
                seen = it->second;
            }
            auto end = std::lower_bound(by_ack.begin(), by_ack.end(), read.invoked,
                                        [](const Write* write, Nanos t) { return *write->acknowledged < t; });
            if (end == by_ack.begin()) continue;  // nothing acknowledged before the read began
            const Write* newest = latest[static_cast<std::size_t>(end - by_ack.begin()) - 1];
            const bool stale = seen == nullptr || (seen->acknowledged && *seen->acknowledged < newest->invoked);
            if (!stale) continue;
            ++result.stale;
            if (final) ++result.stale_final;
            found.emplace_back(read.order, StaleRead{ops.key, read.invoked, read.completed, read.value, newest->value,
                                                     newest->invoked, *newest->acknowledged, final});
        }
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < found.size() && i < kExamplesMax; ++i) result.examples.push_back(found[i].second);
    return result;
}

Outcome outcome_of(const StaleReadResult& result) {
    Outcome outcome;
    outcome.name = "stale-read";
    Json examples = Json::array();
    for (const StaleRead& stale : result.examples) {
        examples.push_back(Json{{"key", stale.key},
                                {"read_invoked_ns", stale.read_invoked},
                                {"read_completed_ns", stale.read_completed},
                                {"value", stale.value},
                                {"missed", stale.missed},
                                {"missed_invoked_ns", stale.missed_invoked},
                                {"missed_acknowledged_ns", stale.missed_acknowledged},
                                {"final", stale.final}});
    }
    outcome.details = Json{{"reads", result.reads}, {"final_reads", result.final_reads},
                           {"stale", result.stale}, {"stale_final", result.stale_final},
                           {"examples", examples},  {"errors", result.errors}};
    if (result.valid()) {
        outcome.verdict = Verdict::valid;
        outcome.summary = fmt::format("no read missed a write acknowledged before it began ({} reads, {} final)",
                                      result.reads, result.final_reads);
        return outcome;
    }
    outcome.verdict = Verdict::invalid;
    if (!result.examples.empty()) {
        const StaleRead& first = result.examples.front();
        outcome.summary = fmt::format(
            "{} of {} reads stale ({} final): key {} read at {} returned {}, missing the write of {} acknowledged at "
            "{}",
            result.stale, result.reads, result.stale_final, first.key.dump(), format_duration(first.read_invoked),
            first.value.is_null() ? std::string("nothing") : first.value.dump(), first.missed,
            format_duration(first.missed_acknowledged));
        outcome.failed_at = first.read_completed;
    } else {
        outcome.summary = result.errors.front();
    }
    return outcome;
}

}  // namespace faultline::check
