// The stale-read check, for quorum stores that promise read-after-write
// (Dynamo-style, R + W > N): a read must not miss a write that was
// acknowledged before the read began.
//
// Input: reads and writes on keys, every write's value unique per key, so a
// read names the write it saw. A read is stale when some write W was
// acknowledged before the read was invoked and the read returned
//   - nothing (the key absent: a read failing with `absent_error`), or
//   - the value of a write that was itself acknowledged before W was invoked
//     (W had replaced it, in real time, before the read began).
// Writes that overlap in real time may be ordered either way, and a write of
// unknown outcome (a timeout) may have happened at any time after its
// invocation, so neither can make a read stale. A read of a value no write
// could have written is an error too. Reads invoked at or after `finals_from`
// are the final reads (after the recovery window); they count like any other,
// and are reported apart.
//
// This is weaker than linearizability on purpose: a Dynamo read that returns
// a new value, followed by a read that returns the old one, is not stale
// (no read repair waits for a quorum), but it is not linearizable either.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "check/history.h"
#include "check/outcome.h"

namespace faultline::check {

struct StaleReadOptions {
    Nanos finals_from = std::numeric_limits<Nanos>::max();
    // The error code of a read that found the key absent (lin-kv's 20).
    int absent_error = 20;
};

struct StaleRead {
    Json key;
    Nanos read_invoked = 0;
    Nanos read_completed = 0;
    Json value;                // what it returned (null: absent)
    std::int64_t missed = 0;   // the newer write's value it missed
    Nanos missed_invoked = 0;  // and that write's invocation and acknowledgement
    Nanos missed_acknowledged = 0;
    bool final = false;
};

struct StaleReadResult {
    std::int64_t reads = 0;
    std::int64_t final_reads = 0;
    std::int64_t stale = 0;
    std::int64_t stale_final = 0;
    std::vector<StaleRead> examples;  // the first few stale reads, in history order
    std::vector<std::string> errors;  // values never written
    bool valid() const { return stale == 0 && errors.empty(); }
};

StaleReadResult check_stale_reads(const History& history, const StaleReadOptions& options = {});

// The "stale-read" check's outcome.
Outcome outcome_of(const StaleReadResult& result);

}  // namespace faultline::check
