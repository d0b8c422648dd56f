#include "object_histories.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/prng.h"

namespace faultline::check::testing {
namespace {

using models::ModelKind;

struct Invocation {
    std::string f;
    Json key;    // null for unkeyed histories and multi-register
    Json value;  // what the invocation carries (reads: nil)
};

struct Outcome {
    OpType type = OpType::ok;
    Json value;
};

enum class Role : std::uint8_t { any, read, update };
// How the object treats one op: correctly, or with the injected bug.
enum class Mode : std::uint8_t { normal, stale, lost };

std::string token(const Json& n) {
    return "x" + n.dump() + "y";
}

class Simulator {
  public:
    explicit Simulator(const SimOptions& options) : o_(options), rng_(Prng::stream(options.seed, "object-histories")) {}

    SimHistory run() {
        const std::int64_t sequential = new_process();
        for (std::size_t i = 0; i < o_.prefix; ++i) sequential_op(sequential, invent(Role::any));
        run_core();
        // Where in the tail the bug goes, if it has room for the bug and the
        // op that exposes it.
        const bool bug_in_tail = o_.bug != Bug::none && o_.bug_in_tail && o_.tail >= 2;
        const std::size_t bug_at = bug_in_tail ? rng_.below(o_.tail - 1) : o_.tail;
        for (std::size_t i = 0; i < o_.tail; ++i) {
            if (!late_.empty() && rng_.chance(0.2)) {
                apply(late_.back().inv, late_.back().mode);
                late_.pop_back();
            }
            if (i == bug_at) {
                tail_bug(sequential);
                continue;
            }
            sequential_op(sequential, invent(Role::any));
        }
        if (o_.corrupt_probability > 0 && rng_.chance(o_.corrupt_probability)) {
            corrupt();
            out_.certainly_invalid = false;  // the corruption may have hit the evidence
        }
        for (std::size_t i = 0; i < out_.history.size(); ++i) {
            out_.history[i].index = static_cast<std::int64_t>(i);
            out_.history[i].time = static_cast<Nanos>(i + 1) * 1000;
        }
        return std::move(out_);
    }

  private:
    // ---- the object

    bool keyed() const { return o_.model != ModelKind::multi_register; }

    Json initial() const {
        switch (o_.model) {
            case ModelKind::kv_append:
                return "";
            case ModelKind::mutex:
                return false;
            case ModelKind::set:
            case ModelKind::fifo_queue:
                return Json::array();
            case ModelKind::counter:
            case ModelKind::multi_register:
                return 0;
            default:
                return nullptr;
        }
    }
    Json& object(const Json& key) {
        auto [it, inserted] = state_.try_emplace(key.dump(), Json());
        if (inserted) it->second = initial();
        return it->second;
    }
    // The object's value before its last change (its current one if none).
    Json previous(const Json& key) {
        auto it = previous_.find(key.dump());
        return it != previous_.end() ? it->second : object(key);
    }
    void change(const Json& key, Json value) {
        Json& now = object(key);
        previous_[key.dump()] = now;
        now = std::move(value);
    }

    // ---- operations

    Json draw_value() {
        if (rng_.chance(o_.fresh_probability)) return fresh();
        return static_cast<int>(rng_.below(static_cast<std::uint64_t>(std::max(o_.values, 1))));
    }
    Json fresh() { return fresh_++; }
    Json draw_key() {
        if (!keyed() || o_.keys <= 0) return Json();
        return static_cast<int>(rng_.below(static_cast<std::uint64_t>(o_.keys)));
    }
    Json draw_register() {
        static const char* kNames[] = {"x", "y", "z"};
        return kNames[rng_.below(o_.keys > 1 ? 3 : 2)];
    }

    // An operation to invoke: a read, an update with a fresh value (whose
    // effect a read can always tell apart), or anything.
    Invocation invent(Role role, Json key = Json(), bool have_key = false) {
        if (!have_key) key = draw_key();
        const bool read = role == Role::read || (role == Role::any && rng_.chance(0.4));
        const bool fresh_update = role == Role::update;
        Invocation inv{"", key, Json()};
        switch (o_.model) {
            case ModelKind::register_rw:
            case ModelKind::cas_register:
            case ModelKind::kv: {
                if (read) {
                    inv.f = "read";
                } else if (fresh_update || o_.model == ModelKind::register_rw || rng_.chance(0.5)) {
                    inv.f = "write";
                    inv.value = fresh_update ? fresh() : draw_value();
                } else {
                    inv.f = "cas";
                    const Json& now = object(key);
                    const Json from = !now.is_null() && rng_.chance(0.5) ? now : draw_value();
                    inv.value = Json::array({from, draw_value()});
                }
                break;
            }
            case ModelKind::kv_append:
                if (read) {
                    inv.f = "get";
                } else {
                    inv.f = rng_.chance(fresh_update ? 0.3 : 0.25) ? "put" : "append";
                    inv.value = token(fresh_update ? fresh() : draw_value());
                }
                break;
            case ModelKind::mutex: {
                const bool held = object(key).get<bool>();
                inv.f = rng_.chance(0.7) != held ? "acquire" : "release";
                break;
            }
            case ModelKind::set:
                if (read) {
                    inv.f = "read";
                } else {
                    inv.f = "add";
                    inv.value = fresh_update ? fresh() : draw_value();
                }
                break;
            case ModelKind::fifo_queue:
                if (read) {
                    inv.f = "dequeue";
                } else {
                    inv.f = "enqueue";
                    inv.value = fresh_update ? fresh() : draw_value();
                }
                break;
            case ModelKind::counter:
                if (read) {
                    inv.f = "read";
                } else if (!fresh_update && rng_.chance(0.2)) {
                    inv.f = "increment";
                } else {
                    inv.f = "add";
                    inv.value =
                        fresh_update ? static_cast<int>(rng_.between(1, 3)) : static_cast<int>(rng_.between(-2, 3));
                }
                break;
            case ModelKind::multi_register: {
                inv.f = "txn";
                inv.value = Json::array();
                if (role != Role::any) {
                    // Bug sequences: one micro-op on the register `key` names.
                    inv.value.push_back(Json::array({read ? "read" : "write", key, read ? Json() : fresh()}));
                    inv.key = Json();  // registers are named inside the transaction
                    break;
                }
                const int micros = static_cast<int>(rng_.between(1, 3));
                for (int m = 0; m < micros; ++m) {
                    const bool micro_read = rng_.chance(0.5);
                    inv.value.push_back(Json::array(
                        {micro_read ? "read" : "write", draw_register(), micro_read ? Json() : draw_value()}));
                }
                break;
            }
        }
        return inv;
    }

    // The op takes effect now (mode: or the bug does); what the client is told.
    Outcome apply(const Invocation& inv, Mode mode, bool may_fail = true) {
        const Json& key = inv.key;
        const bool lost = mode == Mode::lost;
        switch (o_.model) {
            case ModelKind::register_rw:
            case ModelKind::cas_register:
            case ModelKind::kv: {
                if (inv.f == "read") {
                    const Json seen = mode == Mode::stale ? previous(key) : object(key);
                    // lin-kv: a read of a missing key fails (it changed nothing).
                    if (o_.model == ModelKind::kv && seen.is_null() && may_fail && rng_.chance(0.5)) {
                        return {OpType::fail, Json()};
                    }
                    return {OpType::ok, seen};
                }
                if (inv.f == "write") {
                    if (!lost) change(key, inv.value);
                    return {OpType::ok, inv.value};
                }
                if (object(key) != inv.value[0]) return {OpType::fail, inv.value};
                if (!lost) change(key, inv.value[1]);
                return {OpType::ok, inv.value};
            }
            case ModelKind::kv_append:
                if (inv.f == "get") {
                    return {OpType::ok, mode == Mode::stale ? previous(key) : object(key)};
                }
                if (!lost) {
                    change(key, inv.f == "put" ? inv.value
                                               : Json(object(key).get<std::string>() + inv.value.get<std::string>()));
                }
                return {OpType::ok, inv.value};
            case ModelKind::mutex: {
                const bool held = object(key).get<bool>();
                const bool acquire = inv.f == "acquire";
                // The bug: a second acquire granted while the lock is held.
                if (acquire && held && mode != Mode::normal) return {OpType::ok, Json()};
                if (held == acquire) return {OpType::fail, Json()};
                change(key, !held);
                return {OpType::ok, Json()};
            }
            case ModelKind::set: {
                if (inv.f == "read") {
                    return {OpType::ok, mode == Mode::stale ? previous(key) : object(key)};
                }
                Json next = object(key);
                if (std::find(next.begin(), next.end(), inv.value) == next.end()) {
                    next.push_back(inv.value);
                    std::sort(next.begin(), next.end());
                }
                if (!lost) change(key, std::move(next));
                return {OpType::ok, inv.value};
            }
            case ModelKind::fifo_queue: {
                if (inv.f == "enqueue") {
                    Json next = object(key);
                    next.push_back(inv.value);
                    if (!lost) change(key, std::move(next));
                    return {OpType::ok, inv.value};
                }
                auto last = last_dequeued_.find(key.dump());
                if (mode == Mode::stale && last != last_dequeued_.end()) {
                    // The bug: a value delivered twice.
                    return {OpType::ok, last->second};
                }
                Json next = object(key);
                if (next.empty()) return {OpType::ok, Json()};
                Json head = next.front();
                next.erase(next.begin());
                change(key, std::move(next));
                last_dequeued_[key.dump()] = head;
                return {OpType::ok, head};
            }
            case ModelKind::counter: {
                if (inv.f == "read") {
                    return {OpType::ok, mode == Mode::stale ? previous(key) : object(key)};
                }
                const std::int64_t delta = inv.value.is_null() ? 1 : inv.value.get<std::int64_t>();
                if (!lost) change(key, object(key).get<std::int64_t>() + delta);
                return {OpType::ok, inv.value};
            }
            case ModelKind::multi_register: {
                Json done = inv.value;
                for (Json& micro : done) {
                    if (micro[0] == "read") {
                        micro[2] = mode == Mode::stale ? previous(micro[1]) : object(micro[1]);
                    } else if (!lost) {
                        change(micro[1], micro[2]);
                    }
                }
                return {OpType::ok, done};
            }
        }
        FL_UNREACHABLE();
    }

    // ---- the history

    std::int64_t new_process() { return next_process_++; }

    void record(std::int64_t process, OpType type, const Invocation& inv, const Json& value) {
        Operation op;
        op.process = process;
        op.type = type;
        op.f = inv.f;
        op.key = inv.key;
        op.value = value;
        out_.history.push_back(std::move(op));
    }

    Outcome sequential_op(std::int64_t process, const Invocation& inv, Mode mode = Mode::normal, bool may_fail = true) {
        record(process, OpType::invoke, inv, inv.value);
        const Outcome outcome = apply(inv, mode, may_fail);
        record(process, outcome.type, inv, outcome.value);
        return outcome;
    }

    void run_core() {
        struct Slot {
            std::int64_t process;
            bool busy = false;
            Invocation inv;
            Mode mode = Mode::normal;
            bool applied = false;
            Outcome outcome;
            // Unknown outcome: take effect before completing, after, or never.
            enum class Fate : std::uint8_t { ok, fail, info_before, info_late, info_never } fate;
        };
        std::vector<Slot> slots;
        for (int c = 0; c < std::max(o_.clients, 1); ++c) slots.push_back(Slot{new_process()});
        std::vector<Late>& late = late_;
        std::size_t left = o_.core;
        const bool bug_in_core = o_.bug != Bug::none && (!o_.bug_in_tail || o_.tail < 2) && o_.core > 0;
        const std::size_t bug_at = bug_in_core ? rng_.below(o_.core) : o_.core;
        std::size_t invoked = 0;
        std::vector<std::pair<std::size_t, int>> actions;  // (slot or late index, kind)
        for (;;) {
            actions.clear();
            for (std::size_t s = 0; s < slots.size(); ++s) {
                const Slot& slot = slots[s];
                if (!slot.busy) {
                    if (left > 0) actions.push_back({s, 0});
                } else if (!slot.applied && (slot.fate == Slot::Fate::ok || slot.fate == Slot::Fate::info_before)) {
                    actions.push_back({s, 1});
                } else {
                    actions.push_back({s, 2});
                }
            }
            if (!late.empty() && rng_.chance(0.3)) actions.push_back({rng_.below(late.size()), 3});
            // Late effects still pending may happen in the tail, or never.
            if (actions.empty()) break;
            const auto [at, kind] = actions[rng_.below(actions.size())];
            if (kind == 3) {
                apply(late[at].inv, late[at].mode);
                late.erase(late.begin() + static_cast<long>(at));
                continue;
            }
            Slot& slot = slots[at];
            if (kind == 0) {
                --left;
                slot.busy = true;
                slot.applied = false;
                slot.mode = Mode::normal;
                if (invoked++ == bug_at) {
                    slot.mode = o_.bug == Bug::stale_read ? Mode::stale : Mode::lost;
                    slot.inv = invent(o_.bug == Bug::stale_read ? Role::read : Role::update);
                    out_.bug_injected = true;
                } else {
                    slot.inv = invent(Role::any);
                }
                if (slot.mode == Mode::normal && rng_.chance(o_.info_probability) && unknown_++ < o_.max_unknown) {
                    const auto fate = rng_.below(3);
                    slot.fate = fate == 0   ? Slot::Fate::info_before
                                : fate == 1 ? Slot::Fate::info_late
                                            : Slot::Fate::info_never;
                } else if (slot.mode == Mode::normal && rng_.chance(o_.fail_probability)) {
                    slot.fate = Slot::Fate::fail;
                } else {
                    slot.fate = Slot::Fate::ok;
                }
                record(slot.process, OpType::invoke, slot.inv, slot.inv.value);
            } else if (kind == 1) {
                slot.outcome = apply(slot.inv, slot.mode);
                slot.applied = true;
            } else {
                slot.busy = false;
                switch (slot.fate) {
                    case Slot::Fate::ok:
                        record(slot.process, slot.outcome.type, slot.inv, slot.outcome.value);
                        continue;
                    case Slot::Fate::fail:
                        record(slot.process, OpType::fail, slot.inv, slot.inv.value);
                        continue;
                    case Slot::Fate::info_late:
                        late.push_back({slot.inv, slot.mode});
                        break;
                    default:
                        break;
                }
                any_unknown_ = true;
                // The client times out (or crashes and never says): a process
                // with an unknown op is never reused.
                if (rng_.chance(0.8)) {
                    record(slot.process, OpType::info, slot.inv, slot.inv.value);
                }
                slot.process = new_process();
            }
        }
    }

    // The bug and the op that exposes it, one after the other.
    void tail_bug(std::int64_t process) {
        out_.bug_injected = true;
        const Json key = draw_key();
        Json target = key;
        if (o_.model == ModelKind::multi_register) target = draw_register();
        auto read = [&] { return invent(Role::read, target, true); };
        auto update = [&] { return invent(Role::update, target, true); };
        switch (o_.model) {
            case ModelKind::mutex: {
                if (!object(key).get<bool>()) sequential_op(process, {"acquire", key, Json()});
                sequential_op(process, {"acquire", key, Json()}, Mode::stale);
                break;
            }
            case ModelKind::fifo_queue:
                if (o_.bug == Bug::stale_read) {
                    // Drain, then one fresh value in and out, then out again.
                    while (!object(key).empty()) sequential_op(process, read());
                    sequential_op(process, update());
                    sequential_op(process, read());
                    sequential_op(process, read(), Mode::stale);
                } else {
                    // A fresh value lost; the queue then runs dry without it.
                    sequential_op(process, update(), Mode::lost);
                    while (!object(key).empty()) sequential_op(process, read());
                    sequential_op(process, read());
                }
                break;
            default:
                if (o_.bug == Bug::stale_read) {
                    sequential_op(process, update());
                    sequential_op(process, read(), Mode::stale, false);
                } else {
                    sequential_op(process, update(), Mode::lost);
                    sequential_op(process, read(), Mode::normal, false);
                }
                break;
        }
        out_.certainly_invalid = !any_unknown_;
    }

    // ---- corruption of a finished history (small histories)

    void corrupt() {
        // Completed ops whose value a corruption can change.
        std::vector<std::size_t> candidates;
        for (std::size_t i = 0; i < out_.history.size(); ++i) {
            const Operation& op = out_.history[i];
            if (op.type == OpType::invoke || op.type == OpType::info) continue;
            if (o_.model == ModelKind::mutex ? op.type == OpType::fail : op.type == OpType::ok) {
                candidates.push_back(i);
            }
        }
        if (candidates.empty()) return;
        Operation& op = out_.history[candidates[rng_.below(candidates.size())]];
        out_.corrupted = true;
        const bool reads = op.f == "read" || op.f == "get" || op.f == "dequeue" || op.f == "txn";
        switch (o_.model) {
            case ModelKind::mutex:
                op.type = OpType::ok;  // a failed acquire or release reported as done
                return;
            case ModelKind::kv_append: {
                if (!reads) {
                    op.value = token(draw_value());
                    return;
                }
                std::string text;
                for (auto n = rng_.below(4); n > 0; --n) text += token(draw_value());
                op.value = text;
                return;
            }
            case ModelKind::set:
                if (reads) {
                    Json elements = Json::array();
                    for (int v = 0; v < o_.values; ++v) {
                        if (rng_.chance(0.5)) elements.push_back(v);
                    }
                    op.value = elements;
                } else {
                    op.value = draw_value();
                }
                return;
            case ModelKind::counter:
                op.value = static_cast<int>(rng_.between(-3, 6));
                return;
            case ModelKind::multi_register:
                for (Json& micro : op.value) {
                    if (rng_.chance(0.5)) micro[2] = draw_value();
                }
                return;
            case ModelKind::cas_register:
            case ModelKind::kv:
                if (op.f == "cas") {
                    op.value = Json::array({draw_value(), draw_value()});
                    return;
                }
                [[fallthrough]];
            default:
                op.value = rng_.chance(0.2) ? Json() : draw_value();
                return;
        }
    }

    SimOptions o_;
    Prng rng_;
    SimHistory out_;
    std::map<std::string, Json> state_;
    std::map<std::string, Json> previous_;
    std::map<std::string, Json> last_dequeued_;
    // Effects of ops of unknown outcome that have not happened yet.
    struct Late {
        Invocation inv;
        Mode mode;
    };
    std::vector<Late> late_;
    std::int64_t next_process_ = 0;
    std::int64_t fresh_ = 1000;
    bool any_unknown_ = false;
    std::size_t unknown_ = 0;  // ops given an unknown outcome so far
};

}  // namespace

SimHistory simulate_history(const SimOptions& options) {
    return Simulator(options).run();
}

std::string history_jsonl(const History& history) {
    std::string out;
    for (const Operation& op : history) out += operation_to_json(op).dump() + "\n";
    return out;
}

}  // namespace faultline::check::testing
