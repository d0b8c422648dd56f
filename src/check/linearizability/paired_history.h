// Pairing: turns a history of invocations and completions into client
// operations, each with its real-time interval.
//
// Rules (Jepsen's): a process runs one operation at a time; its completion
// (ok, fail or info) is the next completion from the same process. An invoke
// with no completion by the end of the history has an unknown outcome, like
// info. An info with no open invocation is a message from outside the clients
// (Jepsen's nemesis logs its actions that way) and is ignored; an ok or fail
// with no open invocation is an error in the history. Operations of processes
// below zero are not client operations (faultline's convention for the
// nemesis) and are skipped.
//
// Real-time order is the order of events in the history, or their `time`
// order when the format's Semantics say times are exact (then a stable sort,
// so equal times keep the history's order). Ranks are positions in that order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "check/history.h"
#include "check/models/model.h"

namespace faultline::check::lin {

struct PairedOp {
    std::uint32_t invoke = 0;           // position of the invocation in the history
    std::uint32_t complete = kNoEvent;  // position of the completion, or kNoEvent
    models::Completion completion = models::Completion::unknown;
    std::uint32_t call_rank = 0;  // real-time ranks of both events
    std::uint32_t complete_rank = kNoEvent;

    static constexpr std::uint32_t kNoEvent = 0xffffffffu;
};

// Where an error message should point: "file.edn:12" for history position 7.
// The default names the op by its index in the history.
using Locator = std::function<std::string(std::uint32_t position)>;
Locator default_locator(const History& history);

Result<std::vector<PairedOp>> pair_operations(const History& history, const models::Semantics& semantics,
                                              const Locator& locate);

}  // namespace faultline::check::lin
