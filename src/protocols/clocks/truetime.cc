#include "protocols/clocks/truetime.h"

#include "base/assert.h"
#include "base/json.h"

namespace faultline::protocols::clocks {

nlohmann::json CommitRequest::to_json() const {
    return Json{{"type", "commit"}, {"seq", sequence}};
}

nlohmann::json Committed::to_json() const {
    return Json{{"type", "committed"}, {"seq", sequence}, {"ts", timestamp}};
}

void TrueTimeShard::on_message(Context& ctx, const Envelope& envelope) {
    const auto* request = message_as<CommitRequest>(*envelope.message);
    if (request == nullptr) return;
    // s = TT.now().latest.
    waiting_.push_back(Waiting{envelope.from, request->sequence, ctx.now() + epsilon_});
    FL_ASSERT_LE(waiting_.size(), 64u);
    answer_when_safe(ctx, waiting_.size() - 1);
}

void TrueTimeShard::on_timer(Context& ctx, TimerId, std::uint64_t tag) {
    for (std::size_t i = 0; i < waiting_.size(); ++i) {
        if (waiting_[i].sequence == tag) {
            answer_when_safe(ctx, i);
            return;
        }
    }
}

void TrueTimeShard::answer_when_safe(Context& ctx, std::size_t index) {
    const Waiting waiting = waiting_[index];
    // Commit wait: until TT.now().earliest > s.
    const Nanos earliest = ctx.now() - epsilon_;
    if (commit_wait_ && earliest <= waiting.timestamp) {
        ctx.set_timer(waiting.timestamp - earliest + 1, waiting.sequence);
        return;
    }
    auto reply = std::make_shared<Committed>();
    reply->sequence = waiting.sequence;
    reply->timestamp = waiting.timestamp;
    ctx.send(waiting.client, std::move(reply));
    waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(index));
}

void TxnClient::on_message(Context& ctx, const Envelope& envelope) {
    const auto* reply = message_as<Committed>(*envelope.message);
    if (reply == nullptr || reply->sequence != sequence_ || answered_) return;
    answered_ = true;
    if (observer_ != nullptr) observer_->answered(reply->sequence, reply->timestamp);
    // The next transaction starts after this answer, at once or after a short think.
    ctx.set_timer(think_max_ > 0 ? static_cast<Nanos>(ctx.random().below(static_cast<std::uint64_t>(think_max_))) : 0,
                  0);
}

void TxnClient::on_timer(Context& ctx, TimerId, std::uint64_t tag) {
    FL_ASSERT(!shards_.empty());
    // A tag names the transaction it gives up on if no answer came (a lost
    // message); 0 starts the next one.
    if (tag != 0 && (tag != sequence_ || answered_)) return;
    const NodeId shard = shards_[ctx.random().below(shards_.size())];
    auto request = std::make_shared<CommitRequest>();
    request->sequence = ++sequence_;
    answered_ = false;
    if (observer_ != nullptr) observer_->started(request->sequence, shard);
    ctx.send(shard, std::move(request));
    ctx.set_timer(seconds(1), sequence_);
}

}  // namespace faultline::protocols::clocks
