#include "protocols/raft/bugs.h"

#include <utility>

#include "base/assert.h"

namespace faultline::protocols::raft {

namespace {

// In the order of the enum.
constexpr std::pair<Bug, std::string_view> bug_names[] = {
    {Bug::commit_old_term, "commit-old-term"},
    {Bug::forget_vote, "forget-vote"},
    {Bug::stale_read, "stale-read"},
    {Bug::no_dedup, "no-dedup"},
    {Bug::early_ack, "early-ack"},
    {Bug::vote_twice, "vote-twice"},
    {Bug::vote_without_log_check, "vote-without-log-check"},
    {Bug::prevote_counts_as_vote, "prevote-counts-as-vote"},
    {Bug::late_prevote_counts, "late-prevote-counts"},
    {Bug::vote_quorum_off_by_one, "vote-quorum-off-by-one"},
    {Bug::no_timer_reset_on_vote, "no-timer-reset-on-vote"},
    {Bug::term_not_persisted, "term-not-persisted"},
    {Bug::vote_not_synced, "vote-not-synced"},
    {Bug::vote_with_damaged_log, "vote-with-damaged-log"},
    {Bug::truncate_on_match, "truncate-on-match"},
    {Bug::stale_term_append, "stale-term-append"},
    {Bug::commit_regress, "commit-regress"},
    {Bug::ack_before_sync, "ack-before-sync"},
    {Bug::apply_beyond_commit, "apply-beyond-commit"},
    {Bug::heartbeat_commit_uncapped, "heartbeat-commit-uncapped"},
    {Bug::match_from_sent, "match-from-sent"},
    {Bug::match_from_rejection, "match-from-rejection"},
    {Bug::commit_quorum_off_by_one, "commit-quorum-off-by-one"},
    {Bug::read_before_term_commit, "read-before-term-commit"},
    {Bug::read_index_no_round, "read-index-no-round"},
    {Bug::lease_no_drift, "lease-no-drift"},
    {Bug::lease_renewed_on_send, "lease-renewed-on-send"},
    {Bug::read_from_follower, "read-from-follower"},
    {Bug::sessions_not_in_snapshot, "sessions-not-in-snapshot"},
    {Bug::ack_by_index_only, "ack-by-index-only"},
    {Bug::stepdown_fails_writes, "stepdown-fails-writes"},
    {Bug::snapshot_before_apply, "snapshot-before-apply"},
    {Bug::recover_without_snapshot, "recover-without-snapshot"},
};
static_assert(std::size(bug_names) == static_cast<std::size_t>(Bug::count), "every bug has a name");

constexpr bool in_enum_order() {
    for (std::size_t i = 0; i < std::size(bug_names); ++i) {
        if (bug_names[i].first != static_cast<Bug>(i)) return false;
    }
    return true;
}
static_assert(in_enum_order(), "bug_name() indexes the table by the enum");

}  // namespace

std::string_view bug_name(Bug bug) {
    FL_ASSERT_LT(static_cast<std::size_t>(bug), std::size(bug_names));
    return bug_names[static_cast<std::size_t>(bug)].second;
}

std::optional<Bug> bug_named(std::string_view name) {
    for (const auto& [bug, listed] : bug_names) {
        if (listed == name) return bug;
    }
    return std::nullopt;
}

}  // namespace faultline::protocols::raft
