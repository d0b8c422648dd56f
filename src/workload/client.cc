#include "workload/client.h"

#include "base/assert.h"

namespace faultline::workload {

void HistoryRecorder::record(check::Operation op) {
    op.index = static_cast<std::int64_t>(history_.size());
    op.time = true_now_();
    history_.push_back(std::move(op));
}

RpcClient::RpcClient(ClientOptions options, std::shared_ptr<const ClientCodec> codec, HistoryRecorder& recorder)
    : options_(options), codec_(std::move(codec)), recorder_(recorder), process_(options.first_process) {
    FL_ASSERT(codec_ != nullptr);
    FL_ASSERT(options_.wait_forever || options_.timeout > 0);
    FL_ASSERT_GT(options_.process_stride, 0);
}

NodeId RpcClient::choose_target(Context& ctx) {
    const auto servers = ctx.cluster();
    FL_ASSERT(!servers.empty());
    switch (options_.targeting) {
        case ClientOptions::Targeting::fixed_first:
            return servers.front();
        case ClientOptions::Targeting::round_robin:
            return servers[round_robin_++ % servers.size()];
        case ClientOptions::Targeting::random:
            return servers[ctx.random().below(servers.size())];
    }
    FL_UNREACHABLE();
}

void RpcClient::invoke(Context& ctx, OpRequest op) {
    FL_ASSERT(idle());
    recorder_.record(check::Operation{
        .process = process_, .type = check::OpType::invoke, .f = op.f, .key = op.key, .value = op.value});
    const std::optional<NodeId> target = op.target;
    outstanding_ = Outstanding{};
    outstanding_->op = std::move(op);
    outstanding_->sequence = next_sequence_++;
    if (!options_.wait_forever) outstanding_->timeout = ctx.set_timer(options_.timeout, timeout_tag);
    send_request(ctx, target.value_or(choose_target(ctx)));
}

void RpcClient::send_request(Context& ctx, NodeId target) {
    FL_ASSERT(outstanding_.has_value());
    outstanding_->msg_id = next_msg_id_++;
    // Session ids start at 1: 0 means "no session" to a server.
    const RequestIds ids{outstanding_->msg_id, static_cast<std::uint64_t>(ctx.self().value) + 1,
                         outstanding_->sequence};
    ctx.send(target, codec_->encode(outstanding_->op, ids));
}

void RpcClient::on_message(Context& ctx, const Envelope& envelope) {
    if (!outstanding_) return;
    auto reply = codec_->decode(*envelope.message);
    if (!reply || reply->in_reply_to != outstanding_->msg_id) return;
    Completion& completion = reply->completion;
    switch (completion.kind) {
        case Completion::Kind::ok:
            complete(ctx, check::OpType::ok, std::move(completion.value), Json(), envelope.from);
            return;
        case Completion::Kind::fail:
            complete(ctx, check::OpType::fail, Json(), std::move(completion.error), envelope.from);
            return;
        case Completion::Kind::info:
            complete(ctx, check::OpType::info, Json(), std::move(completion.error), envelope.from);
            return;
        case Completion::Kind::retry:
            if (outstanding_->retries >= options_.retries_max) {
                complete(ctx, every_attempt_rejected_outcome(), Json(), std::move(completion.error), envelope.from);
                return;
            }
            ++outstanding_->retries;
            outstanding_->last_error = std::move(completion.error);
            outstanding_->msg_id = 0;  // ignore late replies to the rejected attempt
            if (completion.target) {
                send_request(ctx, *completion.target);
            } else {
                outstanding_->retry = ctx.set_timer(options_.retry_delay, retry_tag);
            }
            return;
    }
    FL_UNREACHABLE();
}

void RpcClient::on_timer(Context& ctx, TimerId timer, std::uint64_t tag) {
    if (!outstanding_) return;
    if (tag == retry_tag) {
        if (timer != outstanding_->retry) return;
        outstanding_->retry = 0;
        send_request(ctx, choose_target(ctx));
        return;
    }
    if (timer != outstanding_->timeout) return;
    outstanding_->timeout = 0;
    if (outstanding_->timeout_retries < options_.timeout_retries_max && outstanding_->retry == 0) {
        ++outstanding_->timeout_retries;
        if (options_.blind_retries) outstanding_->sequence = next_sequence_++;
        outstanding_->timeout = ctx.set_timer(options_.timeout, timeout_tag);
        send_request(ctx, choose_target(ctx));
        return;
    }
    // Waiting to retry means no attempt is in flight and the last one was rejected.
    if (codec_->timeout_is_failure(outstanding_->op.f)) {
        complete(ctx, check::OpType::fail, Json(), Json("timeout"));
    } else if (outstanding_->retry != 0) {
        complete(ctx, every_attempt_rejected_outcome(), Json(), Json("timeout"));
    } else {
        complete(ctx, check::OpType::info, Json(), Json("timeout"));
    }
}

check::OpType RpcClient::every_attempt_rejected_outcome() const {
    // An operation with no effect (a read) fails definitely. One with an
    // effect may still take it: a copy of a rejected attempt may still be in
    // the network, and an attempt that timed out before the rejected ones
    // was never rejected at all: it may have been applied.
    if (codec_->timeout_is_failure(outstanding_->op.f)) return check::OpType::fail;
    const bool an_attempt_timed_out = outstanding_->timeout_retries > 0;
    return options_.requests_may_repeat || an_attempt_timed_out ? check::OpType::info : check::OpType::fail;
}

void RpcClient::complete(Context& ctx, check::OpType type, Json value, Json error, std::optional<NodeId> answered_by) {
    FL_ASSERT(outstanding_.has_value());
    FL_ASSERT(type != check::OpType::invoke);
    if (outstanding_->timeout != 0) ctx.cancel_timer(outstanding_->timeout);
    if (outstanding_->retry != 0) ctx.cancel_timer(outstanding_->retry);
    Outstanding done = std::move(*outstanding_);
    outstanding_.reset();
    // An ok without a value in the reply observed what was asked (writes).
    if (type == check::OpType::ok && value.is_null()) value = done.op.value;
    if (type != check::OpType::ok) value = done.op.value;
    recorder_.record(check::Operation{.process = process_,
                                      .type = type,
                                      .f = done.op.f,
                                      .key = done.op.key,
                                      .value = std::move(value),
                                      .error = std::move(error),
                                      .node = answered_by ? std::string(ctx.name_of(*answered_by)) : std::string()});
    if (type == check::OpType::info) process_ += options_.process_stride;
    if (completion_listener_) completion_listener_();
}

}  // namespace faultline::workload
