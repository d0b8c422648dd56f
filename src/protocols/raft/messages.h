// Raft's messages (paper Figure 2, plus PreVote, leadership transfer and
// InstallSnapshot). Each is an immutable Message the simulator carries as is.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "node/message.h"
#include "protocols/raft/types.h"

namespace faultline::protocols::raft {

// RequestVote, or a PreVote probe when `pre_vote` is set: a pre-vote carries the
// term the candidate *would* use, and changes no one's term.
struct VoteRequest final : Message {
    Term term;
    LogIndex last_log_index;
    Term last_log_term;
    bool pre_vote = false;
    // Sent after a TimeoutNow: voters must not ignore it for having a leader.
    bool leadership_transfer = false;

    std::string_view type() const override { return pre_vote ? "pre_vote" : "request_vote"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 40; }
    std::uint64_t digest() const override;
};

struct VoteReply final : Message {
    Term term;
    bool granted = false;
    bool pre_vote = false;

    std::string_view type() const override { return pre_vote ? "pre_vote_ok" : "request_vote_ok"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 24; }
    std::uint64_t digest() const override;
};

// AppendEntries. A heartbeat carries no entries and skips the consistency
// check; its commit index is capped at what the follower is known to match.
struct AppendRequest final : Message {
    Term term;
    LogIndex prev_index;
    Term prev_term;
    std::vector<LogEntry> entries;
    LogIndex leader_commit;
    // The leader's last index when it sent this: a follower repairing a damaged
    // log knows it has caught up once it matches the leader through here.
    LogIndex leader_last_index;
    bool heartbeat = false;
    // The leader's read round (ReadIndex): echoed in the reply, so the leader
    // knows which of its heartbeat rounds a follower has acknowledged.
    std::uint64_t read_round = 0;
    // With RaftOptions::authenticate: an HMAC over everything above.
    std::string mac;

    std::string_view type() const override { return heartbeat ? "heartbeat" : "append_entries"; }
    // The bytes the MAC covers.
    std::string authenticated_bytes() const;
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override;
    std::uint64_t digest() const override;
    // Flips one bit of one entry's command: what an attacker (or a broken NIC
    // without checksums) does to replicated data.
    std::shared_ptr<const Message> tampered(Prng& random) const override;
};

struct AppendReply final : Message {
    Term term;
    bool success = false;
    bool heartbeat = false;
    // Success: the follower's log matches the leader's up to here.
    LogIndex match_index;
    // Rejection: the prev_index that failed, and a hint for fast backtracking:
    // the follower's term at prev_index (0 if its log is shorter) and the first
    // index it holds of that term (or its last index + 1).
    LogIndex rejected_index;
    Term conflict_term;
    LogIndex conflict_index;
    LogIndex last_log_index;
    std::uint64_t read_round = 0;
    // The follower's disk lost synced entries (it is still repairing): entries
    // it acknowledged before its crash may be gone.
    bool log_damaged = false;
    // The follower's disk lost its term and vote: its term may be older than
    // one it had reached, so it may accept a leader it had already left behind.
    // Its acknowledgements count for no quorum (see Progress::untrusted).
    bool hard_state_lost = false;

    std::string_view type() const override { return heartbeat ? "heartbeat_ok" : "append_entries_ok"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 64; }
    std::uint64_t digest() const override;
};

struct SnapshotRequest final : Message {
    Term term;
    LogIndex last_index;
    Term last_term;
    std::string data;

    std::string_view type() const override { return "install_snapshot"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 40 + static_cast<std::uint32_t>(data.size()); }
    std::uint64_t digest() const override;
};

struct SnapshotReply final : Message {
    Term term;
    LogIndex last_index;
    bool hard_state_lost = false;  // as in AppendReply

    std::string_view type() const override { return "install_snapshot_ok"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 24; }
    std::uint64_t digest() const override;
};

// Leadership transfer: the leader tells a caught-up follower to start an
// election now, without waiting for its timeout.
struct TimeoutNow final : Message {
    Term term;

    std::string_view type() const override { return "timeout_now"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16; }
    std::uint64_t digest() const override { return term.value; }
};

}  // namespace faultline::protocols::raft
