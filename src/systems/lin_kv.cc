#include "systems/lin_kv.h"

#include <fmt/format.h>

#include "check/linearizability/outcome.h"
#include "protocols/kv/messages.h"

namespace faultline::systems {

using runner::CheckOutcome;
using runner::Verdict;

using protocols::kv::KvOp;
using protocols::kv::KvReply;
using protocols::kv::KvRequest;

MessagePtr KvCodec::encode(const workload::OpRequest& op, const workload::RequestIds& ids) const {
    auto request = std::make_shared<KvRequest>();
    request->msg_id = ids.msg_id;
    request->command.key = op.key.get<std::int64_t>();
    request->command.client = ids.client;
    request->command.sequence = ids.sequence;
    if (op.f == "read") {
        request->command.op = KvOp::read;
        return request;
    }
    request->command.padding = value_bytes_;
    if (op.f == "write") {
        request->command.op = KvOp::write;
        request->command.value = op.value.get<std::int64_t>();
    } else {
        FL_ASSERT_EQ(op.f, std::string("cas"));
        request->command.op = KvOp::cas;
        request->command.from = op.value.at(0).get<std::int64_t>();
        request->command.value = op.value.at(1).get<std::int64_t>();
    }
    return request;
}

std::optional<workload::DecodedReply> KvCodec::decode(const Message& message) const {
    const auto* reply = message_as<KvReply>(message);
    if (reply == nullptr) return std::nullopt;
    workload::DecodedReply decoded{reply->in_reply_to, {}};
    workload::Completion& completion = decoded.completion;
    switch (reply->code) {
        case 0:
            completion.kind = workload::Completion::Kind::ok;
            if (reply->op == KvOp::read) completion.value = reply->value;
            break;
        case protocols::kv::error_key_missing:
        case protocols::kv::error_precondition:
            completion.kind = workload::Completion::Kind::fail;
            completion.error = reply->code;
            break;
        case protocols::kv::error_unavailable:
            completion.kind = workload::Completion::Kind::retry;
            completion.error = reply->code;
            completion.target = reply->leader_hint;
            break;
        default:
            // Indefinite errors: the operation may or may not have happened.
            completion.kind = workload::Completion::Kind::info;
            completion.error = reply->code;
            break;
    }
    return decoded;
}

workload::LinKvOptions lin_kv_options_for(const workload::WorkloadShape& shape) {
    workload::LinKvOptions options;
    if (shape.read_percent) options.read_percent = *shape.read_percent;
    if (shape.write_percent) options.write_percent = *shape.write_percent;
    if (shape.keys_active) options.keys_active = *shape.keys_active;
    return options;
}

std::vector<workload::OpRequest> lin_kv_final_reads(const workload::LinKvGenerator& generator) {
    std::vector<workload::OpRequest> reads;
    for (std::int64_t key : generator.keys_used()) reads.push_back(workload::OpRequest{"read", Json(key), Json()});
    return reads;
}

bool lin_kv_served(const check::Operation& completion) {
    if (completion.type == check::OpType::ok) return true;
    return completion.type == check::OpType::fail && completion.error.is_number_integer() &&
           (completion.error.get<int>() == protocols::kv::error_key_missing ||
            completion.error.get<int>() == protocols::kv::error_precondition);
}

CheckOutcome check_lin_kv(const check::History& history) {
    check::LinearizabilityOptions options;
    options.model = check::models::ModelKind::kv;
    options.semantics = check::models::faultline_history_semantics();
    // Half the checker's default work budget (about 30 s of hard search): one
    // seed of a sweep should not take a minute. Work, not time, so that a
    // seed's verdict never depends on the machine's load.
    options.configs_max = check::LinearizabilityOptions::kConfigsMaxDefault / 2;
    return check::linearizability_check(history, options);
}

}  // namespace faultline::systems
