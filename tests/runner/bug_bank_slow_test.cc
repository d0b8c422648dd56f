// The bank of raft-kv's deliberate bugs (protocols/raft/bugs.h): each is a name
// that --bug takes, the system lists and docs/raft.md describes, and each
// changes what a run does within a few seeds, so that none is a no-op that
// would count as "never caught" for every search strategy alike. How many
// seeds each takes to be caught is measured (BENCHMARKS.md, "Search power":
// bench/search_power); the bound test below keeps each catch from rotting.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "protocols/raft/bugs.h"
#include "runner/run.h"
#include "runner/sweep.h"
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

// Each bug of the bank with the strategy that caught it first in the search-power
// measurement and its first catching seed there (the default fault mix, with the
// setting a bug needs, SystemDescription::bug_needs): the sweep of that strategy
// must catch it within that many seeds, and correct Raft must pass the catching
// seed. A change that moves a catch later fails here, and BENCHMARKS.md and this
// table are measured again (bench/search_power). Two bugs no strategy caught in
// 500 seeds are listed with the reason.
struct BankCatch {
    const char* bug;
    const char* strategy;  // nullptr: not caught in 500 seeds by any strategy
    std::uint64_t seed;
    const char* why_not;  // for the uncaught
};

const BankCatch bank_catches[] = {
    {"commit-old-term", "default", 50, ""},
    {"forget-vote", "swarm", 18, ""},
    {"stale-read", "default", 10, ""},
    {"no-dedup", "random", 1, ""},
    {"early-ack", "random", 1, ""},
    {"vote-twice", "targeted", 1, ""},
    {"vote-without-log-check", "targeted", 1, ""},
    {"prevote-counts-as-vote", "default", 1, ""},
    {"late-prevote-counts", "default", 1, ""},
    {"vote-quorum-off-by-one", "targeted", 1, ""},
    {"no-timer-reset-on-vote", nullptr, 0, "a voter keeps its deadline: more elections, never an unsafe one"},
    {"term-not-persisted", "random", 1, ""},
    {"vote-not-synced", "fault-points", 2, ""},
    {"vote-with-damaged-log", nullptr, 0,
     "needs a disk fault to lose acknowledged entries, then an election it decides"},
    {"truncate-on-match", "default", 1, ""},
    {"stale-term-append", "random", 2, ""},
    {"commit-regress", "default", 1, ""},
    {"ack-before-sync", "random", 1, ""},
    {"apply-beyond-commit", "default", 1, ""},
    {"heartbeat-commit-uncapped", "random", 1, ""},
    {"match-from-sent", "random", 1, ""},
    {"match-from-rejection", "default", 5, ""},
    {"commit-quorum-off-by-one", "default", 5, ""},
    {"read-before-term-commit", "targeted", 1, ""},
    {"read-index-no-round", "default", 10, ""},
    {"lease-no-drift", "swarm", 313, ""},
    {"lease-renewed-on-send", "default", 136, ""},
    {"read-from-follower", "default", 1, ""},
    {"sessions-not-in-snapshot", "random", 1, ""},
    {"ack-by-index-only", "default", 5, ""},
    {"stepdown-fails-writes", "swarm", 5, ""},
    {"snapshot-before-apply", "random", 1, ""},
    {"recover-without-snapshot", "random", 1, ""},
};

TEST(BugBank, EveryCaughtBugIsCaughtWithinItsRecordedBound) {
    auto raft_kv = system_named("raft-kv");
    ASSERT_TRUE(raft_kv.has_value());
    std::vector<std::string> listed;
    for (const BankCatch& entry : bank_catches) listed.emplace_back(entry.bug);
    EXPECT_EQ(listed, (*raft_kv)->bugs) << "every bug of the bank, in its order";
    int caught = 0;
    for (const BankCatch& entry : bank_catches) {
        SCOPED_TRACE(entry.bug);
        if (entry.strategy == nullptr) {
            EXPECT_STRNE(entry.why_not, "");
            continue;
        }
        RunConfig config;
        config.bug = entry.bug;
        config.search = entry.strategy;
        apply_bug_needs(config);
        std::optional<RunResult> first;
        const SweepResult swept = sweep(config, SweepOptions{1, entry.seed, 2, false}, [&](const RunResult& run) {
            if (run.verdict != Verdict::valid && (!first || run.config.seed < first->config.seed)) first = run;
        });
        ASSERT_FALSE(swept.failures.empty())
            << entry.bug << " not caught by " << entry.strategy << " in " << entry.seed << " seeds";
        ASSERT_TRUE(first.has_value());
        // The catch is the bug's: the same run without it passes.
        RunConfig correct = first->config;
        correct.bug.clear();
        auto passed = run(correct, RunOptions{.keep_node_logs = false});
        ASSERT_TRUE(passed.has_value()) << passed.error().message;
        EXPECT_EQ(passed->verdict, Verdict::valid) << "seed " << correct.seed << " fails without the bug too";
        ++caught;
    }
    // At least 90% of the bank within 500 seeds of one strategy or another.
    EXPECT_GE(caught * 10, static_cast<int>(std::size(bank_catches)) * 9);
}

}  // namespace
}  // namespace faultline::runner
