// The checks every service with clients gets, whatever it does: did it serve
// (availability), did every operation end (liveness), how fast (latency).
// Each reads the history alone.
#pragma once

#include <functional>

#include "check/history.h"
#include "check/outcome.h"

namespace faultline::check {

// Availability: of the operations invoked in [window_start, window_end), at
// least `threshold` (a fraction) must have been served. `served` says which
// completions count: an ok, and the definite answers a system gives (lin-kv's
// "key does not exist"). An operation that never completed was not served.
Outcome check_availability(const History& history, const std::function<bool(const Operation&)>& served,
                           Nanos window_start, Nanos window_end, double threshold = 0.9);

// Liveness: every operation a client started must complete (ok, fail or info)
// before the run ends, and within `bound` of its invocation if the bound is
// not 0. An operation that never completes waited forever.
//
// An operation still open when the run ended is judged on the time it had:
// with a bound, it failed if it had waited longer than the bound; without
// one, if it had waited at least `grace` (the client's timeout: until then it
// could still have completed, as info at worst; 0 for clients that wait
// forever). A long run's final reads can fill the time the run leaves them,
// and the last of them are cut off by its end, not stalled.
Outcome check_liveness(const History& history, Nanos run_end, Nanos bound, Nanos grace = 0);

// Liveness after the global stabilisation time (partial synchrony, Dwork,
// Lynch and Stockmeyer): every operation invoked at or after `gst` must
// complete within `bound` (0: before the run ends). Operations invoked before
// it are not judged: before GST the model promises nothing. Named
// "liveness-after-gst".
Outcome check_liveness_after(const History& history, Nanos run_end, Nanos bound, Nanos gst, Nanos grace = 0);

// Latency: the p99 latency of ok operations invoked in [from, to) must not
// exceed `p99_max`.
Outcome check_latency(const History& history, Nanos from, Nanos to, Nanos p99_max);

// Message cost: server-to-server messages per client operation invoked must
// not exceed `max` (broadcast's efficiency goal).
Outcome check_msgs_per_op(const History& history, std::uint64_t server_messages, double max);

}  // namespace faultline::check
