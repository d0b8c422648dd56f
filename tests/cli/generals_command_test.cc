// `faultline generals two | byzantine` as a user runs it: the verdict is the
// exit code, a counterexample is printed as a timeline, a search a bound cut
// is unknown, and bad options are one-line errors; the generals/ scenarios
// run with `faultline scenario run generals/`.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "support/faultline_process.h"

namespace {

using faultline::testing::Outcome;
using faultline::testing::run_faultline;

bool says(const Outcome& outcome, const std::string& text) {
    return outcome.output.find(text) != std::string::npos;
}

TEST(GeneralsCommand, TwoGeneralsPrintsTheLossPatternThatSplitsThem) {
    const Outcome outcome = run_faultline("generals two --messengers 3");
    EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
    EXPECT_TRUE(says(outcome, "agreement  invalid  A attacks alone")) << outcome.output;
    EXPECT_TRUE(says(outcome, "   3. A -> B           messenger 3: \"messenger 2 reached me\"  LOST\n"))
        << outcome.output;
    EXPECT_TRUE(says(outcome, "validity   valid")) << outcome.output;
    EXPECT_TRUE(says(outcome, "explored: 7 states")) << outcome.output;
}

TEST(GeneralsCommand, NeverAttackingIsValidForAgreementAndInvalidForValidity) {
    const Outcome outcome = run_faultline("generals two --messengers 4 --rule never");
    EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
    EXPECT_TRUE(says(outcome, "agreement  valid")) << outcome.output;
    EXPECT_TRUE(says(outcome, "validity   invalid  with no messenger lost, they do not both attack")) << outcome.output;
}

TEST(GeneralsCommand, OmOneHoldsWithFourGeneralsAndPrintsTheBreakingStrategyWithThree) {
    Outcome outcome = run_faultline("generals byzantine --nodes 4 --traitors 1 --rounds 1");
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_TRUE(says(outcome, "interactive-consistency valid")) << outcome.output;
    EXPECT_TRUE(says(outcome, "explored: 2,229 states")) << outcome.output;

    outcome = run_faultline("generals byzantine --nodes 3 --traitors 1 --rounds 1");
    EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
    EXPECT_TRUE(says(outcome, "traitor L1; the commander orders attack. A shortest run (4 steps):")) << outcome.output;
    EXPECT_TRUE(says(outcome, "L1 -> L2         \"the commander said retreat\"  FORGED")) << outcome.output;
    EXPECT_TRUE(says(outcome, "L2 decides retreat: majority(attack from the commander, retreat from L1) = retreat"))
        << outcome.output;
}

TEST(GeneralsCommand, ASearchCutByABoundIsUnknown) {
    const Outcome outcome = run_faultline("generals two --messengers 6 --max-depth 3");
    EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
    EXPECT_TRUE(says(outcome, "INCOMPLETE (1 states at max-depth)")) << outcome.output;
}

TEST(GeneralsCommand, BadOptionsAreOneLineErrors) {
    const std::pair<const char*, const char*> cases[] = {
        {"generals two --messengers 9", "messengers must be in [1, 8]"},
        {"generals two --messengers 0", "messengers must be in [1, 8]"},
        {"generals two --rule sometimes", "rule must be one of all, never"},
        {"generals byzantine --nodes 8", "nodes must be in [3, 7]"},
        {"generals byzantine --nodes 3 --rounds 2", "--rounds must be at most --nodes - 2"},
        {"generals byzantine --traitors 4", "traitors must be in [0, 3]"},
        {"generals byzantine --max-states 0", "max_states must be in [1, 16777216]"},
        {"generals byzantine --max-memory 1", "max_memory must be in [16, 65536]"},
        {"generals three", "three"},
    };
    for (const auto& [arguments, mentions] : cases) {
        const Outcome outcome = run_faultline(arguments);
        EXPECT_FALSE(outcome.signalled) << arguments;
        EXPECT_EQ(outcome.exit_code, 3) << arguments << ":\n" << outcome.output;
        EXPECT_EQ(outcome.output.rfind("faultline: ", 0), 0u) << arguments << ":\n" << outcome.output;
        EXPECT_EQ(std::count(outcome.output.begin(), outcome.output.end(), '\n'), 1) << arguments << ":\n"
                                                                                     << outcome.output;
        EXPECT_TRUE(says(outcome, mentions)) << arguments << ":\n" << outcome.output;
    }
}

TEST(GeneralsCommand, HelpShowsTheExplorersBounds) {
    const Outcome outcome = run_faultline("generals byzantine --help");
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    for (const char* flag : {"--max-states", "--max-memory", "--max-depth", "--max-in-flight", "--one-order"}) {
        EXPECT_TRUE(says(outcome, flag)) << flag << ":\n" << outcome.output;
    }
    EXPECT_TRUE(says(outcome, "(default 1048576; [1, 16777216])")) << outcome.output;
}

TEST(GeneralsCommand, TheGeneralsScenariosRunAndAreListed) {
    const std::string folder = faultline::testing::fresh_folder("generals-scenarios");
    ASSERT_FALSE(folder.empty());
    const std::string dir = std::string(" --dir ") + FAULTLINE_SOURCE_DIR + "/scenarios";
    Outcome outcome = run_faultline("scenario" + dir + " run generals/", "", folder);
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_TRUE(says(outcome, "5 of 5 scenarios behaved as expected")) << outcome.output;
    EXPECT_TRUE(says(outcome, "counterexample: faultline generals byzantine --nodes 3")) << outcome.output;
    outcome = run_faultline("scenario" + dir + " list", "", folder);
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_TRUE(says(outcome, "generals/om-n4")) << outcome.output;
}

}  // namespace
