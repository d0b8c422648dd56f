#include "protocols/crdt/replica.h"

#include <algorithm>

#include "base/assert.h"
#include "base/hash.h"

namespace faultline::protocols::crdt {

namespace {

constexpr std::uint64_t kSyncTag = 0;

constexpr struct {
    Type type;
    const char* name;
} kTypeNames[] = {{Type::g_counter, "g-counter"},
                  {Type::pn_counter, "pn-counter"},
                  {Type::or_set, "or-set"},
                  {Type::lww_register, "lww-register"}};

Json dot_json(Dot dot) {
    return Json::array({dot.replica, dot.seq});
}

Json op_json(const Operation& op) {
    Json json{{"dot", dot_json(op.dot)}, {"deps", op.deps}, {"op", op_name(op.kind)}, {"value", op.arg}};
    if (!op.removed.empty()) {
        Json removed = Json::array();
        for (Dot dot : op.removed) removed.push_back(dot_json(dot));
        json["removed"] = std::move(removed);
    }
    if (op.kind == OpKind::write) json["stamp"] = Json::array({op.write.counter(), op.write.replica()});
    return json;
}

}  // namespace

const char* type_name(Type type) {
    for (const auto& entry : kTypeNames) {
        if (entry.type == type) return entry.name;
    }
    FL_UNREACHABLE();
}

std::optional<Type> parse_type(std::string_view name) {
    for (const auto& entry : kTypeNames) {
        if (name == entry.name) return entry.type;
    }
    return std::nullopt;
}

std::vector<std::string> type_names() {
    std::vector<std::string> names;
    for (const auto& entry : kTypeNames) names.emplace_back(entry.name);
    return names;
}

const char* op_name(OpKind kind) {
    switch (kind) {
        case OpKind::read:
            return "read";
        case OpKind::add:
            return "add";
        case OpKind::remove:
            return "remove";
        case OpKind::write:
            return "write";
    }
    FL_UNREACHABLE();
}

Json Object::value() const {
    switch (type) {
        case Type::g_counter:
            return g.value();
        case Type::pn_counter:
            return pn.value();
        case Type::or_set:
            return set.value();
        case Type::lww_register:
            return lww.empty() ? Json() : Json(lww.value());
    }
    FL_UNREACHABLE();
}

void Object::merge(const Object& other) {
    FL_ASSERT(type == other.type);
    g.merge(other.g);
    pn.merge(other.pn);
    set.merge(other.set);
    lww.merge(other.lww);
}

nlohmann::json CrdtRequest::to_json() const {
    Json json{{"type", type()}, {"msg_id", msg_id}};
    if (op != OpKind::read) json["value"] = value;
    return json;
}

std::uint64_t CrdtRequest::digest() const {
    const std::uint64_t words[] = {msg_id, static_cast<std::uint64_t>(op), static_cast<std::uint64_t>(value)};
    return hash_bytes(words, sizeof words);
}

nlohmann::json CrdtReply::to_json() const {
    Json json{{"type", type()}, {"in_reply_to", in_reply_to}};
    if (refused) json["code"] = "crashed";
    if (rejected) json["code"] = "rejected";
    if (!value.is_null()) json["value"] = value;
    return json;
}

std::uint64_t CrdtReply::digest() const {
    const std::string text = value.dump();
    return hash_bytes(text.data(), text.size(), in_reply_to * 4 + (refused ? 1 : 0) + (rejected ? 2 : 0));
}

nlohmann::json StateSync::to_json() const {
    return Json{{"type", type()}, {"version", version}, {"value", object.value()}};
}

nlohmann::json OpSync::to_json() const {
    Json json{{"type", type()}};
    if (missing_since) json["version"] = *missing_since;
    Json ops_json = Json::array();
    for (const Operation& op : ops) ops_json.push_back(op_json(op));
    json["ops"] = std::move(ops_json);
    return json;
}

Replica::Replica(const ReplicaOptions& options, CrdtSink* sink) : options_(options), sink_(sink) {
    FL_ASSERT(sink_ != nullptr);
    FL_ASSERT_GT(options_.sync_interval, 0);
}

void Replica::start(Context& ctx) {
    self_ = ctx.self();
    const auto cluster = ctx.cluster();
    const auto found = std::find(cluster.begin(), cluster.end(), self_);
    FL_ASSERT(found != cluster.end());
    position_ = static_cast<std::uint32_t>(found - cluster.begin());
    object_ = Object(options_.type, cluster.size());
    version_.assign(cluster.size(), 0);
    log_.assign(cluster.size(), {});
    ctx.set_timer(options_.sync_interval, kSyncTag);
}

void Replica::recover(Context& ctx) {
    self_ = ctx.self();
    crashed_before_ = true;
    ctx.log("crashed before: keeping quiet (crash-stop)");
}

void Replica::on_timer(Context& ctx, TimerId, std::uint64_t tag) {
    FL_ASSERT_EQ(tag, kSyncTag);
    FL_ASSERT(!crashed_before_);  // a quiet replica sets no timers
    ctx.set_timer(options_.sync_interval, kSyncTag);
    if (ctx.cluster().size() < 2) return;
    const NodeId peer = random_peer(ctx);
    if (options_.delivery == Delivery::state) {
        auto sync = std::make_shared<StateSync>();
        sync->object = object_;
        sync->version = version_;
        ctx.send(peer, std::move(sync));
    } else {
        auto summary = std::make_shared<OpSync>();
        summary->missing_since = version_;
        ctx.send(peer, std::move(summary));
    }
}

NodeId Replica::random_peer(Context& ctx) {
    const auto cluster = ctx.cluster();
    FL_ASSERT_GE(cluster.size(), 2u);
    // Uniform over the others: draw a position, skipping our own.
    auto pick = static_cast<std::size_t>(ctx.random().below(cluster.size() - 1));
    if (pick >= position_) ++pick;
    return cluster[pick];
}

void Replica::on_message(Context& ctx, const Envelope& envelope) {
    if (message_as<CrdtRequest>(*envelope.message) != nullptr) {
        answer_client(ctx, envelope);
        return;
    }
    if (crashed_before_) return;
    if (const auto* sync = message_as<StateSync>(*envelope.message)) {
        FL_ASSERT_EQ(sync->version.size(), version_.size());
        const Json before = object_.value();
        const auto version_before = version_;
        object_.merge(sync->object);
        for (std::size_t i = 0; i < version_.size(); ++i) version_[i] = std::max(version_[i], sync->version[i]);
        if (version_ != version_before || object_.value() != before) report();
        return;
    }
    const auto* ops = message_as<OpSync>(*envelope.message);
    if (ops == nullptr) {
        ctx.log("crdt: ignored an unknown message");
        return;
    }
    for (const Operation& op : ops->ops) receive(op);
    if (!ops->missing_since) return;
    const auto& theirs = *ops->missing_since;
    FL_ASSERT_EQ(theirs.size(), version_.size());
    auto answer = std::make_shared<OpSync>();
    for (std::size_t origin = 0; origin < log_.size(); ++origin) {
        for (std::uint64_t seq = theirs[origin]; seq < log_[origin].size(); ++seq) {
            answer->ops.push_back(log_[origin][seq]);
        }
    }
    if (!answer->ops.empty()) ctx.send(envelope.from, std::move(answer));
}

void Replica::answer_client(Context& ctx, const Envelope& envelope) {
    const auto& request = *message_as<CrdtRequest>(*envelope.message);
    auto reply = std::make_shared<CrdtReply>();
    reply->in_reply_to = request.msg_id;
    const bool fits = request.op == OpKind::read ||
                      (request.op == OpKind::add && options_.type != Type::lww_register &&
                       (options_.type != Type::g_counter || request.value >= 0)) ||
                      (request.op == OpKind::remove && options_.type == Type::or_set) ||
                      (request.op == OpKind::write && options_.type == Type::lww_register);
    if (crashed_before_) {
        reply->refused = true;
    } else if (!fits) {
        reply->rejected = true;
    } else if (request.op == OpKind::read) {
        reply->value = object_.value();
    } else {
        Operation op = update(ctx, request.op, request.value);
        if (options_.delivery == Delivery::op) {
            auto sync = std::make_shared<OpSync>();
            sync->ops.push_back(std::move(op));
            for (NodeId peer : ctx.cluster()) {
                if (peer != self_) ctx.send(peer, sync);
            }
        }
    }
    ctx.send(envelope.from, std::move(reply));
}

Operation Replica::update(Context&, OpKind kind, std::int64_t arg) {
    Operation op;
    op.dot = Dot{position_, version_[position_]};
    op.deps = version_;
    op.kind = kind;
    op.arg = arg;
    switch (options_.type) {
        case Type::g_counter:
            object_.g.add(position_, static_cast<std::uint64_t>(arg));
            break;
        case Type::pn_counter:
            object_.pn.add(position_, arg);
            break;
        case Type::or_set:
            if (kind == OpKind::add) {
                object_.set.add(arg, op.dot);
            } else {
                op.removed = object_.set.remove(arg);
            }
            break;
        case Type::lww_register:
            object_.lww.write(position_, arg);
            op.write = object_.lww;
            break;
    }
    ++version_[position_];
    if (options_.delivery == Delivery::op) log_[position_].push_back(op);
    sink_->updated(self_, op);
    report();
    return op;
}

// An operation from another replica, delivered: the same effect its update had at its origin.
void Replica::apply(const Operation& op) {
    switch (options_.type) {
        case Type::g_counter:
            object_.g.add(op.dot.replica, static_cast<std::uint64_t>(op.arg));
            return;
        case Type::pn_counter:
            object_.pn.add(op.dot.replica, op.arg);
            return;
        case Type::or_set:
            if (op.kind == OpKind::add) {
                object_.set.add(op.arg, op.dot);
            } else if (options_.remove_deletes) {
                object_.set.erase_element(op.arg);
            } else {
                object_.set.remove_dots(op.removed);
            }
            return;
        case Type::lww_register:
            object_.lww.merge(op.write);
            return;
    }
    FL_UNREACHABLE();
}

bool Replica::deliverable(const Operation& op) const {
    if (op.dot.seq != version_[op.dot.replica]) return false;
    for (std::size_t i = 0; i < version_.size(); ++i) {
        if (i != op.dot.replica && op.deps[i] > version_[i]) return false;
    }
    return true;
}

void Replica::receive(const Operation& op) {
    FL_ASSERT_LT(op.dot.replica, version_.size());
    FL_ASSERT_EQ(op.deps.size(), version_.size());
    if (op.dot.seq < version_[op.dot.replica]) {
        // Applied before: exactly-once delivery drops it. The naive counter
        // adds its delta again.
        if (options_.sum_deltas) {
            apply(op);
            report();
        }
        return;
    }
    const bool held = std::any_of(held_.begin(), held_.end(), [&](const Operation& h) { return h.dot == op.dot; });
    if (held) return;
    held_.push_back(op);
    bool changed = false;
    for (bool progress = true; progress;) {
        progress = false;
        for (auto it = held_.begin(); it != held_.end();) {
            if (!deliverable(*it)) {
                ++it;
                continue;
            }
            apply(*it);
            ++version_[it->dot.replica];
            log_[it->dot.replica].push_back(std::move(*it));
            it = held_.erase(it);
            progress = changed = true;
        }
    }
    if (changed) report();
}

void Replica::report() {
    sink_->changed(self_, version_, object_.value());
}

}  // namespace faultline::protocols::crdt
