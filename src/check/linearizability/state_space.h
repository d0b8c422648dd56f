// StateSpace<M>: how the search sees a model. It names every model state by a
// 64-bit word and steps words, so the search core never touches State values.
//
// Models whose State fits a word (registers, mutex, counter) use the state
// itself as its name and step it directly. Other models (strings, sets, queues,
// maps) have their states interned into dense ids, and every transition
// (state id, op) is computed once and remembered: the search revisits the same
// transitions constantly, and a memo lookup is far cheaper than copying a
// string or a vector. This is Knossos' `memo` idea, built lazily so infinite
// state spaces are fine.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "base/assert.h"
#include "check/linearizability/flat_map.h"

namespace faultline::check::lin {

// The model of one group of a grouped model (the model itself otherwise).
template <class M>
struct GroupedInner {
    using State = typename M::State;
};
template <class M>
requires requires {
    typename M::Inner;
}
struct GroupedInner<M> {
    using State = typename M::Inner::State;
};

template <class M>
class StateSpace {
  public:
    using State = typename M::State;
    using Op = typename M::Op;
    // Whether the model is a map of independent objects (MapModel): ops touch
    // one group (key) each, and a state's part for one group can be named.
    static constexpr bool kGrouped = requires(const M& m, const State& s, const Op& o) {
        typename M::Inner;
        m.group(o);
        m.component(s, 0u);
    };
    // Whether the model declares monotone state (see models/model.h).
    static constexpr bool kMonotone = requires(const M& m, const Op& o, const State& s) {
        m.group_count();
        m.group(o);
        m.resets(o);
        m.may_reach(s, o);
        m.reset_may_reach(o, o);
    };
    static constexpr bool kUnobservable = kMonotone && requires(const M& m, const State& s) {
        m.unobservable(s, 0u);
        m.is_unobservable(s, 0u);
    };

    StateSpace(const M& model, std::span<const Op> ops) : model_(&model), ops_(ops) {}

    std::uint64_t intern(const State& state) {
        if constexpr (M::kWordState) {
            return to_word(state);
        } else {
            const std::uint64_t h = M::hash(state);
            const std::uint32_t found = index_.find_if(h, [&](std::uint32_t id) { return states_[id] == state; });
            if (found != FlatMap64::kAbsent) return found;
            const auto id = static_cast<std::uint32_t>(states_.size());
            FL_ASSERT_LT(id, FlatMap64::kAbsent - 1);
            states_.push_back(state);
            state_bytes_ += bytes_of(state);
            index_.insert_duplicate(h, id);
            return id;
        }
    }

    std::uint64_t initial() { return intern(model_->initial()); }

    // Steps the state named `word` by op `op`: true and `next` if legal.
    bool step(std::uint64_t word, std::uint32_t op, std::uint64_t& next) {
        FL_ASSERT_LT(op, ops_.size());
        if constexpr (M::kWordState) {
            State after{};
            if (!model_->step(from_word(word), ops_[op], after)) return false;
            next = to_word(after);
            return true;
        } else {
            FL_ASSERT_LT(word, states_.size());
            const std::uint64_t key = word << 32 | op;
            const std::uint32_t memo = memo_.find(key);
            if (memo != FlatMap64::kAbsent) {
                if (memo == kIllegalId) return false;
                next = memo;
                return true;
            }
            scratch_ = State{};
            const bool legal = model_->step(states_[word], ops_[op], scratch_);
            const std::uint32_t result = legal ? static_cast<std::uint32_t>(intern(scratch_)) : kIllegalId;
            memo_.insert(key, result);
            if (!legal) return false;
            next = result;
            return true;
        }
    }

    State state(std::uint64_t word) const {
        if constexpr (M::kWordState) {
            return from_word(word);
        } else {
            FL_ASSERT_LT(word, states_.size());
            return states_[word];
        }
    }

    bool same_op(std::uint32_t a, std::uint32_t b) const { return ops_[a] == ops_[b]; }

    // True if op `op` never changes any state (see Search: forcing).
    bool read_only(std::uint32_t op) const { return model_->read_only(ops_[op]); }

    std::uint32_t group_count() const requires kMonotone { return model_->group_count(); }
    std::uint32_t group(std::uint32_t op) const requires kMonotone { return model_->group(ops_[op]); }
    bool resets(std::uint32_t op) const requires kMonotone { return model_->resets(ops_[op]); }
    // The state named `word` with part `group` made unobservable.
    std::uint64_t make_unobservable(std::uint64_t word, std::uint32_t group) requires kUnobservable {
        FL_ASSERT_LT(word, states_.size());
        return intern(model_->unobservable(states_[word], group));
    }
    bool is_unobservable(std::uint64_t word, std::uint32_t group) const requires kUnobservable {
        FL_ASSERT_LT(word, states_.size());
        return model_->is_unobservable(states_[word], group);
    }
    std::uint32_t group_of_op(std::uint32_t op) const requires kGrouped { return model_->group(ops_[op]); }
    std::uint32_t groups() const requires kGrouped { return model_->group_count(); }
    // A name for the part of state `word` that belongs to `group`: equal parts
    // get equal names. Remembered per (state, group).
    std::uint64_t component(std::uint64_t word, std::uint32_t group) requires kGrouped {
        using Inner = typename M::Inner;
        FL_ASSERT_LT(word, states_.size());
        const auto& part = model_->component(states_[word], group);
        if constexpr (Inner::kWordState) {
            static_assert(sizeof(part) <= sizeof(std::uint64_t));
            std::uint64_t out = 0;
            std::memcpy(&out, &part, sizeof(part));
            return out;
        } else {
            const std::uint64_t key = word << 32 | group;
            const std::uint32_t memo = component_memo_.find(key);
            if (memo != FlatMap64::kAbsent) return memo;
            const std::uint64_t h = Inner::hash(part);
            std::uint32_t id =
                component_index_.find_if(h, [&](std::uint32_t candidate) { return components_[candidate] == part; });
            if (id == FlatMap64::kAbsent) {
                id = static_cast<std::uint32_t>(components_.size());
                components_.push_back(part);
                component_index_.insert_duplicate(h, id);
            }
            component_memo_.insert(key, id);
            return id;
        }
    }
    // Whether the reset op `reset` can lead to a state where `read` is legal.
    bool reset_may_reach(std::uint32_t reset, std::uint32_t read) requires kMonotone {
        const std::uint64_t key = std::uint64_t{reset} << 32 | read;
        const std::uint32_t memo = reset_memo_.find(key);
        if (memo != FlatMap64::kAbsent) return memo == 1;
        const bool result = model_->reset_may_reach(ops_[reset], ops_[read]);
        reset_memo_.insert(key, result ? 1 : 0);
        return result;
    }
    // False if no sequence of non-reset ops leads from `word` to a state where
    // the read-only op `op` is legal. Remembered per (state, op).
    bool may_reach(std::uint64_t word, std::uint32_t op) requires kMonotone {
        if constexpr (M::kWordState) {
            return model_->may_reach(from_word(word), ops_[op]);
        } else {
            const std::uint64_t key = word << 32 | op;
            const std::uint32_t memo = reach_memo_.find(key);
            if (memo != FlatMap64::kAbsent) return memo == 1;
            const bool result = model_->may_reach(states_[word], ops_[op]);
            reach_memo_.insert(key, result ? 1 : 0);
            return result;
        }
    }

    const M& model() const { return *model_; }
    const Op& op(std::uint32_t index) const { return ops_[index]; }
    std::size_t op_count() const { return ops_.size(); }
    std::size_t bytes() const {
        if constexpr (M::kWordState) {
            return 0;
        } else {
            return state_bytes_ + index_.bytes() + memo_.bytes() + reach_memo_.bytes() + reset_memo_.bytes() +
                   component_index_.bytes() + component_memo_.bytes() +
                   components_.capacity() * sizeof(typename GroupedInner<M>::State);
        }
    }

  private:
    static constexpr std::uint32_t kIllegalId = FlatMap64::kAbsent - 1;

    static std::uint64_t to_word(const State& state) {
        static_assert(sizeof(State) <= sizeof(std::uint64_t) && std::is_trivially_copyable_v<State>);
        std::uint64_t word = 0;
        std::memcpy(&word, &state, sizeof(State));
        return word;
    }
    static State from_word(std::uint64_t word) {
        State state{};
        std::memcpy(&state, &word, sizeof(State));
        return state;
    }
    template <class T>
    static std::size_t bytes_of(const T& state) {
        if constexpr (requires { state.capacity(); }) {
            std::size_t bytes = sizeof(T) + state.capacity() * sizeof(typename T::value_type);
            if constexpr (requires { state.front().capacity(); }) {
                for (const auto& item : state) bytes += item.capacity();
            }
            return bytes;
        } else {
            return sizeof(T);
        }
    }

    const M* model_;
    std::span<const Op> ops_;
    std::vector<State> states_;
    FlatMap64 index_;
    FlatMap64 memo_;
    FlatMap64 reach_memo_;
    FlatMap64 reset_memo_;
    // Grouped models: interned parts of states.
    std::vector<typename GroupedInner<M>::State> components_;
    FlatMap64 component_index_;
    FlatMap64 component_memo_;
    State scratch_{};
    std::size_t state_bytes_ = 0;
};

}  // namespace faultline::check::lin
