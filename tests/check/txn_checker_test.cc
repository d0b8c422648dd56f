// The isolation checker on hand-written histories: one for every anomaly it
// names, each asserting the shortest cycle found (its length and edge kinds)
// and the weakest models it rules out; and each again with one micro-op
// changed so that the anomaly is gone, which must pass. A checker that only
// ever said "invalid" would fail the second half.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "check/formats/history_formats.h"
#include "check/txn/checker.h"

namespace faultline::check::txn {
namespace {

struct Step {
    int process;
    const char* type;  // invoke, ok, fail, info
    std::string value;
};

// An EDN history, one op per line, :index = position.
std::string edn(const std::vector<Step>& steps) {
    std::string out;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        out += "{:index " + std::to_string(i) + ", :process " + std::to_string(steps[i].process) +
               ", :type :" + steps[i].type + ", :f :txn, :value " + steps[i].value + "}\n";
    }
    return out;
}

// Transactions that all overlap: every one is invoked before any completes,
// so there is no realtime or process order between them. `done` is what each
// completion reports; the invocation has the same micro-ops with nil reads.
std::vector<Step> concurrent(const std::vector<std::string>& done, const std::vector<const char*>& types = {}) {
    std::vector<Step> steps;
    for (std::size_t i = 0; i < done.size(); ++i) steps.push_back({static_cast<int>(i), "invoke", done[i]});
    for (std::size_t i = 0; i < done.size(); ++i) {
        steps.push_back({static_cast<int>(i), i < types.size() ? types[i] : "ok", done[i]});
    }
    return steps;
}

IsolationResult check(const std::string& text, Workload workload, std::vector<Model> models) {
    auto parsed = formats::parse_history(text, "t.edn");
    EXPECT_TRUE(parsed) << parsed.error().message;
    auto history = txn_history_from(*parsed, workload);
    EXPECT_TRUE(history) << history.error().message;
    IsolationOptions options;
    options.models = std::move(models);
    auto result = check_isolation(*history, options);
    EXPECT_TRUE(result) << result.error().message;
    return *result;
}

const AnomalyReport* first(const IsolationResult& result, Anomaly anomaly) {
    for (const AnomalyReport& r : result.anomalies) {
        if (r.anomaly == anomaly) return &r;
    }
    return nullptr;
}

// The cycle's edge kinds in order, as "rw wr".
std::string kinds(const AnomalyReport& r) {
    std::string out;
    for (const CycleStep& step : r.cycle) out += std::string(out.empty() ? "" : " ") + edge_kind_name(step.kind);
    return out;
}

std::vector<std::string> names(const std::vector<Model>& models) {
    std::vector<std::string> out;
    for (Model m : models) out.push_back(model_name(m));
    return out;
}

std::vector<std::string> weakest_ruled_out(const IsolationResult& result) {
    return names(weakest(result.ruled_out));
}

std::string text(const IsolationResult& result) {
    return isolation_result_to_text(result, "");
}

const std::vector<Model> kSerializable = {Model::serializable};
const std::vector<Model> kStrict = {Model::strict_serializable};

// ---- list-append cycles

TEST(TxnListAppend, G0WriteCycle) {
    // T0 and T1 append to x and y in opposite orders.
    const auto bad = concurrent(
        {"[[:append :x 1] [:append :y 2]]", "[[:append :x 2] [:append :y 1]]", "[[:r :x [1 2]] [:r :y [1 2]]]"});
    const IsolationResult r = check(edn(bad), Workload::list_append, kStrict);
    EXPECT_EQ(r.verdict, Verdict::invalid) << text(r);
    const AnomalyReport* g0 = first(r, Anomaly::G0);
    ASSERT_NE(g0, nullptr) << text(r);
    EXPECT_EQ(kinds(*g0), "ww ww");
    EXPECT_EQ(weakest_ruled_out(r), std::vector<std::string>{"read-uncommitted"});
    EXPECT_NE(g0->steps[0].find("appended"), std::string::npos) << g0->steps[0];

    const auto good = concurrent(
        {"[[:append :x 1] [:append :y 2]]", "[[:append :x 2] [:append :y 1]]", "[[:r :x [1 2]] [:r :y [2 1]]]"});
    EXPECT_EQ(check(edn(good), Workload::list_append, kStrict).verdict, Verdict::valid);
}

TEST(TxnListAppend, G1cCircularInformationFlow) {
    // Each saw the other's append.
    const auto bad = concurrent({"[[:append :x 1] [:r :y [1]]]", "[[:append :y 1] [:r :x [1]]]"});
    const IsolationResult r = check(edn(bad), Workload::list_append, kStrict);
    EXPECT_EQ(r.verdict, Verdict::invalid);
    const AnomalyReport* g1c = first(r, Anomaly::G1c);
    ASSERT_NE(g1c, nullptr) << text(r);
    EXPECT_EQ(kinds(*g1c), "wr wr");
    EXPECT_EQ(weakest_ruled_out(r), std::vector<std::string>{"read-committed"});
    // read-uncommitted allows it.
    EXPECT_EQ(check(edn(bad), Workload::list_append, {Model::read_uncommitted}).verdict, Verdict::valid);

    const auto good = concurrent({"[[:append :x 1] [:r :y [1]]]", "[[:append :y 1] [:r :x []]]"});
    EXPECT_EQ(check(edn(good), Workload::list_append, kStrict).verdict, Verdict::valid);
}

TEST(TxnListAppend, GSingleReadSkew) {
    // T0 sees T1's append to y but not its append to x.
    const auto bad = concurrent({"[[:r :x []] [:r :y [1]]]", "[[:append :x 1] [:append :y 1]]", "[[:r :x [1]]]"});
    const IsolationResult r = check(edn(bad), Workload::list_append, kStrict);
    EXPECT_EQ(r.verdict, Verdict::invalid);
    const AnomalyReport* single = first(r, Anomaly::G_single);
    ASSERT_NE(single, nullptr) << text(r);
    EXPECT_EQ(kinds(*single), "rw wr");
    EXPECT_EQ(weakest_ruled_out(r), std::vector<std::string>{"snapshot-isolation"});
    EXPECT_EQ(single->steps[0], "T0 < T1 because T0's read of key x = [] did not see T1's later append of 1 (rw)");
    EXPECT_EQ(single->steps[1], "T1 < T0 because T0 read key y = [1] which includes T1's append of 1 (wr)");
    // Repeatable read (Adya's PL-2.99, item anti-dependencies only) allows it.
    EXPECT_EQ(check(edn(bad), Workload::list_append, {Model::repeatable_read}).verdict, Verdict::valid);

    const auto good = concurrent({"[[:r :x [1]] [:r :y [1]]]", "[[:append :x 1] [:append :y 1]]", "[[:r :x [1]]]"});
    EXPECT_EQ(check(edn(good), Workload::list_append, kStrict).verdict, Verdict::valid);
}

TEST(TxnListAppend, GNonadjacent) {
    // T0 -rw-> T1 -wr-> T2 -rw-> T3 -wr-> T0: two anti-dependencies, never adjacent.
    const auto bad =
        concurrent({"[[:r :a []] [:r :d [1]]]", "[[:append :a 1] [:append :b 1]]", "[[:r :b [1]] [:r :c []]]",
                    "[[:append :c 1] [:append :d 1]]", "[[:r :a [1]] [:r :c [1]]]"});
    const IsolationResult r = check(edn(bad), Workload::list_append, kStrict);
    EXPECT_EQ(r.verdict, Verdict::invalid);
    const AnomalyReport* g = first(r, Anomaly::G_nonadjacent);
    ASSERT_NE(g, nullptr) << text(r);
    EXPECT_EQ(g->cycle.size(), 4u);
    EXPECT_EQ(kinds(*g), "rw wr rw wr");
    EXPECT_EQ(first(r, Anomaly::G_single), nullptr);
    EXPECT_EQ(first(r, Anomaly::G2_item), nullptr);
    EXPECT_EQ(weakest_ruled_out(r), std::vector<std::string>{"snapshot-isolation"});

    const auto good =
        concurrent({"[[:r :a []] [:r :d []]]", "[[:append :a 1] [:append :b 1]]", "[[:r :b [1]] [:r :c []]]",
                    "[[:append :c 1] [:append :d 1]]", "[[:r :a [1]] [:r :c [1]] [:r :d [1]]]"});
    EXPECT_EQ(check(edn(good), Workload::list_append, kStrict).verdict, Verdict::valid);
}

TEST(TxnListAppend, G2ItemWriteSkew) {
    const auto bad =
        concurrent({"[[:r :x []] [:append :y 1]]", "[[:r :y []] [:append :x 1]]", "[[:r :x [1]] [:r :y [1]]]"});
    const IsolationResult r = check(edn(bad), Workload::list_append, kStrict);
    EXPECT_EQ(r.verdict, Verdict::invalid);
    const AnomalyReport* g = first(r, Anomaly::G2_item);
    ASSERT_NE(g, nullptr) << text(r);
    EXPECT_EQ(kinds(*g), "rw rw");
    EXPECT_EQ(weakest_ruled_out(r), std::vector<std::string>{"repeatable-read"});
    // Snapshot isolation allows write skew.
    EXPECT_EQ(check(edn(bad), Workload::list_append, {Model::snapshot_isolation}).verdict, Verdict::valid);

    const auto good =
        concurrent({"[[:r :x []] [:append :y 1]]", "[[:r :y [1]] [:append :x 1]]", "[[:r :x [1]] [:r :y [1]]]"});
    EXPECT_EQ(check(edn(good), Workload::list_append, kStrict).verdict, Verdict::valid);
}

// ---- list-append: anomalies that are not cycles

TEST(TxnListAppend, G1aAbortedRead) {
    const auto bad = concurrent({"[[:append :x 1]]", "[[:r :x [1]]]"}, {"fail", "ok"});
    const IsolationResult r = check(edn(bad), Workload::list_append, kStrict);
    EXPECT_EQ(r.verdict, Verdict::invalid);
    ASSERT_NE(first(r, Anomaly::G1a), nullptr) << text(r);
    EXPECT_EQ(weakest_ruled_out(r), std::vector<std::string>{"read-committed"});
    const auto good = concurrent({"[[:append :x 1]]", "[[:r :x [1]]]"}, {"info", "ok"});
    EXPECT_EQ(check(edn(good), Workload::list_append, kStrict).verdict, Verdict::valid);
}

TEST(TxnListAppend, G1bIntermediateRead) {
    const auto bad = concurrent({"[[:append :x 1] [:append :x 2]]", "[[:r :x [1]]]"});
    const IsolationResult r = check(edn(bad), Workload::list_append, kStrict);
    EXPECT_EQ(r.verdict, Verdict::invalid);
    ASSERT_NE(first(r, Anomaly::G1b), nullptr) << text(r);
    EXPECT_EQ(weakest_ruled_out(r), std::vector<std::string>{"read-committed"});
    const auto good = concurrent({"[[:append :x 1] [:append :x 2]]", "[[:r :x [1 2]]]"});
    EXPECT_EQ(check(edn(good), Workload::list_append, kStrict).verdict, Verdict::valid);
}

TEST(TxnListAppend, InternalInconsistency) {
    const auto bad = concurrent({"[[:append :x 1]]", "[[:r :x [1]] [:append :x 2] [:r :x [1]]]"});
    const IsolationResult r = check(edn(bad), Workload::list_append, kStrict);
    EXPECT_EQ(r.verdict, Verdict::invalid);
    ASSERT_NE(first(r, Anomaly::internal), nullptr) << text(r);
    EXPECT_EQ(weakest_ruled_out(r), std::vector<std::string>{"read-atomic"});
    // Read committed does not promise a transaction sees its own writes.
    EXPECT_EQ(check(edn(bad), Workload::list_append, {Model::read_committed}).verdict, Verdict::valid);
    const auto good = concurrent({"[[:append :x 1]]", "[[:r :x [1]] [:append :x 2] [:r :x [1 2]]]"});
    EXPECT_EQ(check(edn(good), Workload::list_append, kStrict).verdict, Verdict::valid);
}

TEST(TxnListAppend, LostUpdate) {
    const auto bad = concurrent(
        {"[[:append :x 1]]", "[[:r :x [1]] [:append :x 2]]", "[[:r :x [1]] [:append :x 3]]", "[[:r :x [1 2 3]]]"});
    const IsolationResult r = check(edn(bad), Workload::list_append, {Model::cursor_stability});
    EXPECT_EQ(r.verdict, Verdict::invalid);
    const AnomalyReport* lost = first(r, Anomaly::lost_update);
    ASSERT_NE(lost, nullptr) << text(r);
    EXPECT_EQ(lost->txns.size(), 2u);
    EXPECT_EQ(names(weakest(models_ruled_out_by(Anomaly::lost_update))), std::vector<std::string>{"cursor-stability"});
    const auto good = concurrent(
        {"[[:append :x 1]]", "[[:r :x [1]] [:append :x 2]]", "[[:r :x [1 2]] [:append :x 3]]", "[[:r :x [1 2 3]]]"});
    EXPECT_EQ(check(edn(good), Workload::list_append, kStrict).verdict, Verdict::valid);
}

TEST(TxnListAppend, DuplicateElements) {
    const auto bad = concurrent({"[[:append :x 1]]", "[[:r :x [1 1]]]"});
    const IsolationResult r = check(edn(bad), Workload::list_append, {Model::read_uncommitted});
    EXPECT_EQ(r.verdict, Verdict::invalid);
    ASSERT_NE(first(r, Anomaly::duplicate_elements), nullptr) << text(r);
    EXPECT_EQ(weakest_ruled_out(r), std::vector<std::string>{"read-uncommitted"});
    const auto good = concurrent({"[[:append :x 1]]", "[[:r :x [1]]]"});
    EXPECT_EQ(check(edn(good), Workload::list_append, {Model::read_uncommitted}).verdict, Verdict::valid);
}

TEST(TxnListAppend, IncompatibleOrder) {
    const auto bad = concurrent({"[[:append :x 1]]", "[[:append :x 2]]", "[[:r :x [1 2]]]", "[[:r :x [2 1]]]"});
    const IsolationResult r = check(edn(bad), Workload::list_append, kStrict);
    EXPECT_EQ(r.verdict, Verdict::invalid);
    ASSERT_NE(first(r, Anomaly::incompatible_order), nullptr) << text(r);
    EXPECT_EQ(weakest_ruled_out(r), std::vector<std::string>{"read-committed"});
    const auto good = concurrent({"[[:append :x 1]]", "[[:append :x 2]]", "[[:r :x [1 2]]]", "[[:r :x [1]]]"});
    EXPECT_EQ(check(edn(good), Workload::list_append, kStrict).verdict, Verdict::valid);
}

TEST(TxnListAppend, GarbageRead) {
    const auto bad = concurrent({"[[:append :x 1]]", "[[:r :x [1 5]]]"});
    const IsolationResult r = check(edn(bad), Workload::list_append, kStrict);
    EXPECT_EQ(r.verdict, Verdict::invalid);
    ASSERT_NE(first(r, Anomaly::garbage_read), nullptr) << text(r);
    const auto good = concurrent({"[[:append :x 1]]", "[[:r :x [1]]]"});
    EXPECT_EQ(check(edn(good), Workload::list_append, kStrict).verdict, Verdict::valid);
}

// ---- Session and realtime variants

TEST(TxnListAppend, GSingleProcessStaleReadOnTheSameProcess) {
    // Process 0 appends, then reads the key back without its own append.
    const std::vector<Step> bad = {{0, "invoke", "[[:append :x 1]]"}, {0, "ok", "[[:append :x 1]]"},
                                   {1, "invoke", "[[:r :x nil]]"},    {0, "invoke", "[[:r :x nil]]"},
                                   {0, "ok", "[[:r :x []]]"},         {1, "ok", "[[:r :x [1]]]"}};
    const IsolationResult r = check(edn(bad), Workload::list_append, {Model::strong_session_serializable});
    EXPECT_EQ(r.verdict, Verdict::invalid) << text(r);
    const AnomalyReport* g = first(r, Anomaly::G_single_process);
    ASSERT_NE(g, nullptr) << text(r);
    EXPECT_EQ(kinds(*g), "rw process");
    EXPECT_EQ(weakest_ruled_out(r), std::vector<std::string>{"strong-session-snapshot-isolation"});
    EXPECT_EQ(check(edn(bad), Workload::list_append, kSerializable).verdict, Verdict::valid);
    // Strict serializability implies strong session serializability; the
    // process cycle is reported, not a realtime one as well.
    const IsolationResult strict = check(edn(bad), Workload::list_append, kStrict);
    EXPECT_EQ(strict.verdict, Verdict::invalid);
    EXPECT_EQ(first(strict, Anomaly::G_single_realtime), nullptr);

    std::vector<Step> good = bad;
    good[4].value = "[[:r :x [1]]]";
    EXPECT_EQ(check(edn(good), Workload::list_append, kStrict).verdict, Verdict::valid);
}

TEST(TxnListAppend, GSingleRealtimeStaleReadAfterCompletion) {
    // T0 completes on process 0; T1 on process 1 starts later and misses it.
    const std::vector<Step> bad = {{0, "invoke", "[[:append :x 1]]"}, {2, "invoke", "[[:r :x nil]]"},
                                   {0, "ok", "[[:append :x 1]]"},     {1, "invoke", "[[:r :x nil]]"},
                                   {1, "ok", "[[:r :x []]]"},         {2, "ok", "[[:r :x [1]]]"}};
    const IsolationResult r = check(edn(bad), Workload::list_append, kStrict);
    EXPECT_EQ(r.verdict, Verdict::invalid) << text(r);
    const AnomalyReport* g = first(r, Anomaly::G_single_realtime);
    ASSERT_NE(g, nullptr) << text(r);
    EXPECT_EQ(kinds(*g), "rw realtime");
    EXPECT_EQ(weakest_ruled_out(r), std::vector<std::string>{"strong-snapshot-isolation"});
    EXPECT_EQ(check(edn(bad), Workload::list_append, {Model::strong_session_serializable}).verdict, Verdict::valid);
    // Overlapping in time, the same reads are fine.
    const std::vector<Step> good = {{0, "invoke", "[[:append :x 1]]"}, {2, "invoke", "[[:r :x nil]]"},
                                    {1, "invoke", "[[:r :x nil]]"},    {0, "ok", "[[:append :x 1]]"},
                                    {1, "ok", "[[:r :x []]]"},         {2, "ok", "[[:r :x [1]]]"}};
    EXPECT_EQ(check(edn(good), Workload::list_append, kStrict).verdict, Verdict::valid);
}

// ---- rw-register

TEST(TxnRwRegister, G0ViaWritesFollowReads) {
    const auto bad = concurrent({"[[:w :x 1] [:r :y 1] [:w :y 2]]", "[[:r :x 1] [:w :x 2] [:w :y 1]]"});
    const IsolationResult r = check(edn(bad), Workload::rw_register, kStrict);
    EXPECT_EQ(r.verdict, Verdict::invalid);
    const AnomalyReport* g0 = first(r, Anomaly::G0);
    ASSERT_NE(g0, nullptr) << text(r);
    EXPECT_EQ(kinds(*g0), "ww ww");
    EXPECT_EQ(weakest_ruled_out(r), std::vector<std::string>{"read-uncommitted"});
    const auto good = concurrent({"[[:w :x 1] [:r :y nil] [:w :y 2]]", "[[:r :x 1] [:w :x 2] [:w :y 1]]"});
    const IsolationResult ok = check(edn(good), Workload::rw_register, kStrict);
    EXPECT_EQ(ok.verdict, Verdict::valid) << text(ok);
}

TEST(TxnRwRegister, GSingleReadOfInitialState) {
    const auto bad = concurrent({"[[:w :x 1] [:w :y 1]]", "[[:r :x nil] [:r :y 1]]"});
    const IsolationResult r = check(edn(bad), Workload::rw_register, kStrict);
    EXPECT_EQ(r.verdict, Verdict::invalid);
    const AnomalyReport* g = first(r, Anomaly::G_single);
    ASSERT_NE(g, nullptr) << text(r);
    EXPECT_EQ(g->cycle.size(), 2u);
    EXPECT_EQ(weakest_ruled_out(r), std::vector<std::string>{"snapshot-isolation"});
    EXPECT_NE(text(r).find("nil, the initial state"), std::string::npos) << text(r);
    const auto good = concurrent({"[[:w :x 1] [:w :y 1]]", "[[:r :x 1] [:r :y 1]]"});
    EXPECT_EQ(check(edn(good), Workload::rw_register, kStrict).verdict, Verdict::valid);
}

TEST(TxnRwRegister, WriteSkewAndLostUpdate) {
    const auto skew = concurrent({"[[:r :x nil] [:w :y 1]]", "[[:r :y nil] [:w :x 1]]"});
    const IsolationResult r = check(edn(skew), Workload::rw_register, kStrict);
    ASSERT_NE(first(r, Anomaly::G2_item), nullptr) << text(r);
    EXPECT_EQ(check(edn(skew), Workload::rw_register, {Model::snapshot_isolation}).verdict, Verdict::valid);

    const auto lost = concurrent({"[[:w :x 1]]", "[[:r :x 1] [:w :x 2]]", "[[:r :x 1] [:w :x 3]]"});
    const IsolationResult l = check(edn(lost), Workload::rw_register, {Model::snapshot_isolation});
    EXPECT_EQ(l.verdict, Verdict::invalid);
    ASSERT_NE(first(l, Anomaly::lost_update), nullptr) << text(l);
    const auto fine = concurrent({"[[:w :x 1]]", "[[:r :x 1] [:w :x 2]]", "[[:r :x 2] [:w :x 3]]"});
    EXPECT_EQ(check(edn(fine), Workload::rw_register, kStrict).verdict, Verdict::valid);
}

TEST(TxnRwRegister, AbortedIntermediateAndInternalReads) {
    const auto aborted = concurrent({"[[:w :x 1]]", "[[:r :x 1]]"}, {"fail", "ok"});
    ASSERT_NE(first(check(edn(aborted), Workload::rw_register, kStrict), Anomaly::G1a), nullptr);
    const auto intermediate = concurrent({"[[:w :x 1] [:w :x 2]]", "[[:r :x 1]]"});
    ASSERT_NE(first(check(edn(intermediate), Workload::rw_register, kStrict), Anomaly::G1b), nullptr);
    const auto internal = concurrent({"[[:w :x 1] [:r :x 2]]", "[[:w :x 2]]"});
    ASSERT_NE(first(check(edn(internal), Workload::rw_register, kStrict), Anomaly::internal), nullptr);
    const auto good = concurrent({"[[:w :x 1] [:w :x 2] [:r :x 2]]", "[[:r :x 2]]"});
    EXPECT_EQ(check(edn(good), Workload::rw_register, kStrict).verdict, Verdict::valid);
}

// ---- Models and budget

TEST(TxnModels, ParseNamesAndAliases) {
    auto models = parse_models("serializable , snapshot-isolation,PL-SS");
    ASSERT_TRUE(models) << models.error().message;
    EXPECT_EQ(names(*models), (std::vector<std::string>{"serializable", "snapshot-isolation", "strict-serializable"}));
    auto bad = parse_models("serialisable");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("unknown consistency model 'serialisable'"), std::string::npos);
    EXPECT_FALSE(parse_models(" , "));
}

TEST(TxnModels, LatticeRulesOutStrongerModelsToo) {
    const auto g2 = names(models_ruled_out_by(Anomaly::G2_item));
    EXPECT_EQ(g2, (std::vector<std::string>{"repeatable-read", "serializable", "strong-session-serializable",
                                            "strict-serializable"}));
    const auto g0 = models_ruled_out_by(Anomaly::G0);
    EXPECT_EQ(g0.size(), static_cast<std::size_t>(kModelCount));
    EXPECT_EQ(names(models_ruled_out_by(Anomaly::G2_item_realtime)), std::vector<std::string>{"strict-serializable"});
}

TEST(TxnBudget, ARunOutSearchIsUnknownNotValid) {
    const auto bad =
        concurrent({"[[:r :x []] [:append :y 1]]", "[[:r :y []] [:append :x 1]]", "[[:r :x [1]] [:r :y [1]]]"});
    auto parsed = formats::parse_history(edn(bad), "t.edn");
    ASSERT_TRUE(parsed);
    auto history = txn_history_from(*parsed, Workload::list_append);
    ASSERT_TRUE(history);
    IsolationOptions options;
    options.models = {Model::repeatable_read};
    options.cycle_search_budget = 1;
    auto result = check_isolation(*history, options);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->verdict, Verdict::unknown);
    EXPECT_TRUE(result->search_exhausted);
    options.cycle_search_budget = 1000;
    EXPECT_EQ(check_isolation(*history, options)->verdict, Verdict::invalid);
}

TEST(TxnOutcome, OneOutcomeWithDetails) {
    const auto bad = concurrent({"[[:r :x []] [:r :y [1]]]", "[[:append :x 1] [:append :y 1]]", "[[:r :x [1]]]"});
    const Outcome outcome = outcome_of(check(edn(bad), Workload::list_append, kStrict));
    EXPECT_EQ(outcome.name, "isolation");
    EXPECT_EQ(outcome.verdict, Verdict::invalid);
    EXPECT_EQ(outcome.summary, "G-single: not snapshot-isolation");
    EXPECT_EQ(outcome.details["anomaly_types"], Json::array({"G-single"}));
    EXPECT_EQ(outcome.details["not"], Json::array({"snapshot-isolation"}));
    EXPECT_EQ(outcome.details["anomalies"]["G-single"][0]["cycle"].size(), 2u);
}

}  // namespace
}  // namespace faultline::check::txn
