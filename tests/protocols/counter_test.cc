// The counter service: durable totals, idempotency keys, and what a crash
// between applying and answering leaves behind.
#include "protocols/counter/counter.h"

#include <gtest/gtest.h>

#include "sim/simulation.h"
#include "sim/test_nodes.h"

namespace faultline::protocols::counter {
namespace {

struct Rig {
    sim::Simulation simulation{sim::SimulationOptions{.seed = 1}};
    NodeId server;
    NodeId client;
    explicit Rig(bool deduplicate) {
        server = simulation.add_server("n0", [deduplicate] {
            return std::make_unique<CounterServer>(CounterOptions{.deduplicate = deduplicate});
        });
        client = simulation.add_client("c0", sim::testing::make_probe);
        simulation.start();
    }
    void add(std::int64_t delta, std::uint64_t sequence) {
        simulation.invoke(client, [&](Node&, Context& ctx) {
            auto request = std::make_shared<CounterRequest>();
            request->msg_id = sequence;
            request->delta = delta;
            request->client = 1;
            request->sequence = sequence;
            ctx.send(server, request);
        });
    }
    CounterServer& counter() { return *simulation.node_as<CounterServer>(server); }
};

TEST(CounterServer, ARepeatedKeyAppliesOnceWhenDeduplicating) {
    for (bool deduplicate : {false, true}) {
        Rig rig(deduplicate);
        rig.add(5, 1);
        rig.add(5, 1);  // a retry of the same operation
        rig.add(2, 2);
        rig.simulation.run_for(seconds(1));
        EXPECT_EQ(rig.counter().total(), deduplicate ? 7 : 12) << "deduplicate " << deduplicate;
    }
}

TEST(CounterServer, AppliedAddsSurviveACrashBeforeTheAnswer) {
    Rig rig(true);
    rig.add(5, 1);
    rig.simulation.run_for(milliseconds(2));  // applied and synced, the answer not yet sent
    rig.simulation.crash(rig.server);
    rig.simulation.restart(rig.server);
    rig.simulation.run_for(seconds(1));
    EXPECT_EQ(rig.counter().total(), 5);
    EXPECT_TRUE(rig.simulation.node_as<sim::testing::ProbeNode>(rig.client)->received.empty())
        << "the answer should have died with the server";
    rig.add(5, 1);  // the client's retry: recognised by its key
    rig.simulation.run_for(seconds(1));
    EXPECT_EQ(rig.counter().total(), 5);
    EXPECT_EQ(rig.simulation.node_as<sim::testing::ProbeNode>(rig.client)->received.size(), 1u);
}

}  // namespace
}  // namespace faultline::protocols::counter
