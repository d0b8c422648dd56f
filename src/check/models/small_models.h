// The small single-object models: mutex, set, fifo-queue and counter, with the
// semantics of Knossos' models of the same names.
//
//   mutex       acquire (legal when free), release (legal when held).
//   set         add v; read returns the whole set, which must be equal.
//   fifo-queue  enqueue v; dequeue returns the head (nil: the queue was empty).
//               A dequeue of unknown outcome, if it took effect, removed the
//               head, whatever it was.
//   counter     add d (an integer, may be negative); read returns the total.
//
// All are keyed: ops on different keys are independent objects.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/assert.h"
#include "check/models/model.h"
#include "check/models/timed_op.h"

namespace faultline::check::models {

class MutexModel {
  public:
    using State = std::uint64_t;  // 0 free, 1 held
    static constexpr bool kWordState = true;
    static constexpr bool kKeyed = true;
    struct Op {
        bool acquire = true;
        bool operator==(const Op&) const = default;
    };

    State initial() const { return 0; }
    static std::uint64_t hash(State s) { return s; }
    static bool read_only(const Op&) { return false; }
    bool step(State s, const Op& op, State& next) const {
        next = op.acquire ? 1 : 0;
        return op.acquire ? s == 0 : s == 1;
    }
    EncodeResult<Op> encode(const OpView& view) const;
    std::string describe_op(const Op& op) const { return op.acquire ? "acquire" : "release"; }
    std::string describe_state(State s) const { return s ? "held" : "free"; }
    std::string explain(State s, const Op& op) const;
};

class SetModel {
  public:
    using State = std::vector<ValueId>;  // sorted, no duplicates
    static constexpr bool kWordState = false;
    static constexpr bool kKeyed = true;
    struct Op {
        bool add = true;
        ValueId element = kNilValue;  // add
        std::uint32_t read = 0;       // read: index into the model's table of read sets
        bool operator==(const Op&) const = default;
    };

    explicit SetModel(ValueTable& values) : values_(&values) {}
    const State& initial() const { return empty_; }
    static std::uint64_t hash(const State& s);
    static bool read_only(const Op& op) { return !op.add; }
    // Monotone: adds only grow the set, nothing resets it.
    static std::uint32_t group_count() { return 1; }
    static std::uint32_t group(const Op&) { return 0; }
    static bool resets(const Op&) { return false; }
    bool may_reach(const State& s, const Op& read) const {
        const State& want = reads_[read.read];
        return std::includes(want.begin(), want.end(), s.begin(), s.end());
    }
    static bool reset_may_reach(const Op&, const Op&) { return true; }
    bool step(const State& s, const Op& op, State& next) const;
    EncodeResult<Op> encode(const OpView& view);
    std::string describe_op(const Op& op) const;
    std::string describe_state(const State& s) const;
    std::string explain(const State& s, const Op& op) const;
    std::vector<Impossible> impossible(std::span<const TimedOp<Op>> ops) const;

  private:
    ValueTable* values_;
    State empty_;
    std::vector<State> reads_;
};

class FifoQueueModel {
  public:
    using State = std::vector<ValueId>;  // head first
    static constexpr bool kWordState = false;
    static constexpr bool kKeyed = true;
    struct Op {
        enum class Kind : std::uint8_t { enqueue, dequeue, dequeue_any };
        Kind kind = Kind::enqueue;
        ValueId value = kNilValue;  // enqueue: the value; dequeue: the head, nil if empty
        bool operator==(const Op&) const = default;
    };

    explicit FifoQueueModel(ValueTable& values) : values_(&values) {}
    const State& initial() const { return empty_; }
    static std::uint64_t hash(const State& s);
    // A dequeue that found the queue empty.
    static bool read_only(const Op& op) { return op.kind == Op::Kind::dequeue && op.value == kNilValue; }
    bool step(const State& s, const Op& op, State& next) const;
    EncodeResult<Op> encode(const OpView& view) const;
    std::string describe_op(const Op& op) const;
    std::string describe_state(const State& s) const;
    std::string explain(const State& s, const Op& op) const;
    std::vector<Impossible> impossible(std::span<const TimedOp<Op>> ops) const;

  private:
    ValueTable* values_;
    State empty_;
};

// The largest add (and, with kCounterInitialMax, the largest start) the
// counter model accepts: together they keep every total within int64.
inline constexpr std::uint64_t kCounterAddMax = std::uint64_t{1} << 31;
inline constexpr std::int64_t kCounterInitialMax = std::int64_t{1} << 62;

class CounterModel {
  public:
    using State = std::int64_t;
    static constexpr bool kWordState = true;
    static constexpr bool kKeyed = true;
    struct Op {
        bool add = true;
        std::int64_t value = 0;  // add: delta; read: the total read
        bool operator==(const Op&) const = default;
    };

    explicit CounterModel(std::int64_t initial = 0) : initial_(initial) {}
    State initial() const { return initial_; }
    static std::uint64_t hash(State s) { return static_cast<std::uint64_t>(s); }
    static bool read_only(const Op& op) { return !op.add; }
    bool step(State s, const Op& op, State& next) const {
        if (op.add) {
            // Never overflows: encode() bounds each add and the checker the
            // start (kCounterAddMax, kCounterInitialMax).
            const bool overflowed = __builtin_add_overflow(s, op.value, &next);
            FL_ASSERT(!overflowed);
            return true;
        }
        next = s;
        return s == op.value;
    }
    EncodeResult<Op> encode(const OpView& view) const;
    std::string describe_op(const Op& op) const;
    std::string describe_state(State s) const { return std::to_string(s); }
    std::string explain(State s, const Op& op) const;

  private:
    std::int64_t initial_;
};

}  // namespace faultline::check::models
