// echo: every node answers a request with its own body. The smallest system
// there is: a first check that messages get through, and the one to copy.
#include "protocols/echo/echo.h"

#include <fmt/format.h>

#include "check/echo_checker.h"
#include "runner/system.h"
#include "workload/echo_workload.h"

namespace faultline::systems {

namespace {

using runner::CheckOutcome;
using runner::RunConfig;
using runner::Verdict;

// Clients speak the echo protocol: an EchoRequest per operation.
class EchoCodec final : public workload::ClientCodec {
  public:
    MessagePtr encode(const workload::OpRequest& op, const workload::RequestIds& ids) const override;
    std::optional<workload::DecodedReply> decode(const Message& message) const override;
};

using protocols::echo::EchoReply;
using protocols::echo::EchoRequest;

MessagePtr EchoCodec::encode(const workload::OpRequest& op, const workload::RequestIds& ids) const {
    return std::make_shared<EchoRequest>(ids.msg_id, op.value.get<std::string>());
}

std::optional<workload::DecodedReply> EchoCodec::decode(const Message& message) const {
    const auto* reply = message_as<EchoReply>(message);
    if (reply == nullptr) return std::nullopt;
    return workload::DecodedReply{reply->in_reply_to, workload::Completion{.kind = workload::Completion::Kind::ok,
                                                                           .value = Json(reply->payload)}};
}

class EchoSystem final : public runner::System {
  public:
    void build(sim::Simulation& simulation, const RunConfig& config) override {
        for (int i = 0; i < config.nodes; ++i) {
            simulation.add_server(fmt::format("n{}", i),
                                  [] { return std::make_unique<protocols::echo::EchoServer>(); });
        }
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override { return workload::next_echo_request(random); }
    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation&) override {
        return {check::outcome_of(check::check_echo(history))};
    }

  private:
    std::shared_ptr<const workload::ClientCodec> codec_ = std::make_shared<EchoCodec>();
};

const runner::SystemRegistration registration{{
    .name = "echo",
    .summary = "every node echoes each request back (a first check that messages get through)",
    .checks = {"echo"},
    .make = [](const RunConfig&) -> Result<std::unique_ptr<runner::System>> {
        return runner::new_system<EchoSystem>();
    },
}};

}  // namespace

}  // namespace faultline::systems
