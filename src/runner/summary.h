// The terminal summary of a run: what a person reads first.
#pragma once

#include <string>

#include "runner/run.h"

namespace faultline::runner {

// A few aligned lines: operations, latency, messages, time, checks, trace hash.
// With `colour`, verdicts are coloured for a terminal (fmt's terminal colours).
std::string format_summary(const RunResult& result, bool colour = false);

// A verdict's name, coloured when `colour` (green valid, red invalid, yellow unknown).
std::string verdict_text(Verdict verdict, bool colour);
// `text` in the colour of `verdict` when `colour`, else as it is.
std::string in_verdict_colour(const std::string& text, Verdict verdict, bool colour);

}  // namespace faultline::runner
