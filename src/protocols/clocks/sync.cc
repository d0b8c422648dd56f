#include "protocols/clocks/sync.h"

#include <fmt/format.h>

#include <cstdlib>

#include "base/assert.h"
#include "base/json.h"

namespace faultline::protocols::clocks {

const char* sync_method_name(SyncMethod method) {
    switch (method) {
        case SyncMethod::ntp:
            return "ntp";
        case SyncMethod::cristian:
            return "cristian";
        case SyncMethod::naive:
            return "naive";
    }
    return "?";
}

const char* sync_decision_name(SyncDecision decision) {
    switch (decision) {
        case SyncDecision::slew:
            return "slew";
        case SyncDecision::step:
            return "step";
        case SyncDecision::panic:
            return "panic";
    }
    return "?";
}

nlohmann::json TimeRequest::to_json() const {
    return Json{{"type", "time-request"}, {"seq", sequence}};
}

nlohmann::json TimeReply::to_json() const {
    return Json{{"type", "time-reply"}, {"seq", sequence}, {"t2", received}, {"t3", sent}};
}

void TimeServer::on_message(Context& ctx, const Envelope& envelope) {
    const auto* request = message_as<TimeRequest>(*envelope.message);
    if (request == nullptr) return;
    auto reply = std::make_shared<TimeReply>();
    reply->sequence = request->sequence;
    reply->received = ctx.now();
    reply->sent = ctx.now();  // answering takes no time of its own here
    ctx.send(envelope.from, std::move(reply));
}

SyncClient::SyncClient(SyncOptions options, SyncObserver* observer) : options_(options), observer_(observer) {
    FL_ASSERT_GT(options_.interval, 0);
    FL_ASSERT_GT(options_.slew_max_ppm, 0);
    FL_ASSERT_LE(options_.step_threshold, options_.panic_threshold);
}

void SyncClient::start(Context& ctx) {
    // Clients started together do not all ask at the same instant.
    ctx.set_timer(static_cast<Nanos>(ctx.random().below(static_cast<std::uint64_t>(options_.interval))), 0);
}

Nanos SyncClient::corrected(Nanos local) const {
    // The slew is fed in at slew_max_ppm of elapsed hardware time, up to its size.
    const auto fed = static_cast<Nanos>(static_cast<double>(local - slew_from_) * options_.slew_max_ppm / 1e6);
    const Nanos applied = std::min<Nanos>(std::abs(slew_), std::max<Nanos>(fed, 0));
    return local + correction_ + (slew_ < 0 ? -applied : applied);
}

void SyncClient::on_timer(Context& ctx, TimerId, std::uint64_t) {
    // An unanswered request is given up: its answer, if it comes, is ignored.
    outstanding_ = ++sequence_;
    sent_at_ = corrected(ctx.now());
    auto request = std::make_shared<TimeRequest>();
    request->sequence = outstanding_;
    ctx.send(options_.server, std::move(request));
    ctx.set_timer(options_.interval, 0);
}

void SyncClient::on_message(Context& ctx, const Envelope& envelope) {
    const auto* reply = message_as<TimeReply>(*envelope.message);
    if (reply == nullptr || reply->sequence != outstanding_) return;
    outstanding_ = 0;
    const Nanos t1 = sent_at_, t2 = reply->received, t3 = reply->sent, t4 = corrected(ctx.now());
    SyncSample sample{ctx.self(), t4 - t1, 0, t4, SyncDecision::slew};
    switch (options_.method) {
        case SyncMethod::ntp:
            sample.delay = (t4 - t1) - (t3 - t2);
            sample.offset = ((t2 - t1) + (t3 - t4)) / 2;
            break;
        case SyncMethod::cristian:
            sample.offset = t3 + sample.delay / 2 - t4;
            break;
        case SyncMethod::naive:
            sample.offset = t3 - t4;
            break;
    }
    sample.decision = apply(ctx.now(), sample.offset);
    if (sample.decision != SyncDecision::slew) {
        ctx.log(fmt::format("offset {}: {}", format_duration(sample.offset), sync_decision_name(sample.decision)));
    }
    if (observer_ != nullptr) observer_->sampled(sample);
}

SyncDecision SyncClient::apply(Nanos local, Nanos offset) {
    const Nanos size = std::abs(offset);
    if (size >= options_.panic_threshold) return SyncDecision::panic;
    // What the current slew has fed in so far becomes part of the correction;
    // the rest of it is replaced by the new estimate.
    correction_ = corrected(local) - local;
    slew_ = 0;
    slew_from_ = local;
    if (size >= options_.step_threshold) {
        correction_ += offset;
        return SyncDecision::step;
    }
    slew_ = offset;
    return SyncDecision::slew;
}

}  // namespace faultline::protocols::clocks
