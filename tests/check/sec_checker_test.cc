// The strong-eventual-consistency checks on hand-built histories that must
// pass and that must fail: equal updates with unequal values, replicas that
// never converge, and converged replicas whose value is not the type's.
#include "check/sec_checker.h"

#include <gtest/gtest.h>

namespace faultline::check {
namespace {

using V = std::vector<std::uint64_t>;

SecHistory replicas(std::string type, int count = 3) {
    SecHistory h;
    h.type = std::move(type);
    for (int i = 0; i < count; ++i) {
        h.names.push_back("n" + std::to_string(i));
        h.correct.push_back(true);
    }
    return h;
}

void update(SecHistory& h, int origin, std::uint64_t seq, std::string op, std::int64_t arg, V deps) {
    h.updates.push_back(SecUpdate{origin, seq, std::move(op), arg, std::move(deps), seconds(1)});
}
void state(SecHistory& h, int replica, V version, Json value) {
    h.states.push_back(SecState{replica, seconds(2), std::move(version), std::move(value)});
}
void finals(SecHistory& h, V version, Json value) {
    for (int i = 0; i < h.replicas(); ++i) {
        if (h.correct[i]) h.finals.push_back(SecState{i, seconds(9), version, value});
    }
}

// n0 adds 2, n1 adds 3 concurrently; both meet.
SecHistory counter() {
    SecHistory h = replicas("g-counter", 2);
    update(h, 0, 0, "add", 2, {0, 0});
    update(h, 1, 0, "add", 3, {0, 0});
    state(h, 0, {1, 0}, 2);
    state(h, 1, {0, 1}, 3);
    state(h, 0, {1, 1}, 5);
    state(h, 1, {1, 1}, 5);
    finals(h, {1, 1}, 5);
    return h;
}

TEST(SecChecker, ACounterThatSumsItsUpdatesPassesBoth) {
    const SecHistory h = counter();
    EXPECT_EQ(check_strong_convergence(h).verdict, Verdict::valid) << check_strong_convergence(h).summary;
    EXPECT_EQ(check_eventual_convergence(h).verdict, Verdict::valid) << check_eventual_convergence(h).summary;
}

// The naive counter: a resent increment counted twice at n1.
TEST(SecChecker, ADuplicateAppliedTwiceFailsBoth) {
    SecHistory h = counter();
    state(h, 1, {1, 1}, 7);  // n0's add of 2 arrived again
    h.finals = {};
    h.finals.push_back(SecState{0, seconds(9), {1, 1}, 5});
    h.finals.push_back(SecState{1, seconds(9), {1, 1}, 7});
    const Outcome strong = check_strong_convergence(h);
    EXPECT_EQ(strong.verdict, Verdict::invalid);
    EXPECT_NE(strong.summary.find("had applied the same updates (version [1 1]) but held 5 and 7"), std::string::npos)
        << strong.summary;
    const Outcome eventual = check_eventual_convergence(h);
    EXPECT_EQ(eventual.verdict, Verdict::invalid);
    EXPECT_NE(eventual.summary.find("replicas differ at the end"), std::string::npos) << eventual.summary;

    // Even if every replica overcounted alike, the value is not the sum.
    SecHistory alike = counter();
    alike.finals = {};
    finals(alike, {1, 1}, 7);
    const Outcome wrong = check_eventual_convergence(alike);
    EXPECT_EQ(wrong.verdict, Verdict::invalid);
    EXPECT_NE(wrong.summary.find("every replica holds 7, but the 2 updates they applied make 5"), std::string::npos)
        << wrong.summary;
}

TEST(SecChecker, AnUpdateAReplicaNeverAppliedFailsEventualConvergence) {
    SecHistory h = counter();
    h.finals = {};
    finals(h, {1, 0}, 2);  // n1's update never reached anyone (n1 included, which is impossible, but judged)
    const Outcome eventual = check_eventual_convergence(h);
    EXPECT_EQ(eventual.verdict, Verdict::invalid);
    EXPECT_NE(eventual.summary.find("n0 never applied n1's update 0 (add 3"), std::string::npos) << eventual.summary;
    // An update made at a replica that crashed is not owed.
    h.correct[1] = false;
    h.finals = {};
    finals(h, {1, 0}, 2);
    EXPECT_EQ(check_eventual_convergence(h).verdict, Verdict::valid) << check_eventual_convergence(h).summary;
}

// n0 adds 7; n1, having seen it, removes 7 while n2 adds 7 again
// concurrently. Add-wins: 7 stays (n2's add was seen by no remove).
SecHistory or_set(Json final_value) {
    SecHistory h = replicas("or-set");
    update(h, 0, 0, "add", 7, {0, 0, 0});
    update(h, 1, 0, "remove", 7, {1, 0, 0});
    update(h, 2, 0, "add", 7, {1, 0, 0});
    state(h, 0, {1, 0, 0}, Json::array({7}));
    state(h, 1, {1, 1, 0}, Json::array());
    finals(h, {1, 1, 1}, std::move(final_value));
    return h;
}

TEST(SecChecker, OrSetIsAddWins) {
    EXPECT_EQ(sec_expected(or_set({}), {1, 1, 1}), std::vector<Json>{Json::array({7})});
    EXPECT_EQ(sec_expected(or_set({}), {1, 1, 0}), std::vector<Json>{Json::array()});
    const SecHistory add_wins = or_set(Json::array({7}));
    EXPECT_EQ(check_eventual_convergence(add_wins).verdict, Verdict::valid)
        << check_eventual_convergence(add_wins).summary;
    // A remove that won over the concurrent add: converged, but wrong.
    const SecHistory remove_wins = or_set(Json::array());
    const Outcome outcome = check_eventual_convergence(remove_wins);
    EXPECT_EQ(outcome.verdict, Verdict::invalid);
    EXPECT_NE(outcome.summary.find("make [7]"), std::string::npos) << outcome.summary;
}

TEST(SecChecker, OrderDependentRemovesFailStrongConvergence) {
    SecHistory h = or_set(Json::array({7}));
    // n0 applied the same three updates as n2 but lost the element (a
    // remove that deleted n2's concurrent add, delivered before it).
    state(h, 2, {1, 1, 1}, Json::array({7}));
    state(h, 0, {1, 1, 1}, Json::array());
    const Outcome outcome = check_strong_convergence(h);
    EXPECT_EQ(outcome.verdict, Verdict::invalid);
    EXPECT_EQ(outcome.failed_at, seconds(2));
}

TEST(SecChecker, LwwRegisterTakesAWriteNoOtherFollows) {
    SecHistory h = replicas("lww-register", 2);
    update(h, 0, 0, "write", 10, {0, 0});
    update(h, 1, 0, "write", 20, {1, 0});  // saw 10: must win over it
    update(h, 0, 1, "write", 30, {1, 0});  // concurrent with 20
    EXPECT_EQ(sec_expected(h, {2, 1}), (std::vector<Json>{20, 30}));
    EXPECT_EQ(sec_expected(h, {1, 1}), (std::vector<Json>{20}));
    EXPECT_EQ(sec_expected(h, {0, 0}), (std::vector<Json>{Json()}));
    finals(h, {2, 1}, 30);
    EXPECT_EQ(check_eventual_convergence(h).verdict, Verdict::valid);
    h.finals = {};
    finals(h, {2, 1}, 10);  // the overwritten write came back
    EXPECT_EQ(check_eventual_convergence(h).verdict, Verdict::invalid);
}

TEST(SecChecker, PnCounterSumsNegativeDeltas) {
    SecHistory h = replicas("pn-counter", 2);
    update(h, 0, 0, "add", 5, {0, 0});
    update(h, 1, 0, "add", -8, {0, 0});
    EXPECT_EQ(sec_expected(h, {1, 1}), std::vector<Json>{-3});
    finals(h, {1, 1}, -3);
    EXPECT_EQ(check_eventual_convergence(h).verdict, Verdict::valid);
}

}  // namespace
}  // namespace faultline::check
