// Property tests against a known-linearizable reference (generate.h): concurrent
// clients against a sequential register / key-value store with random real-time
// overlaps and timed-out ops (some taking effect late, some never). Every such
// history must pass; with one completed read's result corrupted into a value no
// linearization can explain, it must fail, and the counterexample must name that
// read as the operation that cannot be linearized (and its key).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "check/linearizability/checker.h"
#include "check/linearizability/generate.h"

namespace faultline::check {
namespace {

lin::GenerateOptions arbitrary_options(bool unique_values) {
    lin::GenerateOptions options;
    options.seed = *rc::gen::arbitrary<std::uint64_t>();
    options.operations = *rc::gen::inRange<std::size_t>(1, 400);
    options.clients = *rc::gen::inRange(1, 9);
    options.keys = *rc::gen::inRange(1, 4);
    options.info_probability = *rc::gen::element(0.0, 0.05, 0.2);
    options.read_fraction = *rc::gen::element(0.3, 0.5, 0.7);
    options.write_fraction = *rc::gen::element(0.1, 0.3);
    options.values = *rc::gen::inRange(1, 6);
    options.unique_values = unique_values;
    return options;
}

LinearizabilityOptions checker_options(bool split) {
    LinearizabilityOptions options;
    options.model = models::ModelKind::kv;
    options.semantics.order_by_time = true;
    options.split_by_key = split;
    return options;
}

RC_GTEST_PROP(LinProperty, ReferenceHistoriesAreLinearizable, ()) {
    const lin::GenerateOptions generate = arbitrary_options(*rc::gen::arbitrary<bool>());
    const History history = lin::generate_kv_history(generate);
    const bool split = *rc::gen::arbitrary<bool>();
    auto result = check_linearizability(history, checker_options(split || generate.keys == 1));
    RC_ASSERT(result.has_value());
    RC_ASSERT(result->verdict == Verdict::valid);
}

RC_GTEST_PROP(LinProperty, OneCorruptedReadFailsAndIsNamed, ()) {
    const auto kind =
        *rc::gen::element(lin::Corruption::never_written, lin::Corruption::future, lin::Corruption::stale);
    // Future and stale values need each value to have a single writer.
    lin::GenerateOptions generate = arbitrary_options(kind != lin::Corruption::never_written);
    generate.operations = *rc::gen::inRange<std::size_t>(20, 400);
    History history = lin::generate_kv_history(generate);
    const auto corrupted = lin::corrupt_one_read(history, kind, generate.seed);
    RC_PRE(corrupted.has_value());
    const Operation& bad = history[*corrupted];
    auto result = check_linearizability(history, checker_options(true));
    RC_ASSERT(result.has_value());
    RC_ASSERT(result->verdict == Verdict::invalid);
    // Only that read is wrong, so its key is the only failing partition.
    RC_ASSERT(result->counterexample.has_value());
    const Counterexample& cx = *result->counterexample;
    RC_ASSERT(cx.key == bad.key);
    RC_ASSERT(cx.op.has_value());
    RC_ASSERT(cx.ops[*cx.op].index == bad.index);
    RC_ASSERT(cx.ops[*cx.op].f == std::string("read"));
    RC_ASSERT(cx.ops[*cx.op].value == bad.value);
}

RC_GTEST_PROP(LinProperty, CorruptionIsFoundWithoutSplitting, ()) {
    lin::GenerateOptions generate = arbitrary_options(true);
    generate.operations = *rc::gen::inRange<std::size_t>(20, 200);
    generate.keys = *rc::gen::inRange(1, 3);
    History history = lin::generate_kv_history(generate);
    const auto corrupted = lin::corrupt_one_read(history, lin::Corruption::stale, generate.seed);
    RC_PRE(corrupted.has_value());
    auto result = check_linearizability(history, checker_options(false));
    RC_ASSERT(result.has_value());
    RC_ASSERT(result->verdict == Verdict::invalid);
    RC_ASSERT(result->counterexample.has_value());
    RC_ASSERT(result->counterexample->ops[*result->counterexample->op].index == history[*corrupted].index);
}

}  // namespace
}  // namespace faultline::check
