#include "exhaustive/explorer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "base/hash.h"

namespace faultline::exhaustive {

namespace {

void append_u32(std::string& out, std::uint32_t value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

// Keeps the messages in flight sorted: the multiset, not the order of sending.
void insert_sorted(std::vector<Message>& in_flight, Message message) {
    in_flight.insert(std::upper_bound(in_flight.begin(), in_flight.end(), message), std::move(message));
}

// 1234567 -> "1,234,567": state counts are read by people.
std::string grouped(std::uint64_t value) {
    std::string digits = std::to_string(value);
    for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3)
        digits.insert(static_cast<std::size_t>(at), ",");
    return digits;
}

// The path to a state: for each state reached, the state it was reached from
// and which of that state's steps (by index) led to it.
struct Parent {
    std::uint32_t state = 0;
    std::uint32_t step = 0;
};

constexpr std::uint32_t kNoParent = ~std::uint32_t{0};

}  // namespace

const char* fate_name(Fate fate) {
    switch (fate) {
        case Fate::delivered:
            return "delivered";
        case Fate::lost:
            return "LOST";
        case Fate::forged:
            return "FORGED";
    }
    FL_UNREACHABLE();
}

std::string State::encode() const {
    std::string out;
    std::string node_bytes;
    append_u32(out, static_cast<std::uint32_t>(nodes_.size()));
    for (const auto& node : nodes_) {
        node_bytes.clear();
        node->encode(node_bytes);
        // Length-prefixed, so no two different lists of node states give the same bytes.
        append_u32(out, static_cast<std::uint32_t>(node_bytes.size()));
        out += node_bytes;
    }
    append_u32(out, static_cast<std::uint32_t>(in_flight_.size()));
    for (const Message& message : in_flight_) {
        append_u32(out, static_cast<std::uint32_t>(message.from));
        append_u32(out, static_cast<std::uint32_t>(message.to));
        append_u32(out, static_cast<std::uint32_t>(message.body.size()));
        out += message.body;
    }
    append_u32(out, static_cast<std::uint32_t>(lost_));
    return out;
}

void ExplorationStats::add(const ExplorationStats& other) {
    states += other.states;
    transitions += other.transitions;
    final_states += other.final_states;
    violations += other.violations;
    depth = std::max(depth, other.depth);
    cut_by_depth += other.cut_by_depth;
    cut_by_in_flight += other.cut_by_in_flight;
    stopped_at_max_states = stopped_at_max_states || other.stopped_at_max_states;
    stopped_at_max_memory = stopped_at_max_memory || other.stopped_at_max_memory;
    peak_memory_bytes = std::max(peak_memory_bytes, other.peak_memory_bytes);
    seconds += other.seconds;
}

std::string ExplorationStats::summary() const {
    std::string bounds = "complete";
    if (!complete()) {
        std::vector<std::string> cuts;
        if (stopped_at_max_states) cuts.push_back("stopped at max-states");
        if (stopped_at_max_memory) cuts.push_back("stopped at max-memory");
        if (cut_by_depth > 0) cuts.push_back(fmt::format("{} states at max-depth", grouped(cut_by_depth)));
        if (cut_by_in_flight > 0)
            cuts.push_back(fmt::format("{} states over max-in-flight", grouped(cut_by_in_flight)));
        bounds = fmt::format("INCOMPLETE ({})", fmt::join(cuts, ", "));
    }
    return fmt::format(
        "{} states, {} transitions, {} final ({} failing), depth {}, {}, {:.3f} s ({} states/s), about {} KiB held",
        grouped(states), grouped(transitions), grouped(final_states), grouped(violations), depth, bounds, seconds,
        grouped(static_cast<std::uint64_t>(states_per_second())),
        grouped(static_cast<std::uint64_t>((peak_memory_bytes + 1023) / 1024)));
}

State start_state(const TinySystem& system) {
    FL_ASSERT(!system.nodes.empty());
    FL_ASSERT(system.traitors.empty() || system.traitors.size() == system.nodes.size());
    State state;
    std::vector<Message> sent;
    const int nodes = static_cast<int>(system.nodes.size());
    for (int index = 0; index < nodes; ++index) {
        std::unique_ptr<Machine> node = system.nodes[index]->clone();
        Outbox out(index, nodes, sent);
        node->start(out);
        state.nodes_.push_back(std::move(node));
    }
    for (Message& message : sent) insert_sorted(state.in_flight_, std::move(message));
    return state;
}

std::vector<Step> steps_from(const TinySystem& system, const State& state, const Bounds& bounds) {
    std::vector<Step> steps;
    const std::vector<Message>& in_flight = state.in_flight();
    for (std::size_t i = 0; i < in_flight.size(); ++i) {
        // Two copies of one message open the same branches: take the first.
        if (i > 0 && in_flight[i] == in_flight[i - 1]) continue;
        // Deliveries that commute: the first message's fates stand for every order.
        if (system.deliveries_commute && i > 0) break;
        const Message& message = in_flight[i];
        if (system.is_traitor(message.from)) {
            FL_ASSERT_MSG(static_cast<bool>(system.forgeries), "a system with traitors lists their forgeries");
            std::vector<std::string> bodies = system.forgeries(message);
            FL_ASSERT_MSG(!bodies.empty(), "a traitor must send something in place of a message");
            std::vector<std::string> seen;
            for (std::string& body : bodies) {
                if (std::find(seen.begin(), seen.end(), body) != seen.end()) continue;
                seen.push_back(body);
                const Fate fate = body == message.body ? Fate::delivered : Fate::forged;
                steps.push_back(Step{message, fate, std::move(body)});
            }
        } else {
            steps.push_back(Step{message, Fate::delivered, message.body});
        }
        if (system.lossy && state.lost() < bounds.max_lost) steps.push_back(Step{message, Fate::lost, ""});
    }
    return steps;
}

State take_step(const TinySystem& system, const State& state, const Step& step) {
    State next = state;
    auto found = std::lower_bound(next.in_flight_.begin(), next.in_flight_.end(), step.message);
    FL_ASSERT_MSG(found != next.in_flight_.end() && *found == step.message, "the step's message is not in flight");
    next.in_flight_.erase(found);
    if (step.fate == Fate::lost) {
        FL_ASSERT(system.lossy);
        FL_ASSERT(step.body.empty());
        ++next.lost_;
        return next;
    }
    FL_ASSERT(step.fate == Fate::delivered || system.is_traitor(step.message.from));
    FL_ASSERT(step.fate == Fate::forged || step.body == step.message.body);
    const int to = step.message.to;
    std::unique_ptr<Machine> receiver = state.nodes_[to]->clone();
    std::vector<Message> sent;
    Outbox out(to, state.nodes(), sent);
    receiver->receive(Message{step.message.from, to, step.body}, out);
    next.nodes_[to] = std::move(receiver);
    for (Message& message : sent) insert_sorted(next.in_flight_, std::move(message));
    return next;
}

Exploration explore(const TinySystem& system, const Property& property, const Bounds& bounds) {
    FL_ASSERT_GE(bounds.max_states, 1);
    FL_ASSERT_GE(bounds.max_memory_mb, 1);
    FL_ASSERT_GE(bounds.max_depth, 0);
    FL_ASSERT_GE(bounds.max_lost, 0);
    FL_ASSERT_GE(bounds.max_in_flight, 0);
    FL_ASSERT_LE(bounds.max_states, std::int64_t{kNoParent});  // state indexes are 32-bit
    const auto began = std::chrono::steady_clock::now();
    Exploration result;
    ExplorationStats& stats = result.stats;
    std::unordered_set<std::uint64_t> visited;
    std::vector<Parent> parents;
    std::optional<std::uint32_t> failing;  // the first failing final state

    // The estimate of what the search holds (see Bounds): the visited states,
    // and the states of the level being expanded and of the next one.
    const std::int64_t max_memory_bytes = bounds.max_memory_mb * 1024 * 1024;
    std::int64_t level_bytes = 0;
    std::int64_t next_level_bytes = 0;

    // A state reached for the first time: counted, judged if final, kept for
    // the next level. False when the search must stop (max_states, max_memory).
    auto reach = [&](State state, Parent parent, std::vector<std::pair<State, std::uint32_t>>& level) {
        const std::string encoded = state.encode();
        if (!visited.insert(hash_string(encoded)).second) return true;
        const auto index = static_cast<std::uint32_t>(parents.size());
        parents.push_back(parent);
        ++stats.states;
        if (state.final()) {
            ++stats.final_states;
            if (auto violation = property(state)) {
                ++stats.violations;
                if (!failing) {
                    failing = index;
                    result.counterexample = Counterexample{{}, *violation};
                }
            }
        }
        next_level_bytes +=
            static_cast<std::int64_t>(sizeof(State) + encoded.size() + state.in_flight().size() * sizeof(Message) +
                                      static_cast<std::size_t>(state.nodes()) * sizeof(void*) * 2);
        level.emplace_back(std::move(state), index);
        const std::int64_t memory =
            static_cast<std::int64_t>(stats.states) * kBytesPerVisitedState + level_bytes + next_level_bytes;
        stats.peak_memory_bytes = std::max(stats.peak_memory_bytes, memory);
        if (static_cast<std::int64_t>(stats.states) >= bounds.max_states) {
            stats.stopped_at_max_states = true;
            return false;
        }
        if (memory >= max_memory_bytes) {
            stats.stopped_at_max_memory = true;
            return false;
        }
        return true;
    };

    std::vector<std::pair<State, std::uint32_t>> level;
    std::vector<std::pair<State, std::uint32_t>> next_level;
    bool going = reach(start_state(system), Parent{kNoParent, 0}, level);
    level_bytes = next_level_bytes;
    next_level_bytes = 0;
    for (int depth = 0; going && !level.empty(); ++depth) {
        stats.depth = depth;
        next_level.clear();
        for (const auto& [state, index] : level) {
            if (state.final()) continue;
            if (depth >= bounds.max_depth) {
                ++stats.cut_by_depth;
                continue;
            }
            if (static_cast<int>(state.in_flight().size()) > bounds.max_in_flight) {
                ++stats.cut_by_in_flight;
                continue;
            }
            const std::vector<Step> steps = steps_from(system, state, bounds);
            for (std::size_t i = 0; i < steps.size() && going; ++i) {
                ++stats.transitions;
                going =
                    reach(take_step(system, state, steps[i]), Parent{index, static_cast<std::uint32_t>(i)}, next_level);
            }
            if (!going) break;
        }
        std::swap(level, next_level);
        level_bytes = next_level_bytes;
        next_level_bytes = 0;
    }
    // The counterexample's steps: the step indexes back to the start, then
    // the steps themselves, found again by taking them forwards.
    if (failing) {
        std::vector<std::uint32_t> indexes;
        for (std::uint32_t at = *failing; parents[at].state != kNoParent; at = parents[at].state) {
            indexes.push_back(parents[at].step);
        }
        std::reverse(indexes.begin(), indexes.end());
        State state = start_state(system);
        for (std::uint32_t i : indexes) {
            const std::vector<Step> steps = steps_from(system, state, bounds);
            FL_ASSERT_LT(i, steps.size());
            state = take_step(system, state, steps[i]);
            result.counterexample->steps.push_back(steps[i]);
        }
        FL_ASSERT(state.final());
    }
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    return result;
}

Result<State> replay(const TinySystem& system, const std::vector<Step>& steps, const Bounds& bounds) {
    // Any message in flight may go next, whichever order the explorer took.
    TinySystem any_order = system;
    any_order.deliveries_commute = false;
    State state = start_state(system);
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const std::vector<Step> open = steps_from(any_order, state, bounds);
        if (std::find(open.begin(), open.end(), steps[i]) == open.end()) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("step {} ({} -> {}, {}) is not open in the state it starts from", i + 1,
                                          steps[i].message.from, steps[i].message.to, fate_name(steps[i].fate)));
        }
        state = take_step(system, state, steps[i]);
    }
    return state;
}

std::string format_timeline(const std::vector<Step>& steps, const Vocabulary& words) {
    std::string out;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const Step& step = steps[i];
        const Message& message = step.message;
        const std::string route = fmt::format("{} -> {}", words.name(message.from), words.name(message.to));
        std::string what = words.says(message, message.body);
        if (step.fate == Fate::forged) {
            what = fmt::format("{}  FORGED (its honest message: {})", words.says(message, step.body), what);
        } else if (step.fate == Fate::lost) {
            what += "  LOST";
        }
        out += fmt::format("  {:>2}. {:<16} {}\n", i + 1, route, what);
    }
    return out;
}

}  // namespace faultline::exhaustive
