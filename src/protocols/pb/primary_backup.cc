#include "protocols/pb/primary_backup.h"

#include <fmt/format.h>

#include "base/hash.h"
#include "base/json.h"
#include "node/wire_codec.h"

namespace faultline::protocols::pb {

nlohmann::json Replicate::to_json() const {
    Json json{{"type", type()}, {"epoch", epoch}};
    if (!heartbeat)
        json["command"] = {{"op", kv::kv_op_name(command.op)}, {"key", command.key}, {"value", command.value}};
    return json;
}

std::uint64_t Replicate::digest() const {
    return hash_string(command.encode(), epoch * 2 + (heartbeat ? 1 : 0));
}

void PrimaryBackupNode::start(Context& ctx) {
    primary_ = ctx.self() == ctx.cluster().front();
    known_primary_ = ctx.cluster().front();
    last_heard_ = ctx.now();
    ctx.set_timer(primary_ ? options_.heartbeat_interval : options_.failover_timeout,
                  primary_ ? heartbeat_tag : failover_tag);
}

void PrimaryBackupNode::broadcast(Context& ctx, std::shared_ptr<Replicate> message) {
    for (NodeId peer : ctx.cluster()) {
        if (peer != ctx.self()) ctx.send(peer, message);
    }
}

void PrimaryBackupNode::on_message(Context& ctx, const Envelope& envelope) {
    if (const auto* request = message_as<kv::KvRequest>(*envelope.message)) {
        handle_client(ctx, envelope.from, *request);
        return;
    }
    const auto* replicate = message_as<Replicate>(*envelope.message);
    if (replicate == nullptr || replicate->epoch < epoch_) return;
    if (replicate->epoch > epoch_ || primary_) {
        if (primary_ && replicate->epoch > epoch_) {
            ctx.log(fmt::format("epoch {}: stepping down for {}", replicate->epoch, ctx.name_of(envelope.from)));
            primary_ = false;
            ctx.set_timer(options_.failover_timeout, failover_tag);
        }
        if (replicate->epoch == epoch_ && primary_) return;  // another primary of our epoch: ignore it
        epoch_ = replicate->epoch;
    }
    known_primary_ = envelope.from;
    last_heard_ = ctx.now();
    if (!replicate->heartbeat) store_.apply(replicate->command);
}

void PrimaryBackupNode::on_timer(Context& ctx, TimerId, std::uint64_t tag) {
    if (tag == heartbeat_tag) {
        if (!primary_) return;
        auto heartbeat = std::make_shared<Replicate>();
        heartbeat->epoch = epoch_;
        heartbeat->heartbeat = true;
        broadcast(ctx, heartbeat);
        ctx.set_timer(options_.heartbeat_interval, heartbeat_tag);
        return;
    }
    if (primary_) return;
    if (ctx.now() - last_heard_ >= options_.failover_timeout) {
        // The mistake this system exists to show: promotion on a timeout alone.
        primary_ = true;
        ++epoch_;
        known_primary_ = ctx.self();
        ctx.log(fmt::format("epoch {}: no heartbeat for {}: promoting myself", epoch_,
                            format_duration(ctx.now() - last_heard_)));
        ctx.set_timer(options_.heartbeat_interval, heartbeat_tag);
        return;
    }
    ctx.set_timer(options_.failover_timeout - (ctx.now() - last_heard_), failover_tag);
}

void PrimaryBackupNode::handle_client(Context& ctx, NodeId client, const kv::KvRequest& request) {
    if (!primary_) {
        auto message = std::make_shared<kv::KvReply>();
        message->in_reply_to = request.msg_id;
        message->op = request.command.op;
        message->code = kv::error_unavailable;
        if (known_primary_ && *known_primary_ != ctx.self()) message->leader_hint = known_primary_;
        ctx.send(client, std::move(message));
        return;
    }
    if (request.command.op == kv::KvOp::read) {
        reply(ctx, client, request.msg_id, kv::KvOp::read, store_.read(request.command.key));
        return;
    }
    const kv::KvResult result = store_.apply(request.command);
    auto replicate = std::make_shared<Replicate>();
    replicate->epoch = epoch_;
    replicate->command = request.command;
    broadcast(ctx, replicate);
    reply(ctx, client, request.msg_id, request.command.op, result);
}

void PrimaryBackupNode::reply(Context& ctx, NodeId client, std::uint64_t msg_id, kv::KvOp op, kv::KvResult result) {
    auto message = std::make_shared<kv::KvReply>();
    message->in_reply_to = msg_id;
    message->op = op;
    message->code = result.code;
    message->value = result.value;
    ctx.send(client, std::move(message));
}

// Wire codecs (node/wire_codec.h): primary and backups as separate processes.
// The command travels in its own binary encoding, as hex.
namespace {

Json encode_replicate(const Replicate& m) {
    return Json{{"epoch", m.epoch}, {"heartbeat", m.heartbeat}, {"command", hex_encode(m.command.encode())}};
}
std::shared_ptr<Replicate> decode_replicate(const Json& json) {
    auto m = std::make_shared<Replicate>();
    m->epoch = json.at("epoch").get<std::uint64_t>();
    m->heartbeat = json.at("heartbeat").get<bool>();
    auto command = kv::KvCommand::decode(hex_decode(json.at("command").get<std::string>()));
    if (!command) throw std::invalid_argument(command.error().message);
    m->command = *command;
    return m;
}

const WireCodecRegistration wire_codecs[] = {
    WireCodecRegistration{wire_codec<Replicate>({"pb_replicate", "pb_heartbeat"}, encode_replicate, decode_replicate)},
};

}  // namespace

}  // namespace faultline::protocols::pb
