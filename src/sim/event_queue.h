// EventQueue: the simulator's agenda, a min-heap ordered by (time, sequence).
//
// Each push gets the next sequence number, so events due at the same virtual
// time come out in the order they were pushed: the queue is a total order and a
// run never depends on how the heap happens to break ties. An event carries a
// kind and two 32-bit words; what they refer to is the simulator's business.
// Times are never negative (virtual time starts at 0), which lets (time,
// sequence) compare as one unsigned 128-bit number.
//
// The heap is 4-ary: shallower than a binary heap, and a node's four children
// share a cache line or two, which matters at millions of events per second.
#pragma once

#include <cstdint>
#include <vector>

#include "base/assert.h"
#include "base/time.h"
#include "base/types.h"

namespace faultline::sim {

// 32 bytes, every one of them a field: with a one-byte kind and padding after
// it, copies of an event were made of overlapping unaligned moves, and reading
// one just written stalled the store buffer (a fifth of the bare engine's time).
struct Event {
    Nanos time = 0;
    std::uint64_t sequence = 0;
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;
    std::uint32_t kind = 0;
    std::uint32_t unused = 0;
};
static_assert(sizeof(Event) == 32);

class EventQueue {
  public:
    bool empty() const { return heap_.empty(); }
    std::size_t size() const { return heap_.size(); }
    const Event& top() const {
        FL_ASSERT(!heap_.empty());
        return heap_.front();
    }

    // Returns the sequence number the event was given.
    std::uint64_t push(Nanos time, std::uint8_t kind, std::uint32_t slot, std::uint32_t generation) {
        FL_ASSERT_GE(time, 0);
        const std::uint64_t sequence = next_sequence_++;
        // The new event's sequence is above every queued one's, so it goes
        // before a parent exactly when its time is earlier.
        std::size_t index = heap_.size();
        heap_.emplace_back();
        while (index > 0) {
            const std::size_t parent = (index - 1) / arity;
            if (!(time < heap_[parent].time)) break;
            heap_[index] = heap_[parent];
            index = parent;
        }
        Event& event = heap_[index];
        event.time = time;
        event.sequence = sequence;
        event.slot = slot;
        event.generation = generation;
        event.kind = kind;
        return sequence;
    }

    Event pop() {
        FL_ASSERT(!heap_.empty());
        // Field by field, as push() stores them: the event just pushed is often
        // the next one popped, and a load wider than the stores before it
        // stalls until they are written.
        const Event& top = heap_.front();
        Event first;
        first.time = top.time;
        first.sequence = top.sequence;
        first.slot = top.slot;
        first.generation = top.generation;
        first.kind = top.kind;
        if (heap_.size() > 1) {
            const Event last = heap_.back();
            heap_.pop_back();
            sift_down(last);
        } else {
            heap_.pop_back();
        }
        return first;
    }

  private:
    static constexpr std::size_t arity = 4;

    // (time, sequence) as one unsigned number (times are never negative):
    // comparing two is branch-free, so picking the earliest of four children
    // takes conditional moves, not branches the processor mispredicts.
    static UInt128 key(const Event& event) {
        return static_cast<UInt128>(static_cast<std::uint64_t>(event.time)) << 64 | event.sequence;
    }

    // Places `moving` (the last event) from the root down.
    void sift_down(const Event& moving) {
        const UInt128 moving_key = key(moving);
        std::size_t index = 0;
        const std::size_t count = heap_.size();
        while (true) {
            const std::size_t first_child = index * arity + 1;
            if (first_child >= count) break;
            std::size_t best = first_child;
            UInt128 best_key = key(heap_[first_child]);
            const std::size_t last_child = first_child + arity < count ? first_child + arity : count;
            for (std::size_t child = first_child + 1; child < last_child; ++child) {
                const UInt128 child_key = key(heap_[child]);
                const bool earlier = child_key < best_key;
                best = earlier ? child : best;
                best_key = earlier ? child_key : best_key;
            }
            if (!(best_key < moving_key)) break;
            heap_[index] = heap_[best];
            index = best;
        }
        heap_[index] = moving;
    }

    std::vector<Event> heap_;
    std::uint64_t next_sequence_ = 0;
};

}  // namespace faultline::sim
