#include "protocols/abd/abd_server.h"

#include <fmt/format.h>

#include "base/assert.h"

namespace faultline::protocols::abd {

using quorum::Query;
using quorum::QueryReply;
using quorum::ReplicaStore;
using quorum::Store;
using quorum::StoreReply;
using quorum::Version;
using quorum::Versioned;

namespace {
constexpr std::uint64_t tick_tag = 1;
}  // namespace

void AbdServer::boot(Context& ctx) {
    operations_.clear();
    sessions_.clear();
    // A fresh range of operation ids per incarnation (see the header).
    next_op_ = (ctx.random().next() >> 1) | 1;
    ctx.set_timer(options_.resend_interval, tick_tag);
}

void AbdServer::start(Context& ctx) {
    boot(ctx);
}

void AbdServer::recover(Context& ctx) {
    for (const std::string& note : store_.recover(ctx.storage())) ctx.log(note);
    boot(ctx);
}

void AbdServer::on_message(Context& ctx, const Envelope& envelope) {
    const Message& message = *envelope.message;
    if (const auto* request = message_as<kv::KvRequest>(message)) {
        begin(ctx, envelope.from, *request);
    } else if (const auto* query = message_as<Query>(message)) {
        if (store_.mute()) return;
        auto reply = std::make_shared<QueryReply>();
        reply->op = query->op;
        reply->key = query->key;
        if (const Versioned* copy = store_.find(query->key)) {
            reply->found = true;
            reply->copy = *copy;
        }
        ctx.send(envelope.from, std::move(reply));
    } else if (const auto* store = message_as<Store>(message)) {
        if (store_.store(ctx.storage(), store->key, store->copy) == ReplicaStore::Outcome::mute) return;
        auto reply = std::make_shared<StoreReply>();
        reply->op = store->op;
        reply->key = store->key;
        reply->version = store_.find(store->key)->version;
        FL_ASSERT_GE(reply->version, store->copy.version);
        ctx.send(envelope.from, std::move(reply));
    } else if (const auto* reply = message_as<QueryReply>(message)) {
        on_query_reply(ctx, envelope.from, *reply);
    } else if (const auto* reply = message_as<StoreReply>(message)) {
        on_store_reply(ctx, envelope.from, *reply);
    }
}

void AbdServer::begin(Context& ctx, NodeId client, const kv::KvRequest& request) {
    const kv::KvCommand& command = request.command;
    if (command.op == kv::KvOp::cas) {
        // A read-modify-write needs the replicas to agree on an order: consensus.
        auto reply = std::make_shared<kv::KvReply>();
        reply->in_reply_to = request.msg_id;
        reply->op = command.op;
        reply->code = error_not_supported;
        ctx.send(client, std::move(reply));
        return;
    }
    auto [session, fresh] = sessions_.try_emplace(command.client, command.sequence);
    if (!fresh) {
        if (command.sequence <= session->second) return;  // a copy of a request already begun
        session->second = command.sequence;
    }
    const std::uint64_t id = next_op_++;
    Operation& operation = operations_[id];
    operation.client = client;
    operation.msg_id = request.msg_id;
    operation.op = command.op;
    operation.key = command.key;
    operation.value = command.value;
    operation.session_client = command.client;
    operation.session_sequence = command.sequence;
    operation.started = ctx.now();
    send_phase(ctx, id);
}

void AbdServer::send_phase(Context& ctx, std::uint64_t id) {
    const Phase entered = operations_.at(id).phase;
    answer_self(ctx, id);
    auto it = operations_.find(id);
    // Its own answer may have finished the phase, and the next one sent its own requests.
    if (it == operations_.end() || it->second.phase != entered) return;
    const Operation& operation = it->second;
    for (NodeId replica : ctx.cluster()) {
        if (replica == ctx.self()) continue;
        if (operation.phase == Phase::query) {
            if (operation.answered.contains(replica)) continue;
            auto message = std::make_shared<Query>();
            message->op = id;
            message->key = operation.key;
            ctx.send(replica, std::move(message));
        } else {
            if (operation.holding.contains(replica)) continue;
            auto message = std::make_shared<Store>();
            message->op = id;
            message->key = operation.key;
            message->copy = operation.target;
            ctx.send(replica, std::move(message));
        }
    }
}

void AbdServer::answer_self(Context& ctx, std::uint64_t id) {
    Operation& operation = operations_.at(id);
    if (store_.mute()) return;
    if (operation.phase == Phase::query) {
        if (operation.answered.contains(ctx.self())) return;
        QueryReply own;
        own.op = id;
        own.key = operation.key;
        if (const Versioned* copy = store_.find(operation.key)) {
            own.found = true;
            own.copy = *copy;
        }
        on_query_reply(ctx, ctx.self(), own);
        return;
    }
    if (operation.holding.contains(ctx.self())) return;
    if (store_.store(ctx.storage(), operation.key, operation.target) == ReplicaStore::Outcome::mute) return;
    StoreReply own;
    own.op = id;
    own.key = operation.key;
    own.version = store_.find(operation.key)->version;
    on_store_reply(ctx, ctx.self(), own);
}

void AbdServer::on_query_reply(Context& ctx, NodeId from, const QueryReply& reply) {
    auto it = operations_.find(reply.op);
    if (it == operations_.end() || it->second.phase != Phase::query) return;  // late or duplicated
    Operation& operation = it->second;
    FL_ASSERT_EQ(reply.key, operation.key);
    if (!operation.answered.emplace(from, reply.found ? reply.copy.version : Version{}).second) return;
    if (reply.found && (!operation.found || reply.copy.version > operation.best.version)) {
        operation.found = true;
        operation.best = reply.copy;
    }
    if (operation.answered.size() >= majority(ctx)) advance(ctx, reply.op);
}

void AbdServer::on_store_reply(Context& ctx, NodeId from, const StoreReply& reply) {
    auto it = operations_.find(reply.op);
    if (it == operations_.end() || it->second.phase != Phase::store) return;
    Operation& operation = it->second;
    FL_ASSERT_EQ(reply.key, operation.key);
    if (reply.version < operation.target.version) return;
    operation.holding.insert(from);
    if (operation.holding.size() >= majority(ctx)) advance(ctx, reply.op);
}

void AbdServer::advance(Context& ctx, std::uint64_t id) {
    Operation& operation = operations_.at(id);
    if (operation.phase == Phase::store) {
        FL_ASSERT_GE(operation.holding.size(), majority(ctx));
        kv::KvResult result;
        if (operation.op == kv::KvOp::read) result.value = operation.target.value;
        finish(ctx, id, result);
        return;
    }
    FL_ASSERT_GE(operation.answered.size(), majority(ctx));
    if (operation.op == kv::KvOp::read) {
        if (!operation.found) {
            // No replica of a majority holds a copy: no write finished its store
            // phase before this read began, so "absent" is a value it may see.
            finish(ctx, id, kv::KvResult{kv::error_key_missing, 0});
            return;
        }
        if (options_.skip_write_back) {
            finish(ctx, id, kv::KvResult{0, operation.best.value});
            return;
        }
        operation.target = operation.best;
    } else {
        // Multi-writer ABD: above every version a majority holds, tie broken by
        // the writing client's session.
        operation.target =
            Versioned{Version{operation.best.version.counter + 1, operation.session_client, operation.session_sequence},
                      operation.value};
    }
    enter_store(ctx, id);
}

void AbdServer::enter_store(Context& ctx, std::uint64_t id) {
    Operation& operation = operations_.at(id);
    operation.phase = Phase::store;
    operation.holding.clear();
    FL_ASSERT(!operation.target.version.is_zero());
    // A read writes back only to the replicas that did not report its copy.
    for (const auto& [replica, version] : operation.answered) {
        if (version >= operation.target.version) operation.holding.insert(replica);
    }
    if (operation.holding.size() >= majority(ctx)) {
        advance(ctx, id);
        return;
    }
    send_phase(ctx, id);
}

void AbdServer::finish(Context& ctx, std::uint64_t id, kv::KvResult result) {
    auto it = operations_.find(id);
    FL_ASSERT(it != operations_.end());
    auto reply = std::make_shared<kv::KvReply>();
    reply->in_reply_to = it->second.msg_id;
    reply->op = it->second.op;
    reply->code = result.code;
    reply->value = result.value;
    const NodeId client = it->second.client;
    operations_.erase(it);
    ctx.send(client, std::move(reply));
}

void AbdServer::on_timer(Context& ctx, TimerId, std::uint64_t tag) {
    FL_ASSERT_EQ(tag, tick_tag);
    const Nanos now = ctx.now();
    std::vector<std::uint64_t> ids;
    for (const auto& [id, operation] : operations_) ids.push_back(id);
    for (std::uint64_t id : ids) {
        auto it = operations_.find(id);
        if (it == operations_.end()) continue;
        if (now - it->second.started >= options_.give_up_after) {
            ctx.log(fmt::format("gave up on {} of key {} after {}", kv::kv_op_name(it->second.op), it->second.key,
                                format_duration(now - it->second.started)));
            operations_.erase(it);
            continue;
        }
        send_phase(ctx, id);
    }
    ctx.set_timer(options_.resend_interval, tick_tag);
}

}  // namespace faultline::protocols::abd
