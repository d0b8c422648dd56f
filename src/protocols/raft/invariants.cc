#include "protocols/raft/invariants.h"

#include <fmt/format.h>

#include "base/hash.h"

namespace faultline::protocols::raft {

namespace {

std::uint64_t prefix_hash(std::uint64_t previous, const LogEntry& entry) {
    const std::uint64_t words[] = {previous, entry.term.value, entry.index.value,
                                   static_cast<std::uint64_t>(entry.type)};
    return hash_string(entry.data, hash_bytes(words, sizeof words));
}

std::uint64_t entry_key(LogIndex index, Term term) {
    // Indexes and terms stay far below 2^40 and 2^24 in any run.
    return index.value << 24 ^ term.value;
}

InvariantViolation violation(std::string invariant, std::string detail, std::vector<std::string> nodes) {
    return InvariantViolation{std::move(invariant), std::move(detail), std::move(nodes)};
}

}  // namespace

RaftInvariants::RaftInvariants(std::size_t node_count) : mirrors_(node_count) {
    committed_.push_back(Committed{Term(0), Term(0), 0});
}

std::string RaftInvariants::name_of(NodeId node) const {
    if (nodes_ != nullptr && node.value < nodes_->size()) return (*nodes_)[node.value].name;
    return fmt::format("node {}", node.value);
}

std::optional<InvariantViolation> RaftInvariants::check(const std::vector<NodeView>& nodes) {
    if (mirrors_.size() < nodes.size()) mirrors_.resize(nodes.size());
    nodes_ = &nodes;
    for (std::size_t slot = 0; slot < nodes.size(); ++slot) {
        const NodeView& view = nodes[slot];
        if (view.raft == nullptr) continue;
        // Most steps change one node: the others are skipped here, without a
        // call (check_node's own first test, repeated).
        const Mirror& mirror = mirrors_[slot];
        if (mirror.seen && mirror.incarnation == view.incarnation && mirror.version == view.raft->version()) continue;
        if (auto found = check_node(slot, view)) return found;
    }
    ++checks_;
    return std::nullopt;
}

std::optional<InvariantViolation> RaftInvariants::check_node(std::size_t slot, const NodeView& view) {
    Mirror& mirror = mirrors_[slot];
    Raft& raft = *view.raft;
    const bool restarted = !mirror.seen || mirror.incarnation != view.incarnation;
    if (!restarted && mirror.version == raft.version()) return std::nullopt;

    // Term: never decreases, not even across a restart (it is durable), unless
    // the disk lost it, in which case the node never votes again.
    if (raft.term() < mirror.term && !(restarted && raft.vote_withheld())) {
        return violation("term-monotonic",
                         fmt::format("{}'s term went from {} to {}", view.name, mirror.term.value, raft.term().value),
                         {view.name});
    }
    // Votes: at most one per term, remembered across restarts.
    // Most steps leave a node's vote as it was at the last look: that vote is
    // on record already, and only a new one needs the lookup. Votes are kept
    // as node ids (each names one node) and named only in a violation.
    if (raft.voted_for() && !(mirror.vote_term == raft.term() && mirror.vote == raft.voted_for())) {
        const NodeId candidate = *raft.voted_for();
        auto [found, inserted] = votes_.try_emplace(std::make_pair(slot, raft.term().value), candidate);
        if (!inserted && found->second != candidate) {
            return violation("one-vote-per-term",
                             fmt::format("{} voted for {} and for {} in term {}", view.name, name_of(found->second),
                                         name_of(candidate), raft.term().value),
                             {view.name});
        }
        mirror.vote_term = raft.term();
        mirror.vote = candidate;
    }

    if (restarted) {
        mirror.commit = raft.commit_index();
        mirror.leader = false;
    }
    // Within one step a node may append, commit and compact: follow that order.
    if (auto found = sync_log(mirror, view, restarted)) return found;
    // Commit index: never decreases while up. (Checked after the log: a
    // truncation below the commit index also lowers it, and is the cause.)
    if (raft.commit_index() < mirror.commit) {
        return violation("commit-monotonic",
                         fmt::format("{}'s commit index went from {} to {}", view.name, mirror.commit.value,
                                     raft.commit_index().value),
                         {view.name});
    }
    // Applied: only what is committed (a Ready hands out committed entries only).
    if (raft.last_applied() > raft.commit_index()) {
        return violation("applied-within-commit",
                         fmt::format("{} applied through index {} but has committed only through {}", view.name,
                                     raft.last_applied().value, raft.commit_index().value),
                         {view.name});
    }

    // Leaders: one per term; a new one must hold everything committed.
    const bool leader = raft.role() == Role::leader;
    // A node that led this term at the last look passed both checks then and
    // is on record as the term's leader: only a new leader is looked up.
    if (leader && !(mirror.leader && mirror.leader_term == raft.term())) {
        auto [found, inserted] = leaders_.try_emplace(raft.term().value, slot);
        if (!inserted && found->second != slot) {
            const std::string& other = (*nodes_)[found->second].name;
            return violation("election-safety",
                             fmt::format("term {} has two leaders, {} and {}", raft.term().value, other, view.name),
                             {other, view.name});
        }
        if (auto missing = check_new_leader(mirror, view)) return missing;
    }
    mirror.leader = leader;
    mirror.leader_term = raft.term();
    mirror.term = raft.term();
    mirror.commit = raft.commit_index();
    mirror.seen = true;
    mirror.incarnation = view.incarnation;
    mirror.version = raft.version();
    return std::nullopt;
}

std::optional<InvariantViolation> RaftInvariants::sync_log(Mirror& mirror, const NodeView& view, bool restarted) {
    RaftLog& log = view.raft->log_for_observers();
    const RaftLog::Changes changes = log.take_changes();
    const LogIndex changed_from = changes.changed_from;
    // Entries changed and compacted since the last look (a one-node cluster
    // appends, commits and compacts in one step) are kept for us: follow them.
    const bool compacted_seen =
        !changes.compacted_unseen.empty() && changes.compacted_unseen.front().index == changed_from;
    // A restart, or a snapshot installed over the log: nothing to compare with.
    if (restarted || (changed_from <= log.snapshot_index() && !compacted_seen)) return rebuild(mirror, view);

    if (changed_from <= mirror.last()) {
        // Entries after changed_from - 1 were replaced: a truncation.
        const LogIndex kept = changed_from.prev();
        if (kept < mirror.commit) {
            return violation("no-truncation-below-commit",
                             fmt::format("{} truncated its log after index {}, below its commit index {}", view.name,
                                         kept.value, mirror.commit.value),
                             {view.name});
        }
        if (mirror.leader && view.raft->role() == Role::leader && mirror.leader_term == view.raft->term()) {
            return violation("leader-append-only",
                             fmt::format("leader {} of term {} truncated its log after index {}", view.name,
                                         view.raft->term().value, kept.value),
                             {view.name});
        }
        mirror.entries.resize(kept.value - mirror.base.value);
    }
    // Entries a follower appended and compacted within one step that the log
    // did not keep for us: the leader that sent them was checked when it
    // appended and committed them.
    if (mirror.last() < log.snapshot_index() &&
        (!compacted_seen || changes.compacted_unseen.front().index > mirror.last().next())) {
        return rebuild(mirror, view);
    }
    if (auto found = hash_new_entries(mirror, view, changes.compacted_unseen)) return found;
    if (auto found = record_commit(mirror, view, mirror.commit, view.raft->commit_index())) return found;
    if (log.snapshot_index() > mirror.base) {
        // Compaction: entries up to the new base move into the snapshot.
        const std::size_t dropped = log.snapshot_index().value - mirror.base.value;
        mirror.base_term = mirror.entries[dropped - 1].first;
        mirror.base_hash = mirror.entries[dropped - 1].second;
        mirror.entries.erase(mirror.entries.begin(), mirror.entries.begin() + static_cast<std::ptrdiff_t>(dropped));
        mirror.base = log.snapshot_index();
    }
    return std::nullopt;
}

std::optional<InvariantViolation> RaftInvariants::rebuild(Mirror& mirror, const NodeView& view) {
    // The snapshot's prefix is committed, hence known to the checker.
    const RaftLog& log = view.raft->log();
    mirror.base = log.snapshot_index();
    mirror.base_term = log.snapshot_term();
    if (mirror.base.value >= committed_.size()) {
        return violation(
            "state-machine-safety",
            fmt::format("{} holds a snapshot through {} but nothing was committed there", view.name, mirror.base.value),
            {view.name});
    }
    mirror.base_hash = committed_[mirror.base.value].hash;
    mirror.entries.clear();
    if (auto found = hash_new_entries(mirror, view)) return found;
    // Everything the node holds as committed, even what it committed in a
    // step that a crash cut short before the checker looked.
    return record_commit(mirror, view, mirror.base, view.raft->commit_index());
}

std::optional<InvariantViolation> RaftInvariants::hash_new_entries(Mirror& mirror, const NodeView& view,
                                                                   const std::vector<LogEntry>& compacted) {
    const RaftLog& log = view.raft->log();
    for (LogIndex index = mirror.last().next(); index <= log.last_index(); ++index) {
        if (index <= log.snapshot_index()) FL_ASSERT(!compacted.empty() && compacted.front().index <= index);
        const LogEntry& entry =
            index <= log.snapshot_index() ? compacted[index.value - compacted.front().index.value] : log.at(index);
        FL_ASSERT_EQ(entry.index, index);
        const Term previous_term = mirror.entries.empty() ? mirror.base_term : mirror.entries.back().first;
        if (entry.term < previous_term) {
            return violation("log-matching",
                             fmt::format("{}'s log goes from term {} back to term {} at index {}", view.name,
                                         previous_term.value, entry.term.value, index.value),
                             {view.name});
        }
        const std::uint64_t hash = prefix_hash(mirror.hash_at(index.prev()), entry);
        // try_emplace: most entries were seen on another node already, and
        // emplace would allocate a map node before finding that out.
        auto [found, inserted] = entry_hashes_.try_emplace(entry_key(index, entry.term), hash);
        if (!inserted && found->second != hash) {
            return violation("log-matching",
                             fmt::format("{} holds an entry at index {} term {} whose history differs from "
                                         "another node's entry there",
                                         view.name, index.value, entry.term.value),
                             {view.name});
        }
        mirror.entries.emplace_back(entry.term, hash);
    }
    return std::nullopt;
}

std::optional<InvariantViolation> RaftInvariants::record_commit(Mirror& mirror, const NodeView& view, LogIndex from,
                                                                LogIndex to) {
    for (LogIndex index = std::max(from, mirror.base).next(); index <= to; ++index) {
        if (index > mirror.last()) break;  // asserted by the node itself: commit <= last index
        const Term term = mirror.entries[index.value - mirror.base.value - 1].first;
        const std::uint64_t hash = mirror.hash_at(index);
        if (index.value < committed_.size()) {
            if (committed_[index.value].hash != hash) {
                return violation(
                    "state-machine-safety",
                    fmt::format("{} committed an entry of term {} at index {}, where an entry of "
                                "term {} was committed before",
                                view.name, term.value, index.value, committed_[index.value].entry_term.value),
                    {view.name});
            }
        } else {
            FL_ASSERT_EQ(index.value, committed_.size());
            committed_.push_back(Committed{term, view.raft->term(), hash});
        }
    }
    return std::nullopt;
}

std::optional<InvariantViolation> RaftInvariants::check_new_leader(const Mirror& mirror, const NodeView& view) {
    const Term term = view.raft->term();
    for (std::uint64_t index = mirror.base.value + 1; index < committed_.size(); ++index) {
        if (committed_[index].commit_term >= term) continue;  // committed in this term or a later one
        if (LogIndex(index) > mirror.last() || mirror.hash_at(LogIndex(index)) != committed_[index].hash) {
            return violation("leader-completeness",
                             fmt::format("{} became leader of term {} without the entry committed at index {} "
                                         "(term {})",
                                         view.name, term.value, index, committed_[index].entry_term.value),
                             {view.name});
        }
    }
    return std::nullopt;
}

}  // namespace faultline::protocols::raft
