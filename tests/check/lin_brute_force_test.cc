// The checker against a brute-force reference (brute_force.h) on random small
// histories of every model, with and without ops of unknown outcome: in every
// checker mode the verdict must be the brute force's, in both directions (never
// "not linearizable" where some order works, never "linearizable" where none
// does). First, the brute force itself on hand-written histories whose
// verdicts are stated next to them.
//
// The long run of the same comparison is lin_brute_force_slow_test.cc.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "brute_force.h"
#include "check/formats/history_formats.h"
#include "lin_oracle.h"
#include "lin_test_util.h"

namespace faultline::check {
namespace {

using models::ModelKind;
using testing::brute_force_linearizable;

using testing::op;

struct Known {
    const char* what;
    ModelKind model;
    std::string edn;
    bool linearizable;
    Json initial = Json();
};

std::vector<Known> known_histories() {
    const std::string w1 = op(0, "invoke", "write", "1") + op(0, "ok", "write", "1");
    const std::string k = "\"k\"";
    return {
        {"stale read after an overwrite", ModelKind::register_rw,
         w1 + op(0, "invoke", "write", "2") + op(0, "ok", "write", "2") + op(1, "invoke", "read") +
             op(1, "ok", "read", "1"),
         false},
        {"read concurrent with a write sees the new value", ModelKind::register_rw,
         w1 + op(0, "invoke", "write", "2") + op(1, "invoke", "read") + op(1, "ok", "read", "2") +
             op(0, "ok", "write", "2"),
         true},
        {"two readers disagree on the order of two writes", ModelKind::register_rw,
         op(0, "invoke", "write", "1") + op(1, "invoke", "write", "2") + op(2, "invoke", "read") +
             op(2, "ok", "read", "1") + op(2, "invoke", "read") + op(2, "ok", "read", "2") + op(3, "invoke", "read") +
             op(3, "ok", "read", "2") + op(3, "invoke", "read") + op(3, "ok", "read", "1") + op(0, "ok", "write", "1") +
             op(1, "ok", "write", "2"),
         false},
        {"an info write takes effect after its completion", ModelKind::cas_register,
         w1 + op(1, "invoke", "write", "2") + op(1, "info", "write", "2") + op(2, "invoke", "read") +
             op(2, "ok", "read", "1") + op(2, "invoke", "read") + op(2, "ok", "read", "2"),
         true},
        {"an info write takes effect at most once", ModelKind::cas_register,
         w1 + op(1, "invoke", "write", "2") + op(1, "info", "write", "2") + op(2, "invoke", "read") +
             op(2, "ok", "read", "2") + op(0, "invoke", "write", "3") + op(0, "ok", "write", "3") +
             op(2, "invoke", "read") + op(2, "ok", "read", "2"),
         false},
        {"an info write cannot take effect before its invocation", ModelKind::cas_register,
         w1 + op(2, "invoke", "read") + op(2, "ok", "read", "2") + op(1, "invoke", "write", "2") +
             op(1, "info", "write", "2"),
         false},
        {"a write with no completion may never happen", ModelKind::cas_register,
         w1 + op(1, "invoke", "write", "2") + op(2, "invoke", "read") + op(2, "ok", "read", "1"), true},
        {"a failed cas did not happen", ModelKind::cas_register,
         w1 + op(1, "invoke", "cas", "[1 4]") + op(1, "fail", "cas", "[1 4]") + op(2, "invoke", "read") +
             op(2, "ok", "read", "4"),
         false},
        {"an ok cas from a value not there", ModelKind::cas_register,
         w1 + op(1, "invoke", "cas", "[3 4]") + op(1, "ok", "cas", "[3 4]"), false},
        {"the initial value", ModelKind::cas_register, op(2, "invoke", "read") + op(2, "ok", "read", "0"), true,
         Json(0)},
        {"keys are independent objects", ModelKind::kv,
         op(0, "invoke", "write", "1", "1") + op(0, "ok", "write", "1", "1") + op(1, "invoke", "read", "nil", "2") +
             op(1, "ok", "read", "1", "2"),
         false},
        {"transactions are atomic", ModelKind::multi_register,
         op(0, "invoke", "txn", "[[:write :x 1] [:write :y 1]]") +
             op(1, "invoke", "txn", "[[:read :x nil] [:read :y nil]]") +
             op(1, "ok", "txn", "[[:read :x 1] [:read :y 0]]") + op(0, "ok", "txn", "[[:write :x 1] [:write :y 1]]"),
         false},
        {"registers start at 0", ModelKind::multi_register,
         op(1, "invoke", "txn", "[[:read :x nil]]") + op(1, "ok", "txn", "[[:read :x 0]]"), true},
        {"concurrent appends in either order", ModelKind::kv_append,
         op(0, "invoke", "append", "\"a\"", k) + op(1, "invoke", "append", "\"b\"", k) +
             op(0, "ok", "append", "\"a\"", k) + op(1, "ok", "append", "\"b\"", k) + op(2, "invoke", "get", "nil", k) +
             op(2, "ok", "get", "\"ba\"", k),
         true},
        {"an info append may take effect", ModelKind::kv_append,
         op(0, "invoke", "append", "\"a\"", k) + op(0, "ok", "append", "\"a\"", k) +
             op(1, "invoke", "append", "\"b\"", k) + op(1, "info", "append", "\"b\"", k) +
             op(2, "invoke", "get", "nil", k) + op(2, "ok", "get", "\"ab\"", k),
         true},
        {"a put erases earlier appends", ModelKind::kv_append,
         op(0, "invoke", "append", "\"a\"", k) + op(0, "ok", "append", "\"a\"", k) +
             op(0, "invoke", "put", "\"c\"", k) + op(0, "ok", "put", "\"c\"", k) + op(2, "invoke", "get", "nil", k) +
             op(2, "ok", "get", "\"ca\"", k),
         false},
        {"two holders at once", ModelKind::mutex,
         op(0, "invoke", "acquire") + op(0, "ok", "acquire") + op(1, "invoke", "acquire") + op(1, "ok", "acquire"),
         false},
        {"a release of unknown outcome may have freed the lock", ModelKind::mutex,
         op(0, "invoke", "acquire") + op(0, "ok", "acquire") + op(0, "invoke", "release") + op(0, "info", "release") +
             op(1, "invoke", "acquire") + op(1, "ok", "acquire"),
         true},
        {"a read lost a completed add", ModelKind::set,
         op(0, "invoke", "add", "1") + op(0, "ok", "add", "1") + op(1, "invoke", "add", "2") + op(2, "invoke", "read") +
             op(2, "ok", "read", "#{2}") + op(1, "ok", "add", "2"),
         false},
        {"a read sees a concurrent add", ModelKind::set,
         op(0, "invoke", "add", "1") + op(0, "ok", "add", "1") + op(1, "invoke", "add", "2") + op(2, "invoke", "read") +
             op(2, "ok", "read", "#{1 2}") + op(1, "ok", "add", "2"),
         true},
        {"dequeues out of order", ModelKind::fifo_queue,
         op(0, "invoke", "enqueue", "1") + op(0, "ok", "enqueue", "1") + op(0, "invoke", "enqueue", "2") +
             op(0, "ok", "enqueue", "2") + op(1, "invoke", "dequeue") + op(1, "ok", "dequeue", "2"),
         false},
        {"an unknown dequeue may have taken the head", ModelKind::fifo_queue,
         op(0, "invoke", "enqueue", "1") + op(0, "ok", "enqueue", "1") + op(0, "invoke", "enqueue", "2") +
             op(0, "ok", "enqueue", "2") + op(2, "invoke", "dequeue") + op(2, "info", "dequeue") +
             op(1, "invoke", "dequeue") + op(1, "ok", "dequeue", "2"),
         true},
        {"an add of unknown outcome counts at most once", ModelKind::counter,
         op(0, "invoke", "add", "5") + op(0, "info", "add", "5") + op(2, "invoke", "read") + op(2, "ok", "read", "10"),
         false},
        {"a read sees the sum of some order", ModelKind::counter,
         op(0, "invoke", "add", "1") + op(0, "ok", "add", "1") + op(1, "invoke", "add", "10") +
             op(2, "invoke", "read") + op(2, "ok", "read", "11") + op(1, "ok", "add", "10"),
         true},
    };
}

TEST(BruteForce, HandWrittenHistoriesGetTheirStatedVerdicts) {
    for (const Known& known : known_histories()) {
        auto parsed = formats::parse_history(known.edn, "inline");
        ASSERT_TRUE(parsed) << known.what << ": " << parsed.error().message;
        auto valid = brute_force_linearizable(parsed->history, {known.model, known.initial, parsed->semantics});
        ASSERT_TRUE(valid) << known.what << ": " << valid.error().message;
        EXPECT_EQ(*valid, known.linearizable) << known.what;
    }
}

TEST(BruteForce, AgreesWithTheCheckerOnTheHandWrittenHistories) {
    for (const Known& known : known_histories()) {
        auto parsed = formats::parse_history(known.edn, "inline");
        ASSERT_TRUE(parsed) << known.what;
        testing::OracleCase c{known.model, known.initial, parsed->semantics, parsed->history};
        const auto why = testing::disagreement(c);
        EXPECT_FALSE(why) << known.what << ": " << *why;
    }
}

TEST(BruteForce, RefusesHistoriesTooLongToTry) {
    History history;
    for (int i = 0; i < 2 * static_cast<int>(testing::kMaxBruteForceOps) + 2; ++i) {
        Operation op;
        op.process = i / 2;
        op.type = i % 2 == 0 ? OpType::invoke : OpType::ok;
        op.f = "write";
        op.value = 1;
        history.push_back(op);
    }
    EXPECT_FALSE(brute_force_linearizable(history, {ModelKind::register_rw}));
}

// One random history of `model`: small, or long but mostly sequential so the
// checker's quiescent cuts come into play. The failure message carries the
// case shrunk to the ops that matter, as history.jsonl.
void agrees_with_brute_force(ModelKind model, bool segmented) {
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    const bool with_info = *rc::gen::arbitrary<bool>();
    Prng prng(seed);
    const testing::OracleCase c = segmented ? testing::random_segmented_case(model, prng, with_info)
                                            : testing::random_small_case(model, prng, 10, with_info);
    bool valid = false;
    const auto why = testing::disagreement(c, &valid);
    RC_CLASSIFY(valid, "linearizable");
    RC_CLASSIFY(with_info, "with info");
    if (why) {
        const auto small = testing::disagreement(testing::shrink_disagreement(c));
        RC_FAIL(fmt::format("seed {}: {}\nshrunk: {}", seed, *why, small.value_or("(none)")));
    }
}

#define FAULTLINE_BRUTE_FORCE_PROPS(Name, kind)         \
    RC_GTEST_PROP(LinBruteForce, Name, ()) {            \
        agrees_with_brute_force(kind, false);           \
    }                                                   \
    RC_GTEST_PROP(LinBruteForce, Name##Segmented, ()) { \
        agrees_with_brute_force(kind, true);            \
    }

FAULTLINE_BRUTE_FORCE_PROPS(Register, ModelKind::register_rw)
FAULTLINE_BRUTE_FORCE_PROPS(CasRegister, ModelKind::cas_register)
FAULTLINE_BRUTE_FORCE_PROPS(Kv, ModelKind::kv)
FAULTLINE_BRUTE_FORCE_PROPS(MultiRegister, ModelKind::multi_register)
FAULTLINE_BRUTE_FORCE_PROPS(KvAppend, ModelKind::kv_append)
FAULTLINE_BRUTE_FORCE_PROPS(Mutex, ModelKind::mutex)
FAULTLINE_BRUTE_FORCE_PROPS(Set, ModelKind::set)
FAULTLINE_BRUTE_FORCE_PROPS(FifoQueue, ModelKind::fifo_queue)
FAULTLINE_BRUTE_FORCE_PROPS(Counter, ModelKind::counter)

}  // namespace
}  // namespace faultline::check
