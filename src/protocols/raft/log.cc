#include "protocols/raft/log.h"

namespace faultline::protocols::raft {

std::optional<Term> RaftLog::term_at(LogIndex index) const {
    if (index == snapshot_index_) return snapshot_term_;
    if (!has_entry(index)) return std::nullopt;
    return at(index).term;
}

const LogEntry& RaftLog::at(LogIndex index) const {
    FL_ASSERT_GT(index, snapshot_index_);
    FL_ASSERT_LE(index, last_index());
    const LogEntry& entry = entries_[index.value - snapshot_index_.value - 1];
    FL_ASSERT_EQ(entry.index, index);
    return entry;
}

std::vector<LogEntry> RaftLog::slice(LogIndex from, std::uint32_t count_max, std::uint32_t bytes_max) const {
    FL_ASSERT_GT(from, snapshot_index_);
    std::vector<LogEntry> out;
    std::uint32_t bytes = 0;
    for (LogIndex index = from; index <= last_index() && out.size() < count_max; ++index) {
        const LogEntry& entry = at(index);
        if (!out.empty() && bytes + entry.size_bytes() > bytes_max) break;
        bytes += entry.size_bytes();
        out.push_back(entry);
        // Each entry must follow the previous one: the batching bug of
        // logcabin#160 skipped an entry that did not fit and kept going.
        FL_ASSERT_EQ(out.back().index, from + (out.size() - 1));
    }
    return out;
}

std::optional<LogIndex> RaftLog::last_index_of_term(Term term) const {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
        if (it->term == term) return it->index;
        if (it->term < term) return std::nullopt;  // terms only grow along the log
    }
    if (snapshot_term_ == term && snapshot_index_.value > 0) return snapshot_index_;
    return std::nullopt;
}

LogIndex RaftLog::first_index_of_term_at(LogIndex index) const {
    FL_ASSERT(has_entry(index));
    const Term term = at(index).term;
    LogIndex first = index;
    while (first.prev() > snapshot_index_ && at(first.prev()).term == term) first = first.prev();
    return first;
}

void RaftLog::append(LogEntry entry) {
    FL_ASSERT_EQ(entry.index, last_index().next());
    FL_ASSERT_GE(entry.term, last_term());
    note_change(entry.index);
    entries_.push_back(std::move(entry));
}

void RaftLog::truncate_after(LogIndex keep_last) {
    FL_ASSERT_GE(keep_last, snapshot_index_);
    while (last_index() > keep_last) entries_.pop_back();
    note_change(keep_last.next());
    FL_ASSERT_LE(last_index(), keep_last);
}

void RaftLog::compact_through(LogIndex index, Term term) {
    FL_ASSERT_GE(index, snapshot_index_);
    FL_ASSERT_LE(index, last_index());
    FL_ASSERT(term_at(index) == term);
    while (!entries_.empty() && entries_.front().index <= index) {
        if (observed_ && entries_.front().index >= changed_from_)
            compacted_unseen_.push_back(std::move(entries_.front()));
        entries_.pop_front();
    }
    snapshot_index_ = index;
    snapshot_term_ = term;
}

void RaftLog::reset(LogIndex index, Term term) {
    entries_.clear();
    compacted_unseen_.clear();
    snapshot_index_ = index;
    snapshot_term_ = term;
    note_change(LogIndex(0));
}

RaftLog::Changes RaftLog::take_changes() {
    Changes changes{changed_from_, std::move(compacted_unseen_)};
    changed_from_ = LogIndex(std::numeric_limits<std::uint64_t>::max());
    compacted_unseen_.clear();
    observed_ = true;
    return changes;
}

}  // namespace faultline::protocols::raft
