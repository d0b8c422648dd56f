// Property: a history that a serial execution produced is never flagged, under
// any interleaving of the clients' invocations, effects and completions, with
// failed and unknown (info) transactions among them (generate.h). Checked
// against the strongest model, strict serializability, for both workloads.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "check/txn/checker.h"
#include "check/txn/generate.h"

namespace faultline::check::txn {
namespace {

void serial_histories_pass(Workload workload) {
    SerialGenerateOptions options;
    options.workload = workload;
    options.seed = *rc::gen::arbitrary<std::uint64_t>();
    options.txns = *rc::gen::inRange<std::size_t>(1, 300);
    options.clients = *rc::gen::inRange(1, 8);
    options.keys = *rc::gen::inRange(1, 6);
    options.max_txn_length = *rc::gen::inRange(1, 6);
    options.read_fraction = *rc::gen::element(0.2, 0.5, 0.8);
    options.fail_probability = *rc::gen::element(0.0, 0.1);
    options.info_probability = *rc::gen::element(0.0, 0.1);
    const TxnHistory history = generate_serial(options);
    auto result = check_isolation(history);
    RC_ASSERT(result.has_value());
    RC_CLASSIFY(result->edges > 100, "over 100 edges");
    if (result->verdict != Verdict::valid) {
        RC_FAIL("seed " + std::to_string(options.seed) + ": " + isolation_result_to_text(*result, "  "));
    }
}

RC_GTEST_PROP(TxnProperty, SerialListAppendHistoriesAreStrictSerializable, ()) {
    serial_histories_pass(Workload::list_append);
}

RC_GTEST_PROP(TxnProperty, SerialRwRegisterHistoriesAreStrictSerializable, ()) {
    serial_histories_pass(Workload::rw_register);
}

// The stale-read generator does make anomalies, and one big component.
TEST(TxnProperty, StaleReadsMakeOneLargeComponent) {
    const TxnHistory history = generate_stale_reads(2000, 8, 7);
    auto result = check_isolation(history);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->verdict, Verdict::invalid);
    EXPECT_GE(result->components, 1u);
    EXPECT_GT(result->counts[static_cast<int>(Anomaly::G_single)] + result->counts[static_cast<int>(Anomaly::G2_item)],
              0u);
}

}  // namespace
}  // namespace faultline::check::txn
