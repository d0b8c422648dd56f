#include "check/models/value_table.h"

#include "base/assert.h"

namespace faultline::check::models {

ValueTable::ValueTable() {
    values_.emplace_back(nullptr);
}

ValueId ValueTable::intern(const Json& value) {
    if (value.is_null()) return kNilValue;
    if (value.is_number_integer()) return intern_int(value.get<std::int64_t>());
    std::string text = value.dump();
    auto [it, inserted] = others_.try_emplace(std::move(text), static_cast<ValueId>(values_.size()));
    if (inserted) values_.push_back(value);
    return it->second;
}

ValueId ValueTable::intern_int(std::int64_t value) {
    auto [it, inserted] = ints_.try_emplace(value, static_cast<ValueId>(values_.size()));
    if (inserted) values_.emplace_back(value);
    return it->second;
}

ValueId ValueTable::intern_string(const std::string& value) {
    return intern(Json(value));
}

const Json& ValueTable::value(ValueId id) const {
    FL_ASSERT_LT(id, values_.size());
    return values_[id];
}

std::string ValueTable::describe(ValueId id) const {
    return describe_json(value(id));
}

std::string describe_json(const Json& value) {
    if (value.is_null()) return "nil";
    if (value.is_array()) {
        std::string out = "[";
        bool first = true;
        for (const Json& item : value) {
            if (!first) out += ' ';
            first = false;
            out += describe_json(item);
        }
        return out + "]";
    }
    if (value.is_object()) {
        std::string out = "{";
        bool first = true;
        for (const auto& [k, v] : value.items()) {
            if (!first) out += ", ";
            first = false;
            out += k + " " + describe_json(v);
        }
        return out + "}";
    }
    return value.dump();
}

}  // namespace faultline::check::models
