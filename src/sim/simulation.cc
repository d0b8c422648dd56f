#include "sim/simulation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "base/assert.h"

namespace faultline::sim {

namespace {
constexpr std::uint64_t livelock_events = 1'000'000;
}  // namespace

// A node's view of the simulation while it handles one input. `cursor` starts
// at the event's time and moves forward when the node spends time (disk syncs).
class Simulation::SimContext final : public Context {
  public:
    SimContext(Simulation& simulation, NodeSlot& slot) : simulation_(simulation), slot_(slot) {}

    NodeId self() const override;
    std::span<const NodeId> cluster() const override { return simulation_.servers_; }
    std::string_view name_of(NodeId node) const override { return simulation_.name(node); }
    Nanos now() const override;
    void send(NodeId to, MessagePtr message) override {
        if (doomed) return;  // a fault point crashes the node before this leaves
        Nanos departure = cursor;
        if (send_delay_max > 0) departure += simulation_.fault_point_random_.between(0, send_delay_max);
        simulation_.send(slot_, to, std::move(message), departure);
    }
    TimerId set_timer(Nanos after, std::uint64_t tag) override {
        return simulation_.set_timer(slot_, after * timer_stretch, tag, cursor);
    }
    void cancel_timer(TimerId timer) override { simulation_.cancel_timer(slot_, timer); }
    Prng& random() override;
    Storage& storage() override;
    void log(std::string_view line) override;

    void turn_fault_points_on() { fault_points_on_ = true; }
    // What fault points did to the rest of this input (reset before each).
    void reset_input_faults() {
        doomed = false;
        crash_when_sent = false;
        timer_stretch = 1;
        send_delay_max = 0;
    }

    Nanos cursor = 0;
    bool doomed = false;           // crash when the input is handled; send nothing more
    bool crash_when_sent = false;  // crash once the input is handled and its sends have left
    Nanos timer_stretch = 1;       // timers set from now on last this many times longer
    Nanos send_delay_max = 0;      // messages sent from now on leave up to this much later

  protected:
    void hit_fault_point(std::string_view name) override { simulation_.hit_fault_point(*this, slot_, name); }

  private:
    Simulation& simulation_;
    NodeSlot& slot_;
};

struct Simulation::NodeSlot {
    NodeId id;
    std::string name;
    bool server = true;
    NodeFactory factory;
    std::unique_ptr<Node> node;
    bool booted = false;
    bool up = false;
    bool paused = false;
    std::uint32_t incarnation = 0;
    Nanos busy_until = 0;
    Nanos processing_delay = 0;
    NodeClock clock;
    std::unique_ptr<SimDisk> disk;
    Prng random{0};
    std::vector<Event> held;  // events that arrived while paused, in arrival order
    std::vector<std::string> log;
    std::unique_ptr<SimContext> context;
};

NodeId Simulation::SimContext::self() const {
    return slot_.id;
}
Nanos Simulation::SimContext::now() const {
    return slot_.clock.local(cursor);
}
Prng& Simulation::SimContext::random() {
    return slot_.random;
}
Storage& Simulation::SimContext::storage() {
    return *slot_.disk;
}

void Simulation::SimContext::log(std::string_view line) {
    if (!simulation_.node_logging_) return;
    // The node's own clock, in seconds with nanosecond digits: "  31.712320944s".
    const Nanos local = slot_.clock.local(cursor);
    const std::string stamp = fmt::format("{}{}.{:09}s", local < 0 ? "-" : "", std::abs(local) / 1'000'000'000,
                                          std::abs(local) % 1'000'000'000);
    slot_.log.push_back(fmt::format("{:>16} {}", stamp, line));
}

Simulation::Simulation(SimulationOptions options)
    : options_(options),
      network_(Prng::mix(options.seed, "network"), options.link),
      tamper_random_(Prng::stream(options.seed, "tamper")) {}

Simulation::~Simulation() = default;

NodeId Simulation::add_server(std::string name, NodeFactory factory) {
    return add_node(std::move(name), std::move(factory), true);
}

NodeId Simulation::add_client(std::string name, NodeFactory factory) {
    return add_node(std::move(name), std::move(factory), false);
}

NodeId Simulation::add_node(std::string name, NodeFactory factory, bool server) {
    FL_ASSERT(!find(name).has_value());
    FL_ASSERT(factory != nullptr);
    const NodeId id(static_cast<std::uint32_t>(nodes_.size()));
    auto slot = std::make_unique<NodeSlot>();
    slot->id = id;
    slot->name = std::move(name);
    slot->server = server;
    slot->factory = std::move(factory);
    slot->random = Prng::stream(options_.seed, "node/" + slot->name);
    slot->disk = std::make_unique<SimDisk>(Prng::mix(options_.seed, "disk/" + slot->name), options_.disk);
    slot->context = std::make_unique<SimContext>(*this, *slot);
    SimContext* context = slot->context.get();
    slot->disk->set_sync_listener([context](Nanos latency) { context->cursor += latency; });
    (server ? servers_ : clients_).push_back(id);
    nodes_.push_back(std::move(slot));
    network_.add_node();
    return id;
}

void Simulation::start() {
    for (auto& slot : nodes_) {
        if (!slot->booted) boot(*slot, false);
    }
}

void Simulation::boot(NodeSlot& slot, bool recovering) {
    FL_ASSERT(!slot.up);
    slot.node = slot.factory();
    FL_ASSERT(slot.node != nullptr);
    slot.booted = true;
    slot.up = true;
    slot.busy_until = 0;
    trace_.record(TraceEvent{
        .time = now_, .kind = recovering ? TraceKind::node_restart : TraceKind::node_start, .node = slot.id});
    if (recovering) {
        run_input(slot, [](Node& node, Context& ctx) { node.recover(ctx); });
    } else {
        run_input(slot, [](Node& node, Context& ctx) { node.start(ctx); });
    }
}

template <class Input>
void Simulation::run_input(NodeSlot& slot, Input&& input) {
    FL_ASSERT(slot.up);
    SimContext& ctx = *slot.context;
    ctx.cursor = now_;
    input(*slot.node, ctx);
    FL_ASSERT_GE(ctx.cursor, now_);
    const Nanos done = ctx.cursor + slot.processing_delay;
    if (done > now_) slot.busy_until = done;
    if (ctx.fault_points_on()) [[unlikely]] {
        const bool doomed = ctx.doomed;
        const bool crash_when_sent = ctx.crash_when_sent;
        ctx.reset_input_faults();
        if (doomed || crash_when_sent) {
            // A step of its own at this instant: checkers look at the node
            // after this input, as its peers will see what it sent (a doomed
            // node sent nothing after its fault point, but may have appended,
            // committed and compacted what only its durable state now shows).
            const NodeId id = slot.id;
            const std::uint32_t incarnation = slot.incarnation;
            at(now_, [this, id, incarnation] {
                NodeSlot& target = *nodes_[id.value];
                if (target.up && target.incarnation == incarnation) crash_after_input(target);
            });
        }
    }
}

void Simulation::enable_fault_points(std::uint64_t seed, int crashes_max, int actions_max, std::vector<int> skipped) {
    FL_ASSERT_GE(actions_max, 0);
    FL_ASSERT(std::is_sorted(skipped.begin(), skipped.end()));
    fault_point_actions_max_ = actions_max;
    fault_point_skipped_ = std::move(skipped);
    FL_ASSERT_GE(crashes_max, 0);
    fault_point_seed_ = seed;
    fault_point_random_ = Prng::stream(seed, "fault-points");
    fault_point_crashes_left_ = crashes_max;
    fault_points_acting_ = true;
    for (NodeId server : servers_) nodes_[server.value]->context->turn_fault_points_on();
}

void Simulation::hit_fault_point(SimContext& ctx, NodeSlot& slot, std::string_view name) {
    if (!fault_points_acting_ || ctx.doomed || ctx.crash_when_sent) return;
    auto found = fault_point_rules_.find(name);
    if (found == fault_point_rules_.end()) {
        // Decided by the point's name alone, so a point's rule does not depend
        // on which points the run happened to reach first.
        Prng decide(Prng::mix(fault_point_seed_, name));
        FaultPointRule rule;
        rule.live = decide.chance(0.5);
        // A crash half the time: the points mark writes whose consequences
        // have not left the node, and a crash there is what they are for.
        const std::uint64_t effect = decide.below(4);
        rule.effect = effect < 2 ? FaultPointEffect::crash : static_cast<FaultPointEffect>(effect - 1);
        // It fires every period-th time it is reached, from a random first
        // one on: a point reached ten times a run and one reached ten
        // thousand times both get their turn.
        rule.period = static_cast<std::uint64_t>(std::pow(256.0, decide.unit()));  // log-uniform in [1, 256)
        rule.reached = decide.below(rule.period);
        rule.crashes_left = 2;
        rule.crash_after_sends = decide.chance(0.5);
        found = fault_point_rules_.emplace(std::string(name), rule).first;
    }
    FaultPointRule& rule = found->second;
    if (!rule.live || ++rule.reached % rule.period != 0) return;
    // At most two crashes per point and a budget per run, so that a point
    // reached at every write cannot spend the run's crashes.
    if (rule.effect == FaultPointEffect::crash && (fault_point_crashes_left_ == 0 || rule.crashes_left == 0)) return;
    const int action = fault_point_next_action_++;
    if (action >= fault_point_actions_max_ ||
        std::binary_search(fault_point_skipped_.begin(), fault_point_skipped_.end(), action)) {
        return;
    }
    fault_point_acted_.push_back(action);
    switch (rule.effect) {
        case FaultPointEffect::crash:
            --fault_point_crashes_left_;
            --rule.crashes_left;
            fault_point_crashes_.push_back(
                FaultPointCrash{.action = action, .node = slot.id, .at = now_, .after_sends = rule.crash_after_sends});
            if (rule.crash_after_sends) {
                ctx.crash_when_sent = true;
                note_fault(fmt::format("fault point {}: crash {} once its sends have left", name, slot.name));
            } else {
                ctx.doomed = true;
                note_fault(fmt::format("fault point {}: crash {}", name, slot.name));
            }
            return;
        case FaultPointEffect::stretch_timers:
            ctx.timer_stretch = fault_point_random_.between(2, 10);
            note_fault(fmt::format("fault point {}: {}'s timers x{}", name, slot.name, ctx.timer_stretch));
            return;
        case FaultPointEffect::delay_sends:
            ctx.send_delay_max = fault_point_random_.between(milliseconds(1), milliseconds(50));
            note_fault(fmt::format("fault point {}: {}'s sends delayed up to {}", name, slot.name,
                                   format_duration(ctx.send_delay_max)));
            return;
    }
}

void Simulation::crash_after_input(NodeSlot& slot) {
    crash(slot.id);
    restart_pending_.resize(nodes_.size());
    restart_pending_[slot.id.value] = 1;
    const NodeId id = slot.id;
    // Log-uniform from 1 ms to 1 s: a node back before its peers noticed is as
    // revealing as one back after an election.
    const auto delay = static_cast<Nanos>(1e6 * std::pow(1000.0, fault_point_random_.unit()));
    at(now_ + delay, [this, id] {
        if (restart_pending_[id.value] == 0) return;  // a nemesis took it over
        restart(id);
    });
}

void Simulation::push(Nanos time, EventKind kind, std::uint32_t slot, std::uint32_t generation) {
    FL_ASSERT_GE(time, now_);
    queue_.push(time, static_cast<std::uint8_t>(kind), slot, generation);
}

bool Simulation::step() {
    if (stopped_ || queue_.empty()) return false;
    const Event event = queue_.pop();
    FL_ASSERT_GE(event.time, now_);
    if (event.time == now_) {
        if (++events_at_this_instant_ > livelock_events) {
            stop(fmt::format("livelock: {} events at {} without time moving (a zero-delay loop?)",
                             events_at_this_instant_ - 1, format_duration(now_)));
            return false;
        }
    } else {
        events_at_this_instant_ = 0;
    }
    now_ = event.time;
    ++stats_.events;
    dispatch(event);
    if (step_hook_) step_hook_();
    return true;
}

void Simulation::run_until(Nanos deadline) {
    while (!stopped_ && !queue_.empty() && queue_.top().time <= deadline) step();
    if (!stopped_ && deadline > now_) now_ = deadline;
}

void Simulation::stop(std::string reason) {
    if (stopped_) return;
    stopped_ = true;
    stop_reason_ = std::move(reason);
}

void Simulation::dispatch(const Event& event) {
    switch (static_cast<EventKind>(event.kind)) {
        case EventKind::deliver:
            deliver(event);
            return;
        case EventKind::timer:
            fire_timer(event);
            return;
        case EventKind::action: {
            std::function<void()> action = std::move(actions_[event.slot]);
            actions_[event.slot] = nullptr;
            free_actions_.push_back(event.slot);
            action();
            return;
        }
    }
    FL_UNREACHABLE();
}

bool Simulation::defer_if_unavailable(NodeSlot& slot, const Event& event) {
    if (slot.paused) {
        slot.held.push_back(event);
        return true;
    }
    if (now_ < slot.busy_until) {
        push(slot.busy_until, static_cast<EventKind>(event.kind), event.slot, event.generation);
        return true;
    }
    return false;
}

void Simulation::deliver(const Event& event) {
    Delivery& delivery = deliveries_[event.slot];
    NodeSlot& receiver = *nodes_[delivery.to.value];
    if (!receiver.up) {
        drop(delivery, DropReason::node_down);
        free_delivery(event.slot);
        return;
    }
    if (!network_.epoch_current(delivery.from, delivery.to, delivery.epoch)) {
        drop(delivery, DropReason::in_flight_cut);
        free_delivery(event.slot);
        return;
    }
    if (defer_if_unavailable(receiver, event)) return;

    if (tamper_probability_ > 0 && nodes_[delivery.from.value]->server && receiver.server &&
        tamper_random_.chance(tamper_probability_)) {
        if (MessagePtr altered = delivery.message->tampered(tamper_random_)) {
            ++stats_.messages_tampered;
            note_fault(fmt::format("tampered with {} from {} to {}", delivery.message->type(), name(delivery.from),
                                   name(delivery.to)));
            delivery.message = std::move(altered);
            delivery.digest = delivery.message->digest();
        }
    }
    ++stats_.messages_delivered;
    trace_.record(TraceKind::deliver, now_, delivery.to, delivery.from, delivery.id, delivery.digest,
                  delivery.message.get());
    const Envelope envelope{delivery.from, delivery.to, std::move(delivery.message)};
    free_delivery(event.slot);
    run_input(receiver, [&](Node& node, Context& ctx) { node.on_message(ctx, envelope); });
}

void Simulation::fire_timer(const Event& event) {
    TimerSlot& timer = timers_[event.slot];
    if (!timer.live || timer.generation != event.generation) return;  // cancelled
    NodeSlot& owner = *nodes_[timer.node.value];
    if (!owner.up || owner.incarnation != timer.incarnation) {
        free_timer(event.slot);  // the node crashed since: its timers died with it
        return;
    }
    if (defer_if_unavailable(owner, event)) return;

    const TimerId id = (static_cast<TimerId>(timer.generation) << 32) | event.slot;
    const std::uint64_t tag = timer.tag;
    free_timer(event.slot);
    ++stats_.timers_fired;
    trace_.record(TraceKind::timer_fire, now_, owner.id, NodeId(), id, tag, nullptr);
    run_input(owner, [&](Node& node, Context& ctx) { node.on_timer(ctx, id, tag); });
}

void Simulation::send(NodeSlot& sender, NodeId to, MessagePtr message, Nanos departure) {
    FL_ASSERT(message != nullptr);
    FL_ASSERT_LT(to.value, nodes_.size());
    const std::uint64_t id = next_message_id_++;
    const std::uint64_t digest = message->digest();
    const std::uint32_t size_bytes = message->size_bytes();
    ++stats_.messages_sent;
    stats_.bytes_sent += size_bytes;
    if (sender.server && nodes_[to.value]->server) ++stats_.server_messages;
    trace_.record(TraceKind::send, departure, sender.id, to, id, digest, message.get());
    const Transmission transmission = network_.transmit(sender.id, to, size_bytes, departure);
    if (transmission.dropped) {
        drop(Delivery{sender.id, to, std::move(message), id, digest, transmission.epoch}, transmission.reason);
        return;
    }
    if (transmission.copies == 2) ++stats_.messages_duplicated;
    for (int copy = 0; copy < transmission.copies; ++copy) {
        std::uint32_t slot;
        if (free_deliveries_.empty()) {
            slot = static_cast<std::uint32_t>(deliveries_.size());
            deliveries_.emplace_back();
        } else {
            slot = free_deliveries_.back();
            free_deliveries_.pop_back();
        }
        Delivery& delivery = deliveries_[slot];
        delivery.from = sender.id;
        delivery.to = to;
        // The last copy takes the sender's reference: no reference count to touch.
        delivery.message = copy + 1 == transmission.copies ? std::move(message) : message;
        delivery.id = id;
        delivery.digest = digest;
        delivery.epoch = transmission.epoch;
        push(transmission.arrival[copy], EventKind::deliver, slot, 0);
    }
}

void Simulation::drop(const Delivery& delivery, DropReason reason) {
    ++stats_.messages_dropped;
    ++stats_.dropped_by_reason[static_cast<std::size_t>(reason)];
    trace_.record(TraceEvent{.time = now_,
                             .kind = TraceKind::drop,
                             .reason = static_cast<std::uint8_t>(reason),
                             .node = delivery.to,
                             .peer = delivery.from,
                             .id = delivery.id,
                             .message = delivery.message.get()});
}

void Simulation::free_delivery(std::uint32_t slot) {
    deliveries_[slot].message.reset();  // empty already after a delivery, which moves it out
    free_deliveries_.push_back(slot);
}

TimerId Simulation::set_timer(NodeSlot& owner, Nanos after, std::uint64_t tag, Nanos cursor) {
    FL_ASSERT_GE(after, 0);
    std::uint32_t slot;
    if (free_timers_.empty()) {
        slot = static_cast<std::uint32_t>(timers_.size());
        timers_.emplace_back();
    } else {
        slot = free_timers_.back();
        free_timers_.pop_back();
    }
    TimerSlot& timer = timers_[slot];
    FL_ASSERT(!timer.live);
    timer.node = owner.id;
    timer.incarnation = owner.incarnation;
    timer.tag = tag;
    timer.live = true;
    const TimerId id = (static_cast<TimerId>(timer.generation) << 32) | slot;
    trace_.record(TraceKind::timer_set, cursor, owner.id, NodeId(), id, tag, nullptr);
    push(cursor + owner.clock.true_duration(after), EventKind::timer, slot, timer.generation);
    return id;
}

void Simulation::cancel_timer(NodeSlot& owner, TimerId id) {
    const auto slot = static_cast<std::uint32_t>(id & 0xffffffffu);
    const auto generation = static_cast<std::uint32_t>(id >> 32);
    if (slot >= timers_.size()) return;
    TimerSlot& timer = timers_[slot];
    if (!timer.live || timer.generation != generation || timer.node != owner.id) return;
    trace_.record(TraceKind::timer_cancel, now_, owner.id, NodeId(), id, timer.tag, nullptr);
    free_timer(slot);
}

void Simulation::free_timer(std::uint32_t slot) {
    TimerSlot& timer = timers_[slot];
    FL_ASSERT(timer.live);
    timer.live = false;
    ++timer.generation;  // invalidates the queued event and the old TimerId
    free_timers_.push_back(slot);
}

void Simulation::at(Nanos when, std::function<void()> action) {
    FL_ASSERT(action != nullptr);
    std::uint32_t slot;
    if (free_actions_.empty()) {
        slot = static_cast<std::uint32_t>(actions_.size());
        actions_.emplace_back();
    } else {
        slot = free_actions_.back();
        free_actions_.pop_back();
    }
    actions_[slot] = std::move(action);
    push(std::max(when, now_), EventKind::action, slot, 0);
}

bool Simulation::invoke(NodeId id, const std::function<void(Node&, Context&)>& input) {
    NodeSlot& slot = *nodes_.at(id.value);
    if (!slot.up || slot.paused) return false;
    run_input(slot, input);
    return true;
}

void Simulation::crash(NodeId id) {
    NodeSlot& slot = *nodes_.at(id.value);
    // Crashing a node a fault point crashed: whoever crashes it now restarts it.
    if (id.value < restart_pending_.size()) restart_pending_[id.value] = 0;
    if (!slot.up) return;
    slot.up = false;
    slot.paused = false;
    slot.node.reset();
    ++slot.incarnation;
    slot.busy_until = 0;
    for (const Event& held : slot.held) {
        if (static_cast<EventKind>(held.kind) == EventKind::deliver) {
            drop(deliveries_[held.slot], DropReason::node_down);
            free_delivery(held.slot);
        }
        // Held timers are discarded when they come due: their incarnation is stale.
    }
    slot.held.clear();
    slot.disk->crash();
    trace_.record(TraceEvent{.time = now_, .kind = TraceKind::node_crash, .node = id});
}

void Simulation::restart(NodeId id) {
    NodeSlot& slot = *nodes_.at(id.value);
    if (id.value < restart_pending_.size()) restart_pending_[id.value] = 0;
    if (slot.up) return;
    boot(slot, slot.booted);
    for (FaultPointCrash& crash : fault_point_crashes_) {
        if (crash.node == id && crash.restart_at == 0) crash.restart_at = now_;
    }
}

void Simulation::pause(NodeId id) {
    NodeSlot& slot = *nodes_.at(id.value);
    if (!slot.up || slot.paused) return;
    slot.paused = true;
    trace_.record(TraceEvent{.time = now_, .kind = TraceKind::node_pause, .node = id});
}

void Simulation::resume(NodeId id) {
    NodeSlot& slot = *nodes_.at(id.value);
    if (!slot.paused) return;
    slot.paused = false;
    trace_.record(TraceEvent{.time = now_, .kind = TraceKind::node_resume, .node = id});
    std::vector<Event> held = std::move(slot.held);
    slot.held.clear();
    for (const Event& event : held) {
        push(now_, static_cast<EventKind>(event.kind), event.slot, event.generation);
    }
}

void Simulation::set_processing_delay(NodeId id, Nanos delay) {
    FL_ASSERT_GE(delay, 0);
    nodes_.at(id.value)->processing_delay = delay;
}

bool Simulation::is_up(NodeId id) const {
    return nodes_.at(id.value)->up;
}
bool Simulation::is_paused(NodeId id) const {
    return nodes_.at(id.value)->paused;
}
std::uint32_t Simulation::incarnation(NodeId id) const {
    return nodes_.at(id.value)->incarnation;
}

const NodeFactory& Simulation::factory(NodeId id) const {
    return nodes_.at(id.value)->factory;
}

Node* Simulation::node(NodeId id) {
    NodeSlot& slot = *nodes_.at(id.value);
    return slot.up ? slot.node.get() : nullptr;
}

const std::string& Simulation::name(NodeId id) const {
    return nodes_.at(id.value)->name;
}

std::optional<NodeId> Simulation::find(std::string_view name) const {
    for (const auto& slot : nodes_) {
        if (slot->name == name) return slot->id;
    }
    return std::nullopt;
}

NodeClock& Simulation::clock(NodeId id) {
    return nodes_.at(id.value)->clock;
}
SimDisk& Simulation::disk(NodeId id) {
    return *nodes_.at(id.value)->disk;
}

const std::vector<std::string>& Simulation::node_log(NodeId id) const {
    return nodes_.at(id.value)->log;
}

void Simulation::note_fault(std::string_view text) {
    trace_.record(TraceEvent{.time = now_, .kind = TraceKind::fault, .text = text});
}

}  // namespace faultline::sim
