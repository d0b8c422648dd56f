// The set checker (Jepsen's set-full, simplified): every add that was
// acknowledged must be in every final read, and no read may hold a value
// nobody added. Adds with an unknown outcome may or may not appear.
//
// A read's value is the set it saw, in either of two forms: an array of
// integers (Maelstrom's, and any history from outside), or, compactly,
// {"ranges": [[lo, hi], ...]}: ascending, disjoint, inclusive ranges of
// integers (compact_set). The second is what the built-in broadcast records:
// a node's set holds thousands of values, nearly all in a few runs, and a read
// written value by value made the history, not the run, the cost of a
// 100-node broadcast. The check costs the number of ranges, not of values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "check/history.h"
#include "check/outcome.h"

namespace faultline::check {

struct SetCheckResult {
    bool valid = true;
    std::int64_t acknowledged = 0;
    std::int64_t final_reads = 0;
    std::int64_t lost = 0;  // acknowledged adds missing from some final read
    std::vector<std::string> errors;
};

// Final reads are the reads invoked at or after `finals_from`.
SetCheckResult check_set(const History& history, Nanos finals_from);

// The "set" check's outcome.
Outcome outcome_of(const SetCheckResult& result);

// The compact form of a read of `values` (ascending, without repeats).
Json compact_set(const std::vector<std::int64_t>& values);
// A read's value as Maelstrom writes it, a plain array: compact_set's form
// expanded, anything else as it is. For replies on the wire (faultline node).
Json set_as_array(const Json& value);

}  // namespace faultline::check
