// DurableState: how one Raft node lays its state out on disk, and reads it back
// after a crash without trusting it.
//
// Files (all through the node's Storage):
//   meta-0, meta-1     the hard state (term, vote), written alternately, each a
//                      single checksummed record with a sequence number; a torn
//                      write damages at most the slot being written
//   snapshot-0, -1     the latest snapshot (index, term, application data), also
//                      alternating
//   damage             what recovery found lost and has not been repaired yet
//                      (see DamageMark); absent on a healthy node
//   log-<seq>          log segments: append-only records. A record is an entry or
//                      "truncate after index k". Truncation is a record, never an
//                      in-place erase, so it is crash-atomic (braft#119). Each
//                      segment opens with a truncate record for its first index,
//                      which makes deleting old segments safe in any order.
//
// Record framing: [payload length u32][length check u32][payload checksum u64]
// [payload]. The meta slots and the damage mark hold their record twice, so a
// flipped bit costs one copy, and recovery rewrites a slot that lost one. The length has its own check so a flipped bit
// in it is detected as corruption rather than mistaken for a torn write.
//
// Recovery distinguishes a torn tail (the last record of the last segment is cut
// short: it was never synced, so never acknowledged; it is cut off silently) from
// corruption (a complete record whose checksum fails: data that was synced and
// may have been acknowledged is gone). Corruption marks the log damaged; Raft
// then refuses to vote or campaign until it is repaired (see raft.h).
//
// Damage is remembered on disk before anything damaged is cut away: recovery
// writes the damage mark and syncs it first. Otherwise a crash right after
// recovery would leave a log that is short but clean, and the next recovery
// would vote on it as if nothing had been lost.
//
// Writes are issued at once but are durable only after Storage::sync(), which
// the Raft core calls once per input, before it hands out anything to send.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "node/storage.h"
#include "protocols/raft/types.h"

namespace faultline::protocols::raft {

struct HardState {
    Term term;
    std::optional<NodeId> vote;
    bool operator==(const HardState&) const = default;
};

// What a node has lost and not yet got back, kept in the `damage` file.
struct DamageMark {
    // The term and vote may be stale: the node never votes or campaigns again.
    bool hard_state_lost = false;
    // Synced log entries were lost: no vote or campaign until a leader of
    // `repair_term` or later has repaired the log.
    bool log_damaged = false;
    Term repair_term;
    bool operator==(const DamageMark&) const = default;
};

struct RecoveredState {
    HardState hard_state;
    // A meta slot failed its checksum: the term and vote read back may be stale
    // (the damaged slot may have been the newer one), so they cannot be trusted
    // for voting.
    bool hard_state_lost = false;
    bool has_snapshot = false;
    LogIndex snapshot_index;
    Term snapshot_term;
    std::string snapshot_data;
    std::vector<LogEntry> entries;  // contiguous, starting at snapshot_index + 1
    // Synced data was lost (a corrupt record or snapshot, a gap above the
    // snapshot), at this recovery or an earlier one that was never repaired.
    bool log_damaged = false;
    Term repair_term;                // see DamageMark
    std::vector<std::string> notes;  // what recovery found and did, for the node log
};

class DurableState {
  public:
    explicit DurableState(std::uint64_t segment_bytes_max) : segment_bytes_max_(segment_bytes_max) {}

    Status save_hard_state(Storage& storage, const HardState& state);
    Status append(Storage& storage, const LogEntry& entry);
    Status truncate_after(Storage& storage, LogIndex keep_last);
    Status save_snapshot(Storage& storage, LogIndex index, Term term, std::string_view data);
    // Deletes the oldest segments whose entries all lie at or below the snapshot.
    // Call after a sync: deleting is only safe once the snapshot is durable.
    Status collect_garbage(Storage& storage, LogIndex snapshot_index);
    // Rewrites the damage mark (a healthy mark removes the file). Durable with
    // the next sync; until then a crash keeps the older, more cautious mark.
    Status save_damage(Storage& storage, const DamageMark& mark);

    // Reads everything back, repairing what can be repaired (cutting torn tails,
    // dropping segments after a corrupt record). A fresh disk gives a fresh state.
    Result<RecoveredState> load(Storage& storage);

    // Record framing, exposed for tests that damage files on purpose.
    static std::string frame(std::string_view payload);

  private:
    struct Segment {
        std::string name;
        std::uint64_t bytes = 0;
        LogIndex max_index;  // highest entry index written to it
    };

    // What replaying the log segments found: the entries, and the cuts (file,
    // new size) and removals that drop what follows a torn or corrupt record.
    // Cuts are applied only once the damage mark is durable (see the header).
    struct ReplayedLog {
        std::vector<LogEntry> entries;
        std::vector<std::pair<std::string, std::uint64_t>> cuts;
        std::vector<std::string> removals;
    };

    Status write_record(Storage& storage, std::string_view payload);
    Status open_segment(Storage& storage, LogIndex first_index);
    // The phases of load().
    Result<int> load_hard_state(Storage& storage, RecoveredState& state);
    bool load_snapshot(Storage& storage, RecoveredState& state);
    Result<ReplayedLog> replay_segments(Storage& storage, RecoveredState& state, bool& log_damaged_now);
    Result<DamageMark> merge_damage(Storage& storage, RecoveredState& state, bool hard_state_damaged_now,
                                    bool log_damaged_now);

    std::uint64_t segment_bytes_max_;
    std::uint64_t meta_sequence_ = 0;
    std::uint64_t snapshot_sequence_ = 0;
    std::uint64_t next_segment_sequence_ = 1;
    std::vector<Segment> segments_;  // oldest first; the last one is being written
};

}  // namespace faultline::protocols::raft
