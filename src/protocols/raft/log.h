// RaftLog: the in-memory replicated log of one node.
//
// Holds the entries after the last snapshot: indexes (snapshot_index, last_index].
// Everything at or below snapshot_index is summarized by the snapshot, of which
// the log remembers only the index and term (enough for the consistency check of
// AppendEntries and the up-to-date comparison of elections).
//
// Invariants, asserted on every mutation: indexes are contiguous, terms never
// decrease along the log, and entries at or below the snapshot are gone.
//
// For invariant checkers (the god's view) the log also remembers the lowest index
// that changed since the checker last looked, and, once a checker has looked,
// the entries compacted before it saw them (a one-node cluster appends, commits
// and compacts within one step); the protocol never reads either. Those entries
// are held only until the next look, so at most one step's compaction.
#pragma once

#include <deque>
#include <limits>
#include <optional>
#include <vector>

#include "base/assert.h"
#include "protocols/raft/types.h"

namespace faultline::protocols::raft {

class RaftLog {
  public:
    LogIndex snapshot_index() const { return snapshot_index_; }
    Term snapshot_term() const { return snapshot_term_; }
    LogIndex first_index() const { return snapshot_index_.next(); }
    LogIndex last_index() const { return snapshot_index_ + entries_.size(); }
    Term last_term() const { return entries_.empty() ? snapshot_term_ : entries_.back().term; }
    bool empty() const { return entries_.empty(); }

    // The term of the entry at `index`; the snapshot's term at snapshot_index;
    // nullopt below the snapshot (compacted) or beyond the last entry.
    std::optional<Term> term_at(LogIndex index) const;
    bool has_entry(LogIndex index) const { return index > snapshot_index_ && index <= last_index(); }
    const LogEntry& at(LogIndex index) const;

    // Entries [from, ...), at most `count_max` of them and about `bytes_max` bytes
    // (always at least one if any exist, so a huge entry still gets sent).
    std::vector<LogEntry> slice(LogIndex from, std::uint32_t count_max, std::uint32_t bytes_max) const;

    // The last index holding an entry of `term`, if any (fast backtracking).
    std::optional<LogIndex> last_index_of_term(Term term) const;
    // The first index of the run of entries with the same term as `index`.
    LogIndex first_index_of_term_at(LogIndex index) const;

    // Raft's election restriction (§5.4.1): is a log ending at (last_term,
    // last_index) at least as up to date as this one?
    bool is_up_to_date(Term other_last_term, LogIndex other_last_index) const {
        if (other_last_term != last_term()) return other_last_term > last_term();
        return other_last_index >= last_index();
    }

    void append(LogEntry entry);
    // Removes every entry after `keep_last`.
    void truncate_after(LogIndex keep_last);
    // Forgets entries up to and including `index`, now covered by a snapshot.
    void compact_through(LogIndex index, Term term);
    // Replaces the whole log by a snapshot ending at (index, term).
    void reset(LogIndex index, Term term);

    // For invariant checkers: what changed since the last call, then forget it.
    struct Changes {
        LogIndex changed_from;  // the lowest index changed (max() if none)
        // Entries at or after changed_from compacted since the last call, in
        // index order (empty on the first call).
        std::vector<LogEntry> compacted_unseen;
    };
    Changes take_changes();

  private:
    void note_change(LogIndex index) { changed_from_ = std::min(changed_from_, index); }

    std::deque<LogEntry> entries_;
    LogIndex snapshot_index_;
    Term snapshot_term_;
    LogIndex changed_from_{std::numeric_limits<std::uint64_t>::max()};
    bool observed_ = false;  // a checker has called take_changes()
    std::vector<LogEntry> compacted_unseen_;
};

}  // namespace faultline::protocols::raft
