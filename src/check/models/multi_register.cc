#include "check/models/multi_register.h"

#include <fmt/format.h>

#include "base/hash.h"

namespace faultline::check::models {

Result<MultiRegisterModel> MultiRegisterModel::make(ValueTable& values, const Json& initial) {
    MultiRegisterModel model(values);
    model.default_initial_ = values.intern_int(kDefaultInitial);
    if (!initial.is_null()) {
        if (!initial.is_object()) {
            return make_error(ErrorCode::invalid_argument,
                              "multi-register initial value must be a JSON object such as "
                              "{\"x\": 0, \"y\": 0} (registers not named start at 0)");
        }
        for (const auto& [key, value] : initial.items()) {
            model.initial_values_[model.key_id(Json(key))] = values.intern(value);
        }
    }
    return model;
}

std::uint32_t MultiRegisterModel::key_id(const Json& key) {
    auto [it, inserted] = key_ids_.try_emplace(key.dump(), static_cast<std::uint32_t>(keys_.size()));
    if (inserted) keys_.push_back(key);
    return it->second;
}

void MultiRegisterModel::finish_encoding() {
    initial_state_.assign(keys_.size(), default_initial_);
    for (const auto& [key, value] : initial_values_) initial_state_[key] = value;
}

std::uint64_t MultiRegisterModel::hash(const State& s) {
    return hash_bytes(s.data(), s.size() * sizeof(ValueId), s.size());
}

bool MultiRegisterModel::read_only(const Op& op) const {
    for (const Micro& micro : txns_[op.txn]) {
        if (micro.write) return false;
    }
    return true;
}

bool MultiRegisterModel::step(const State& s, const Op& op, State& next) const {
    next = s;
    for (const Micro& micro : txns_[op.txn]) {
        FL_ASSERT_LT(micro.key, next.size());
        if (micro.write) {
            next[micro.key] = micro.value;
        } else if (!micro.unknown && next[micro.key] != micro.value) {
            return false;
        }
    }
    return true;
}

EncodeResult<MultiRegisterModel::Op> MultiRegisterModel::encode(const OpView& view) {
    if (view.f != "txn") {
        return encode_error(fmt::format("model multi-register has no operation '{}' (it has txn)", view.f));
    }
    if (view.completion == Completion::fail) return drop<Op>();
    const bool ok = view.completion == Completion::ok;
    const Json& value = ok && !view.complete_value.is_null() ? view.complete_value : view.invoke_value;
    if (!value.is_array()) {
        return encode_error(fmt::format("txn needs a list of [f key value] micro-ops, got {}", describe_json(value)));
    }
    std::vector<Micro> micros;
    bool writes = false;
    for (const Json& item : value) {
        if (!item.is_array() || item.size() != 3 || !item[0].is_string() || (item[0] != "read" && item[0] != "write")) {
            return encode_error(
                fmt::format("txn micro-op must be [read key value] or [write key value], got {}", describe_json(item)));
        }
        Micro micro;
        micro.write = item[0] == "write";
        micro.key = key_id(item[1]);
        micro.value = values_->intern(item[2]);
        // In a transaction of unknown outcome the reads observed nothing; in a
        // completed one, nil is unknown only where the format says so.
        micro.unknown = !micro.write && (!ok || (item[2].is_null() && view.semantics.nil_read_is_unknown));
        writes = writes || micro.write;
        micros.push_back(micro);
    }
    // An unknown transaction that writes nothing constrains nothing.
    if (!ok && !writes) return drop<Op>();
    txns_.push_back(std::move(micros));
    return keep(Op{static_cast<std::uint32_t>(txns_.size() - 1)}, ok);
}

std::string MultiRegisterModel::describe_op(const Op& op) const {
    std::string out = "txn [";
    bool first = true;
    for (const Micro& micro : txns_[op.txn]) {
        if (!first) out += ' ';
        first = false;
        out += fmt::format("[{} {} {}]", micro.write ? "write" : "read", describe_json(keys_[micro.key]),
                           micro.unknown ? "?" : values_->describe(micro.value));
    }
    return out + "]";
}

std::string MultiRegisterModel::describe_state(const State& s) const {
    std::string out = "{";
    for (std::size_t k = 0; k < s.size(); ++k) {
        if (k > 0) out += ", ";
        out += describe_json(keys_[k]) + " " + values_->describe(s[k]);
    }
    return out + "}";
}

std::string MultiRegisterModel::explain(const State& s, const Op& op) const {
    State now = s;
    for (const Micro& micro : txns_[op.txn]) {
        if (micro.write) {
            now[micro.key] = micro.value;
        } else if (!micro.unknown && now[micro.key] != micro.value) {
            return fmt::format("can't read {} from register {} holding {}", values_->describe(micro.value),
                               describe_json(keys_[micro.key]), values_->describe(now[micro.key]));
        }
    }
    return "the transaction is legal";
}

}  // namespace faultline::check::models
