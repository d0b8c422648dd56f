// The membership checks against hand-written timelines: each fails on the
// case it exists for, and passes its honest counterpart.
#include "check/membership_checks.h"

#include <gtest/gtest.h>

namespace faultline::check {
namespace {

MembershipTruth three_members(std::vector<Interval> downs_of_n0) {
    return MembershipTruth{.names = {"n0", "n1", "n2"}, .downs = {std::move(downs_of_n0), {}, {}}, .end = seconds(600)};
}

const Outcome& named(const std::vector<Outcome>& outcomes, const std::string& name) {
    for (const Outcome& outcome : outcomes) {
        if (outcome.name == name) return outcome;
    }
    ADD_FAILURE() << name;
    return outcomes.front();
}

MembershipBounds bounds() {
    return MembershipBounds{.detection_time_max = seconds(20), .dissemination_time_max = seconds(5)};
}

TEST(MembershipChecks, ACrashEveryLiveMemberDeclaresInTimeIsComplete) {
    const std::vector<ViewChange> changes = {{seconds(103), 1, 0, ViewState::suspect, 0},
                                             {seconds(108), 1, 0, ViewState::dead, 0},
                                             {seconds(110), 2, 0, ViewState::dead, 0}};
    const auto outcomes = check_membership(changes, three_members({{seconds(100), seconds(200)}}), bounds());
    EXPECT_EQ(named(outcomes, "completeness").verdict, Verdict::valid) << named(outcomes, "completeness").summary;
    EXPECT_EQ(named(outcomes, "dissemination").verdict, Verdict::valid);
    EXPECT_EQ(named(outcomes, "accuracy").verdict, Verdict::valid);
    EXPECT_EQ(named(outcomes, "completeness").details["detection_ns"].size(), 2u);
}

TEST(MembershipChecks, AMemberThatNeverHearsFailsCompletenessAndSlowNewsFailsDissemination) {
    const std::vector<ViewChange> late = {{seconds(108), 1, 0, ViewState::dead, 0}};
    auto outcomes = check_membership(late, three_members({{seconds(100), seconds(200)}}), bounds());
    EXPECT_EQ(named(outcomes, "completeness").verdict, Verdict::invalid);
    EXPECT_NE(named(outcomes, "completeness").summary.find("n2"), std::string::npos);

    const std::vector<ViewChange> slow = {{seconds(101), 1, 0, ViewState::dead, 0},
                                          {seconds(119), 2, 0, ViewState::dead, 0}};
    outcomes = check_membership(slow, three_members({{seconds(100), seconds(200)}}), bounds());
    EXPECT_EQ(named(outcomes, "completeness").verdict, Verdict::valid);
    EXPECT_EQ(named(outcomes, "dissemination").verdict, Verdict::invalid);
}

TEST(MembershipChecks, AMemberPausedThroughTheDeadlineIsNotExpectedToKnow) {
    const std::vector<ViewChange> changes = {{seconds(108), 1, 0, ViewState::dead, 0}};
    MembershipTruth truth = three_members({{seconds(100), seconds(200)}});
    EXPECT_EQ(named(check_membership(changes, truth, bounds()), "completeness").verdict, Verdict::invalid);
    truth.pauses = {{}, {}, {{seconds(105), seconds(125)}}};  // n2 stopped for most of the window
    EXPECT_EQ(named(check_membership(changes, truth, bounds()), "completeness").verdict, Verdict::valid);
}

TEST(MembershipChecks, AShortCrashNeedsNoDetectionAndARestartForgetsTheView) {
    // n1 restarts at 50 s: its belief that n0 was dead (from before) is gone.
    MembershipTruth truth = three_members({{seconds(100), seconds(105)}});
    truth.downs[1] = {{seconds(40), seconds(50)}};
    const std::vector<ViewChange> changes = {{seconds(30), 1, 0, ViewState::dead, 0}};
    const auto outcomes = check_membership(changes, truth, bounds());
    EXPECT_EQ(named(outcomes, "completeness").verdict, Verdict::valid);
    EXPECT_EQ(named(outcomes, "accuracy").verdict, Verdict::invalid);  // n0 was up at 30 s
}

TEST(MembershipChecks, OneFalseDeathCountsOnceHoweverFarItSpreads) {
    const std::vector<ViewChange> changes = {{seconds(10), 1, 0, ViewState::dead, 2},
                                             {seconds(11), 2, 0, ViewState::dead, 2}};
    const auto outcomes = check_membership(changes, three_members({}), bounds());
    const Outcome& accuracy = named(outcomes, "accuracy");
    EXPECT_EQ(accuracy.verdict, Verdict::invalid);
    EXPECT_EQ(accuracy.details["false_deaths"], 1);
    EXPECT_EQ(accuracy.details["declarations"], 2);
    MembershipBounds lenient = bounds();
    lenient.false_deaths_max = 1;
    EXPECT_EQ(named(check_membership(changes, three_members({}), lenient), "accuracy").verdict, Verdict::valid);
}

TEST(MembershipChecks, SuspicionsAreJudgedOnlyWhenABoundIsGiven) {
    const std::vector<ViewChange> changes = {{seconds(10), 1, 0, ViewState::suspect, 0},
                                             {seconds(12), 1, 0, ViewState::alive, 1}};
    MembershipBounds strict = bounds();
    EXPECT_EQ(named(check_membership(changes, three_members({}), strict), "accuracy").verdict, Verdict::valid);
    strict.suspicions_max = 0;
    EXPECT_EQ(named(check_membership(changes, three_members({}), strict), "accuracy").verdict, Verdict::invalid);
}

}  // namespace
}  // namespace faultline::check
