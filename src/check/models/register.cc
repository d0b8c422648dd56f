#include "check/models/register.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace faultline::check::models {

namespace {

// The Maelstrom error code of a failed op (0: none, or not an integer).
int failure_code(const OpView& view) {
    if (view.completion != Completion::fail || !view.semantics.maelstrom_error_codes) return 0;
    return view.error.is_number_integer() ? view.error.get<int>() : 0;
}

}  // namespace

EncodeResult<RegisterModel::Op> RegisterModel::encode(const OpView& view) const {
    using Kind = Op::Kind;
    const bool ok = view.completion == Completion::ok;
    const bool unknown = view.completion == Completion::unknown;
    const int code = failure_code(view);
    if (code == maelstrom_key_does_not_exist && (view.f == "read" || view.f == "cas")) {
        return keep(Op{Kind::read, values_->intern(Json()), kNilValue}, true);  // observed: absent
    }
    if (view.f == "read") {
        // A read that did not complete, or failed, observed nothing.
        if (!ok) return drop<Op>();
        const Json& value = view.complete_value;
        if (value.is_null() && view.semantics.nil_read_is_unknown) return drop<Op>();
        return keep(Op{Kind::read, values_->intern(value), kNilValue}, true);
    }
    if (view.f == "write") {
        if (view.completion == Completion::fail) return drop<Op>();
        // A completed write's completion repeats the value; fall back to the
        // invocation's in formats that leave it out.
        const Json& value = ok && !view.complete_value.is_null() ? view.complete_value : view.invoke_value;
        return keep(Op{Kind::write, values_->intern(value), kNilValue}, ok);
    }
    if (view.f == "cas" && allow_cas_) {
        const Json& value = ok && !view.complete_value.is_null() ? view.complete_value : view.invoke_value;
        if (!value.is_array() || value.size() != 2) {
            return encode_error(fmt::format("cas expects a value [from to], got {}", describe_json(value)));
        }
        const ValueId from = values_->intern(value[0]);
        const ValueId to = values_->intern(value[1]);
        if (view.completion == Completion::fail) {
            const bool returned_false =
                view.semantics.failed_cas_returned_false || code == maelstrom_precondition_failed;
            if (!returned_false) return drop<Op>();
            return keep(Op{Kind::cas_false, from, kNilValue}, true);
        }
        return keep(Op{Kind::cas, from, to}, !unknown);
    }
    return encode_error(fmt::format("model {} has no operation '{}' (it has read, write{})",
                                    allow_cas_ ? "cas-register" : "register", view.f, allow_cas_ ? ", cas" : ""));
}

std::string RegisterModel::describe_op(const Op& op) const {
    switch (op.kind) {
        case Op::Kind::read:
            return "read " + values_->describe(op.a);
        case Op::Kind::write:
            return "write " + values_->describe(op.a);
        case Op::Kind::cas:
            return fmt::format("cas {}->{}", values_->describe(op.a), values_->describe(op.b));
        case Op::Kind::cas_false:
            return fmt::format("cas {}->? returned false", values_->describe(op.a));
    }
    FL_UNREACHABLE();
}

std::string RegisterModel::describe_state(State s) const {
    return values_->describe(s);
}

std::string RegisterModel::explain(State s, const Op& op) const {
    switch (op.kind) {
        case Op::Kind::read:
            return fmt::format("can't read {} from register {}", values_->describe(op.a), values_->describe(s));
        case Op::Kind::write:
            return "a write is always legal";
        case Op::Kind::cas:
            return fmt::format("can't CAS {} from {} to {}", values_->describe(s), values_->describe(op.a),
                               values_->describe(op.b));
        case Op::Kind::cas_false:
            return fmt::format("CAS from {} returned false, but the register held {}", values_->describe(op.a),
                               values_->describe(s));
    }
    FL_UNREACHABLE();
}

std::vector<char> RegisterModel::useless(std::span<const TimedOp<Op>> ops) const {
    // Dropping an optional write of v from a linearization changes the state
    // only between it and the next state change; ops legal there saw v, and only
    // reads of v, CASes from v and failed-CAS observations can depend on that.
    std::vector<char> drop(ops.size(), 0);
    std::vector<char> observed(values_->size(), 0);
    for (const auto& timed : ops) {
        if (timed.op.kind == Op::Kind::cas_false) return drop;  // observes inequality: keep all
        if (timed.op.kind == Op::Kind::read || timed.op.kind == Op::Kind::cas) observed[timed.op.a] = 1;
    }
    for (std::size_t i = 0; i < ops.size(); ++i) {
        const Op& op = ops[i].op;
        if (ops[i].required()) continue;
        const ValueId written = op.kind == Op::Kind::write ? op.a : op.kind == Op::Kind::cas ? op.b : kNilValue;
        if ((op.kind == Op::Kind::write || op.kind == Op::Kind::cas) && !observed[written]) drop[i] = 1;
    }
    return drop;
}

std::vector<Impossible> RegisterModel::impossible(std::span<const TimedOp<Op>> ops) const {
    // For every value, the earliest invocation of an op that could have put it in
    // the register. A completed read (or CAS compare) of a value with no such
    // writer, or whose every writer was invoked only after the read returned,
    // is impossible in any linearization.
    // Value ids are dense, so a vector indexed by id; kNever: no writer.
    std::vector<std::uint32_t> first_writer_call(values_->size(), kNever);
    auto note = [&](ValueId value, std::uint32_t call) {
        first_writer_call[value] = std::min(first_writer_call[value], call);
    };
    for (const auto& timed : ops) {
        if (timed.op.kind == Op::Kind::write) note(timed.op.a, timed.call);
        if (timed.op.kind == Op::Kind::cas) note(timed.op.b, timed.call);
    }
    std::vector<Impossible> found;
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
        const auto& timed = ops[i];
        if (!timed.required()) continue;
        const Op& op = timed.op;
        if (op.kind != Op::Kind::read && op.kind != Op::Kind::cas) continue;
        if (op.a == initial_) continue;
        const char* what = op.kind == Op::Kind::read ? "read" : "CAS expected";
        const std::uint32_t writer = first_writer_call[op.a];
        if (writer == kNever) {
            found.push_back({i, fmt::format("{} {}, a value no operation wrote", what, values_->describe(op.a))});
        } else if (writer > timed.ret) {
            found.push_back({i, fmt::format("{} {}, a value first written by an operation "
                                            "invoked after this one returned",
                                            what, values_->describe(op.a))});
        }
    }
    return found;
}

}  // namespace faultline::check::models
