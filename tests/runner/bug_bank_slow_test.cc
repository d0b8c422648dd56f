// The bank of raft-kv's deliberate bugs (protocols/raft/bugs.h): each is a name
// that --bug takes, the system lists and docs/raft.md describes, and each
// changes what a run does within a few seeds, so that none is a no-op that
// would count as "never caught" for every search strategy alike. How many
// seeds each takes to be caught is a measurement, not a test.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "protocols/raft/bugs.h"
#include "runner/run.h"
#include "runner/system.h"

namespace faultline::runner {
namespace {

using protocols::raft::Bug;
using protocols::raft::bug_name;
using protocols::raft::bug_named;

constexpr std::uint64_t seeds_max = 10;

std::vector<Bug> every_bug() {
    std::vector<Bug> bugs;
    for (unsigned i = 0; i < static_cast<unsigned>(Bug::count); ++i) bugs.push_back(static_cast<Bug>(i));
    return bugs;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Where a bug shows. Most show under the default fault mix; a few need the
// path they live on switched on, or the fault that reaches it made frequent.
RunConfig config_for(Bug bug) {
    RunConfig config;
    switch (bug) {
        case Bug::lease_no_drift:
        case Bug::lease_renewed_on_send:
            config.system_options["lease_reads"] = true;  // off by default
            break;
        case Bug::forget_vote:
            // A lost vote matters only when its node restarts during an election.
            config.system_options["pre_vote"] = false;
            config.nemesis = "kill";
            config.fault_interval = milliseconds(500);
            config.fault_duration = milliseconds(300);
            config.latency = "exponential:20ms,1ms";
            break;
        case Bug::recover_without_snapshot:
            // A restart after the first snapshot (2000 entries).
            config.rate = 300;
            config.nemesis = "kill";
            config.fault_interval = seconds(1);
            config.fault_duration = milliseconds(500);
            break;
        default:
            break;
    }
    return config;
}

TEST(BugBank, EveryBugIsANameTheSystemListsAndTheDocsDescribe) {
    auto raft_kv = system_named("raft-kv");
    ASSERT_TRUE(raft_kv.has_value());
    const std::vector<std::string>& listed = (*raft_kv)->bugs;
    const std::string docs = read_file(std::string(FAULTLINE_SOURCE_DIR) + "/docs/raft.md");
    ASSERT_FALSE(docs.empty());
    EXPECT_GE(every_bug().size(), 30u);
    EXPECT_EQ(listed.size(), every_bug().size());
    for (Bug bug : every_bug()) {
        const std::string name(bug_name(bug));
        SCOPED_TRACE(name);
        EXPECT_EQ(bug_named(name), bug);
        EXPECT_NE(std::find(listed.begin(), listed.end(), name), listed.end()) << "raft-kv does not list it";
        EXPECT_NE(docs.find("`" + name + "`"), std::string::npos) << "docs/raft.md does not describe it";
        RunConfig config = config_for(bug);
        config.bug = name;
        ASSERT_TRUE(config.validate().has_value());
        auto system = make_system(config);
        EXPECT_TRUE(system.has_value()) << system.error().message;
    }
    RunConfig unknown;
    unknown.bug = "no-such-bug";
    EXPECT_FALSE(make_system(unknown).has_value());
}

TEST(BugBank, EveryBugChangesWhatARunDoes) {
    // Correct Raft's trace hash per (fault mix, seed), computed once.
    std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> correct;
    for (Bug bug : every_bug()) {
        const std::string name(bug_name(bug));
        SCOPED_TRACE(name);
        RunConfig config = config_for(bug);
        const std::string mix = config.to_json().dump();
        std::optional<std::uint64_t> differs_at;
        for (std::uint64_t seed = 1; seed <= seeds_max && !differs_at; ++seed) {
            config.seed = seed;
            config.bug.clear();
            auto [found, fresh] = correct.emplace(std::make_pair(mix, seed), 0);
            if (fresh) {
                auto result = run(config, RunOptions{.keep_node_logs = false});
                ASSERT_TRUE(result.has_value()) << result.error().message;
                ASSERT_EQ(result->verdict, Verdict::valid) << "correct Raft failed at seed " << seed;
                found->second = result->trace_hash;
            }
            config.bug = name;
            auto broken = run(config, RunOptions{.keep_node_logs = false});
            ASSERT_TRUE(broken.has_value()) << broken.error().message;
            if (broken->trace_hash != found->second) differs_at = seed;
        }
        EXPECT_TRUE(differs_at.has_value()) << name << " ran exactly as correct Raft for seeds 1.." << seeds_max;
    }
}

const CheckOutcome* find_check(const RunResult& result, const std::string& name) {
    auto found = std::find_if(result.checks.begin(), result.checks.end(),
                              [&](const CheckOutcome& check) { return check.name == name; });
    return found == result.checks.end() ? nullptr : &*found;
}

// The invariants the bank added hold for correct Raft on a run where each
// catches a bug: a node applies only committed entries (applied-within-commit),
// and replicas at the same applied index hold the same state, which a snapshot
// without the client sessions breaks (replica-state-agreement). Seed 1 of the
// default mix installs a snapshot on a follower.
TEST(BugBank, TheNewInvariantsHoldForCorrectRaftAndCatchTheirBugs) {
    RunConfig config;
    config.seed = 1;
    config.search = "random";  // the fault mix seed 1 was found under
    auto correct = run(config, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(correct.has_value());
    const CheckOutcome* held = find_check(*correct, "raft-invariants");
    ASSERT_NE(held, nullptr);
    EXPECT_EQ(held->verdict, Verdict::valid) << held->summary;
    EXPECT_EQ(correct->verdict, Verdict::valid);

    for (const auto& [bug, invariant] : {std::pair{"apply-beyond-commit", "applied-within-commit"},
                                         std::pair{"sessions-not-in-snapshot", "replica-state-agreement"}}) {
        SCOPED_TRACE(bug);
        config.bug = bug;
        auto broken = run(config, RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(broken.has_value());
        const CheckOutcome* caught = find_check(*broken, invariant);
        ASSERT_NE(caught, nullptr) << "the run was not caught by " << invariant;
        EXPECT_EQ(caught->verdict, Verdict::invalid);
        EXPECT_EQ(broken->verdict, Verdict::invalid);
    }
}

}  // namespace
}  // namespace faultline::runner
