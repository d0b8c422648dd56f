// Histories the checker once got wrong (tests/data/repro/README.md says how),
// checked in every mode (lin_modes.h): each must get its right verdict in all.
#include <gtest/gtest.h>

#include <string>

#include "lin_modes.h"
#include "lin_test_util.h"

namespace faultline::check {
namespace {

using models::ModelKind;

std::string repro(const std::string& name) {
    return std::string(FAULTLINE_SOURCE_DIR) + "/tests/data/repro/" + name;
}

TEST(LinRegression, KvAppendSplitFalsePositiveIsLinearizableInEveryMode) {
    // The first segment's end state was merged as "no get can observe it" by
    // the gets of that segment alone; the next segment's get reads it.
    const std::string file = repro("kv-append-split-false-positive.edn");
    for (const auto& mode : testing::every_mode({})) {
        auto checked = testing::check_file(file, ModelKind::kv_append, mode.options);
        ASSERT_TRUE(checked) << checked.error().message;
        EXPECT_EQ(checked->verdict, Verdict::linearizable) << mode.name;
        EXPECT_FALSE(checked->counterexample) << mode.name;
    }
}

TEST(LinRegression, KvAppendSplitFalsePositiveIsCutIntoSegments) {
    // The default run must still take the path that went wrong: the key's
    // 2,048 ops are searched in pieces, not whole.
    auto checked =
        testing::check_file(repro("kv-append-split-false-positive.edn"), ModelKind::kv_append, {});
    ASSERT_TRUE(checked) << checked.error().message;
    ASSERT_EQ(checked->result.partitions.size(), 1u);
    EXPECT_EQ(checked->result.partitions[0].operations, 2048u);
    EXPECT_GT(checked->result.partitions[0].segments, 1u);
    EXPECT_EQ(checked->verdict, Verdict::linearizable);
}

}  // namespace
}  // namespace faultline::check
