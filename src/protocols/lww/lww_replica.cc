#include "protocols/lww/lww_replica.h"

#include <fmt/format.h>

#include "base/assert.h"
#include "base/hash.h"
#include "base/json.h"
#include "node/wire_codec.h"
#include "protocols/kv/messages.h"

namespace faultline::protocols::lww {

nlohmann::json Replicate::to_json() const {
    return {{"type", "replicate"}, {"write_id", write_id},  {"key", key}, {"value", value}, {"l", stamp.time.l},
            {"c", stamp.time.c},   {"origin", stamp.origin}};
}

std::uint64_t Replicate::digest() const {
    const std::int64_t words[] = {
        static_cast<std::int64_t>(write_id),    key, value, stamp.time.l, static_cast<std::int64_t>(stamp.time.c),
        static_cast<std::int64_t>(stamp.origin)};
    return hash_bytes(words, sizeof words);
}

nlohmann::json ReplicateAck::to_json() const {
    return {{"type", "replicate_ok"}, {"write_id", write_id}, {"l", time.l}, {"c", time.c}};
}

std::uint64_t ReplicateAck::digest() const {
    const std::int64_t words[] = {static_cast<std::int64_t>(write_id), time.l, static_cast<std::int64_t>(time.c)};
    return hash_bytes(words, sizeof words, 1);
}

namespace {
constexpr std::uint64_t resend_tag = 1;
constexpr int error_not_supported = 10;  // Maelstrom's code: this service has no cas
}  // namespace

clocks::HlcTimestamp LwwReplica::stamp_now(Context& ctx) {
    if (options_.timestamps == Timestamps::physical) return clocks::HlcTimestamp{ctx.now(), 0};
    return hlc_.tick(ctx.now());
}

void LwwReplica::on_message(Context& ctx, const Envelope& envelope) {
    if (const auto* request = message_as<kv::KvRequest>(*envelope.message)) {
        auto reply = std::make_shared<kv::KvReply>();
        reply->in_reply_to = request->msg_id;
        reply->op = request->command.op;
        switch (request->command.op) {
            case kv::KvOp::write:
                take_write(ctx, envelope.from, request->msg_id, request->command.key, request->command.value);
                return;
            case kv::KvOp::read: {
                auto found = store_.find(request->command.key);
                if (found == store_.end()) {
                    reply->code = kv::error_key_missing;
                } else {
                    reply->value = found->second.value;
                }
                break;
            }
            case kv::KvOp::cas:
                reply->code = error_not_supported;
                break;
        }
        ctx.send(envelope.from, std::move(reply));
        return;
    }
    if (const auto* replicated = message_as<Replicate>(*envelope.message)) {
        if (options_.timestamps == Timestamps::hlc) hlc_.receive(ctx.now(), replicated->stamp.time);
        apply(replicated->key, replicated->value, replicated->stamp);
        auto ack = std::make_shared<ReplicateAck>();
        ack->write_id = replicated->write_id;
        ack->time = hlc_.last();
        ctx.send(envelope.from, std::move(ack));
        return;
    }
    if (const auto* ack = message_as<ReplicateAck>(*envelope.message)) {
        if (options_.timestamps == Timestamps::hlc) hlc_.receive(ctx.now(), ack->time);
        auto found = pending_.find(ack->write_id);
        if (found == pending_.end()) return;  // a duplicate ack
        found->second.waiting.erase(envelope.from);
        if (!found->second.waiting.empty()) return;
        acknowledge_write(ctx, found->second.client, found->second.msg_id);
        pending_.erase(found);
    }
}

void LwwReplica::take_write(Context& ctx, NodeId client, std::uint64_t msg_id, std::int64_t key, std::int64_t value) {
    const std::uint64_t write_id = next_write_id_++;
    PendingWrite write{client, msg_id, key, value, Stamp{stamp_now(ctx), ctx.self().value, write_id}, {}};
    apply(key, value, write.stamp);
    for (NodeId peer : ctx.cluster()) {
        if (peer != ctx.self()) write.waiting.insert(peer);
    }
    for (NodeId peer : write.waiting) replicate(ctx, write_id, write, peer);
    if (write.waiting.empty()) {
        acknowledge_write(ctx, client, msg_id);
        return;
    }
    pending_.emplace(write_id, std::move(write));
    if (resend_timer_ == 0) resend_timer_ = ctx.set_timer(options_.resend_interval, resend_tag);
}

void LwwReplica::acknowledge_write(Context& ctx, NodeId client, std::uint64_t msg_id) {
    auto reply = std::make_shared<kv::KvReply>();
    reply->in_reply_to = msg_id;
    reply->op = kv::KvOp::write;
    ctx.send(client, std::move(reply));
}

void LwwReplica::replicate(Context& ctx, std::uint64_t write_id, const PendingWrite& write, NodeId to) {
    auto message = std::make_shared<Replicate>();
    message->write_id = write_id;
    message->key = write.key;
    message->value = write.value;
    message->stamp = write.stamp;
    ctx.send(to, std::move(message));
}

void LwwReplica::apply(std::int64_t key, std::int64_t value, const Stamp& stamp) {
    auto [entry, inserted] = store_.try_emplace(key, Version{value, stamp});
    if (!inserted && entry->second.stamp < stamp) entry->second = Version{value, stamp};
}

void LwwReplica::on_timer(Context& ctx, TimerId timer, std::uint64_t tag) {
    FL_ASSERT_EQ(tag, resend_tag);
    if (timer != resend_timer_) return;
    resend_timer_ = 0;
    for (const auto& [write_id, write] : pending_) {
        for (NodeId peer : write.waiting) replicate(ctx, write_id, write, peer);
    }
    if (!pending_.empty()) resend_timer_ = ctx.set_timer(options_.resend_interval, resend_tag);
}

// Wire codecs (node/wire_codec.h): replicas as separate processes.
namespace {

Json encode_replicate(const Replicate& m) {
    return Json{{"write_id", m.write_id},
                {"key", m.key},
                {"value", m.value},
                {"l", m.stamp.time.l},
                {"c", m.stamp.time.c},
                {"origin", m.stamp.origin},
                {"stamp_write_id", m.stamp.write_id}};
}
std::shared_ptr<Replicate> decode_replicate(const Json& json) {
    auto m = std::make_shared<Replicate>();
    m->write_id = json.at("write_id").get<std::uint64_t>();
    m->key = json.at("key").get<std::int64_t>();
    m->value = json.at("value").get<std::int64_t>();
    m->stamp.time = clocks::HlcTimestamp{json.at("l").get<Nanos>(), json.at("c").get<std::uint32_t>()};
    m->stamp.origin = json.at("origin").get<std::uint32_t>();
    m->stamp.write_id = json.at("stamp_write_id").get<std::uint64_t>();
    return m;
}

Json encode_replicate_ack(const ReplicateAck& m) {
    return Json{{"write_id", m.write_id}, {"l", m.time.l}, {"c", m.time.c}};
}
std::shared_ptr<ReplicateAck> decode_replicate_ack(const Json& json) {
    auto m = std::make_shared<ReplicateAck>();
    m->write_id = json.at("write_id").get<std::uint64_t>();
    m->time = clocks::HlcTimestamp{json.at("l").get<Nanos>(), json.at("c").get<std::uint32_t>()};
    return m;
}

const WireCodecRegistration wire_codecs[] = {
    WireCodecRegistration{wire_codec<Replicate>({"replicate"}, encode_replicate, decode_replicate)},
    WireCodecRegistration{wire_codec<ReplicateAck>({"replicate_ok"}, encode_replicate_ack, decode_replicate_ack)},
};

}  // namespace

}  // namespace faultline::protocols::lww
