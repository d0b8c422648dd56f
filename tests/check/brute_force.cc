#include "brute_force.h"

#include <fmt/format.h>

#include <algorithm>
#include <bitset>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace faultline::check::testing {
namespace {

using models::ModelKind;

constexpr std::uint32_t kForever = std::numeric_limits<std::uint32_t>::max();

// One operation as the specification sees it.
struct RefOp {
    std::string f;
    Json key;    // the object (keyed models); null otherwise
    Json value;  // what it carries: the completion's value if it completed ok
    bool required = true;
    bool cas_false = false;    // etcd: a cas that completed and returned false
    bool dequeue_any = false;  // a dequeue whose result is unknown
    std::uint32_t call = 0;
    std::uint32_t ret = kForever;
};

struct Raw {
    const Operation* invoke = nullptr;
    const Operation* complete = nullptr;
    std::uint32_t call = 0;
    std::uint32_t ret = kForever;
};

Error bad(std::string message) {
    return make_error(ErrorCode::parse_error, std::move(message));
}

// The value an op carries: the completion's when it completed ok and says one.
const Json& carried(const Raw& raw) {
    if (raw.complete != nullptr && raw.complete->type == OpType::ok && !raw.complete->value.is_null()) {
        return raw.complete->value;
    }
    return raw.invoke->value;
}

// Reads `raw` as an op of `model`; nullopt when it constrains nothing.
Result<std::optional<RefOp>> read_op(const Raw& raw, const BruteForceOptions& options) {
    const ModelKind model = options.model;
    const models::Semantics& semantics = options.semantics;
    const OpType outcome = raw.complete == nullptr ? OpType::info : raw.complete->type;
    const bool ok = outcome == OpType::ok;
    const bool failed = outcome == OpType::fail;
    RefOp op;
    op.f = raw.invoke->f;
    op.key = model == ModelKind::multi_register ? Json() : raw.invoke->key;
    op.call = raw.call;
    op.ret = ok ? raw.ret : kForever;
    op.required = ok;
    const std::optional<RefOp> nothing;
    // A read: only a completed one with a known value says anything.
    auto read = [&]() -> std::optional<RefOp> {
        if (!ok) return nothing;
        op.value = raw.complete->value;
        if (op.value.is_null() && semantics.nil_read_is_unknown) return nothing;
        return op;
    };
    // An update: a failed one did not happen; an unknown one is optional.
    auto update = [&]() -> std::optional<RefOp> {
        if (failed) return nothing;
        op.value = carried(raw);
        return op;
    };
    switch (model) {
        case ModelKind::register_rw:
        case ModelKind::cas_register:
        case ModelKind::kv:
            if (op.f == "read") return read();
            if (op.f == "write") return update();
            if (op.f == "cas" && model != ModelKind::register_rw) {
                op.value = carried(raw);
                if (!op.value.is_array() || op.value.size() != 2) return bad("cas needs [from to]");
                if (failed) {
                    if (!semantics.failed_cas_returned_false) return nothing;
                    op.cas_false = true;
                    op.required = true;
                    op.ret = raw.ret;
                }
                return std::optional<RefOp>(op);
            }
            break;
        case ModelKind::kv_append:
            if (op.f == "get") {
                auto got = read();
                if (got && !got->value.is_string()) return bad("get must return a string");
                return got;
            }
            if (op.f == "put" || op.f == "append") {
                auto put = update();
                if (put && !put->value.is_string()) return bad("put/append needs a string");
                return put;
            }
            break;
        case ModelKind::mutex:
            if (op.f == "acquire" || op.f == "release") return update();
            break;
        case ModelKind::set:
            if (op.f == "add") return update();
            if (op.f == "read") {
                auto got = read();
                if (got && !got->value.is_array()) return bad("set read must return a list");
                return got;
            }
            break;
        case ModelKind::fifo_queue:
            if (op.f == "enqueue") return update();
            if (op.f == "dequeue") {
                if (failed) return nothing;
                if (!ok || (raw.complete->value.is_null() && semantics.nil_read_is_unknown)) {
                    op.dequeue_any = true;
                    return std::optional<RefOp>(op);
                }
                op.value = raw.complete->value;
                return std::optional<RefOp>(op);
            }
            break;
        case ModelKind::counter:
            if (op.f == "add" || op.f == "increment") {
                auto add = update();
                if (add && op.f == "increment" && add->value.is_null()) add->value = 1;
                if (add && !add->value.is_number_integer()) return bad("add needs an integer");
                return add;
            }
            if (op.f == "read") return read();
            break;
        case ModelKind::multi_register: {
            if (op.f != "txn") break;
            if (failed) return nothing;
            op.value = carried(raw);
            if (!op.value.is_array()) return bad("txn needs a list of micro-ops");
            bool writes = false;
            Json known = Json::array();
            for (const Json& micro : op.value) {
                if (!micro.is_array() || micro.size() != 3) return bad("bad micro-op");
                writes = writes || micro[0] == "write";
                // A read of an unknown transaction observed nothing; so does a
                // nil read where the format says nil is unknown. Either changes
                // nothing, so it is left out.
                if (micro[0] == "read" && (!ok || (micro[2].is_null() && semantics.nil_read_is_unknown))) {
                    continue;
                }
                known.push_back(micro);
            }
            if (!ok && !writes) return nothing;
            op.value = std::move(known);
            return std::optional<RefOp>(op);
        }
    }
    return bad(fmt::format("model {} has no operation '{}'", models::model_kind_name(model), op.f));
}

// ---- the sequential specifications

class Spec {
  public:
    explicit Spec(const BruteForceOptions& options) : model_(options.model), init_(options.initial) {}

    // The whole state: per object (key, as JSON text) its value; objects not
    // in the map hold their initial value.
    using State = std::map<std::string, Json>;

    // Applies `op` to `state`; false if the model does not allow it there.
    bool step(State& state, const RefOp& op) const {
        if (model_ == ModelKind::multi_register) return step_txn(state, op);
        const std::string object = op.key.dump();
        auto found = state.find(object);
        Json value = found != state.end() ? found->second : initial();
        if (!step_one(value, op)) return false;
        state[object] = std::move(value);
        return true;
    }

  private:
    Json initial() const {
        switch (model_) {
            case ModelKind::kv_append:
                return init_.is_null() ? Json("") : init_;
            case ModelKind::mutex:
                return false;
            case ModelKind::set:
            case ModelKind::fifo_queue:
                return Json::array();
            case ModelKind::counter:
                return init_.is_null() ? Json(0) : init_;
            default:
                return init_;  // registers: nil unless given
        }
    }

    static Json as_set(const Json& elements) {
        std::map<std::string, Json> sorted;
        for (const Json& element : elements) sorted.emplace(element.dump(), element);
        Json out = Json::array();
        for (auto& [text, element] : sorted) out.push_back(element);
        return out;
    }

    bool step_one(Json& value, const RefOp& op) const {
        const std::string& f = op.f;
        switch (model_) {
            case ModelKind::register_rw:
            case ModelKind::cas_register:
            case ModelKind::kv:
                if (f == "read") return value == op.value;
                if (f == "write") {
                    value = op.value;
                    return true;
                }
                if (op.cas_false) return value != op.value[0];
                if (value != op.value[0]) return false;
                value = op.value[1];
                return true;
            case ModelKind::kv_append:
                if (f == "get") return value == op.value;
                if (f == "put") {
                    value = op.value;
                } else {
                    value = value.get<std::string>() + op.value.get<std::string>();
                }
                return true;
            case ModelKind::mutex: {
                const bool held = value.get<bool>();
                if (held == (f == "acquire")) return false;
                value = !held;
                return true;
            }
            case ModelKind::set:
                if (f == "read") return as_set(op.value) == value;
                value.push_back(op.value);
                value = as_set(value);
                return true;
            case ModelKind::fifo_queue:
                if (f == "enqueue") {
                    value.push_back(op.value);
                    return true;
                }
                if (op.dequeue_any || !op.value.is_null()) {
                    if (value.empty()) return false;
                    if (!op.dequeue_any && value.front() != op.value) return false;
                    value.erase(value.begin());
                    return true;
                }
                return value.empty();  // a dequeue that found the queue empty
            case ModelKind::counter:
                if (f == "read") return value == op.value;
                value = value.get<std::int64_t>() + op.value.get<std::int64_t>();
                return true;
            case ModelKind::multi_register:
                break;
        }
        FL_UNREACHABLE();
    }

    // Registers start at 0 unless the initial object names them.
    Json register_initial(const Json& name) const {
        if (init_.is_object() && name.is_string() && init_.contains(name.get<std::string>())) {
            return init_[name.get<std::string>()];
        }
        return 0;
    }

    bool step_txn(State& state, const RefOp& op) const {
        for (const Json& micro : op.value) {
            const std::string object = micro[1].dump();
            if (!state.contains(object)) state[object] = register_initial(micro[1]);
            if (micro[0] == "write") {
                state[object] = micro[2];
            } else if (state[object] != micro[2]) {
                return false;
            }
        }
        return true;
    }

    ModelKind model_;
    Json init_;
};

class BruteForce {
  public:
    BruteForce(std::vector<RefOp> ops, const Spec& spec) : ops_(std::move(ops)), spec_(spec) {
        for (const RefOp& op : ops_) required_ += op.required ? 1 : 0;
    }

    bool run() {
        Spec::State state;
        return place(Placed(), 0, state);
    }

  private:
    using Placed = std::bitset<kMaxBruteForceOps>;

    bool place(const Placed& placed, std::size_t required_placed, const Spec::State& state) {
        if (required_placed == required_) return true;
        std::string memo = placed.to_string();
        for (const auto& [object, value] : state) memo += "|" + object + "=" + value.dump();
        if (failed_.contains(memo)) return false;
        // An op may go next if it was invoked before every unplaced completed
        // op completed: then its instant can precede all of theirs.
        std::uint32_t first_ret = kForever;
        for (std::size_t i = 0; i < ops_.size(); ++i) {
            if (!placed[i] && ops_[i].required) first_ret = std::min(first_ret, ops_[i].ret);
        }
        for (std::size_t i = 0; i < ops_.size(); ++i) {
            if (placed[i] || ops_[i].call > first_ret) continue;
            Spec::State next = state;
            if (!spec_.step(next, ops_[i])) continue;
            Placed with = placed;
            with.set(i);
            if (place(with, required_placed + (ops_[i].required ? 1 : 0), next)) return true;
        }
        failed_.insert(std::move(memo));
        return false;
    }

    std::vector<RefOp> ops_;
    const Spec& spec_;
    std::size_t required_ = 0;
    std::unordered_set<std::string> failed_;
};

}  // namespace

Result<bool> brute_force_linearizable(const History& history, const BruteForceOptions& options) {
    // Real-time order: history positions, or times where the format says so.
    std::vector<std::uint32_t> order(history.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    if (options.semantics.order_by_time) {
        std::stable_sort(order.begin(), order.end(),
                         [&](std::uint32_t a, std::uint32_t b) { return history[a].time < history[b].time; });
    }
    std::vector<Raw> raws;
    std::map<std::int64_t, std::size_t> open;  // process -> its op in raws
    for (std::uint32_t rank = 0; rank < order.size(); ++rank) {
        const Operation& event = history[order[rank]];
        if (event.process < 0) continue;
        if (event.type == OpType::invoke) {
            if (open.contains(event.process)) return bad("a process invoked twice");
            open[event.process] = raws.size();
            raws.push_back({&event, nullptr, rank, kForever});
            continue;
        }
        auto it = open.find(event.process);
        if (it == open.end()) {
            if (event.type == OpType::info) continue;  // a nemesis message
            return bad("a completion with no invocation");
        }
        raws[it->second].complete = &event;
        raws[it->second].ret = rank;
        open.erase(it);
    }
    std::vector<RefOp> ops;
    for (const Raw& raw : raws) {
        auto op = read_op(raw, options);
        if (!op) return op.error();
        if (*op) ops.push_back(std::move(**op));
    }
    if (ops.size() > kMaxBruteForceOps) {
        return make_error(ErrorCode::invalid_argument, fmt::format("{} ops is too many for brute force", ops.size()));
    }
    const Spec spec(options);
    return BruteForce(std::move(ops), spec).run();
}

}  // namespace faultline::check::testing
