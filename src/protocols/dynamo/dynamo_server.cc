#include "protocols/dynamo/dynamo_server.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/assert.h"

namespace faultline::protocols::dynamo {

using quorum::Query;
using quorum::QueryReply;
using quorum::ReplicaStore;
using quorum::Store;
using quorum::StoreReply;
using quorum::SyncDigest;
using quorum::SyncReply;
using quorum::Version;
using quorum::Versioned;

namespace {
constexpr std::uint64_t tick_tag = 1;
constexpr std::uint64_t anti_entropy_tag = 2;
constexpr std::uint64_t handoff_tag = 3;
}  // namespace

void DynamoServer::boot(Context& ctx) {
    FL_ASSERT_GE(options_.replicas, 1);
    FL_ASSERT_LE(static_cast<std::size_t>(options_.replicas), ctx.cluster().size());
    FL_ASSERT(options_.read_quorum >= 1 && options_.read_quorum <= options_.replicas);
    FL_ASSERT(options_.write_quorum >= 1 && options_.write_quorum <= options_.replicas);
    ring_ = Ring(std::vector<NodeId>(ctx.cluster().begin(), ctx.cluster().end()), options_.tokens_per_server);
    operations_.clear();
    sessions_.clear();
    rebuilt_from_.clear();
    handoffs_.clear();
    inbox_.clear();
    // A fresh range of operation ids per incarnation: a late reply to an
    // operation of an earlier incarnation matches nothing.
    next_op_ = (ctx.random().next() >> 1) | 1;
    ctx.set_timer(options_.resend_interval, tick_tag);
    ctx.set_timer(options_.handoff_interval, handoff_tag);
    if (options_.anti_entropy_interval > 0) {
        // Nodes start their rounds at different points, so they do not all sync at once.
        const auto first = ctx.random().between(1, options_.anti_entropy_interval);
        ctx.set_timer(first, anti_entropy_tag);
    }
}

void DynamoServer::start(Context& ctx) {
    boot(ctx);
}

void DynamoServer::recover(Context& ctx) {
    for (const std::string& note : store_.recover(ctx.storage())) ctx.log(note);
    boot(ctx);
}

void DynamoServer::send(Context& ctx, NodeId to, MessagePtr message) {
    if (to == ctx.self()) {
        inbox_.emplace_back(to, std::move(message));
        return;
    }
    ctx.send(to, std::move(message));
}

void DynamoServer::drain_inbox(Context& ctx) {
    while (!inbox_.empty()) {
        const MessagePtr message = std::move(inbox_.front().second);
        inbox_.pop_front();
        handle(ctx, ctx.self(), *message);
    }
}

void DynamoServer::on_message(Context& ctx, const Envelope& envelope) {
    handle(ctx, envelope.from, *envelope.message);
    drain_inbox(ctx);
}

void DynamoServer::handle(Context& ctx, NodeId from, const Message& message) {
    if (const auto* request = message_as<kv::KvRequest>(message)) {
        begin(ctx, from, *request);
    } else if (const auto* query = message_as<Query>(message)) {
        answer_query(ctx, from, *query);
    } else if (const auto* store = message_as<Store>(message)) {
        answer_store(ctx, from, *store);
    } else if (const auto* reply = message_as<QueryReply>(message)) {
        on_query_reply(ctx, from, *reply);
    } else if (const auto* reply = message_as<StoreReply>(message)) {
        on_store_reply(ctx, from, *reply);
    } else if (const auto* digest = message_as<SyncDigest>(message)) {
        on_sync_digest(ctx, from, *digest);
    } else if (const auto* reply = message_as<SyncReply>(message)) {
        on_sync_reply(ctx, from, *reply);
    }
}

std::vector<NodeId> DynamoServer::homes(std::int64_t key) const {
    std::vector<NodeId> order = ring_.preference(key);
    order.resize(static_cast<std::size_t>(options_.replicas));
    return order;
}

bool DynamoServer::both_replicate(std::int64_t key, NodeId a, NodeId b) const {
    const std::vector<NodeId> home = homes(key);
    return std::find(home.begin(), home.end(), a) != home.end() && std::find(home.begin(), home.end(), b) != home.end();
}

bool DynamoServer::is_home(const Operation& operation, NodeId node) const {
    const auto end = operation.preference.begin() + options_.replicas;
    return std::find(operation.preference.begin(), end, node) != end;
}

std::optional<Versioned> DynamoServer::newest_held(std::int64_t key) const {
    std::optional<Versioned> newest;
    if (const Versioned* copy = store_.find(key)) newest = *copy;
    for (const auto& [where, hint] : store_.hints()) {
        if (where.second == key && (!newest || hint.version > newest->version)) newest = hint;
    }
    return newest;
}

// ---- the replica's side ----

void DynamoServer::answer_query(Context& ctx, NodeId from, const Query& query) {
    if (store_.mute()) return;
    auto reply = std::make_shared<QueryReply>();
    reply->op = query.op;
    reply->key = query.key;
    if (auto newest = newest_held(query.key)) {
        reply->found = true;
        reply->copy = *newest;
    }
    send(ctx, from, std::move(reply));
}

void DynamoServer::answer_store(Context& ctx, NodeId from, const Store& store) {
    Version held;
    if (store.hint_for) {
        FL_ASSERT_NE(*store.hint_for, ctx.self().value);  // a stand-in is never the home it stands in for
        if (store_.store_hint(ctx.storage(), *store.hint_for, store.key, store.copy) == ReplicaStore::Outcome::mute) {
            return;
        }
        held = store_.hints().at({*store.hint_for, store.key}).version;
    } else {
        if (store_.store(ctx.storage(), store.key, store.copy) == ReplicaStore::Outcome::mute) return;
        held = store_.find(store.key)->version;
    }
    FL_ASSERT_GE(held, store.copy.version);
    if (store.op == 0) return;  // a repair: no answer wanted
    auto reply = std::make_shared<StoreReply>();
    reply->op = store.op;
    reply->key = store.key;
    reply->version = held;
    send(ctx, from, std::move(reply));
}

// ---- the coordinator's side ----

void DynamoServer::begin(Context& ctx, NodeId client, const kv::KvRequest& request) {
    const kv::KvCommand& command = request.command;
    if (command.op == kv::KvOp::cas) {
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
    operation.preference = ring_.preference(command.key);
    operation.started = ctx.now();
    enter_phase(ctx, id, Phase::query);
}

void DynamoServer::enter_phase(Context& ctx, std::uint64_t id, Phase phase) {
    Operation& operation = operations_.at(id);
    operation.phase = phase;
    operation.phase_started = ctx.now();
    if (phase == Phase::repair) return;  // keeps listening to the replicas already asked
    operation.asked.clear();
    operation.replied.clear();
    operation.acked.clear();
    operation.next_stand_in = static_cast<std::size_t>(options_.replicas);
    for (int i = 0; i < options_.replicas; ++i) operation.asked.emplace(operation.preference[i], std::nullopt);
    push_phase(ctx, id);
}

void DynamoServer::push_phase(Context& ctx, std::uint64_t id) {
    Operation& operation = operations_.at(id);
    auto answered = [&](NodeId node) {
        return operation.phase == Phase::store ? operation.acked.contains(node) : operation.replied.contains(node);
    };
    if (options_.sloppy && operation.phase != Phase::repair &&
        ctx.now() - operation.phase_started >= options_.fallback_after) {
        // Each silent home replica gets one stand-in: the next node on the list.
        std::vector<NodeId> silent;
        for (const auto& [node, stands_for] : operation.asked) {
            if (stands_for || answered(node)) continue;
            const bool covered = std::any_of(operation.asked.begin(), operation.asked.end(),
                                             [&](const auto& entry) { return entry.second == node; });
            if (!covered) silent.push_back(node);
        }
        for (NodeId home : silent) {
            if (operation.next_stand_in >= operation.preference.size()) break;
            operation.asked.emplace(operation.preference[operation.next_stand_in++], home);
        }
    }
    for (const auto& [node, stands_for] : operation.asked) {
        if (answered(node)) continue;
        if (operation.phase == Phase::repair && stands_for) continue;  // repair is for home replicas
        send_request(ctx, id, node);
    }
}

void DynamoServer::send_request(Context& ctx, std::uint64_t id, NodeId to) {
    const Operation& operation = operations_.at(id);
    if (operation.phase == Phase::store) {
        auto message = std::make_shared<Store>();
        message->op = id;
        message->key = operation.key;
        message->copy = operation.target;
        const std::optional<NodeId> stands_for = operation.asked.at(to);
        if (stands_for) message->hint_for = stands_for->value;
        send(ctx, to, std::move(message));
        return;
    }
    auto message = std::make_shared<Query>();
    message->op = id;
    message->key = operation.key;
    send(ctx, to, std::move(message));
}

void DynamoServer::on_query_reply(Context& ctx, NodeId from, const QueryReply& reply) {
    auto it = operations_.find(reply.op);
    if (it == operations_.end() || it->second.phase == Phase::store) return;  // late or duplicated
    Operation& operation = it->second;
    if (!operation.asked.contains(from) || operation.replied.contains(from)) return;
    FL_ASSERT_EQ(reply.key, operation.key);
    operation.replied.emplace(from, reply.found ? reply.copy.version : Version{});
    if (reply.found && (!operation.found || reply.copy.version > operation.best.version)) {
        operation.found = true;
        operation.best = reply.copy;
    }
    if (operation.phase == Phase::repair) {
        if (is_home(operation, from)) repair(ctx, operation, from, operation.replied.at(from));
        if (homes_replied(operation) == static_cast<std::size_t>(options_.replicas)) operations_.erase(it);
        return;
    }
    if (operation.replied.size() < static_cast<std::size_t>(options_.read_quorum)) return;
    if (operation.op == kv::KvOp::read) {
        answer_client(ctx, operation,
                      operation.found ? kv::KvResult{0, operation.best.value} : kv::KvResult{kv::error_key_missing, 0});
        if (!options_.read_repair || !operation.found) {
            operations_.erase(it);
            return;
        }
        // Read repair: the home replicas that answered older, now and later.
        for (const auto& [node, version] : operation.replied) {
            if (is_home(operation, node)) repair(ctx, operation, node, version);
        }
        if (homes_replied(operation) == static_cast<std::size_t>(options_.replicas)) {
            operations_.erase(it);
            return;
        }
        enter_phase(ctx, reply.op, Phase::repair);
        return;
    }
    std::uint64_t counter = operation.best.version.counter;
    if (options_.bugs.local_version) {
        const Versioned* own = store_.find(operation.key);
        counter = own == nullptr ? 0 : own->version.counter;
    }
    operation.target =
        Versioned{Version{counter + 1, operation.session_client, operation.session_sequence}, operation.value};
    enter_phase(ctx, reply.op, Phase::store);
}

void DynamoServer::on_store_reply(Context& ctx, NodeId from, const StoreReply& reply) {
    if (auto handoff = handoffs_.find(reply.op); handoff != handoffs_.end()) {
        const auto [home, key] = handoff->second;
        handoffs_.erase(handoff);
        if (from != home || key != reply.key) return;
        if (store_.drop_hint(ctx.storage(), home.value, key, reply.version) == ReplicaStore::Outcome::stored) {
            ctx.log(fmt::format("handed key {} back to {}", key, ctx.name_of(home)));
        }
        return;
    }
    auto it = operations_.find(reply.op);
    if (it == operations_.end() || it->second.phase != Phase::store) return;
    Operation& operation = it->second;
    if (!operation.asked.contains(from) || reply.version < operation.target.version) return;
    FL_ASSERT_EQ(reply.key, operation.key);
    operation.acked.insert(from);
    if (operation.acked.size() < static_cast<std::size_t>(options_.write_quorum)) return;
    answer_client(ctx, operation, kv::KvResult{});
    operations_.erase(it);
}

void DynamoServer::repair(Context& ctx, const Operation& operation, NodeId replica, const Version& held) {
    FL_ASSERT(operation.found);
    if (!options_.read_repair || held >= operation.best.version) return;
    auto message = std::make_shared<Store>();
    message->op = 0;
    message->key = operation.key;
    message->copy = operation.best;
    send(ctx, replica, std::move(message));
}

std::size_t DynamoServer::homes_replied(const Operation& operation) const {
    return static_cast<std::size_t>(std::count_if(operation.replied.begin(), operation.replied.end(),
                                                  [&](const auto& entry) { return is_home(operation, entry.first); }));
}

void DynamoServer::answer_client(Context& ctx, const Operation& operation, kv::KvResult result) {
    auto message = std::make_shared<kv::KvReply>();
    message->in_reply_to = operation.msg_id;
    message->op = operation.op;
    message->code = result.code;
    message->value = result.value;
    ctx.send(operation.client, std::move(message));
}

// ---- background: anti-entropy and hinted handoff ----

void DynamoServer::start_anti_entropy(Context& ctx) {
    if (store_.mute() || ctx.cluster().size() < 2) return;
    NodeId peer = ctx.self();
    while (peer == ctx.self()) peer = ctx.cluster()[ctx.random().below(ctx.cluster().size())];
    auto digest = std::make_shared<SyncDigest>();
    for (const auto& [key, copy] : store_.copies()) {
        if (both_replicate(key, ctx.self(), peer)) digest->versions.emplace_back(key, copy.version);
    }
    send(ctx, peer, std::move(digest));
}

void DynamoServer::ask_to_rebuild(Context& ctx) {
    for (NodeId peer : ctx.cluster()) {
        if (peer == ctx.self() || rebuilt_from_.contains(peer)) continue;
        auto digest = std::make_shared<SyncDigest>();
        digest->rebuilding = true;
        send(ctx, peer, std::move(digest));
    }
}

void DynamoServer::on_sync_digest(Context& ctx, NodeId from, const SyncDigest& digest) {
    auto reply = std::make_shared<SyncReply>();
    if (store_.damaged() && digest.rebuilding) {
        reply->damaged = true;  // nothing to vouch for: the other may not wait for it
        send(ctx, from, std::move(reply));
        return;
    }
    if (store_.mute()) return;
    std::set<std::int64_t> mentioned;
    for (const auto& [key, version] : digest.versions) {
        mentioned.insert(key);
        if (!both_replicate(key, ctx.self(), from)) continue;
        const Versioned* mine = store_.find(key);
        if (mine != nullptr && mine->version > version) {
            reply->newer.emplace_back(key, *mine);
        } else if (mine == nullptr || mine->version < version) {
            reply->wanted.push_back(key);
        }
    }
    for (const auto& [key, copy] : store_.copies()) {
        if (!mentioned.contains(key) && both_replicate(key, ctx.self(), from)) reply->newer.emplace_back(key, copy);
    }
    if (reply->newer.empty() && reply->wanted.empty() && !digest.rebuilding) return;
    send(ctx, from, std::move(reply));
}

void DynamoServer::on_sync_reply(Context& ctx, NodeId from, const SyncReply& reply) {
    if (store_.damaged()) {
        for (const auto& [key, copy] : reply.newer) {
            if (!both_replicate(key, ctx.self(), from)) continue;
            if (store_.rebuild(ctx.storage(), key, copy) == ReplicaStore::Outcome::mute) return;
        }
        rebuilt_from_.insert(from);
        if (rebuilt_from_.size() + 1 == ctx.cluster().size() && store_.finish_rebuild(ctx.storage())) {
            ctx.log(fmt::format("rebuilt {} copies from every peer: answering again", store_.copies().size()));
        }
        return;
    }
    if (store_.mute()) return;
    for (const auto& [key, copy] : reply.newer) {
        if (!both_replicate(key, ctx.self(), from)) continue;
        if (store_.store(ctx.storage(), key, copy) == ReplicaStore::Outcome::mute) return;
    }
    for (std::int64_t key : reply.wanted) {
        const Versioned* mine = store_.find(key);
        if (mine == nullptr) continue;
        auto message = std::make_shared<Store>();
        message->op = 0;
        message->key = key;
        message->copy = *mine;
        send(ctx, from, std::move(message));
    }
}

void DynamoServer::hand_off(Context& ctx) {
    // Answers to the last round that have not come are given up: this round asks again.
    handoffs_.clear();
    for (const auto& [where, copy] : store_.hints()) {
        const NodeId home(where.first);
        const std::uint64_t id = next_op_++;
        handoffs_.emplace(id, std::make_pair(home, where.second));
        auto message = std::make_shared<Store>();
        message->op = id;
        message->key = where.second;
        message->copy = copy;
        send(ctx, home, std::move(message));
    }
}

void DynamoServer::on_timer(Context& ctx, TimerId, std::uint64_t tag) {
    switch (tag) {
        case tick_tag: {
            const Nanos now = ctx.now();
            std::vector<std::uint64_t> ids;
            for (const auto& [id, operation] : operations_) ids.push_back(id);
            for (std::uint64_t id : ids) {
                Operation& operation = operations_.at(id);
                if (now - operation.started >= options_.give_up_after) {
                    if (operation.phase != Phase::repair) {
                        ctx.log(fmt::format("gave up on {} of key {} after {}", kv::kv_op_name(operation.op),
                                            operation.key, format_duration(now - operation.started)));
                    }
                    operations_.erase(id);
                    continue;
                }
                push_phase(ctx, id);
            }
            if (store_.damaged()) ask_to_rebuild(ctx);
            ctx.set_timer(options_.resend_interval, tick_tag);
            break;
        }
        case anti_entropy_tag:
            start_anti_entropy(ctx);
            ctx.set_timer(options_.anti_entropy_interval, anti_entropy_tag);
            break;
        case handoff_tag:
            hand_off(ctx);
            ctx.set_timer(options_.handoff_interval, handoff_tag);
            break;
        default:
            FL_UNREACHABLE();
    }
    drain_inbox(ctx);
}

}  // namespace faultline::protocols::dynamo
