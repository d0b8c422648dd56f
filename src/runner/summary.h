// The terminal summary of a run: what a person reads first.
#pragma once

#include <string>

#include "runner/run.h"

namespace faultline::runner {

// A few aligned lines: operations, latency, messages, time, checks, trace hash.
std::string format_summary(const RunResult& result);

}  // namespace faultline::runner
