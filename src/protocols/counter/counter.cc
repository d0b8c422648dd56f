#include "protocols/counter/counter.h"

#include <fmt/format.h>

#include "base/assert.h"
#include "base/coding.h"
#include "base/hash.h"
#include "base/json.h"

namespace faultline::protocols::counter {

namespace {

constexpr const char* state_file = "counter";

}  // namespace

nlohmann::json CounterRequest::to_json() const {
    Json json{{"type", type()}, {"msg_id", msg_id}};
    if (!read) json["delta"] = delta;
    if (client != 0) json["key"] = {client, sequence};
    return json;
}

std::uint64_t CounterRequest::digest() const {
    const std::uint64_t words[] = {msg_id, read ? 1u : 0u, static_cast<std::uint64_t>(delta), client, sequence};
    return hash_bytes(words, sizeof words);
}

nlohmann::json CounterReply::to_json() const {
    Json json{{"type", type()}, {"in_reply_to", in_reply_to}};
    if (read) json["value"] = value;
    return json;
}

std::uint64_t CounterReply::digest() const {
    const std::uint64_t words[] = {in_reply_to, read ? 1u : 0u, static_cast<std::uint64_t>(value)};
    return hash_bytes(words, sizeof words);
}

void CounterServer::start(Context&) {}

void CounterServer::recover(Context& ctx) {
    // The durable state: total, count, then the applied keys. Written whole and
    // synced before every answer, so whatever is on disk was acknowledged or
    // about to be. (A torn write could damage it: a checksum guards it.)
    auto contents = ctx.storage().read(state_file);
    if (!contents) return;  // nothing was ever written
    std::string_view data(*contents);
    if (data.size() < 8) {
        broken_ = true;
        ctx.log("counter state is truncated: refusing to serve");
        return;
    }
    std::uint64_t checksum = 0;
    std::string_view body = data.substr(8);
    take_u64(data, checksum);
    if (hash_string(body) != checksum) {
        broken_ = true;
        ctx.log("counter state failed its checksum: refusing to serve");
        return;
    }
    std::uint64_t total = 0, count = 0, keys = 0;
    take_u64(body, total);
    take_u64(body, count);
    take_u64(body, keys);
    for (std::uint64_t i = 0; i < keys; ++i) {
        std::uint64_t client = 0, sequence = 0, after = 0;
        if (!take_u64(body, client) || !take_u64(body, sequence) || !take_u64(body, after)) break;
        applied_keys_[{client, sequence}] = static_cast<std::int64_t>(after);
    }
    total_ = static_cast<std::int64_t>(total);
    applied_ = count;
}

bool CounterServer::persist(Context& ctx) {
    std::string body;
    put_u64(body, static_cast<std::uint64_t>(total_));
    put_u64(body, applied_);
    put_u64(body, applied_keys_.size());
    for (const auto& [key, after] : applied_keys_) {
        put_u64(body, key.first);
        put_u64(body, key.second);
        put_u64(body, static_cast<std::uint64_t>(after));
    }
    std::string record;
    put_u64(record, hash_string(body));
    record += body;
    if (!ctx.storage().truncate(state_file, 0) || !ctx.storage().write(state_file, 0, record) ||
        !ctx.storage().sync()) {
        broken_ = true;
        ctx.log("cannot persist the counter: refusing to serve");
        return false;
    }
    return true;
}

void CounterServer::on_message(Context& ctx, const Envelope& envelope) {
    const auto* request = message_as<CounterRequest>(*envelope.message);
    if (request == nullptr || broken_) return;
    PendingReply reply{envelope.from, request->msg_id, request->read, total_};
    if (!request->read) {
        const bool keyed = options_.deduplicate && request->client != 0;
        auto seen = keyed ? applied_keys_.find({request->client, request->sequence}) : applied_keys_.end();
        if (keyed && seen != applied_keys_.end()) {
            reply.value = seen->second;  // applied before: the same answer, no second effect
        } else {
            total_ += request->delta;
            ++applied_;
            if (keyed) applied_keys_[{request->client, request->sequence}] = total_;
            if (!persist(ctx)) return;
            reply.value = total_;
        }
    }
    // Producing the answer takes a moment; a crash in it loses the answer only.
    const std::uint64_t tag = next_tag_++;
    pending_[tag] = reply;
    ctx.set_timer(options_.reply_delay, tag);
}

void CounterServer::on_timer(Context& ctx, TimerId, std::uint64_t tag) {
    auto found = pending_.find(tag);
    FL_ASSERT(found != pending_.end());
    const PendingReply reply = found->second;
    pending_.erase(found);
    auto message = std::make_shared<CounterReply>();
    message->in_reply_to = reply.msg_id;
    message->read = reply.read;
    message->value = reply.value;
    ctx.send(reply.client, std::move(message));
}

}  // namespace faultline::protocols::counter
