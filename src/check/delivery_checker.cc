#include "check/delivery_checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "base/assert.h"

namespace faultline::check {

namespace {

constexpr struct {
    DeliveryProperty property;
    const char* name;
} kProperties[] = {
    {DeliveryProperty::validity, "validity"},
    {DeliveryProperty::no_duplication, "no-duplication"},
    {DeliveryProperty::no_creation, "no-creation"},
    {DeliveryProperty::agreement, "agreement"},
    {DeliveryProperty::uniform_agreement, "uniform-agreement"},
    {DeliveryProperty::fifo_order, "fifo-order"},
    {DeliveryProperty::causal_order, "causal-order"},
    {DeliveryProperty::total_order, "total-order"},
};

struct Broadcast {
    int origin = 0;
    std::size_t index = 0;  // among the origin's broadcasts
};

struct Delivery {
    std::int64_t message = 0;
    Nanos at = 0;
};

// What every check needs: who broadcast what, and each process's deliveries.
struct Index {
    std::unordered_map<std::int64_t, Broadcast> broadcasts;  // the first broadcast of each message
    std::unordered_map<std::int64_t, std::size_t> dense;     // a number per broadcast message, from 0
    std::vector<std::vector<std::int64_t>> by_origin;        // each process's broadcasts, in order
    std::vector<std::vector<Delivery>> deliveries;           // by process, in order
    // By process, then dense number: delivered (of broadcast messages only).
    std::vector<std::vector<bool>> delivered_bits;

    explicit Index(const DeliveryHistory& history)
        : by_origin(history.processes()), deliveries(history.processes()), delivered_bits(history.processes()) {
        for (const DeliveryEvent& event : history.events) {
            FL_ASSERT(event.process >= 0 && event.process < history.processes());
            if (event.kind == DeliveryEvent::Kind::broadcast) {
                if (broadcasts.contains(event.message)) continue;
                broadcasts[event.message] = {event.process, by_origin[event.process].size()};
                dense.emplace(event.message, dense.size());
                by_origin[event.process].push_back(event.message);
            } else {
                deliveries[event.process].push_back({event.message, event.at});
            }
        }
        for (int p = 0; p < history.processes(); ++p) {
            delivered_bits[p].assign(dense.size(), false);
            for (const Delivery& delivery : deliveries[p]) {
                auto found = dense.find(delivery.message);
                if (found != dense.end()) delivered_bits[p][found->second] = true;
            }
        }
    }
    // Did `process` deliver `message` (a broadcast one) at some point?
    bool delivered(int process, std::int64_t message) const {
        auto found = dense.find(message);
        return found != dense.end() && delivered_bits[process][found->second];
    }
};

// Counts violations and keeps the first, in words.
class Violations {
  public:
    Violations(const DeliveryHistory& history, DeliveryProperty property) : history_(history), property_(property) {}

    void add(std::string text, std::optional<Nanos> at, Json details) {
        if (count_++ == 0) {
            first_ = std::move(text);
            at_ = at;
            details_ = std::move(details);
        }
    }
    const std::string& name(int process) const { return history_.names[static_cast<std::size_t>(process)]; }
    std::string message(std::int64_t message, const Index& index) const {
        auto found = index.broadcasts.find(message);
        if (found == index.broadcasts.end()) return fmt::format("{}", message);
        return fmt::format("{} (from {})", message, name(found->second.origin));
    }

    Outcome outcome() const {
        Outcome outcome{property_name(property_)};
        outcome.details = Json{{"violations", count_}};
        if (count_ == 0) {
            outcome.summary = fmt::format("{}: holds", property_name(property_));
            return outcome;
        }
        outcome.verdict = Verdict::invalid;
        outcome.summary = count_ == 1 ? first_ : fmt::format("{} (and {} more)", first_, count_ - 1);
        outcome.details["first"] = details_;
        outcome.failed_at = at_;
        return outcome;
    }

  private:
    const DeliveryHistory& history_;
    DeliveryProperty property_;
    std::uint64_t count_ = 0;
    std::string first_;
    std::optional<Nanos> at_;
    Json details_;
};

bool correct(const DeliveryHistory& history, int process) {
    return history.correct[static_cast<std::size_t>(process)];
}

void check_validity(const DeliveryHistory& history, const Index& index, Violations& out) {
    for (const DeliveryEvent& event : history.events) {
        if (event.kind != DeliveryEvent::Kind::broadcast || !correct(history, event.process)) continue;
        const std::size_t id = index.dense.at(event.message);
        for (int q = 0; q < history.processes(); ++q) {
            if (!correct(history, q) || index.delivered_bits[q][id]) continue;
            out.add(fmt::format("validity: {} broadcast {} and never crashed, but {} (correct) never delivered it",
                                out.name(event.process), event.message, out.name(q)),
                    std::nullopt, Json{{"message", event.message}, {"missing_at", out.name(q)}});
        }
    }
}

void check_no_duplication(const DeliveryHistory& history, const Index& index, Violations& out) {
    for (int p = 0; p < history.processes(); ++p) {
        std::unordered_set<std::int64_t> seen;
        for (const Delivery& delivery : index.deliveries[p]) {
            if (seen.insert(delivery.message).second) continue;
            out.add(
                fmt::format("no-duplication: {} delivered {} twice", out.name(p), out.message(delivery.message, index)),
                delivery.at, Json{{"message", delivery.message}, {"process", out.name(p)}});
        }
    }
}

void check_no_creation(const DeliveryHistory& history, const Index& index, Violations& out) {
    std::unordered_map<std::int64_t, int> broadcast_so_far;
    for (const DeliveryEvent& event : history.events) {
        if (event.kind == DeliveryEvent::Kind::broadcast) {
            broadcast_so_far.emplace(event.message, event.process);
            continue;
        }
        auto found = broadcast_so_far.find(event.message);
        if (found == broadcast_so_far.end()) {
            out.add(fmt::format("no-creation: {} delivered {}, which nobody had broadcast", out.name(event.process),
                                event.message),
                    event.at, Json{{"message", event.message}, {"process", out.name(event.process)}});
        } else if (found->second != event.origin) {
            out.add(fmt::format("no-creation: {} delivered {} as from {}, but {} broadcast it", out.name(event.process),
                                event.message, out.name(event.origin), out.name(found->second)),
                    event.at, Json{{"message", event.message}, {"process", out.name(event.process)}});
        }
    }
    (void)index;
}

// Agreement, or uniform agreement: a message delivered by a correct process
// (by any process) is delivered by every correct process.
void check_agreement(const DeliveryHistory& history, const Index& index, bool uniform, Violations& out) {
    const char* name = uniform ? "uniform-agreement" : "agreement";
    std::unordered_set<std::int64_t> judged;
    for (const DeliveryEvent& event : history.events) {
        if (event.kind != DeliveryEvent::Kind::deliver) continue;
        if (!uniform && !correct(history, event.process)) continue;
        if (!judged.insert(event.message).second) continue;
        auto id = index.dense.find(event.message);
        for (int q = 0; q < history.processes(); ++q) {
            if (!correct(history, q)) continue;
            // A message nobody broadcast (no-creation's business) counts as delivered where it was.
            const bool has = id != index.dense.end()
                                 ? index.delivered_bits[q][id->second]
                                 : std::any_of(index.deliveries[q].begin(), index.deliveries[q].end(),
                                               [&](const Delivery& d) { return d.message == event.message; });
            if (has) continue;
            out.add(fmt::format("{}: {}{} delivered {}, but {} (correct) never did", name, out.name(event.process),
                                correct(history, event.process) ? "" : " (which crashed later)",
                                out.message(event.message, index), out.name(q)),
                    std::nullopt,
                    Json{{"message", event.message},
                         {"delivered_at", out.name(event.process)},
                         {"missing_at", out.name(q)}});
        }
    }
}

// Per process and origin: which of the origin's messages were delivered, and
// how many of its first ones all were.
struct Prefixes {
    std::vector<std::vector<std::vector<bool>>> delivered;  // [process][origin][index]
    std::vector<std::vector<std::size_t>> prefix;           // [process][origin]

    Prefixes(const DeliveryHistory& history, const Index& index)
        : delivered(history.processes()),
          prefix(history.processes(), std::vector<std::size_t>(history.processes(), 0)) {
        for (auto& origins : delivered) {
            for (int s = 0; s < history.processes(); ++s) origins.emplace_back(index.by_origin[s].size(), false);
        }
    }
    bool has(int process, const Broadcast& b) const { return delivered[process][b.origin][b.index]; }
    // Marks a delivery; false if it was delivered before.
    bool mark(int process, const Broadcast& b) {
        auto slot = delivered[process][b.origin].begin() + static_cast<std::ptrdiff_t>(b.index);
        if (*slot) return false;
        *slot = true;
        auto& count = prefix[process][b.origin];
        while (count < delivered[process][b.origin].size() && delivered[process][b.origin][count]) ++count;
        return true;
    }
};

void check_fifo(const DeliveryHistory& history, const Index& index, Violations& out) {
    Prefixes prefixes(history, index);
    for (const DeliveryEvent& event : history.events) {
        if (event.kind != DeliveryEvent::Kind::deliver) continue;
        auto found = index.broadcasts.find(event.message);
        if (found == index.broadcasts.end()) continue;  // no-creation's business
        const Broadcast& b = found->second;
        const std::size_t before = prefixes.prefix[event.process][b.origin];
        if (!prefixes.mark(event.process, b)) continue;  // no-duplication's business
        if (b.index <= before) continue;
        const std::int64_t skipped = index.by_origin[b.origin][before];
        out.add(fmt::format("fifo-order: {} delivered {} before {}, which {} had broadcast before it",
                            out.name(event.process), out.message(event.message, index), skipped, out.name(b.origin)),
                event.at,
                Json{{"process", out.name(event.process)}, {"delivered", event.message}, {"missing", skipped}});
    }
}

void check_causal(const DeliveryHistory& history, const Index& index, Violations& out) {
    const auto n = static_cast<std::size_t>(history.processes());
    // The god's-view vector of each process: how many of each process's
    // broadcasts are in its causal past; and each message's, at its broadcast.
    std::vector<std::vector<std::size_t>> clock(n, std::vector<std::size_t>(n, 0));
    std::unordered_map<std::int64_t, std::vector<std::size_t>> past;
    Prefixes prefixes(history, index);
    for (const DeliveryEvent& event : history.events) {
        auto found = index.broadcasts.find(event.message);
        if (found == index.broadcasts.end()) continue;
        const Broadcast& b = found->second;
        auto& mine = clock[static_cast<std::size_t>(event.process)];
        if (event.kind == DeliveryEvent::Kind::broadcast) {
            if (past.contains(event.message)) continue;
            past[event.message] = mine;
            mine[static_cast<std::size_t>(event.process)] = b.index + 1;
            continue;
        }
        if (prefixes.has(event.process, b)) continue;  // no-duplication's business
        const auto& deps = past.at(event.message);
        for (std::size_t s = 0; s < n; ++s) {
            if (prefixes.prefix[event.process][s] >= deps[s]) continue;
            const std::int64_t missing = index.by_origin[s][prefixes.prefix[event.process][s]];
            out.add(fmt::format("causal-order: {} delivered {} before {}, whose broadcast happened before {}'s",
                                out.name(event.process), out.message(event.message, index), out.message(missing, index),
                                event.message),
                    event.at,
                    Json{{"process", out.name(event.process)}, {"delivered", event.message}, {"missing", missing}});
            break;
        }
        prefixes.mark(event.process, b);
        for (std::size_t s = 0; s < n; ++s) mine[s] = std::max(mine[s], deps[s]);
        auto& own = mine[static_cast<std::size_t>(b.origin)];
        own = std::max(own, b.index + 1);
    }
}

std::uint64_t mix(std::int64_t message) {
    auto z = static_cast<std::uint64_t>(message) + 0x9e3779b97f4a7c15ULL;  // splitmix64
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// The messages `process` delivered before its first delivery of `message`, in order.
std::vector<std::int64_t> delivered_before(const Index& index, int process, std::int64_t message) {
    std::vector<std::int64_t> before;
    for (const Delivery& delivery : index.deliveries[process]) {
        if (delivery.message == message) break;
        before.push_back(delivery.message);
    }
    return before;
}

// The first of `before` (in its order) that `other` lacks.
std::optional<std::int64_t> first_missing(const std::vector<std::int64_t>& before,
                                          const std::vector<std::int64_t>& other) {
    const std::unordered_set<std::int64_t> others(other.begin(), other.end());
    for (std::int64_t m : before) {
        if (!others.contains(m)) return m;
    }
    return std::nullopt;
}

// Total order holds exactly when every process that delivers a message has
// delivered the same set of messages before it: if p delivers m1 before m2,
// m1 must be in what q delivered before m2, and the other way round. Each
// set is compared by a hash of its members (a sum of 64-bit mixes), so the
// check is linear in the deliveries; the first mismatch is then explained
// from the two sets themselves.
void check_total(const DeliveryHistory& history, const Index& index, Violations& out) {
    struct First {
        int process;
        std::uint64_t before;
    };
    std::unordered_map<std::int64_t, First> first;  // by message: who delivered it first, and its set's hash
    for (int q = 0; q < history.processes(); ++q) {
        std::uint64_t before = 0;
        std::unordered_set<std::int64_t> seen;
        for (const Delivery& delivery : index.deliveries[q]) {
            const std::int64_t m2 = delivery.message;
            if (!seen.insert(m2).second) continue;  // a repeat: no-duplication's business
            auto [found, fresh] = first.try_emplace(m2, First{q, before});
            before += mix(m2);
            if (fresh || found->second.before == before - mix(m2)) continue;
            const int p = found->second.process;
            const auto at_p = delivered_before(index, p, m2);
            const auto at_q = delivered_before(index, q, m2);
            // A message one of them delivered before m2 and the other did not.
            int earlier = p, later = q;
            std::optional<std::int64_t> m1 = first_missing(at_p, at_q);
            if (!m1) {
                std::swap(earlier, later);
                m1 = first_missing(at_q, at_p);
            }
            FL_ASSERT(m1.has_value());
            const Json details{{"first", out.name(earlier)}, {"second", out.name(later)}, {"message", m2}};
            if (index.delivered(later, *m1)) {
                out.add(fmt::format("total-order: {} delivered {} before {}, {} the other way round", out.name(earlier),
                                    out.message(*m1, index), out.message(m2, index), out.name(later)),
                        delivery.at, details);
            } else {
                out.add(fmt::format("total-order: {} delivered {} before {}, but {} delivered {} without {}",
                                    out.name(earlier), out.message(*m1, index), out.message(m2, index), out.name(later),
                                    m2, *m1),
                        delivery.at, details);
            }
        }
    }
}

}  // namespace

void DeliveryHistory::add_broadcast(int process, std::int64_t message, Nanos at) {
    events.push_back({DeliveryEvent::Kind::broadcast, process, process, message, at});
}

void DeliveryHistory::add_delivery(int process, int origin, std::int64_t message, Nanos at) {
    events.push_back({DeliveryEvent::Kind::deliver, process, origin, message, at});
}

const char* property_name(DeliveryProperty property) {
    for (const auto& entry : kProperties) {
        if (entry.property == property) return entry.name;
    }
    FL_UNREACHABLE();
}

std::optional<DeliveryProperty> parse_property(std::string_view name) {
    for (const auto& entry : kProperties) {
        if (name == entry.name) return entry.property;
    }
    return std::nullopt;
}

std::vector<DeliveryProperty> all_properties() {
    std::vector<DeliveryProperty> all;
    for (const auto& entry : kProperties) all.push_back(entry.property);
    return all;
}

Outcome check_delivery(const DeliveryHistory& history, DeliveryProperty property) {
    FL_ASSERT_EQ(history.names.size(), history.correct.size());
    const Index index(history);
    Violations out(history, property);
    switch (property) {
        case DeliveryProperty::validity:
            check_validity(history, index, out);
            break;
        case DeliveryProperty::no_duplication:
            check_no_duplication(history, index, out);
            break;
        case DeliveryProperty::no_creation:
            check_no_creation(history, index, out);
            break;
        case DeliveryProperty::agreement:
            check_agreement(history, index, false, out);
            break;
        case DeliveryProperty::uniform_agreement:
            check_agreement(history, index, true, out);
            break;
        case DeliveryProperty::fifo_order:
            check_fifo(history, index, out);
            break;
        case DeliveryProperty::causal_order:
            check_causal(history, index, out);
            break;
        case DeliveryProperty::total_order:
            check_total(history, index, out);
            break;
    }
    return out.outcome();
}

}  // namespace faultline::check
