// EventQueue: the simulator's agenda, a min-heap ordered by (time, sequence).
//
// Each push gets the next sequence number, so events due at the same virtual
// time come out in the order they were pushed: the queue is a total order and a
// run never depends on how the heap happens to break ties. An event carries a
// kind and two 32-bit words; what they refer to is the simulator's business.
//
// The heap is 4-ary: shallower than a binary heap, and a node's four children
// share a cache line or two, which matters at millions of events per second.
#pragma once

#include <cstdint>
#include <vector>

#include "base/assert.h"
#include "base/time.h"

namespace faultline::sim {

struct Event {
    Nanos time = 0;
    std::uint64_t sequence = 0;
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;
    std::uint8_t kind = 0;
};

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
        const Event event{time, next_sequence_++, slot, generation, kind};
        heap_.push_back(event);
        sift_up(heap_.size() - 1);
        return event.sequence;
    }

    Event pop() {
        FL_ASSERT(!heap_.empty());
        const Event first = heap_.front();
        heap_.front() = heap_.back();
        heap_.pop_back();
        if (!heap_.empty()) sift_down(0);
        return first;
    }

  private:
    static constexpr std::size_t arity = 4;

    static bool before(const Event& a, const Event& b) {
        return a.time < b.time || (a.time == b.time && a.sequence < b.sequence);
    }

    void sift_up(std::size_t index) {
        const Event moving = heap_[index];
        while (index > 0) {
            const std::size_t parent = (index - 1) / arity;
            if (!before(moving, heap_[parent])) break;
            heap_[index] = heap_[parent];
            index = parent;
        }
        heap_[index] = moving;
    }

    void sift_down(std::size_t index) {
        const Event moving = heap_[index];
        const std::size_t count = heap_.size();
        while (true) {
            const std::size_t first_child = index * arity + 1;
            if (first_child >= count) break;
            std::size_t best = first_child;
            const std::size_t last_child = first_child + arity < count ? first_child + arity : count;
            for (std::size_t child = first_child + 1; child < last_child; ++child) {
                if (before(heap_[child], heap_[best])) best = child;
            }
            if (!before(heap_[best], moving)) break;
            heap_[index] = heap_[best];
            index = best;
        }
        heap_[index] = moving;
    }

    std::vector<Event> heap_;
    std::uint64_t next_sequence_ = 0;
};

}  // namespace faultline::sim
