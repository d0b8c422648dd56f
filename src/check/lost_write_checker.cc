#include "check/lost_write_checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

namespace faultline::check {

namespace {

struct Write {
    std::int64_t value = 0;
    Nanos invoked = 0;
    std::optional<Nanos> acknowledged;  // none: failed or unknown
    bool may_have_happened = false;     // ok or unknown
};

struct Read {
    Nanos invoked = 0;
    Json value;
    bool final = false;
};

// Per key: the acknowledged writes by acknowledgement time, each with the
// write invoked last among those acknowledged so far.
struct Acknowledged {
    std::vector<const Write*> by_ack;
    std::vector<const Write*> latest_invoked;  // prefix maximum of `invoked`

    explicit Acknowledged(const std::vector<Write>& writes) {
        for (const Write& write : writes) {
            if (write.acknowledged) by_ack.push_back(&write);
        }
        std::sort(by_ack.begin(), by_ack.end(),
                  [](const Write* a, const Write* b) { return *a->acknowledged < *b->acknowledged; });
        for (const Write* write : by_ack) {
            latest_invoked.push_back(latest_invoked.empty() || write->invoked > latest_invoked.back()->invoked
                                         ? write
                                         : latest_invoked.back());
        }
    }

    // Of the writes acknowledged before `time`, the one invoked last.
    const Write* latest_completed_before(Nanos time) const {
        auto end = std::lower_bound(by_ack.begin(), by_ack.end(), time,
                                    [](const Write* write, Nanos t) { return *write->acknowledged < t; });
        if (end == by_ack.begin()) return nullptr;
        return latest_invoked[static_cast<std::size_t>(end - by_ack.begin()) - 1];
    }
};

// The history's writes of integers and ok reads, by key (as JSON).
struct KeyedOps {
    std::map<std::string, std::vector<Write>> writes;  // key (as JSON) -> writes
    std::map<std::string, std::vector<Read>> reads;    // key -> ok reads
};

KeyedOps collect_writes_and_reads(const History& history, Nanos finals_from) {
    KeyedOps ops;
    auto& writes = ops.writes;
    auto& reads = ops.reads;
    std::unordered_map<std::int64_t, const Operation*> open;  // process -> invoke
    for (const Operation& op : history) {
        if (op.type == OpType::invoke) {
            open[op.process] = &op;
            continue;
        }
        auto found = open.find(op.process);
        if (found == open.end()) continue;
        const Operation& invoke = *found->second;
        open.erase(found);
        const std::string key = invoke.key.dump();
        if (invoke.f == "write" && invoke.value.is_number_integer()) {
            Write write{invoke.value.get<std::int64_t>(), invoke.time, std::nullopt, op.type != OpType::fail};
            if (op.type == OpType::ok) write.acknowledged = op.time;
            writes[key].push_back(write);
        } else if (invoke.f == "read" && op.type == OpType::ok) {
            reads[key].push_back(Read{invoke.time, op.value, invoke.time >= finals_from});
        }
    }
    for (const auto& [process, invoke] : open) {  // never completed: unknown outcome
        if (invoke->f == "write" && invoke->value.is_number_integer()) {
            writes[invoke->key.dump()].push_back(
                Write{invoke->value.get<std::int64_t>(), invoke->time, std::nullopt, true});
        }
    }
    return ops;
}

// Holds one key's reads to its writes: final reads must agree, a read must
// return a value written, and not one an acknowledged write had replaced
// before the read began (that write was lost).
void check_key(const std::string& key, const std::vector<Read>& key_reads, const std::vector<Write>& key_writes,
               LostWriteResult& result) {
    std::unordered_map<std::int64_t, const Write*> by_value;
    for (const Write& write : key_writes) by_value[write.value] = &write;
    const Acknowledged acknowledged(key_writes);
    std::set<const Write*> lost;
    const Json* first_final = nullptr;
    for (const Read& read : key_reads) {
        ++result.reads;
        if (read.final) {
            ++result.final_reads;
            if (first_final == nullptr) {
                first_final = &read.value;
            } else if (read.value != *first_final) {
                result.errors.push_back(fmt::format("key {}: replicas disagree after healing: {} and {}", key,
                                                    first_final->dump(), read.value.dump()));
            }
        }
        if (read.value.is_null()) continue;  // absent: nothing written had arrived
        auto found = read.value.is_number_integer() ? by_value.find(read.value.get<std::int64_t>()) : by_value.end();
        if (found == by_value.end() || !found->second->may_have_happened) {
            result.errors.push_back(fmt::format("key {}: read {} at {}, a value never (successfully) written", key,
                                                read.value.dump(), format_duration(read.invoked)));
            continue;
        }
        const Write& seen = *found->second;
        if (!seen.acknowledged) continue;  // unknown outcome: it may be the latest
        const Write* later = acknowledged.latest_completed_before(read.invoked);
        if (later == nullptr || later->invoked <= *seen.acknowledged || !lost.insert(later).second) continue;
        result.errors.push_back(
            fmt::format("key {}: the write of {} (invoked at {}, acknowledged at {}) was lost: a {}read at {} still "
                        "returned the earlier write of {} (acknowledged at {})",
                        key, later->value, format_duration(later->invoked), format_duration(*later->acknowledged),
                        read.final ? "final " : "", format_duration(read.invoked), seen.value,
                        format_duration(*seen.acknowledged)));
    }
    result.lost += static_cast<std::int64_t>(lost.size());
}

}  // namespace

LostWriteResult check_lost_writes(const History& history, Nanos finals_from) {
    LostWriteResult result;
    KeyedOps ops = collect_writes_and_reads(history, finals_from);
    for (const auto& [key, key_reads] : ops.reads) {
        ++result.keys;
        check_key(key, key_reads, ops.writes[key], result);
    }
    result.valid = result.errors.empty();
    return result;
}

Outcome outcome_of(const LostWriteResult& result) {
    return Outcome{"lost-write", result.valid ? Verdict::valid : Verdict::invalid,
                   result.valid ? fmt::format("no acknowledged write lost; {} final reads agree", result.final_reads)
                                : fmt::format("{} (of {} problems)", result.errors.front(), result.errors.size()),
                   Json{{"lost", result.lost}, {"final_reads", result.final_reads}, {"errors", result.errors}}};
}

}  // namespace faultline::check
