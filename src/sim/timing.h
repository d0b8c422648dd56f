// Timing models: how long the network may take, after Dwork, Lynch and
// Stockmeyer ("Consensus in the presence of partial synchrony", JACM 1988).
//
//   none     the configured latency and faults, nothing enforced (the default,
//            and the simulator's behaviour before timing models existed)
//   sync     every message sent at t arrives by t + delay_max: a known bound
//   partial  a message sent at t < gst is held for a heavy-tailed time (a
//            Pareto draw from the link's own stream, far beyond delay_max)
//            but arrives by gst + delay_max: held arbitrarily long before the
//            global stabilisation time, never lost for ever; a message sent
//            at t >= gst arrives by t + delay_max, as under sync
//   async    no bound: an adversary holds every message to or from a node
//            that is about to make progress (`making_progress`: the leader or
//            a candidate) for async_hold plus half the time elapsed, so the
//            hold outgrows any timeout a protocol picks, however it backs off
//
// The models decide delays only. Loss, partitions and pauses are the nemesis's
// (the runner refuses them beside a timing model: a bound on delay that a
// dropped message escapes is no bound), and clock drift is the runner's,
// within the drift bound, once at the start.
//
// Network::transmit applies the model after it has drawn the message's fate;
// with the model off that costs one predictable branch per message.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "base/time.h"
#include "base/types.h"

namespace faultline::sim {

enum class TimingKind : std::uint8_t { none, sync, partial, async };

struct TimingModel {
    TimingKind kind = TimingKind::none;
    Nanos delay_max = 0;  // sync; partial from gst on
    Nanos gst = 0;        // partial
    // Partial, before gst: the hold's Pareto scale and shape (shape below 1:
    // an infinite mean, so the longest holds dwarf the bound).
    Nanos hold_scale = 0;
    double hold_shape = 0.5;
    Nanos async_hold = 0;  // async: the least hold
    // Async: is this node about to make progress now (lead, campaign)?
    std::function<bool(NodeId)> making_progress;
};

const char* timing_kind_name(TimingKind kind);

}  // namespace faultline::sim
