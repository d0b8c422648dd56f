// Every history in tests/data/lin-data gives the verdict its README expects, and
// the Knossos counterexamples match Knossos' own tests (wgl_test.clj).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "lin_test_util.h"

namespace faultline::check {
namespace {

using models::ModelKind;
using testing::check_file;
using testing::lin_data;

std::vector<std::string> files_in(const std::string& dir, const std::string& extension) {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(lin_data(dir))) {
        if (entry.path().extension() == extension) files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    return files;
}

LinearizabilityOptions knossos_options(Json initial = 0) {
    LinearizabilityOptions options;
    options.initial = std::move(initial);
    return options;
}

TEST(LinData, KnossosGoodCasRegisterHistoriesAreLinearizable) {
    const auto files = files_in("knossos/cas-register/good", ".edn");
    ASSERT_EQ(files.size(), 113u);
    for (const std::string& file : files) {
        auto checked = check_file(file, ModelKind::cas_register, knossos_options());
        ASSERT_TRUE(checked) << checked.error().message;
        EXPECT_EQ(checked->verdict, Verdict::valid) << file;
    }
}

TEST(LinData, KnossosBadCasRegisterHistoriesAreNotLinearizable) {
    const auto files = files_in("knossos/cas-register/bad", ".edn");
    ASSERT_EQ(files.size(), 7u);
    for (const std::string& file : files) {
        auto checked = check_file(file, ModelKind::cas_register, knossos_options());
        ASSERT_TRUE(checked) << checked.error().message;
        EXPECT_EQ(checked->verdict, Verdict::invalid) << file;
        ASSERT_TRUE(checked->counterexample) << file;
    }
}

TEST(LinData, KnossosBadHistoriesStayInvalidWithNilInitialValue) {
    for (const char* name : {"rethink-fail-minimal", "rethink-fail-smaller", "cas-failure"}) {
        auto checked = check_file(lin_data(std::string("knossos/cas-register/bad/") + name + ".edn"),
                                  ModelKind::cas_register, knossos_options(nullptr));
        ASSERT_TRUE(checked) << checked.error().message;
        EXPECT_EQ(checked->verdict, Verdict::invalid) << name;
    }
}

TEST(LinData, KnossosMultiRegisterIsLinearizable) {
    auto checked = check_file(lin_data("knossos/multi-register/good/multi-register.edn"), ModelKind::multi_register,
                              knossos_options(Json{{"x", 0}, {"y", 0}}));
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_EQ(checked->verdict, Verdict::valid);
}

TEST(LinData, KnossosEtcdMutexIsNotLinearizable) {
    auto checked = check_file(lin_data("knossos/mutex/bad/etcd.edn"), ModelKind::mutex);
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_EQ(checked->verdict, Verdict::invalid);
}

struct PorcupineCase {
    const char* file;
    Verdict expected;
    std::size_t keys;
};

TEST(LinData, PorcupineKvSplitByKey) {
    for (const PorcupineCase& c :
         {PorcupineCase{"c01-ok", Verdict::valid, 10}, PorcupineCase{"c01-bad", Verdict::invalid, 8},
          PorcupineCase{"c10-ok", Verdict::valid, 10}, PorcupineCase{"c10-bad", Verdict::invalid, 10},
          PorcupineCase{"c50-ok", Verdict::valid, 10}, PorcupineCase{"c50-bad", Verdict::invalid, 10}}) {
        auto checked = check_file(lin_data(std::string("porcupine/kv/") + c.file + ".txt"), ModelKind::kv_append);
        ASSERT_TRUE(checked) << checked.error().message;
        EXPECT_EQ(checked->verdict, c.expected) << c.file;
        EXPECT_EQ(checked->result.partitions.size(), c.keys) << c.file;
    }
}

TEST(LinData, PorcupineKvNotSplit) {
    LinearizabilityOptions options;
    options.split_by_key = false;
    for (const PorcupineCase& c :
         {PorcupineCase{"c01-ok", Verdict::valid, 1}, PorcupineCase{"c01-bad", Verdict::invalid, 1},
          PorcupineCase{"c10-ok", Verdict::valid, 1}, PorcupineCase{"c10-bad", Verdict::invalid, 1},
          PorcupineCase{"c50-ok", Verdict::valid, 1}, PorcupineCase{"c50-bad", Verdict::invalid, 1}}) {
        auto checked =
            check_file(lin_data(std::string("porcupine/kv/") + c.file + ".txt"), ModelKind::kv_append, options);
        ASSERT_TRUE(checked) << checked.error().message;
        EXPECT_EQ(checked->verdict, c.expected) << c.file;
        EXPECT_EQ(checked->result.partitions.size(), c.keys);
        if (c.expected == Verdict::invalid) {
            // The whole-map search names a key that fails on its own.
            ASSERT_TRUE(checked->counterexample) << c.file;
            EXPECT_TRUE(checked->counterexample->key.is_string()) << c.file;
        }
    }
}

TEST(LinData, EveryKeyOfC50BadIsDecidedAlone) {
    // Porcupine leaves keys 0 and 9 undecided after 15 s each; every key must
    // get a verdict, and the README's 8 + 2 keys are all invalid.
    auto checked = check_file(lin_data("porcupine/kv/c50-bad.txt"), ModelKind::kv_append);
    ASSERT_TRUE(checked) << checked.error().message;
    ASSERT_EQ(checked->result.partitions.size(), 10u);
    for (const PartitionResult& part : checked->result.partitions) {
        EXPECT_EQ(part.verdict, Verdict::invalid) << part.key;
    }
}

// ---- Knossos counterexample expectations (lin-data README)

const CounterexampleOp& op_of(const Counterexample& cx) {
    return cx.ops[cx.op.value()];
}

TEST(LinDataCounterexample, BadAnalysis) {
    auto checked =
        check_file(lin_data("knossos/cas-register/bad/bad-analysis.edn"), ModelKind::cas_register, knossos_options());
    ASSERT_TRUE(checked);
    ASSERT_TRUE(checked->counterexample);
    const Counterexample& cx = *checked->counterexample;
    EXPECT_EQ(op_of(cx).process, 21);
    EXPECT_EQ(op_of(cx).type, OpType::ok);
    EXPECT_EQ(op_of(cx).f, "read");
    EXPECT_EQ(op_of(cx).value, 2);
    EXPECT_EQ(op_of(cx).index, 14);
    ASSERT_TRUE(cx.previous_ok);
    const CounterexampleOp& previous = cx.ops[*cx.previous_ok];
    EXPECT_EQ(previous.process, 19);
    EXPECT_EQ(previous.f, "read");
    EXPECT_EQ(previous.value, 0);
    EXPECT_EQ(previous.index, 11);
}

TEST(LinDataCounterexample, CasFailureHasKnossosOpsAndExactlyTwoFinalPaths) {
    auto checked =
        check_file(lin_data("knossos/cas-register/bad/cas-failure.edn"), ModelKind::cas_register, knossos_options());
    ASSERT_TRUE(checked);
    ASSERT_TRUE(checked->counterexample);
    const Counterexample& cx = *checked->counterexample;
    EXPECT_EQ(op_of(cx).process, 70);
    EXPECT_EQ(op_of(cx).f, "read");
    EXPECT_EQ(op_of(cx).value, 0);
    EXPECT_EQ(op_of(cx).index, 491);
    ASSERT_TRUE(cx.previous_ok);
    EXPECT_EQ(cx.ops[*cx.previous_ok].process, 74);
    EXPECT_EQ(cx.ops[*cx.previous_ok].value, 0);
    EXPECT_EQ(cx.ops[*cx.previous_ok].index, 478);
    // Knossos: #{[write 2 (p76, #472) -> 2, "can't CAS 2 from 1 to 1" (p77 cas [1 1], #482)]
    //            [write 2 (p76, #472) -> 2, "can't read 0 from register 2" (p70, #491)]}
    ASSERT_EQ(cx.final_paths.size(), 2u);
    std::vector<std::string> endings;
    for (const auto& path : cx.final_paths) {
        ASSERT_EQ(path.size(), 2u);
        const CounterexampleOp& first = cx.ops[path[0].op.value()];
        EXPECT_EQ(first.process, 76);
        EXPECT_EQ(first.f, "write");
        EXPECT_EQ(first.index, 472);
        EXPECT_EQ(path[0].state, "2");
        const CounterexampleOp& last = cx.ops[path[1].op.value()];
        endings.push_back(std::to_string(last.process) + " " + std::to_string(last.index) + " " + path[1].error);
    }
    std::sort(endings.begin(), endings.end());
    EXPECT_EQ(endings[0], "70 491 can't read 0 from register 2");
    EXPECT_EQ(endings[1], "77 482 can't CAS 2 from 1 to 1");
}

TEST(LinDataCounterexample, ImmediateFailureHasNoPreviousOk) {
    auto checked = check_file(lin_data("knossos/cas-register/bad/immediate-failure.edn"), ModelKind::cas_register,
                              knossos_options());
    ASSERT_TRUE(checked);
    ASSERT_TRUE(checked->counterexample);
    const Counterexample& cx = *checked->counterexample;
    EXPECT_EQ(op_of(cx).process, 1);
    EXPECT_EQ(op_of(cx).f, "read");
    EXPECT_EQ(op_of(cx).value, 3);
    EXPECT_EQ(op_of(cx).index, 3);
    EXPECT_FALSE(cx.previous_ok);
    // The only write of 3 failed: a pre-check says so without search.
    EXPECT_NE(cx.reason.find("no operation wrote"), std::string::npos) << cx.reason;
}

TEST(LinDataCounterexample, RethinkFailMinimal) {
    auto checked = check_file(lin_data("knossos/cas-register/bad/rethink-fail-minimal.edn"), ModelKind::cas_register,
                              knossos_options(nullptr));
    ASSERT_TRUE(checked);
    ASSERT_TRUE(checked->counterexample);
    const Counterexample& cx = *checked->counterexample;
    EXPECT_EQ(op_of(cx).process, 1);
    EXPECT_EQ(op_of(cx).value, 3);
    EXPECT_EQ(op_of(cx).index, 4);
}

TEST(LinDataCounterexample, RethinkFailSmaller) {
    auto checked = check_file(lin_data("knossos/cas-register/bad/rethink-fail-smaller.edn"), ModelKind::cas_register,
                              knossos_options(nullptr));
    ASSERT_TRUE(checked);
    ASSERT_TRUE(checked->counterexample);
    const Counterexample& cx = *checked->counterexample;
    EXPECT_EQ(op_of(cx).process, 12);
    EXPECT_EQ(op_of(cx).f, "read");
    EXPECT_EQ(op_of(cx).value, 3);
    EXPECT_EQ(op_of(cx).index, 217);
    EXPECT_EQ(op_of(cx).complete_time, 106334571856);
}

TEST(LinDataCounterexample, NamesTheFailingKeyOfPorcupineKv) {
    auto checked = check_file(lin_data("porcupine/kv/c01-bad.txt"), ModelKind::kv_append);
    ASSERT_TRUE(checked);
    ASSERT_TRUE(checked->counterexample);
    EXPECT_TRUE(checked->counterexample->key.is_string());
    const Json json = checked->counterexample->to_json();
    EXPECT_EQ(json["key"], checked->counterexample->key);
    EXPECT_TRUE(json["op"].is_number_integer());
    EXPECT_FALSE(json["final_paths"].empty());
}

}  // namespace
}  // namespace faultline::check
