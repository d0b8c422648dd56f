#include "protocols/swim/swim.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/assert.h"
#include "base/json.h"

namespace faultline::protocols::swim {

namespace {

// A member relays for at most this many ping-reqs at once: a flood of them
// (every member probing through this one) must not grow its state.
constexpr std::size_t kRelaysMax = 64;

constexpr std::uint64_t kTagShift = 56;
std::uint64_t make_tag(std::uint64_t kind, std::uint64_t payload) {
    FL_ASSERT_LT(payload, std::uint64_t{1} << kTagShift);
    return (kind << kTagShift) | payload;
}

}  // namespace

std::string_view SwimMessage::type() const {
    switch (kind) {
        case SwimKind::ping:
            return "ping";
        case SwimKind::ping_req:
            return "ping-req";
        case SwimKind::ack:
            return "ack";
        case SwimKind::nack:
            return "nack";
        case SwimKind::sync_request:
            return "sync-request";
        case SwimKind::sync_reply:
            return "sync-reply";
    }
    return "?";
}

nlohmann::json SwimMessage::to_json() const {
    Json updates_json = Json::array();
    for (const Update& update : updates) {
        updates_json.push_back(Json{{"member", update.member.value},
                                    {"state", member_state_name(update.state)},
                                    {"incarnation", update.incarnation}});
    }
    Json out{{"type", type()}, {"seq", sequence}, {"updates", updates_json}};
    if (kind == SwimKind::ping_req) out["target"] = target.value;
    return out;
}

std::uint64_t SwimMessage::digest() const {
    std::uint64_t hash = sequence * 31 + static_cast<std::uint64_t>(kind);
    for (const Update& update : updates) {
        hash = hash * 1000003 ^ (update.member.value * 7 + static_cast<std::uint64_t>(update.state)) ^
               (std::uint64_t{update.incarnation} << 32);
    }
    return hash;
}

SwimNode::SwimNode(SwimOptions options, SwimObserver* observer)
    : options_(options), observer_(observer), awareness_(options.awareness_max_multiplier) {
    FL_ASSERT_GT(options_.probe_interval, 0);
    FL_ASSERT_GT(options_.probe_timeout, 0);
    FL_ASSERT_LE(options_.probe_timeout, options_.probe_interval);
    FL_ASSERT_GE(options_.indirect_checks, 0);
    FL_ASSERT_GE(options_.suspicion_mult, 1);
    FL_ASSERT_GE(options_.suspicion_max_timeout_mult, 1);
    FL_ASSERT_GE(options_.awareness_max_multiplier, 1);
    FL_ASSERT_GE(options_.piggyback_max, 0);
}

void SwimNode::boot(Context& ctx, bool recovering) {
    self_ = ctx.self();
    NodeId highest = self_;
    for (NodeId member : ctx.cluster()) highest = std::max(highest, member);
    members_.assign(highest.value + 1, Member{});
    suspicions_.assign(highest.value + 1, Suspicion{});
    order_.clear();
    for (NodeId member : ctx.cluster()) {
        members_[member.value].in_cluster = true;
        if (member != self_) order_.push_back(member);
    }
    members_[self_.value].in_cluster = true;
    cluster_size_ = ctx.cluster().size();
    next_ = order_.size();  // the first tick shuffles
    // Staggered, as memberlist's scheduler: members started together do not
    // all probe at the same instant.
    ctx.set_timer(static_cast<Nanos>(ctx.random().below(static_cast<std::uint64_t>(options_.probe_interval))),
                  make_tag(probe_tick, 0));
    if (options_.push_pull_interval > 0) {
        ctx.set_timer(options_.push_pull_interval + static_cast<Nanos>(ctx.random().below(
                                                        static_cast<std::uint64_t>(options_.push_pull_interval))),
                      make_tag(push_pull, 0));
    }
    synced_ = !recovering;
    if (recovering) {
        if (auto peer = random_member(ctx, self_)) send_table(ctx, *peer, SwimKind::sync_request);
    }
}

std::optional<NodeId> SwimNode::random_member(Context& ctx, NodeId except) const {
    std::vector<NodeId> candidates;
    for (NodeId member : order_) {
        if (member != except && members_[member.value].state != MemberState::dead) candidates.push_back(member);
    }
    if (candidates.empty()) return std::nullopt;
    return candidates[ctx.random().below(candidates.size())];
}

void SwimNode::send(Context& ctx, NodeId to, SwimKind kind, std::uint64_t sequence, NodeId target) {
    auto message = std::make_shared<SwimMessage>();
    message->kind = kind;
    message->sequence = sequence;
    message->target = target;
    message->want_nack = kind == SwimKind::ping_req && options_.local_health;
    // Buddy system: a ping to a suspect carries that suspicion first, so it
    // can refute at once. Its `from` names nobody: it is news passed on, not
    // a suspicion of this member's own (no dogpile confirmation).
    const bool buddy = options_.buddy && kind == SwimKind::ping && members_[to.value].state == MemberState::suspect;
    const std::size_t room = static_cast<std::size_t>(options_.piggyback_max);
    message->updates = queue_.take(buddy && room > 0 ? room - 1 : room,
                                   retransmit_limit(options_.retransmit_mult, cluster_size_), buddy ? to : kNobody);
    if (buddy && room > 0 && (message->updates.empty() || message->updates.front().member != to)) {
        message->updates.insert(message->updates.begin(),
                                Update{to, MemberState::suspect, members_[to.value].incarnation, kNobody});
    }
    FL_ASSERT_LE(message->updates.size(), room);
    ctx.send(to, std::move(message));
}

void SwimNode::send_table(Context& ctx, NodeId to, SwimKind kind) {
    auto message = std::make_shared<SwimMessage>();
    message->kind = kind;
    for (std::size_t i = 0; i < members_.size(); ++i) {
        if (!members_[i].in_cluster) continue;
        // `from` names nobody: a table is hearsay, never a suspicion of the
        // sender's own (no dogpile confirmation).
        message->updates.push_back(
            Update{NodeId(static_cast<std::uint32_t>(i)), members_[i].state, members_[i].incarnation, kNobody});
    }
    ctx.send(to, std::move(message));
}

void SwimNode::on_timer(Context& ctx, TimerId, std::uint64_t tag) {
    const std::uint64_t kind = tag >> kTagShift;
    const std::uint64_t payload = tag & ((std::uint64_t{1} << kTagShift) - 1);
    switch (kind) {
        case probe_tick:
            tick(ctx);
            return;
        case probe_timeout:
            if (probe_.active && probe_.sequence == payload && !probe_.acked) send_ping_reqs(ctx);
            return;
        case relay_expiry: {
            auto relay = std::find_if(relays_.begin(), relays_.end(),
                                      [payload](const Relay& r) { return r.sequence == payload; });
            if (relay == relays_.end()) return;
            if (relay->want_nack) send(ctx, relay->origin, SwimKind::nack, relay->origin_sequence);
            relays_.erase(relay);
            return;
        }
        case suspicion_expiry: {
            FL_ASSERT_LT(payload, members_.size());
            const Suspicion& suspicion = suspicions_[payload];
            if (!suspicion.active) return;
            on_dead(ctx, Update{NodeId(static_cast<std::uint32_t>(payload)), MemberState::dead, suspicion.incarnation,
                                self_});
            return;
        }
        case push_pull:
            if (auto peer = random_member(ctx, self_)) send_table(ctx, *peer, SwimKind::sync_request);
            ctx.set_timer(options_.push_pull_interval, make_tag(push_pull, 0));
            return;
        default:
            FL_UNREACHABLE();
    }
}

void SwimNode::tick(Context& ctx) {
    judge_probe(ctx);
    ctx.set_timer(awareness_.scale(options_.probe_interval), make_tag(probe_tick, 0));
    if (!synced_) {
        if (auto peer = random_member(ctx, self_)) send_table(ctx, *peer, SwimKind::sync_request);
    }
    // The next live member in the shuffled order; a new shuffle each round.
    for (std::size_t looked = 0; looked <= order_.size(); ++looked) {
        if (next_ >= order_.size()) {
            for (std::size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[ctx.random().below(i)]);
            next_ = 0;
            if (order_.empty()) return;
        }
        const NodeId target = order_[next_++];
        FL_ASSERT_NE(target, self_);
        if (members_[target.value].state == MemberState::dead) continue;
        probe_ = Probe{true, ++sequence_, target, false, 0, 0};
        send(ctx, target, SwimKind::ping, probe_.sequence);
        ctx.set_timer(awareness_.scale(options_.probe_timeout), make_tag(probe_timeout, probe_.sequence));
        return;
    }
}

// The end of a probe period: an ack came (directly or relayed), or the target
// becomes suspect. Lifeguard: missing nacks mean we are the one not hearing.
void SwimNode::judge_probe(Context& ctx) {
    if (!probe_.active) return;
    probe_.active = false;
    if (probe_.acked) {
        if (options_.local_health) awareness_.apply(-1);
        return;
    }
    if (options_.local_health) {
        // A duplicated nack must not count twice: missing ones only, never below zero.
        awareness_.apply(probe_.nacks_expected > 0 ? std::max(0, probe_.nacks_expected - probe_.nacks) : 1);
    }
    const Member& target = members_[probe_.target.value];
    if (target.state == MemberState::dead) return;
    ctx.log(fmt::format("no ack from {}: suspect it", ctx.name_of(probe_.target)));
    on_suspect(ctx, Update{probe_.target, MemberState::suspect, target.incarnation, self_});
}

void SwimNode::send_ping_reqs(Context& ctx) {
    std::vector<NodeId> relays;
    for (NodeId member : order_) {
        if (member != probe_.target && members_[member.value].state == MemberState::alive) relays.push_back(member);
    }
    for (std::size_t i = relays.size(); i > 1; --i) std::swap(relays[i - 1], relays[ctx.random().below(i)]);
    relays.resize(std::min(relays.size(), static_cast<std::size_t>(options_.indirect_checks)));
    for (NodeId relay : relays) send(ctx, relay, SwimKind::ping_req, probe_.sequence, probe_.target);
    probe_.nacks_expected = options_.local_health ? static_cast<int>(relays.size()) : 0;
}

void SwimNode::on_message(Context& ctx, const Envelope& envelope) {
    const auto* message = message_as<SwimMessage>(*envelope.message);
    if (message == nullptr || envelope.from.value >= members_.size() || !members_[envelope.from.value].in_cluster) {
        return;
    }
    const bool table = message->kind == SwimKind::sync_request || message->kind == SwimKind::sync_reply;
    for (const Update& update : message->updates) {
        if (update.member.value >= members_.size() || !members_[update.member.value].in_cluster) continue;
        // A peer's table says what it believes, not what it saw: its dead
        // are only suspects here (memberlist's mergeState), so a member that
        // is in fact alive gets to refute.
        if (table && update.state == MemberState::dead) {
            apply(ctx, Update{update.member, MemberState::suspect, update.incarnation, kNobody});
        } else {
            apply(ctx, update);
        }
    }
    switch (message->kind) {
        case SwimKind::ping:
            send(ctx, envelope.from, SwimKind::ack, message->sequence);
            return;
        case SwimKind::ping_req: {
            if (relays_.size() >= kRelaysMax || message->target.value >= members_.size() ||
                !members_[message->target.value].in_cluster) {
                return;
            }
            Relay relay{++sequence_, envelope.from, message->sequence, message->want_nack, 0};
            send(ctx, message->target, SwimKind::ping, relay.sequence);
            relay.timer = ctx.set_timer(options_.probe_timeout, make_tag(relay_expiry, relay.sequence));
            relays_.push_back(relay);
            return;
        }
        case SwimKind::ack: {
            if (probe_.active && probe_.sequence == message->sequence) probe_.acked = true;
            auto relay = std::find_if(relays_.begin(), relays_.end(),
                                      [&](const Relay& r) { return r.sequence == message->sequence; });
            if (relay == relays_.end()) return;
            send(ctx, relay->origin, SwimKind::ack, relay->origin_sequence);
            ctx.cancel_timer(relay->timer);
            relays_.erase(relay);
            return;
        }
        case SwimKind::nack:
            if (probe_.active && probe_.sequence == message->sequence) ++probe_.nacks;
            return;
        case SwimKind::sync_request:
            send_table(ctx, envelope.from, SwimKind::sync_reply);
            return;
        case SwimKind::sync_reply:
            synced_ = true;
            return;
    }
}

void SwimNode::apply(Context& ctx, const Update& update) {
    switch (update.state) {
        case MemberState::alive:
            on_alive(ctx, update);
            return;
        case MemberState::suspect:
            on_suspect(ctx, update);
            return;
        case MemberState::dead:
            on_dead(ctx, update);
            return;
    }
}

void SwimNode::on_alive(Context& ctx, const Update& update) {
    if (update.member == self_) {
        // A claim from an earlier life (before a restart) at a higher
        // incarnation: move past it, or the next suspicion could not be refuted.
        if (update.incarnation > incarnation()) refute(ctx, update.incarnation);
        return;
    }
    const Member& known = members_[update.member.value];
    if (!overrides(MemberState::alive, update.incarnation, known.state, known.incarnation)) return;
    set_state(ctx, update);
    queue_.push(update);
}

void SwimNode::on_suspect(Context& ctx, const Update& update) {
    if (update.member == self_) {
        if (update.incarnation >= incarnation()) {
            refute(ctx, update.incarnation);
        }
        return;
    }
    const Member& known = members_[update.member.value];
    if (known.state == MemberState::suspect && update.incarnation == known.incarnation) {
        confirm_suspicion(ctx, update);
        return;
    }
    if (!overrides(MemberState::suspect, update.incarnation, known.state, known.incarnation)) return;
    set_state(ctx, update);
    start_suspicion(ctx, update);
    queue_.push(update);
}

void SwimNode::on_dead(Context& ctx, const Update& update) {
    if (update.member == self_) {
        if (update.incarnation >= incarnation()) {
            refute(ctx, update.incarnation);
        }
        return;
    }
    const Member& known = members_[update.member.value];
    if (!overrides(MemberState::dead, update.incarnation, known.state, known.incarnation)) return;
    if (update.from == self_) ctx.log(fmt::format("{} declared dead", ctx.name_of(update.member)));
    set_state(ctx, update);
    queue_.push(update);
}

void SwimNode::refute(Context& ctx, std::uint32_t accused) {
    ctx.log(fmt::format("refute: alive at incarnation {}", std::max(incarnation(), accused) + 1));
    Member& me = members_[self_.value];
    me.incarnation = std::max(me.incarnation, accused) + 1;
    FL_ASSERT_GT(me.incarnation, accused);
    me.state = MemberState::alive;
    queue_.push(Update{self_, MemberState::alive, me.incarnation, self_});
    if (options_.local_health) awareness_.apply(1);
}

void SwimNode::set_state(Context& ctx, const Update& update) {
    FL_ASSERT_NE(update.member, self_);  // our own state changes only by refuting
    Member& member = members_[update.member.value];
    FL_ASSERT(member.in_cluster);
    const bool changed = member.state != update.state;
    member.state = update.state;
    member.incarnation = update.incarnation;
    Suspicion& suspicion = suspicions_[update.member.value];
    if (update.state != MemberState::suspect && suspicion.active) {
        ctx.cancel_timer(suspicion.timer);
        suspicion = Suspicion{};
    }
    if (changed && observer_ != nullptr) observer_->changed(self_, update);
}

void SwimNode::start_suspicion(Context& ctx, const Update& update) {
    Suspicion& suspicion = suspicions_[update.member.value];
    if (suspicion.active) ctx.cancel_timer(suspicion.timer);
    suspicion = Suspicion{true, update.incarnation, ctx.now(), update.from, {}, 0};
    arm_suspicion(ctx, update.member);
}

// Lifeguard's dogpile: another member's own suspicion shortens the wait, and
// is passed on so that others count it too.
void SwimNode::confirm_suspicion(Context& ctx, const Update& update) {
    Suspicion& suspicion = suspicions_[update.member.value];
    if (!options_.dynamic_suspicion || !suspicion.active || update.from == kNobody || update.from == suspicion.first ||
        std::find(suspicion.confirmed.begin(), suspicion.confirmed.end(), update.from) != suspicion.confirmed.end()) {
        return;
    }
    if (suspicion.confirmed.size() >= cluster_size_) return;  // bounded: one per member
    suspicion.confirmed.push_back(update.from);
    queue_.push(update);
    ctx.cancel_timer(suspicion.timer);
    arm_suspicion(ctx, update.member);
}

void SwimNode::arm_suspicion(Context& ctx, NodeId member) {
    Suspicion& suspicion = suspicions_[member.value];
    FL_ASSERT(suspicion.active);
    const Nanos min = suspicion_timeout_min(options_.suspicion_mult, cluster_size_, options_.probe_interval);
    Nanos timeout = min;
    if (options_.dynamic_suspicion) {
        // memberlist: K = SuspicionMult - 2 confirmations wanted, none when the
        // cluster is too small to give them.
        int wanted = options_.suspicion_mult - 2;
        if (static_cast<int>(cluster_size_) - 2 < wanted) wanted = 0;
        timeout = suspicion_timeout(min, min * options_.suspicion_max_timeout_mult,
                                    static_cast<int>(suspicion.confirmed.size()), wanted);
    }
    const Nanos remaining = std::max<Nanos>(0, suspicion.started + timeout - ctx.now());
    suspicion.timer = ctx.set_timer(remaining, make_tag(suspicion_expiry, member.value));
}

}  // namespace faultline::protocols::swim
