// Progress: what a leader knows about one follower's log, and how it sends to it.
//
//   probe      the leader does not know where the follower's log diverges: one
//              AppendEntries at a time, backing off on each rejection (fast
//              backtracking by conflict term)
//   replicate  the follower is known to match up to match_index: entries are
//              streamed optimistically, up to inflight_appends_max at once
//   snapshot   the follower needs entries the leader has compacted: a snapshot
//              is on its way, nothing else is sent until it lands
//
// match_index only grows, except when a follower reports that its disk lost
// acknowledged entries (then counting it as a replica would be a lie).
#pragma once

#include <cstdint>

#include "base/time.h"
#include "base/types.h"

namespace faultline::protocols::raft {

struct Progress {
    enum class State : std::uint8_t { probe, replicate, snapshot };

    State state = State::probe;
    LogIndex match_index;
    LogIndex next_index;
    std::uint32_t inflight = 0;          // appends with entries sent and not yet acknowledged
    bool probe_sent = false;             // probe: an append is outstanding
    bool recently_active = false;        // heard from it since the last quorum check
    std::uint64_t read_round_acked = 0;  // highest read round it acknowledged
    LogIndex pending_snapshot;           // snapshot: the index being installed
    Nanos snapshot_sent_at = 0;          // local time of the last snapshot send
    Nanos append_sent_at = 0;            // local time of the last append with entries
    // The follower lost its term and vote (AppendReply::hard_state_lost): it is
    // replicated to, but counts for no quorum (commit, reads, CheckQuorum), as
    // a member that must be replaced. Its term may be stale, so it may have
    // acknowledged a leader the cluster had already left behind.
    bool untrusted = false;
};

inline const char* progress_state_name(Progress::State state) {
    switch (state) {
        case Progress::State::probe:
            return "probe";
        case Progress::State::replicate:
            return "replicate";
        case Progress::State::snapshot:
            return "snapshot";
    }
    return "?";
}

}  // namespace faultline::protocols::raft
