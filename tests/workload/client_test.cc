// How a workload client ends an operation: a failure is definite only if the
// operation certainly did not, and never will, take effect (Jepsen's rule).
#include "workload/client.h"

#include <gtest/gtest.h>

#include "protocols/kv/messages.h"
#include "sim/simulation.h"
#include "systems/lin_kv.h"
#include "workload/kv_workload.h"

namespace faultline::workload {
namespace {

// A server that is never the leader: it rejects every request with 11.
class Rejector final : public Node {
  public:
    void start(Context&) override {}
    void on_message(Context& ctx, const Envelope& envelope) override {
        const auto* request = message_as<protocols::kv::KvRequest>(*envelope.message);
        if (request == nullptr) return;
        auto reply = std::make_shared<protocols::kv::KvReply>();
        reply->in_reply_to = request->msg_id;
        reply->op = request->command.op;
        reply->code = protocols::kv::error_unavailable;
        ctx.send(envelope.from, std::move(reply));
    }
    void on_timer(Context&, TimerId, std::uint64_t) override {}
};

// Runs one operation against servers that reject everything; returns how it ended.
check::OpType outcome_when_every_attempt_is_rejected(const std::string& f, bool requests_may_repeat) {
    sim::Simulation simulation(sim::SimulationOptions{});
    simulation.add_server("n0", [] { return std::make_unique<Rejector>(); });
    simulation.add_server("n1", [] { return std::make_unique<Rejector>(); });
    HistoryRecorder recorder([&simulation] { return simulation.now(); });
    ClientOptions options;
    options.requests_may_repeat = requests_may_repeat;
    options.retries_max = 3;
    auto codec = std::make_shared<systems::KvCodec>();
    const NodeId client =
        simulation.add_client("c0", [&] { return std::make_unique<RpcClient>(options, codec, recorder); });
    simulation.start();
    OpRequest op{f, Json(1), f == "write" ? Json(7) : Json()};
    EXPECT_TRUE(
        simulation.invoke(client, [&](Node& node, Context& ctx) { static_cast<RpcClient&>(node).invoke(ctx, op); }));
    simulation.run_for(seconds(5));
    const check::History& history = recorder.history();
    EXPECT_EQ(history.size(), 2u);
    return history.empty() ? check::OpType::invoke : history.back().type;
}

// Under duplication a copy of a rejected attempt may still reach a leader and
// be applied (shrunk-seed11980): the outcome is unknown.
TEST(RpcClient, RejectedWritesAreUnknownWhenRequestsMayRepeat) {
    EXPECT_EQ(outcome_when_every_attempt_is_rejected("write", true), check::OpType::info);
}

TEST(RpcClient, RejectedWritesFailDefinitelyWhenEachRequestArrivesOnce) {
    EXPECT_EQ(outcome_when_every_attempt_is_rejected("write", false), check::OpType::fail);
}

// A read changes nothing, so it fails definitely either way.
TEST(RpcClient, RejectedReadsFailDefinitelyEvenWhenRequestsMayRepeat) {
    EXPECT_EQ(outcome_when_every_attempt_is_rejected("read", true), check::OpType::fail);
}

}  // namespace
}  // namespace faultline::workload
