// Raft's vocabulary: log entries, roles, and options, among them the deliberate
// bugs (bugs.h) that turn a correct Raft into a broken one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/time.h"
#include "base/types.h"
#include "protocols/raft/bugs.h"

namespace faultline::protocols::raft {

enum class EntryType : std::uint8_t {
    // A leader appends one at the start of its term, so that it can commit
    // entries of earlier terms by committing an entry of its own (Figure 8).
    noop = 0,
    command = 1,
};

struct LogEntry {
    Term term;
    LogIndex index;
    EntryType type = EntryType::command;
    std::string data;  // opaque to Raft: the application's encoded command

    bool operator==(const LogEntry&) const = default;
    std::uint32_t size_bytes() const { return 24 + static_cast<std::uint32_t>(data.size()); }
};

enum class Role : std::uint8_t { follower, pre_candidate, candidate, leader };
const char* role_name(Role role);

struct RaftOptions {
    Nanos heartbeat_interval = milliseconds(50);
    // Each election timeout is drawn uniformly from [min, max] (paper §5.2).
    Nanos election_timeout_min = milliseconds(300);
    Nanos election_timeout_max = milliseconds(600);

    // PreVote (thesis §9.6): a node that lost contact first asks whether it could
    // win, without raising its term, so it cannot disrupt a healthy leader.
    bool pre_vote = true;
    // CheckQuorum (thesis §6.2): a leader that has not heard from a majority for
    // an election timeout steps down; followers that heard from a leader within
    // the minimum election timeout ignore vote requests.
    bool check_quorum = true;

    // Replication: at most this many entries and bytes per AppendEntries, and at
    // most this many AppendEntries in flight to one follower (pipelining).
    std::uint32_t append_entries_max = 64;
    std::uint32_t append_bytes_max = 64 * 1024;
    std::uint32_t inflight_appends_max = 8;
    // Flow control: the limits above, and a leader that remembers what it has
    // sent (next_index runs ahead of match_index). Without it, the naive design
    // of many first implementations: every append carries every entry the
    // follower has not acknowledged, however large, and nothing limits what is
    // in flight. Behind a bandwidth cap the resent entries queue up, acks come
    // later, so more is resent: latency grows without bound.
    bool flow_control = true;

    // Take a snapshot and compact the log once this many applied entries are
    // beyond the last snapshot. 0 disables snapshots.
    std::uint64_t snapshot_interval_entries = 2000;
    // Start a new log segment file after this many bytes (compaction deletes
    // whole segments).
    std::uint64_t segment_bytes_max = 256 * 1024;

    // Lease reads: the leader serves a read without a heartbeat round while it
    // holds a lease of election_timeout_min * (1 - clock_drift_bound), counted
    // from when it sent the newest heartbeat round a majority acknowledged.
    // Why that is safe: a voter that acknowledged the round refuses to elect
    // anyone (CheckQuorum stickiness, or PreVote) for election_timeout_min of its
    // own clock, which with clocks drifting by at most rho lasts at least
    // min / (1 + rho) true time; the lease lasts at most min (1 - bound) / (1 - rho)
    // true time on the leader's clock. The lease ends first when
    // bound >= 2 rho (approximately): with the default 0.05, drift must stay
    // below 2.5% (25,000 ppm). Clock steps break the assumption outright.
    // Off by default: ReadIndex needs no assumption about clocks.
    bool lease_reads = false;
    double clock_drift_bound = 0.05;

    // Authenticate replicated entries with an HMAC (libsodium's crypto_auth,
    // HMAC-SHA-512-256) under a key the cluster shares: a follower drops an
    // AppendEntries whose MAC does not match, so a network that alters messages
    // in flight cannot make it store what the leader never sent.
    bool authenticate = false;

    // Some peers may be Byzantine (the raft-kv --byzantine nemesis). Raft
    // assumes crash faults only, so what a correct cluster can never do (two
    // leaders in one term, a committed entry truncated) may then happen; the
    // core leaves it to the checks to report, as under a deliberate bug,
    // instead of asserting.
    bool byzantine_peers = false;

    // A leader that finds itself slow hands leadership to its most up-to-date
    // follower. It notices by the lag of its own heartbeat timer: a timer that
    // fires late means its inputs queue up (a gray failure: slow disk, CPU
    // starved, swapping). Three heartbeats in a row late by more than half an
    // interval trigger the transfer. Off by default.
    bool step_down_when_slow = false;

    // None in a correct Raft (see bugs.h).
    Bugs bugs;
};

}  // namespace faultline::protocols::raft
