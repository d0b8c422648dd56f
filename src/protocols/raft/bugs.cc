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
