// Histories the checker once got wrong (tests/data/repro/README.md says how),
// checked in every mode (lin_modes.h): each must get its right verdict in all.
#include <gtest/gtest.h>

#include <string>

#include "lin_modes.h"
#include "lin_test_util.h"
#include "object_histories.h"

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
        EXPECT_EQ(checked->verdict, Verdict::valid) << mode.name;
        EXPECT_FALSE(checked->counterexample) << mode.name;
    }
}

TEST(LinRegression, KvAppendSplitFalsePositiveIsCutIntoSegments) {
    // The default run must still take the path that went wrong: the key's
    // 2,048 ops are searched in pieces, not whole.
    auto checked = testing::check_file(repro("kv-append-split-false-positive.edn"), ModelKind::kv_append, {});
    ASSERT_TRUE(checked) << checked.error().message;
    ASSERT_EQ(checked->result.partitions.size(), 1u);
    EXPECT_EQ(checked->result.partitions[0].operations, 2048u);
    EXPECT_GT(checked->result.partitions[0].segments, 1u);
    EXPECT_EQ(checked->verdict, Verdict::valid);
}

// A whole-map search (--no-split) cut into segments once blamed the failure
// of a later segment on the key whose ops failed from the *last* state the
// earlier segments could end in, and the explanation then asserted that key
// fails alone, which it need not: it aborted the process. Here key "a" ends
// the first segment holding 1 or 2 (two concurrent writes) and the second
// segment starts with a read of 2, which only one of those states explains
// (the search from the other fails there, blaming "a"); key "b" reads a value
// overwritten long before, which none explains.
TEST(LinRegression, NoSplitSegmentFailureIsExplainedByTheKeyThatFailsAlone) {
    for (const auto& [first, second] : {std::pair{1, 2}, std::pair{2, 1}}) {
        History history;
        auto add = [&](int process, OpType type, const char* f, const char* key, Json value) {
            Operation op;
            op.index = static_cast<std::int64_t>(history.size());
            op.process = process;
            op.type = type;
            op.f = f;
            op.key = key;
            op.value = std::move(value);
            history.push_back(std::move(op));
        };
        add(0, OpType::invoke, "write", "a", first);
        add(1, OpType::invoke, "write", "a", second);
        add(0, OpType::ok, "write", "a", first);
        add(1, OpType::ok, "write", "a", second);
        add(0, OpType::invoke, "write", "b", 7);
        add(0, OpType::ok, "write", "b", 7);
        auto write_b = [&](int from, int to) {
            for (int i = from; i < to; ++i) {
                add(0, OpType::invoke, "write", "b", 100 + i);
                add(0, OpType::ok, "write", "b", 100 + i);
            }
        };
        write_b(0, 29);  // the first segment: 32 ops
        add(0, OpType::invoke, "read", "a", nullptr);
        add(0, OpType::ok, "read", "a", 2);
        write_b(29, 40);
        add(0, OpType::invoke, "read", "b", nullptr);
        add(0, OpType::ok, "read", "b", 7);
        LinearizabilityOptions options;
        options.model = ModelKind::kv;
        options.split_by_key = false;
        options.quiescence_min_ops = 1;
        auto result = check_linearizability(history, options);
        ASSERT_TRUE(result) << result.error().message;
        EXPECT_EQ(result->verdict, Verdict::invalid);
        ASSERT_EQ(result->partitions.size(), 1u);
        EXPECT_GT(result->partitions[0].segments, 1u);
        ASSERT_TRUE(result->counterexample);
        EXPECT_EQ(result->counterexample->key, Json("b")) << first;
    }
}

// Enumerating every way a segment can end grows with the product of the
// keys' choices in a whole-map search (--no-split), where a search of the
// whole partition stops at its first linearization. The budget that sends a
// segment back to that search was only looked at between runs, so one run
// could go on until memory ran out: unknown, where a plain search decides in
// milliseconds. A queue of five clients on three keys, cut from the first op.
TEST(LinRegression, SegmentEnumerationOverItsBudgetFallsBackToAWholeSearch) {
    testing::SimOptions sim;
    sim.model = ModelKind::fifo_queue;
    sim.seed = 47521;
    sim.prefix = 60;
    sim.core = 250;
    sim.tail = 600;
    sim.clients = 5;
    sim.keys = 3;
    sim.values = 5;
    sim.fresh_probability = 0.3;
    const History history = testing::simulate_history(sim).history;
    LinearizabilityOptions options;
    options.model = ModelKind::fifo_queue;
    options.split_by_key = false;
    options.quiescence_min_ops = 1;
    options.memory_limit_bytes = std::size_t{256} << 20;
    auto result = check_linearizability(history, options);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->verdict, Verdict::valid) << result->unknown_reason;
    ASSERT_EQ(result->partitions.size(), 1u);
    EXPECT_EQ(result->partitions[0].segments, 1u);  // searched whole in the end
}

}  // namespace
}  // namespace faultline::check
