// The set checker (Jepsen's set-full, simplified): every add that was
// acknowledged must be in every final read, and no read may hold a value
// nobody added. Adds with an unknown outcome may or may not appear.
#pragma once

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

}  // namespace faultline::check
