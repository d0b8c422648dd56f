// A failed check explains itself in the run's terms: who answered the ops that
// cannot be ordered, as what role and term, when, and under which faults.
#include <gtest/gtest.h>

#include "runner/run.h"

namespace faultline::runner {
namespace {

TEST(Explain, AStaleReadIsToldAsTheIsolatedLeaderThatAnsweredIt) {
    RunConfig config;
    config.bug = "stale-read";
    config.nemesis = "partition";
    config.system_options["check_quorum"] = false;
    config.search = "random";  // the seed below was found under it
    config.seed = 1;
    auto result = run(config, RunOptions{.keep_node_logs = false});
    ASSERT_TRUE(result.has_value()) << result.error().message;
    const CheckOutcome* linearizability = nullptr;
    for (const CheckOutcome& check : result->checks) {
        if (check.name == "linearizability") linearizability = &check;
    }
    ASSERT_NE(linearizability, nullptr);
    ASSERT_EQ(linearizability->verdict, Verdict::invalid);
    ASSERT_TRUE(linearizability->details.contains("in_the_run")) << linearizability->summary;
    const std::string told = linearizability->details["in_the_run"][0].get<std::string>();
    // "n2 answered read of key 0 = 0 at 5.05s, as the term-1 leader (n3 had led
    // term 2 since 3.39s); faults then: ... partition ..."
    EXPECT_NE(told.find(" answered read of key "), std::string::npos) << told;
    EXPECT_NE(told.find(", as the term-"), std::string::npos) << told;
    EXPECT_NE(told.find(" had led term "), std::string::npos) << told;
    EXPECT_NE(told.find("faults then: "), std::string::npos) << told;
    EXPECT_NE(told.find("partition"), std::string::npos) << told;
    // The history names the server that answered each completion.
    bool named = false;
    for (const check::Operation& op : result->history) {
        if (op.type == check::OpType::ok) named = named || !op.node.empty();
    }
    EXPECT_TRUE(named);
}

}  // namespace
}  // namespace faultline::runner
