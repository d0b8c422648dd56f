#include "check/models/small_models.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "base/hash.h"

namespace faultline::check::models {

namespace {

std::uint64_t hash_ids(const std::vector<ValueId>& ids) {
    return hash_bytes(ids.data(), ids.size() * sizeof(ValueId), ids.size());
}

std::string describe_ids(const std::vector<ValueId>& ids, const ValueTable& values, const char* open,
                         const char* close) {
    std::string out = open;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i > 0) out += ' ';
        if (i == 12 && ids.size() > 16) {
            out += fmt::format("...({} more)", ids.size() - 12);
            break;
        }
        out += values.describe(ids[i]);
    }
    return out + close;
}

bool is_unknown(const OpView& view) {
    return view.completion == Completion::unknown;
}
bool is_ok(const OpView& view) {
    return view.completion == Completion::ok;
}

// A completed op's value, falling back to the invocation's when the completion
// leaves it out.
const Json& carried_value(const OpView& view) {
    return is_ok(view) && !view.complete_value.is_null() ? view.complete_value : view.invoke_value;
}

}  // namespace

// ---- mutex

EncodeResult<MutexModel::Op> MutexModel::encode(const OpView& view) const {
    if (view.f != "acquire" && view.f != "release") {
        return encode_error(fmt::format("model mutex has no operation '{}' (it has acquire, release)", view.f));
    }
    if (view.completion == Completion::fail) return drop<Op>();
    return keep(Op{view.f == "acquire"}, is_ok(view));
}

std::string MutexModel::explain(State s, const Op& op) const {
    (void)s;
    return op.acquire ? "can't acquire a mutex that is already held" : "can't release a mutex that is not held";
}

// ---- set

std::uint64_t SetModel::hash(const State& s) {
    return hash_ids(s);
}

bool SetModel::step(const State& s, const Op& op, State& next) const {
    if (!op.add) {
        if (s != reads_[op.read]) return false;
        next = s;
        return true;
    }
    next = s;
    auto at = std::lower_bound(next.begin(), next.end(), op.element);
    if (at == next.end() || *at != op.element) next.insert(at, op.element);
    return true;
}

EncodeResult<SetModel::Op> SetModel::encode(const OpView& view) {
    if (view.f == "add") {
        if (view.completion == Completion::fail) return drop<Op>();
        return keep(Op{true, values_->intern(carried_value(view)), 0}, is_ok(view));
    }
    if (view.f == "read") {
        if (!is_ok(view)) return drop<Op>();
        const Json& value = view.complete_value;
        if (value.is_null() && view.semantics.nil_read_is_unknown) return drop<Op>();
        if (!value.is_array()) {
            return encode_error(fmt::format("set read must return a collection, got {}", describe_json(value)));
        }
        State elements;
        for (const Json& element : value) elements.push_back(values_->intern(element));
        std::sort(elements.begin(), elements.end());
        elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
        reads_.push_back(std::move(elements));
        return keep(Op{false, kNilValue, static_cast<std::uint32_t>(reads_.size() - 1)}, true);
    }
    return encode_error(fmt::format("model set has no operation '{}' (it has add, read)", view.f));
}

std::string SetModel::describe_op(const Op& op) const {
    if (op.add) return "add " + values_->describe(op.element);
    return "read " + describe_ids(reads_[op.read], *values_, "#{", "}");
}

std::string SetModel::describe_state(const State& s) const {
    return describe_ids(s, *values_, "#{", "}");
}

std::string SetModel::explain(const State& s, const Op& op) const {
    if (op.add) return "an add is always legal";
    return fmt::format("can't read {} from set {}", describe_ids(reads_[op.read], *values_, "#{", "}"),
                       describe_state(s));
}

std::vector<Impossible> SetModel::impossible(std::span<const TimedOp<Op>> ops) const {
    std::unordered_set<ValueId> added;
    for (const auto& timed : ops) {
        if (timed.op.add) added.insert(timed.op.element);
    }
    std::vector<Impossible> found;
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
        if (ops[i].op.add || !ops[i].required()) continue;
        for (ValueId element : reads_[ops[i].op.read]) {
            if (!added.contains(element)) {
                found.push_back(
                    {i, fmt::format("read contains {}, which was never added", values_->describe(element))});
                break;
            }
        }
    }
    return found;
}

// ---- fifo-queue

std::uint64_t FifoQueueModel::hash(const State& s) {
    return hash_ids(s);
}

bool FifoQueueModel::step(const State& s, const Op& op, State& next) const {
    switch (op.kind) {
        case Op::Kind::enqueue:
            next = s;
            next.push_back(op.value);
            return true;
        case Op::Kind::dequeue:
            if (op.value == kNilValue) {
                next = s;
                return s.empty();
            }
            if (s.empty() || s.front() != op.value) return false;
            next.assign(s.begin() + 1, s.end());
            return true;
        case Op::Kind::dequeue_any:
            if (s.empty()) return false;
            next.assign(s.begin() + 1, s.end());
            return true;
    }
    FL_UNREACHABLE();
}

EncodeResult<FifoQueueModel::Op> FifoQueueModel::encode(const OpView& view) const {
    using Kind = Op::Kind;
    if (view.f == "enqueue") {
        if (view.completion == Completion::fail) return drop<Op>();
        return keep(Op{Kind::enqueue, values_->intern(carried_value(view))}, is_ok(view));
    }
    if (view.f == "dequeue") {
        if (view.completion == Completion::fail) return drop<Op>();
        // A dequeue of unknown outcome removed the head if it took effect; so
        // does a completed one whose value the format leaves unknown.
        if (is_unknown(view)) return keep(Op{Kind::dequeue_any, kNilValue}, false);
        const Json& value = view.complete_value;
        if (value.is_null() && view.semantics.nil_read_is_unknown) {
            return keep(Op{Kind::dequeue_any, kNilValue}, true);
        }
        return keep(Op{Kind::dequeue, values_->intern(value)}, true);
    }
    return encode_error(fmt::format("model fifo-queue has no operation '{}' (it has enqueue, dequeue)", view.f));
}

std::string FifoQueueModel::describe_op(const Op& op) const {
    switch (op.kind) {
        case Op::Kind::enqueue:
            return "enqueue " + values_->describe(op.value);
        case Op::Kind::dequeue:
            return op.value == kNilValue ? "dequeue -> empty" : "dequeue -> " + values_->describe(op.value);
        case Op::Kind::dequeue_any:
            return "dequeue -> ?";
    }
    FL_UNREACHABLE();
}

std::string FifoQueueModel::describe_state(const State& s) const {
    return describe_ids(s, *values_, "[", "]");
}

std::string FifoQueueModel::explain(const State& s, const Op& op) const {
    if (op.kind == Op::Kind::enqueue) return "an enqueue is always legal";
    if (s.empty()) return "can't dequeue from an empty queue";
    if (op.kind == Op::Kind::dequeue && op.value == kNilValue) {
        return fmt::format("dequeue found the queue empty, but it held {}", describe_state(s));
    }
    return fmt::format("can't dequeue {} from queue {} (head {})", values_->describe(op.value), describe_state(s),
                       values_->describe(s.front()));
}

std::vector<Impossible> FifoQueueModel::impossible(std::span<const TimedOp<Op>> ops) const {
    std::unordered_set<ValueId> enqueued;
    for (const auto& timed : ops) {
        if (timed.op.kind == Op::Kind::enqueue) enqueued.insert(timed.op.value);
    }
    std::vector<Impossible> found;
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
        const auto& timed = ops[i];
        if (timed.op.kind != Op::Kind::dequeue || timed.op.value == kNilValue || !timed.required()) {
            continue;
        }
        if (!enqueued.contains(timed.op.value)) {
            found.push_back(
                {i, fmt::format("dequeued {}, which was never enqueued", values_->describe(timed.op.value))});
        }
    }
    return found;
}

// ---- counter

EncodeResult<CounterModel::Op> CounterModel::encode(const OpView& view) const {
    if (view.f == "add" || view.f == "increment") {
        if (view.completion == Completion::fail) return drop<Op>();
        const Json& value = carried_value(view);
        if (view.f == "increment" && value.is_null()) return keep(Op{true, 1}, is_ok(view));
        if (!value.is_number_integer()) {
            return encode_error(fmt::format("counter {} needs an integer, got {}", view.f, describe_json(value)));
        }
        // The model's total is an int64: with every add within +-2^31 and
        // fewer than 2^31 operations, no order of them can carry it past
        // 2^62 from its start, so it never overflows and never wraps. A larger
        // add could, in some order, and the verdict would be a guess.
        if (value.is_number_unsigned()
                ? value.get<std::uint64_t>() > kCounterAddMax
                : std::abs(value.get<std::int64_t>()) > static_cast<std::int64_t>(kCounterAddMax)) {
            return encode_error(
                fmt::format("counter {} of {} is beyond +-2^31: the totals could overflow a "
                            "64-bit counter, which this checker does not model",
                            view.f, describe_json(value)));
        }
        return keep(Op{true, value.get<std::int64_t>()}, is_ok(view));
    }
    if (view.f == "read") {
        if (!is_ok(view)) return drop<Op>();
        const Json& value = view.complete_value;
        if (value.is_null() && view.semantics.nil_read_is_unknown) return drop<Op>();
        if (!value.is_number_integer()) {
            return encode_error(fmt::format("counter read must return an integer, got {}", describe_json(value)));
        }
        return keep(Op{false, value.get<std::int64_t>()}, true);
    }
    return encode_error(fmt::format("model counter has no operation '{}' (it has add, read)", view.f));
}

std::string CounterModel::describe_op(const Op& op) const {
    return op.add ? fmt::format("add {}", op.value) : fmt::format("read {}", op.value);
}

std::string CounterModel::explain(State s, const Op& op) const {
    if (op.add) return "an add is always legal";
    return fmt::format("can't read {} from counter {}", op.value, s);
}

}  // namespace faultline::check::models
