// The checker's options and machinery: splitting by key, cutting at quiescent
// points, pre-checks, threads and early exit change how the answer is found,
// never the answer; budgets give `unknown` (lin_budget_test.cc: always the
// same one); results serialize.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "check/linearizability/generate.h"
#include "lin_test_util.h"

namespace faultline::check {
namespace {

using models::ModelKind;
using testing::check_file;
using testing::lin_data;

Verdict check_with(const History& history, LinearizabilityOptions options) {
    auto result = check_linearizability(history, options);
    EXPECT_TRUE(result) << (result ? "" : result.error().message);
    return result ? result->verdict : Verdict::unknown;
}

TEST(LinSearch, StrategiesAgreeOnGeneratedHistories) {
    // Good and corrupted histories, checked with every combination of strategy.
    int bad = 0;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        lin::GenerateOptions generate;
        generate.seed = seed;
        generate.operations = 150;
        generate.clients = 2 + static_cast<int>(seed % 5);
        generate.keys = 1 + static_cast<int>(seed % 3);
        generate.info_probability = 0.1;
        generate.values = 3;
        History history = lin::generate_kv_history(generate);
        if (seed % 2 == 0 && lin::corrupt_one_read(history, lin::Corruption::never_written, seed)) ++bad;
        std::optional<Verdict> expected;
        for (int variant = 0; variant < 8; ++variant) {
            LinearizabilityOptions options;
            options.model = ModelKind::kv;
            options.semantics.order_by_time = true;
            options.split_by_key = variant & 1;
            options.split_at_quiescence = variant & 2;
            options.quiescence_min_ops = 0;  // cut wherever possible
            options.prechecks = variant & 4;
            const Verdict verdict = check_with(history, options);
            ASSERT_NE(verdict, Verdict::unknown) << "seed " << seed << " variant " << variant;
            if (!expected) expected = verdict;
            EXPECT_EQ(verdict, *expected) << "seed " << seed << " variant " << variant;
        }
        EXPECT_EQ(*expected, seed % 2 == 0 ? Verdict::invalid : Verdict::valid) << "seed " << seed;
    }
    EXPECT_EQ(bad, 20);
}

TEST(LinSearch, QuiescentCutsAreUsedAndAgree) {
    // One client: every gap between operations is a quiescent point.
    for (double info : {0.0, 0.1}) {
        lin::GenerateOptions generate;
        generate.seed = 3;
        generate.operations = 400;
        generate.clients = 1;
        generate.info_probability = info;
        History history = lin::generate_kv_history(generate);
        for (bool corrupt : {false, true}) {
            if (corrupt) {
                ASSERT_TRUE(lin::corrupt_one_read(history, lin::Corruption::never_written, 1));
            }
            LinearizabilityOptions options;
            options.model = ModelKind::cas_register;
            options.semantics.order_by_time = true;
            options.quiescence_min_ops = 0;
            options.prechecks = false;
            auto cut = check_linearizability(history, options);
            options.split_at_quiescence = false;
            auto whole = check_linearizability(history, options);
            ASSERT_TRUE(cut && whole);
            EXPECT_EQ(cut->verdict, corrupt ? Verdict::invalid : Verdict::valid);
            EXPECT_EQ(cut->verdict, whole->verdict);
            ASSERT_EQ(cut->partitions.size(), 1u);
            // Without ops of unknown outcome nothing is carried across a cut, and
            // the history is searched in many pieces.
            if (info == 0.0) {
                EXPECT_GT(cut->partitions[0].segments, 10u);
            }
            if (corrupt) {
                ASSERT_TRUE(cut->counterexample && whole->counterexample);
                EXPECT_EQ(cut->counterexample->ops[*cut->counterexample->op].index,
                          whole->counterexample->ops[*whole->counterexample->op].index);
                EXPECT_EQ(cut->counterexample->linearized_prefix, whole->counterexample->linearized_prefix);
            }
        }
    }
}

TEST(LinSearch, MemoryBudgetGivesUnknown) {
    LinearizabilityOptions options;
    options.split_by_key = false;
    options.memory_limit_bytes = 1 << 20;
    auto checked = check_file(lin_data("porcupine/kv/c50-ok.txt"), ModelKind::kv_append, options);
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_EQ(checked->verdict, Verdict::unknown);
    EXPECT_EQ(checked->result.unknown_reason, "memory limit reached");
    EXPECT_FALSE(checked->counterexample);
}

TEST(LinSearch, WorkBudgetGivesUnknown) {
    LinearizabilityOptions options;
    options.split_by_key = false;
    options.configs_max = 1;  // gone at the second configuration
    auto checked = check_file(lin_data("porcupine/kv/c50-ok.txt"), ModelKind::kv_append, options);
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_EQ(checked->verdict, Verdict::unknown);
    EXPECT_EQ(checked->result.unknown_reason, "configuration budget reached");
    EXPECT_EQ(checked->result.configs, 2u);
}

// Two keys of one lin-kv history. Key 1 is hard: kHardWriters concurrent
// writes of distinct values, then sequential reads of 1 and of 2. No order
// works (the register cannot change between the reads, every write having
// completed), but the pre-checks do not see it, and the search must try the
// orders of the writes one subset at a time: its cache grows as
// 2^kHardWriters. Key 2 is trivially wrong: a write of 5, then a read of 7,
// a value nothing wrote.
constexpr int kHardWriters = 16;

History unknown_next_to_invalid() {
    History history;
    auto add = [&](std::int64_t process, OpType type, const char* f, int key, Json value) {
        testing::append_op(history, process, type, f, key, std::move(value));
    };
    for (int p = 0; p < kHardWriters; ++p) add(p, OpType::invoke, "write", 1, p + 1);
    for (int p = 0; p < kHardWriters; ++p) add(p, OpType::ok, "write", 1, p + 1);
    const std::int64_t reader = kHardWriters;
    for (int value : {1, 2}) {
        add(reader, OpType::invoke, "read", 1, nullptr);
        add(reader, OpType::ok, "read", 1, value);
    }
    const std::int64_t other = kHardWriters + 1;
    add(other, OpType::invoke, "write", 2, 5);
    add(other, OpType::ok, "write", 2, 5);
    add(other, OpType::invoke, "read", 2, nullptr);
    add(other, OpType::ok, "read", 2, 7);
    return history;
}

TEST(LinSearch, UnknownKeyDoesNotHideAnInvalidOne) {
    LinearizabilityOptions options;
    options.model = ModelKind::kv;
    options.semantics.order_by_time = true;
    options.memory_limit_bytes = 64 << 10;  // per search; key 1 needs far more
    auto checked = check_linearizability(unknown_next_to_invalid(), options);
    ASSERT_TRUE(checked) << checked.error().message;
    ASSERT_EQ(checked->partitions.size(), 2u);

    // Key 1 cannot be decided within the budget, and says so: not linearizable
    // would be a guess, linearizable would be wrong.
    const PartitionResult& hard = checked->partitions[0];
    EXPECT_EQ(hard.key, 1);
    EXPECT_EQ(hard.verdict, Verdict::unknown);
    EXPECT_EQ(hard.unknown_reason, "memory limit reached");
    EXPECT_FALSE(hard.decided_by_precheck);

    // Key 2 is decided all the same, before any search.
    const PartitionResult& wrong = checked->partitions[1];
    EXPECT_EQ(wrong.key, 2);
    EXPECT_EQ(wrong.verdict, Verdict::invalid);
    EXPECT_TRUE(wrong.decided_by_precheck);

    // Not linearizable beats unknown (checker.h): a definite anomaly is a
    // definite answer, and the counterexample is key 2's.
    EXPECT_EQ(checked->verdict, Verdict::invalid);
    ASSERT_TRUE(checked->counterexample);
    EXPECT_EQ(checked->counterexample->key, 2);
}

TEST(LinSearch, ThreadsAndEarlyExitKeepTheFirstFailingKey) {
    LinearizabilityOptions one;
    auto reference = check_file(lin_data("porcupine/kv/c50-bad.txt"), ModelKind::kv_append, one);
    ASSERT_TRUE(reference);
    ASSERT_TRUE(reference->counterexample);
    for (int threads : {1, 2, 4}) {
        for (bool stop : {false, true}) {
            LinearizabilityOptions options;
            options.threads = threads;
            options.stop_at_first_invalid = stop;
            auto checked = check_file(lin_data("porcupine/kv/c50-bad.txt"), ModelKind::kv_append, options);
            ASSERT_TRUE(checked);
            EXPECT_EQ(checked->verdict, Verdict::invalid);
            ASSERT_TRUE(checked->counterexample);
            EXPECT_EQ(checked->counterexample->key, reference->counterexample->key);
            EXPECT_EQ(checked->counterexample->to_json(), reference->counterexample->to_json());
            if (!stop) {
                EXPECT_EQ(checked->result.partitions.size(), 10u);
            }
        }
    }
}

TEST(LinSearch, ResultJsonCarriesVerdictPartitionsAndCounterexample) {
    auto checked = check_file(lin_data("knossos/cas-register/bad/cas-failure.edn"), ModelKind::cas_register);
    ASSERT_TRUE(checked);
    const Json json = linearizability_result_to_json(checked->result);
    EXPECT_EQ(json["valid"], false);
    EXPECT_EQ(json["verdict"], "not linearizable");
    EXPECT_EQ(json["partitions"].size(), 1u);
    const Json& cx = json["counterexample"];
    for (const char* field : {"key", "completed_ops", "linearized_prefix", "op", "previous_ok", "window",
                              "prefix_states", "final_paths", "linearization", "ops", "truncated"}) {
        EXPECT_TRUE(cx.contains(field)) << field;
    }
    // Every op reference points into "ops".
    const std::size_t ops = cx["ops"].size();
    EXPECT_LT(cx["op"].get<std::size_t>(), ops);
    for (const Json& path : cx["final_paths"]) {
        for (const Json& step : path) {
            if (!step["op"].is_null()) {
                EXPECT_LT(step["op"].get<std::size_t>(), ops);
            }
        }
    }
    for (const Json& step : cx["linearization"]["steps"]) EXPECT_LT(step["op"].get<std::size_t>(), ops);
    // The text names the op and the reason.
    const std::string text = checked->counterexample->to_text();
    EXPECT_NE(text.find("cannot linearize #491 process 70 read 0"), std::string::npos) << text;
    EXPECT_NE(text.find("can't read 0 from register 2"), std::string::npos) << text;
}

TEST(LinSearch, EmptyAndTrivialHistories) {
    History empty;
    LinearizabilityOptions options;
    EXPECT_EQ(check_with(empty, options), Verdict::valid);
    History pending;
    Operation op;
    op.f = "write";
    op.value = 1;
    pending.push_back(op);  // never completes
    EXPECT_EQ(check_with(pending, options), Verdict::valid);
}

TEST(LinSearch, UnknownModelNameAndBadInitialValue) {
    EXPECT_FALSE(models::parse_model_kind("registr"));
    EXPECT_EQ(*models::parse_model_kind("queue"), ModelKind::fifo_queue);
    LinearizabilityOptions options;
    options.model = ModelKind::counter;
    options.initial = "ten";
    History empty;
    auto result = check_linearizability(empty, options);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message, "model counter needs an integer within +-2^62 as its initial value");
}

// ---- the window: the smallest set of concurrent ops that cannot be ordered

namespace window {

// The sub-history of exactly the window's ops (an op completing after the
// window's failing op loses its completion: its outcome becomes unknown), minus
// the op at `skip` if any, checked from `initial`.
Verdict check_window(const History& history, const Counterexample& cx, std::optional<std::size_t> skip,
                     const Json& initial, ModelKind model) {
    const std::int64_t horizon = cx.ops[cx.window_op.value()].index;
    std::set<std::int64_t> invokes, completions;
    for (std::size_t k = 0; k < cx.window.size(); ++k) {
        if (skip && *skip == k) continue;
        const CounterexampleOp& op = cx.ops[cx.window[k]];
        invokes.insert(op.invoke_index);
        if (op.completed && op.index <= horizon) completions.insert(op.index);
    }
    History sub;
    for (const Operation& op : history) {
        if (invokes.count(op.index) || completions.count(op.index)) sub.push_back(op);
    }
    LinearizabilityOptions options;
    options.model = model;
    options.initial = initial;
    auto result = check_linearizability(sub, options);
    EXPECT_TRUE(result) << result.error().message;
    return result ? result->verdict : Verdict::unknown;
}

TEST(LinWindow, HandMadeSetCannotBeOrderedAndEveryMemberIsNeeded) {
    // Two CASes from 0 that both succeeded cannot both be ordered; the read of
    // 0 and the crashed write of 7 concurrent with them play no part.
    const std::string text = R"([
        {:process 3, :type :invoke, :f :read, :value nil}
        {:process 1, :type :invoke, :f :cas, :value [0 1]}
        {:process 4, :type :invoke, :f :write, :value 7}
        {:process 2, :type :invoke, :f :cas, :value [0 2]}
        {:process 1, :type :ok, :f :cas, :value [0 1]}
        {:process 2, :type :ok, :f :cas, :value [0 2]}
        {:process 3, :type :ok, :f :read, :value 0}
    ])";
    auto parsed = formats::parse_history(text, "inline");
    ASSERT_TRUE(parsed);
    LinearizabilityOptions options;
    options.model = ModelKind::cas_register;
    options.semantics = parsed->semantics;
    options.initial = 0;
    auto result = check_linearizability(parsed->history, options);
    ASSERT_TRUE(result);
    ASSERT_EQ(result->verdict, Verdict::invalid);
    ASSERT_TRUE(result->counterexample);
    const Counterexample& cx = *result->counterexample;
    ASSERT_TRUE(cx.window_op);
    EXPECT_EQ(cx.window_op, cx.op);
    EXPECT_TRUE(cx.window_minimal);
    EXPECT_EQ(cx.window_start_state, "0");
    ASSERT_EQ(cx.window.size(), 2u);
    std::set<std::string> members;
    for (std::size_t slot : cx.window) members.insert(cx.ops[slot].description);
    EXPECT_EQ(members, (std::set<std::string>{"cas 0->1", "cas 0->2"}));
    EXPECT_EQ(check_window(parsed->history, cx, std::nullopt, 0, ModelKind::cas_register), Verdict::invalid);
    for (std::size_t k = 0; k < cx.window.size(); ++k) {
        EXPECT_EQ(check_window(parsed->history, cx, k, 0, ModelKind::cas_register), Verdict::valid)
            << cx.ops[cx.window[k]].description;
    }
    // Every order of the window ends in an illegal step, and the words list it.
    ASSERT_FALSE(cx.window_paths.empty());
    for (const auto& path : cx.window_paths) EXPECT_FALSE(path.back().error.empty());
    const Json json = cx.to_json();
    EXPECT_EQ(json["window"].size(), 2u);
    EXPECT_EQ(json["window_minimal"], true);
    EXPECT_NE(cx.to_text().find("smallest set of concurrent ops that cannot be ordered"), std::string::npos);
}

TEST(LinWindow, EveryKeyOfC50BadHasAMinimalWindowAboutItsFailingOp) {
    auto parsed = formats::read_history_file(lin_data("porcupine/kv/c50-bad.txt"));
    ASSERT_TRUE(parsed);
    std::set<std::string> keys;
    for (const Operation& op : parsed->history) keys.insert(op.key.get<std::string>());
    ASSERT_EQ(keys.size(), 10u);
    for (const std::string& key : keys) {
        History one;
        for (const Operation& op : parsed->history) {
            if (op.key == key) one.push_back(op);
        }
        LinearizabilityOptions options;
        options.model = ModelKind::kv_append;
        options.semantics = parsed->semantics;
        auto result = check_linearizability(one, options);
        ASSERT_TRUE(result);
        ASSERT_EQ(result->verdict, Verdict::invalid) << key;
        ASSERT_TRUE(result->counterexample) << key;
        const Counterexample& cx = *result->counterexample;
        ASSERT_TRUE(cx.window_op) << key;
        EXPECT_TRUE(cx.window_minimal) << key;
        EXPECT_NE(std::find(cx.window.begin(), cx.window.end(), *cx.window_op), cx.window.end()) << key;
        // From the window's start state every real-time order of the window
        // fails, and each path is made of window ops only.
        ASSERT_FALSE(cx.window_paths.empty()) << key;
        for (const auto& path : cx.window_paths) {
            EXPECT_FALSE(path.back().error.empty()) << key;
            EXPECT_EQ(path.front().state, cx.window_start_state) << key;
            for (std::size_t k = 1; k < path.size(); ++k) {
                EXPECT_NE(std::find(cx.window.begin(), cx.window.end(), path[k].op.value()), cx.window.end()) << key;
            }
        }
    }
}

}  // namespace window

}  // namespace
}  // namespace faultline::check
