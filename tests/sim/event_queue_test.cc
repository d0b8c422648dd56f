// The event queue is a total order: events come out by time, and events at the
// same time in the order they were pushed, however pushes and pops interleave.
#include "sim/event_queue.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <vector>

namespace faultline::sim {
namespace {

RC_GTEST_PROP(EventQueue, PopsInTimeThenInsertionOrder, ()) {
    // Each step either pushes an event at a time from a small range (many ties)
    // or pops one. The reference model is a sorted list of (time, push order).
    const auto steps = *rc::gen::container<std::vector<std::pair<bool, int>>>(
        rc::gen::pair(rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 20)));
    EventQueue queue;
    std::vector<std::pair<Nanos, std::uint32_t>> model;
    std::uint32_t pushed = 0;
    Nanos last_popped = 0;
    for (const auto& [is_push, time] : steps) {
        if (is_push || queue.empty()) {
            // Times never go below the last popped one, as in the simulator.
            const Nanos at = last_popped + time;
            queue.push(at, 0, pushed, 0);
            model.emplace_back(at, pushed);
            ++pushed;
        } else {
            auto expected = std::min_element(model.begin(), model.end());
            const Event event = queue.pop();
            RC_ASSERT(event.time == expected->first);
            RC_ASSERT(event.slot == expected->second);
            last_popped = event.time;
            model.erase(expected);
        }
        RC_ASSERT(queue.size() == model.size());
    }
    std::sort(model.begin(), model.end());
    for (const auto& [time, order] : model) {
        const Event event = queue.pop();
        RC_ASSERT(event.time == time);
        RC_ASSERT(event.slot == order);
    }
    RC_ASSERT(queue.empty());
}

TEST(EventQueue, TiesKeepInsertionOrder) {
    EventQueue queue;
    for (std::uint32_t i = 0; i < 100; ++i) queue.push(5, 0, i, 0);
    for (std::uint32_t i = 0; i < 100; ++i) EXPECT_EQ(queue.pop().slot, i);
}

}  // namespace
}  // namespace faultline::sim
