// The membership checks of SWIM-like protocols, against the ground truth of
// who was down when (the god's-eye view). Each member's view of each other
// member is a timeline of changes stamped with true time; a member that
// restarts forgets its view (everyone alive again).
//
//   completeness   every crash of a member lasting longer than
//                  detection_time_max is known (the member declared dead) by
//                  every member that stays up and unpaused through [crash,
//                  crash + bound], within that bound (a paused member can
//                  learn nothing until it resumes) (Chandra and Toueg's strong completeness,
//                  with a deadline)
//   accuracy       deaths declared of live members: a member declared dead
//                  while up, and not down within detection_time_max before.
//                  One mistake is one (member, incarnation) wrongly declared
//                  dead, however many members the news then reaches; more
//                  than false_deaths_max fails; and, when suspicions_max is
//                  not negative, so do more suspicions of live members than that.
//                  Members the run impairs on purpose (a starved receive path)
//                  are left out: a timeout cannot tell "very slow" from "dead",
//                  and what a detector should make of them is not a yes or no;
//                  their deaths are reported beside the verdict
//   dissemination  for each crash that completeness judged, the time from the
//                  first member's declaration to the last's must stay within
//                  dissemination_time_max
//
// Their details also give, per crash, each member's detection time, and the
// false deaths per hour of the member's up time (for `faultline fd`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/time.h"
#include "check/detector_checks.h"
#include "check/outcome.h"

namespace faultline::check {

enum class ViewState : std::uint8_t { alive, suspect, dead };

// `observer` came to believe `state` of `member` at true time `at`.
struct ViewChange {
    Nanos at = 0;
    int observer = 0;
    int member = 0;
    ViewState state = ViewState::alive;
    std::uint32_t incarnation = 0;
};

struct MembershipTruth {
    std::vector<std::string> names;             // by member index
    std::vector<std::vector<Interval>> downs;   // by member index, in time order
    std::vector<std::vector<Interval>> pauses;  // by member index (empty: none)
    std::vector<bool> impaired;                 // by member index (empty: none)
    Nanos end = 0;
};

struct MembershipBounds {
    Nanos detection_time_max = seconds(30);
    Nanos dissemination_time_max = seconds(10);
    std::int64_t false_deaths_max = 0;
    std::int64_t suspicions_max = -1;  // negative: suspicions are counted, not judged
};

// "completeness", "accuracy" and "dissemination"; `changes` in time order.
std::vector<Outcome> check_membership(const std::vector<ViewChange>& changes, const MembershipTruth& truth,
                                      const MembershipBounds& bounds);

}  // namespace faultline::check
