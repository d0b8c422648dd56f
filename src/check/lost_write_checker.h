// The lost-write check, for last-write-wins stores. If write A completed
// before write B began, B is the later write; once B is acknowledged, a read
// that begins after that and still returns A's value shows that B was lost:
// the replicas ordered the two by timestamps that contradict real time (a
// clock that runs behind). The final reads are such reads too, so a write the
// final state dropped is caught even if no read saw it on the way.
//
// Input: a history of reads and writes on keys, every write's value unique;
// final reads are the reads invoked at or after `finals_from`. Also checked:
// the final reads of one key agree (convergence), and every value read was
// written. A write of unknown outcome may have happened at any time after its
// invocation, so it is never "earlier" than anything.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "check/history.h"
#include "check/outcome.h"

namespace faultline::check {

struct LostWriteResult {
    bool valid = true;
    std::int64_t keys = 0;
    std::int64_t final_reads = 0;
    std::int64_t reads = 0;
    std::int64_t lost = 0;  // acknowledged writes a read saw beaten by a real-time-earlier write
    std::vector<std::string> errors;
};

LostWriteResult check_lost_writes(const History& history, Nanos finals_from);

// The "lost-write" check's outcome.
Outcome outcome_of(const LostWriteResult& result);

}  // namespace faultline::check
