// counter: a grow-only counter service on one server; reads must fall between
// the adds known to have happened and those that may have.
#include "protocols/counter/counter.h"

#include <fmt/format.h>

#include "check/counter_checker.h"
#include "runner/system.h"
#include "workload/counter_workload.h"

namespace faultline::systems {

namespace {

using runner::CheckOutcome;
using runner::RunConfig;
using runner::Verdict;

class CounterCodec final : public workload::ClientCodec {
  public:
    // `idempotency_keys`: adds carry the client's session (client id and
    // operation sequence), which a deduplicating server applies once.
    explicit CounterCodec(bool idempotency_keys) : idempotency_keys_(idempotency_keys) {}
    MessagePtr encode(const workload::OpRequest& op, const workload::RequestIds& ids) const override;
    std::optional<workload::DecodedReply> decode(const Message& message) const override;
    bool timeout_is_failure(const std::string& f) const override { return f == "read"; }

  private:
    bool idempotency_keys_;
};

using protocols::counter::CounterReply;
using protocols::counter::CounterRequest;

MessagePtr CounterCodec::encode(const workload::OpRequest& op, const workload::RequestIds& ids) const {
    auto request = std::make_shared<CounterRequest>();
    request->msg_id = ids.msg_id;
    request->read = op.f == "read";
    if (!request->read) request->delta = op.value.get<std::int64_t>();
    if (idempotency_keys_) {
        request->client = ids.client;
        request->sequence = ids.sequence;
    }
    return request;
}

std::optional<workload::DecodedReply> CounterCodec::decode(const Message& message) const {
    const auto* reply = message_as<CounterReply>(message);
    if (reply == nullptr) return std::nullopt;
    workload::Completion completion{.kind = workload::Completion::Kind::ok};
    if (reply->read) completion.value = reply->value;
    return workload::DecodedReply{reply->in_reply_to, completion};
}

class CounterSystem final : public runner::System {
  public:
    explicit CounterSystem(bool idempotency_keys)
        : idempotency_keys_(idempotency_keys), codec_(std::make_shared<CounterCodec>(idempotency_keys)) {}

    void build(sim::Simulation& simulation, const RunConfig&) override {
        const protocols::counter::CounterOptions options{.deduplicate = idempotency_keys_};
        simulation.add_server("n0", [options] { return std::make_unique<protocols::counter::CounterServer>(options); });
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override { return workload::next_counter_request(random); }
    std::vector<workload::OpRequest> final_ops() override { return {workload::OpRequest{"read", Json(), Json()}}; }
    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation&) override {
        return {check::outcome_of(check::check_counter(history))};
    }

  private:
    bool idempotency_keys_;
    std::shared_ptr<const workload::ClientCodec> codec_;
};

const runner::SystemRegistration registration{{
    .name = "counter",
    .summary = "a counter service on one server (--nodes 1); retries show what idempotency keys buy",
    .checks = {"counter"},
    .make = [](const RunConfig& config) -> Result<std::unique_ptr<runner::System>> {
        if (config.nodes != 1) {
            return make_error(
                ErrorCode::invalid_argument,
                fmt::format("the counter service runs on one server: use --nodes 1 (got {})", config.nodes));
        }
        return runner::new_system<CounterSystem>(config.idempotency_keys);
    },
}};

}  // namespace

}  // namespace faultline::systems
