// ValueTable: interns the JSON values a history mentions into dense 32-bit ids.
//
// Models compare values on every search step; comparing two uint32 ids is what
// makes a register step cost a couple of instructions instead of a JSON
// comparison. Id 0 is always JSON null (nil: "no value"). Two values get the same
// id exactly when their canonical JSON text is equal, so 1 and 1.0 are distinct,
// as they are in Jepsen's EDN. Integers take a fast path that never builds text.
//
// A table belongs to one check and is not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/json.h"

namespace faultline::check::models {

using ValueId = std::uint32_t;
inline constexpr ValueId kNilValue = 0;

class ValueTable {
  public:
    ValueTable();

    ValueId intern(const Json& value);
    ValueId intern_int(std::int64_t value);
    // Interns a string value (as a JSON string).
    ValueId intern_string(const std::string& value);

    const Json& value(ValueId id) const;
    // Compact human form: 3, "abc", [1 2], nil.
    std::string describe(ValueId id) const;
    std::size_t size() const { return values_.size(); }

  private:
    std::vector<Json> values_;
    std::unordered_map<std::int64_t, ValueId> ints_;
    std::unordered_map<std::string, ValueId> others_;  // canonical JSON text -> id
};

// Compact, EDN-like rendering of a JSON value for messages: nil, 3, "x", [1 2], {x 1}.
std::string describe_json(const Json& value);

}  // namespace faultline::check::models
