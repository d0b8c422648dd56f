// The echo checker: every ok completion must carry exactly the invoked payload.
#pragma once

#include <string>
#include <vector>

#include "check/history.h"
#include "check/outcome.h"

namespace faultline::check {

struct EchoCheckResult {
    bool valid = true;
    std::int64_t ok_count = 0;
    std::vector<std::string> errors;  // one line per mismatch, capped
};

EchoCheckResult check_echo(const History& history);

// The "echo" check's outcome.
Outcome outcome_of(const EchoCheckResult& result);

}  // namespace faultline::check
