// The convergence check: replicas that agree on the newest copy pass; a
// replica behind, or a newer copy stranded in a hint, fails.
#include "check/convergence_checker.h"

#include <gtest/gtest.h>

namespace faultline::check {
namespace {

ReplicaCopy at(const char* node, std::uint64_t counter, std::int64_t value, const char* role = "") {
    return ReplicaCopy{node, {counter, 1, counter}, value, role};
}

ReplicaCopy nothing(const char* node) {
    return ReplicaCopy{node, {}, 0, ""};
}

TEST(ConvergenceChecker, ReplicasHoldingTheNewestCopyPass) {
    const std::vector<KeyCopies> keys{{1, {at("n0", 3, 30), at("n1", 3, 30), at("n2", 3, 30)}, {}},
                                      {2, {nothing("n0"), nothing("n3")}, {}}};
    const auto result = check_convergence(keys, seconds(70));
    EXPECT_TRUE(result.valid());
    EXPECT_EQ(result.keys, 2);
    EXPECT_EQ(outcome_of(result).verdict, Verdict::valid);
}

TEST(ConvergenceChecker, AReplicaBehindFails) {
    const std::vector<KeyCopies> keys{{1, {at("n0", 3, 30), at("n1", 2, 20), nothing("n2")}, {}}};
    const auto result = check_convergence(keys, seconds(70));
    ASSERT_FALSE(result.valid());
    EXPECT_EQ(result.diverged, 1);
    const Outcome outcome = outcome_of(result);
    EXPECT_EQ(outcome.verdict, Verdict::invalid);
    EXPECT_EQ(outcome.failed_at, seconds(70));
    EXPECT_NE(outcome.summary.find("n2: nothing"), std::string::npos) << outcome.summary;
}

TEST(ConvergenceChecker, ANewerCopyStrandedInAHintFails) {
    const std::vector<KeyCopies> agree_but_stale{
        {1, {at("n0", 2, 20), at("n1", 2, 20), at("n2", 2, 20)}, {at("n4", 3, 30, "hint for n0")}}};
    const auto result = check_convergence(agree_but_stale, seconds(70));
    ASSERT_FALSE(result.valid());
    EXPECT_NE(result.examples.front().find("hint for n0"), std::string::npos) << result.examples.front();
    // A hint already handed back (older or equal) is no divergence.
    const std::vector<KeyCopies> handed_back{
        {1, {at("n0", 3, 30), at("n1", 3, 30), at("n2", 3, 30)}, {at("n4", 3, 30, "hint for n0")}}};
    EXPECT_TRUE(check_convergence(handed_back, seconds(70)).valid());
}

}  // namespace
}  // namespace faultline::check
