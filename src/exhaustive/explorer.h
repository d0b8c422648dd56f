// The exhaustive explorer: every interleaving, every loss and every choice of a
// traitor in a tiny system (machine.h), up to declared bounds, each distinct
// state expanded once. The simulator samples runs; this enumerates them, for
// systems small enough that "every run" is a number one can print, and a
// result that holds for all of them (or a run where it fails) is a proof
// about the bounded system rather than a sample.
//
// A state is the nodes' states, the messages in flight (a multiset, kept
// sorted, so the order in which they were sent does not tell two states
// apart) and the number of messages lost so far. From a state, each message
// in flight may, in one step:
//   - arrive as sent;
//   - be lost, if the links are lossy and fewer than max_lost were lost;
//   - arrive with another body, if its sender is a traitor: each body that
//     `forgeries` lists for it, in that order (its honest body among them or
//     not), and then the traitor sent that body in its place.
// A state with nothing in flight is final, and the property is judged there.
//
// Search is breadth-first: the counterexample it reports is a shortest path
// to a failing final state, and the depth bound is exact (a state is first
// reached at its least depth). Every state reached is hashed (XXH3, 64 bits,
// over its canonical bytes) into the visited set and is expanded once: hash
// compaction (Holzmann), in which a collision would leave a state unexplored;
// with a million states its probability is about 3e-8.
//
// A system may declare that its deliveries commute (delivering a then b, or
// losing one of them, leaves the same state as the other order): then one
// order stands for all, and the explorer only takes the first message in
// flight, branching on its fate. Every final state is still reached. The
// explorer cannot check the declaration; the systems' tests compare both.
//
// Bounds (Bounds, below) are declared and reported: a state beyond one is not
// expanded, and the exploration is then incomplete, so a property that held
// is "unknown", not "valid". Memory: the visited set and the parent table
// take about 50 bytes a state (about 50 MiB at the default max_states, 2^20),
// plus the states of the level being expanded and of the next one, which can
// weigh far more (each holds its messages in flight and the node a step
// changed). The explorer estimates both (a kept state counts as its
// canonical bytes, its message slots and its node pointers) and stops at
// max_memory_mb, so that a system too big to explore ends "unknown" instead
// of exhausting the machine.
//
// Deterministic: steps are enumerated in the order of the sorted messages in
// flight; for each, arrival (or the forgeries, in order), then loss.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "exhaustive/machine.h"

namespace faultline::exhaustive {

struct Step;

struct Bounds {
    std::int64_t max_states = std::int64_t{1} << 20;  // distinct states kept; the search stops there
    std::int64_t max_memory_mb = 1024;                // the estimate below; the search stops there
    int max_depth = 256;                              // steps from the start
    int max_lost = 64;                                // messages lost along one path
    int max_in_flight = 64;                           // messages in flight in one state
};

// The memory a search holds, as the explorer estimates it: each visited
// state's hash and parent, and each state of the two levels it keeps whole.
inline constexpr std::int64_t kBytesPerVisitedState = 48;

// A tiny system: its nodes before their start, and what may go wrong.
struct TinySystem {
    std::vector<std::shared_ptr<const Machine>> nodes;
    bool lossy = false;          // any message may be lost
    std::vector<bool> traitors;  // by node (empty: none)
    // The bodies a traitor may send in place of `message`. Required when
    // there is a traitor; a non-empty list.
    std::function<std::vector<std::string>(const Message& message)> forgeries;
    bool deliveries_commute = false;  // see above: one order stands for all

    bool is_traitor(int node) const { return node < static_cast<int>(traitors.size()) && traitors[node]; }
};

class State {
  public:
    int nodes() const { return static_cast<int>(nodes_.size()); }
    const Machine& node(int index) const {
        FL_ASSERT_GE(index, 0);
        FL_ASSERT_LT(index, nodes());
        return *nodes_[index];
    }
    // The node as its own type (the property's view of it).
    template <class T>
    const T& node_as(int index) const {
        const T* typed = dynamic_cast<const T*>(&node(index));
        FL_ASSERT_MSG(typed != nullptr, "node of another type");
        return *typed;
    }
    const std::vector<Message>& in_flight() const { return in_flight_; }
    int lost() const { return lost_; }
    bool final() const { return in_flight_.empty(); }
    // The canonical bytes: every node's state, the sorted messages, the losses.
    std::string encode() const;

  private:
    friend State start_state(const TinySystem& system);
    friend State take_step(const TinySystem& system, const State& state, const Step& step);
    // Shared between states until a step changes one: a step clones only
    // the node that receives.
    std::vector<std::shared_ptr<const Machine>> nodes_;
    std::vector<Message> in_flight_;
    int lost_ = 0;
};

enum class Fate { delivered, lost, forged };
const char* fate_name(Fate fate);

// One step of a path: a message in flight and what became of it.
struct Step {
    Message message;  // as its sender's code sent it
    Fate fate = Fate::delivered;
    std::string body;  // what arrived (message.body unless forged; empty if lost)

    bool operator==(const Step&) const = default;
};

// Judges a final state: nullopt if the property holds, else what went wrong.
using Property = std::function<std::optional<std::string>(const State& state)>;

struct ExplorationStats {
    std::uint64_t states = 0;            // distinct states reached, the start among them
    std::uint64_t transitions = 0;       // steps taken, to new states or to ones seen before
    std::uint64_t final_states = 0;      // distinct final states
    std::uint64_t violations = 0;        // final states where the property failed
    int depth = 0;                       // the deepest level reached
    std::uint64_t cut_by_depth = 0;      // states left unexpanded by max_depth
    std::uint64_t cut_by_in_flight = 0;  // ... by max_in_flight
    bool stopped_at_max_states = false;  // the search stopped: max_states states kept
    bool stopped_at_max_memory = false;  // ... or its memory estimate reached max_memory_mb
    std::int64_t peak_memory_bytes = 0;  // the highest estimate
    double seconds = 0;

    bool complete() const {
        return cut_by_depth == 0 && cut_by_in_flight == 0 && !stopped_at_max_states && !stopped_at_max_memory;
    }
    double states_per_second() const { return seconds > 0 ? static_cast<double>(states) / seconds : 0; }
    // Adds another exploration's counts (several starts reported as one).
    void add(const ExplorationStats& other);
    // "1,234 states, 2,345 transitions, 56 final (3 failing), depth 9, complete, 0.01 s (123,456 states/s)"
    std::string summary() const;
};

struct Counterexample {
    std::vector<Step> steps;  // from the start state, a shortest path
    std::string violation;    // what the property said
};

struct Exploration {
    ExplorationStats stats;
    std::optional<Counterexample> counterexample;  // the first failing final state, in search order
};

// The start state: each node started, in node order.
State start_state(const TinySystem& system);
// The steps open in `state`, in the explorer's order.
std::vector<Step> steps_from(const TinySystem& system, const State& state, const Bounds& bounds);
// The state a step leads to (the step must be open in `state`).
State take_step(const TinySystem& system, const State& state, const Step& step);

Exploration explore(const TinySystem& system, const Property& property, const Bounds& bounds);

// Follows `steps` from the start state, checking that each is open there
// (in any order of delivery, even for a system whose deliveries commute);
// the state it ends in, or an error naming the first step that is not open.
Result<State> replay(const TinySystem& system, const std::vector<Step>& steps, const Bounds& bounds = {});

// How a system's messages read in a timeline.
struct Vocabulary {
    std::function<std::string(int node)> name;
    // What a message says, with `body` in place of its own (a forgery).
    std::function<std::string(const Message& message, const std::string& body)> says;
};

// One line a step, numbered from 1:
//   "  3. A -> B  messenger 3: 'we both know'  LOST"
std::string format_timeline(const std::vector<Step>& steps, const Vocabulary& words);

}  // namespace faultline::exhaustive
