// Hand-written histories for every model: each must pass or must fail for a
// reason stated next to it, including the subtleties of :info (unknown outcome)
// and :fail (did not happen, or, in etcd logs, a CAS that returned false).
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "lin_test_util.h"

namespace faultline::check {
namespace {

using models::ModelKind;
using testing::check_text;

using testing::op;

Verdict verdict_of(const std::string& edn, ModelKind model, LinearizabilityOptions options = {}) {
    auto checked = check_text(edn, model, options);
    EXPECT_TRUE(checked) << (checked ? "" : checked.error().message);
    return checked ? checked->verdict : Verdict::unknown;
}

constexpr Verdict kOk = Verdict::valid;
constexpr Verdict kBad = Verdict::invalid;

// ---- register / cas-register

TEST(RegisterModel, SequentialWriteThenReadPasses) {
    EXPECT_EQ(verdict_of(op(0, "invoke", "write", "1") + op(0, "ok", "write", "1") + op(1, "invoke", "read") +
                             op(1, "ok", "read", "1"),
                         ModelKind::register_rw),
              kOk);
}

TEST(RegisterModel, StaleReadAfterOverwriteFails) {
    // write 1 completes, write 2 completes, then a read returns 1.
    EXPECT_EQ(verdict_of(op(0, "invoke", "write", "1") + op(0, "ok", "write", "1") + op(0, "invoke", "write", "2") +
                             op(0, "ok", "write", "2") + op(1, "invoke", "read") + op(1, "ok", "read", "1"),
                         ModelKind::register_rw),
              kBad);
}

TEST(RegisterModel, ReadConcurrentWithWriteMaySeeEitherValue) {
    for (const char* seen : {"1", "2"}) {
        EXPECT_EQ(verdict_of(op(0, "invoke", "write", "1") + op(0, "ok", "write", "1") + op(0, "invoke", "write", "2") +
                                 op(1, "invoke", "read") + op(1, "ok", "read", seen) + op(0, "ok", "write", "2"),
                             ModelKind::register_rw),
                  kOk)
            << seen;
    }
}

TEST(RegisterModel, ReadsMustAgreeOnOneOrder) {
    // Two writes concurrent with everything; one reader sees 1 then 2, the other
    // 2 then 1: no single order explains both.
    EXPECT_EQ(verdict_of(op(0, "invoke", "write", "1") + op(1, "invoke", "write", "2") + op(2, "invoke", "read") +
                             op(2, "ok", "read", "1") + op(2, "invoke", "read") + op(2, "ok", "read", "2") +
                             op(3, "invoke", "read") + op(3, "ok", "read", "2") + op(3, "invoke", "read") +
                             op(3, "ok", "read", "1") + op(0, "ok", "write", "1") + op(1, "ok", "write", "2"),
                         ModelKind::register_rw),
              kBad);
}

TEST(RegisterModel, RejectsCas) {
    auto checked = check_text(op(0, "invoke", "cas", "[1 2]") + op(0, "ok", "cas", "[1 2]"), ModelKind::register_rw);
    ASSERT_FALSE(checked);
    EXPECT_NE(checked.error().message.find("inline:2"), std::string::npos) << checked.error().message;
    EXPECT_NE(checked.error().message.find("'cas'"), std::string::npos);
}

TEST(CasRegisterModel, SuccessfulCasChainPasses) {
    EXPECT_EQ(verdict_of(op(0, "invoke", "write", "1") + op(0, "ok", "write", "1") + op(1, "invoke", "cas", "[1 2]") +
                             op(1, "ok", "cas", "[1 2]") + op(2, "invoke", "read") + op(2, "ok", "read", "2"),
                         ModelKind::cas_register),
              kOk);
}

TEST(CasRegisterModel, OkCasWhoseExpectedValueWasNotThereFails) {
    EXPECT_EQ(verdict_of(op(0, "invoke", "write", "1") + op(0, "ok", "write", "1") + op(1, "invoke", "cas", "[3 4]") +
                             op(1, "ok", "cas", "[3 4]"),
                         ModelKind::cas_register),
              kBad);
}

TEST(CasRegisterModel, FailedCasDidNotHappen) {
    // Knossos: a :fail cas is dropped, so it cannot explain a read of 4.
    const std::string prefix = op(0, "invoke", "write", "1") + op(0, "ok", "write", "1") +
                               op(1, "invoke", "cas", "[1 4]") + op(1, "fail", "cas", "[1 4]") +
                               op(2, "invoke", "read");
    EXPECT_EQ(verdict_of(prefix + op(2, "ok", "read", "1"), ModelKind::cas_register), kOk);
    EXPECT_EQ(verdict_of(prefix + op(2, "ok", "read", "4"), ModelKind::cas_register), kBad);
}

TEST(CasRegisterModel, FailedWriteDidNotHappen) {
    EXPECT_EQ(verdict_of(op(0, "invoke", "write", "1") + op(0, "ok", "write", "1") + op(1, "invoke", "write", "2") +
                             op(1, "fail", "write", "2") + op(2, "invoke", "read") + op(2, "ok", "read", "2"),
                         ModelKind::cas_register),
              kBad);
}

TEST(CasRegisterModel, InfoWriteMayTakeEffectLongAfterItsInvocation) {
    // The info write of 2 is still in flight when a later read sees 2.
    EXPECT_EQ(verdict_of(op(0, "invoke", "write", "1") + op(0, "ok", "write", "1") + op(1, "invoke", "write", "2") +
                             op(1, "info", "write", "2") + op(2, "invoke", "read") + op(2, "ok", "read", "1") +
                             op(2, "invoke", "read") + op(2, "ok", "read", "2"),
                         ModelKind::cas_register),
              kOk);
}

TEST(CasRegisterModel, InfoWriteMayNeverTakeEffect) {
    EXPECT_EQ(verdict_of(op(0, "invoke", "write", "1") + op(0, "ok", "write", "1") + op(1, "invoke", "write", "2") +
                             op(1, "info", "write", "2") + op(2, "invoke", "read") + op(2, "ok", "read", "1"),
                         ModelKind::cas_register),
              kOk);
}

TEST(CasRegisterModel, InfoWriteCannotTakeEffectBeforeItsInvocation) {
    EXPECT_EQ(verdict_of(op(0, "invoke", "write", "1") + op(0, "ok", "write", "1") + op(2, "invoke", "read") +
                             op(2, "ok", "read", "2") + op(1, "invoke", "write", "2") + op(1, "info", "write", "2"),
                         ModelKind::cas_register),
              kBad);
}

TEST(CasRegisterModel, InfoWriteTakesEffectAtMostOnce) {
    // 2 is seen, overwritten by 3, then seen again: the one info write of 2
    // cannot have happened twice.
    EXPECT_EQ(verdict_of(op(0, "invoke", "write", "1") + op(0, "ok", "write", "1") + op(1, "invoke", "write", "2") +
                             op(1, "info", "write", "2") + op(2, "invoke", "read") + op(2, "ok", "read", "2") +
                             op(3, "invoke", "write", "3") + op(3, "ok", "write", "3") + op(2, "invoke", "read") +
                             op(2, "ok", "read", "2"),
                         ModelKind::cas_register),
              kBad);
}

TEST(CasRegisterModel, InvocationWithoutCompletionIsNeverRequired) {
    EXPECT_EQ(verdict_of(op(0, "invoke", "write", "1") + op(0, "ok", "write", "1") + op(1, "invoke", "cas", "[7 8]") +
                             op(2, "invoke", "read") + op(2, "ok", "read", "1"),
                         ModelKind::cas_register),
              kOk);
}

TEST(CasRegisterModel, InfoCasEitherSucceededOrNeverHappened) {
    const std::string prefix = op(0, "invoke", "write", "1") + op(0, "ok", "write", "1") +
                               op(1, "invoke", "cas", "[1 2]") + op(1, "info", "cas", "[1 2]") +
                               op(2, "invoke", "read");
    EXPECT_EQ(verdict_of(prefix + op(2, "ok", "read", "2"), ModelKind::cas_register), kOk);
    EXPECT_EQ(verdict_of(prefix + op(2, "ok", "read", "1"), ModelKind::cas_register), kOk);
    EXPECT_EQ(verdict_of(prefix + op(2, "ok", "read", "3"), ModelKind::cas_register), kBad);
}

TEST(CasRegisterModel, ReadThatTimedOutConstrainsNothing) {
    EXPECT_EQ(verdict_of(op(0, "invoke", "write", "1") + op(0, "ok", "write", "1") + op(1, "invoke", "read") +
                             op(1, "info", "read", "99"),
                         ModelKind::cas_register),
              kOk);
}

TEST(CasRegisterModel, KnossosNilReadIsUnknownButJsonNullIsAValue) {
    // EDN (Knossos): a read completing with nil observed nothing.
    EXPECT_EQ(verdict_of(op(0, "invoke", "write", "1") + op(0, "ok", "write", "1") + op(1, "invoke", "read") +
                             op(1, "ok", "read", "nil"),
                         ModelKind::cas_register),
              kOk);
    // history.jsonl: null is the value read (the register was absent).
    const std::string jsonl =
        R"({"process":0,"type":"invoke","f":"write","value":1,"time":1}
{"process":0,"type":"ok","f":"write","value":1,"time":2}
{"process":1,"type":"invoke","f":"read","value":null,"time":3}
{"process":1,"type":"ok","f":"read","value":null,"time":4}
)";
    auto checked = check_text(jsonl, ModelKind::cas_register);
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_EQ(checked->verdict, kBad);
}

TEST(CasRegisterModel, InitialValueIsRespected) {
    const std::string history = op(0, "invoke", "read") + op(0, "ok", "read", "0");
    LinearizabilityOptions zero;
    zero.initial = 0;
    EXPECT_EQ(verdict_of(history, ModelKind::cas_register, zero), kOk);
    EXPECT_EQ(verdict_of(history, ModelKind::cas_register), kBad);  // starts nil
}

TEST(CasRegisterModel, MalformedCasValueIsAnInputError) {
    auto checked = check_text(op(0, "invoke", "cas", "5") + op(0, "ok", "cas", "5"), ModelKind::cas_register);
    ASSERT_FALSE(checked);
    EXPECT_NE(checked.error().message.find("inline:2: cas expects a value [from to]"), std::string::npos)
        << checked.error().message;
}

// ---- etcd log semantics: :fail :cas returned false

TEST(JepsenLogSemantics, FailedCasReturnedFalseIsAnObservation) {
    // The register holds 1; a CAS from 1 that "returned false" is impossible.
    const std::string bad =
        "INFO  jepsen.util - 0\t:invoke\t:write\t1\n"
        "INFO  jepsen.util - 0\t:ok\t:write\t1\n"
        "INFO  jepsen.util - 1\t:invoke\t:cas\t[1 2]\n"
        "INFO  jepsen.util - 1\t:fail\t:cas\t[1 2]\n";
    auto checked = check_text(bad, ModelKind::cas_register);
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_EQ(checked->verdict, kBad);
    // With a concurrent write of 3 it may have seen 3.
    const std::string ok =
        "INFO  jepsen.util - 0\t:invoke\t:write\t1\n"
        "INFO  jepsen.util - 0\t:ok\t:write\t1\n"
        "INFO  jepsen.util - 2\t:invoke\t:write\t3\n"
        "INFO  jepsen.util - 1\t:invoke\t:cas\t[1 2]\n"
        "INFO  jepsen.util - 1\t:fail\t:cas\t[1 2]\n"
        "INFO  jepsen.util - 2\t:ok\t:write\t3\n";
    checked = check_text(ok, ModelKind::cas_register);
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_EQ(checked->verdict, kOk);
}

TEST(JepsenLogSemantics, TimedOutReadFailIsUnknownAndProcessContinues) {
    // `:fail :read :timed-out` is a timeout (the process then goes on), and the
    // :info write of 2 may take effect later.
    const std::string log =
        "INFO  jepsen.util - 0 :invoke :write 1\n"
        "INFO  jepsen.util - 0 :ok :write 1\n"
        "INFO  jepsen.util - 1 :invoke :read nil\n"
        "INFO  jepsen.util - 1 :fail :read :timed-out\n"
        "INFO  jepsen.util - 2 :invoke :write 2\n"
        "INFO  jepsen.util - 2 :info :write :timed-out\n"
        "INFO  jepsen.util - 1 :invoke :read nil\n"
        "INFO  jepsen.util - 1 :ok :read 2\n";
    auto checked = check_text(log, ModelKind::cas_register);
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_EQ(checked->verdict, kOk);
}

TEST(JepsenLogSemantics, NilReadObservesAnAbsentValue) {
    const std::string log =
        "INFO  jepsen.util - 0\t:invoke\t:write\t1\n"
        "INFO  jepsen.util - 0\t:ok\t:write\t1\n"
        "INFO  jepsen.util - 1\t:invoke\t:read\tnil\n"
        "INFO  jepsen.util - 1\t:ok\t:read\tnil\n";
    auto checked = check_text(log, ModelKind::cas_register);
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_EQ(checked->verdict, kBad);
}

// ---- kv (faultline's lin-kv: a cas-register per key)

TEST(KvModel, KeysAreIndependentAndTheFailingKeyIsNamed) {
    const std::string jsonl =
        R"({"process":0,"type":"invoke","f":"write","key":1,"value":5,"time":1}
{"process":0,"type":"ok","f":"write","key":1,"value":5,"time":2}
{"process":1,"type":"invoke","f":"write","key":2,"value":6,"time":3}
{"process":1,"type":"ok","f":"write","key":2,"value":6,"time":4}
{"process":2,"type":"invoke","f":"read","key":1,"value":null,"time":5}
{"process":2,"type":"ok","f":"read","key":1,"value":5,"time":6}
{"process":3,"type":"invoke","f":"read","key":2,"value":null,"time":7}
{"process":3,"type":"ok","f":"read","key":2,"value":5,"time":8}
{"process":4,"type":"invoke","f":"cas","key":1,"value":[5,7],"time":9}
{"process":4,"type":"fail","f":"cas","key":1,"value":[5,7],"error":11,"time":10}
)";
    for (bool split : {true, false}) {
        LinearizabilityOptions options;
        options.split_by_key = split;
        auto checked = check_text(jsonl, ModelKind::kv, options);
        ASSERT_TRUE(checked) << checked.error().message;
        EXPECT_EQ(checked->verdict, kBad);
        ASSERT_TRUE(checked->counterexample);
        const Counterexample& cx = *checked->counterexample;
        EXPECT_EQ(cx.ops[*cx.op].index, 7);  // the read of 5 from key 2
        if (split) {
            EXPECT_EQ(cx.key, 2);
            EXPECT_EQ(checked->result.partitions.size(), 2u);
        }
    }
}

// faultline's histories use Maelstrom's error codes, and two of them are
// observations: 20 (key does not exist) on a read or cas saw the key absent;
// 22 (precondition failed) on a cas saw another value. A run and `faultline
// check` on its history.jsonl read them alike.
TEST(KvModel, MaelstromErrorCodesAreObservations) {
    const std::string write_then = R"({"process":0,"type":"invoke","f":"write","key":1,"value":5,"time":1}
{"process":0,"type":"ok","f":"write","key":1,"value":5,"time":2}
)";
    struct Case {
        const char* later;
        bool linearizable;
    };
    const Case cases[] = {
        // The key holds 5: "does not exist" and "not 5" are both impossible.
        {R"({"process":1,"type":"invoke","f":"read","key":1,"value":null,"time":3}
{"process":1,"type":"fail","f":"read","key":1,"value":null,"error":20,"time":4})",
         false},
        {R"({"process":1,"type":"invoke","f":"cas","key":1,"value":[5,7],"time":3}
{"process":1,"type":"fail","f":"cas","key":1,"value":[5,7],"error":20,"time":4})",
         false},
        {R"({"process":1,"type":"invoke","f":"cas","key":1,"value":[5,7],"time":3}
{"process":1,"type":"fail","f":"cas","key":1,"value":[5,7],"error":22,"time":4})",
         false},
        // ... while "not 4", and a cas that definitely did not happen, are fine.
        {R"({"process":1,"type":"invoke","f":"cas","key":1,"value":[4,7],"time":3}
{"process":1,"type":"fail","f":"cas","key":1,"value":[4,7],"error":22,"time":4})",
         true},
        {R"({"process":1,"type":"invoke","f":"cas","key":1,"value":[5,7],"time":3}
{"process":1,"type":"fail","f":"cas","key":1,"value":[5,7],"error":11,"time":4})",
         true},
        // Another key was never written: absent is right.
        {R"({"process":1,"type":"invoke","f":"read","key":2,"value":null,"time":3}
{"process":1,"type":"fail","f":"read","key":2,"value":null,"error":20,"time":4})",
         true},
    };
    for (const Case& c : cases) {
        auto checked = check_text(write_then + c.later + "\n", ModelKind::kv, LinearizabilityOptions{});
        ASSERT_TRUE(checked) << checked.error().message;
        EXPECT_EQ(checked->verdict, c.linearizable ? Verdict::valid : kBad) << c.later;
    }
}

TEST(KvModel, JsonlIsOrderedByTimeNotByLine) {
    // Lines out of time order: by time, the read (t=5..6) follows the write (t=1..2).
    const std::string jsonl =
        R"({"process":2,"type":"invoke","f":"read","key":1,"value":null,"time":5}
{"process":2,"type":"ok","f":"read","key":1,"value":5,"time":6}
{"process":0,"type":"invoke","f":"write","key":1,"value":5,"time":1}
{"process":0,"type":"ok","f":"write","key":1,"value":5,"time":2}
)";
    auto checked = check_text(jsonl, ModelKind::kv);
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_EQ(checked->verdict, kOk);
}

// ---- multi-register

TEST(MultiRegisterModel, TransactionsAreAtomic) {
    const std::string write_both =
        op(0, "invoke", "txn", "[[:write :x 1] [:write :y 1]]") + op(0, "ok", "txn", "[[:write :x 1] [:write :y 1]]");
    auto read = [](const char* x, const char* y) {
        return op(1, "invoke", "txn", "[[:read :x nil] [:read :y nil]]") +
               op(1, "ok", "txn", std::string("[[:read :x ") + x + "] [:read :y " + y + "]]");
    };
    LinearizabilityOptions options;
    options.initial = Json{{"x", 0}, {"y", 0}};
    // Concurrent with the write: all or nothing.
    const std::string concurrent = op(0, "invoke", "txn", "[[:write :x 1] [:write :y 1]]") +
                                   op(1, "invoke", "txn", "[[:read :x nil] [:read :y nil]]");
    EXPECT_EQ(verdict_of(concurrent + op(1, "ok", "txn", "[[:read :x 1] [:read :y 1]]") +
                             op(0, "ok", "txn", "[[:write :x 1] [:write :y 1]]"),
                         ModelKind::multi_register, options),
              kOk);
    EXPECT_EQ(verdict_of(concurrent + op(1, "ok", "txn", "[[:read :x 0] [:read :y 0]]") +
                             op(0, "ok", "txn", "[[:write :x 1] [:write :y 1]]"),
                         ModelKind::multi_register, options),
              kOk);
    EXPECT_EQ(verdict_of(concurrent + op(1, "ok", "txn", "[[:read :x 1] [:read :y 0]]") +
                             op(0, "ok", "txn", "[[:write :x 1] [:write :y 1]]"),
                         ModelKind::multi_register, options),
              kBad);
    EXPECT_EQ(verdict_of(write_both + read("1", "1"), ModelKind::multi_register, options), kOk);
    EXPECT_EQ(verdict_of(write_both + read("0", "1"), ModelKind::multi_register, options), kBad);
    // A nil read in a Knossos txn observed nothing.
    EXPECT_EQ(verdict_of(write_both + read("nil", "1"), ModelKind::multi_register, options), kOk);
}

// ---- kv-append (Porcupine)

TEST(KvAppendModel, AppendsAndGets) {
    const std::string base = op(0, "invoke", "append", "\"a\"", "\"k\"") + op(0, "ok", "append", "\"a\"", "\"k\"") +
                             op(0, "invoke", "append", "\"b\"", "\"k\"") + op(1, "invoke", "append", "\"c\"", "\"k\"") +
                             op(0, "ok", "append", "\"b\"", "\"k\"") + op(1, "ok", "append", "\"c\"", "\"k\"") +
                             op(2, "invoke", "get", "nil", "\"k\"");
    for (const char* seen : {"\"abc\"", "\"acb\""}) {
        EXPECT_EQ(verdict_of(base + op(2, "ok", "get", seen, "\"k\""), ModelKind::kv_append), kOk) << seen;
    }
    for (const char* seen : {"\"ab\"", "\"bac\"", "\"abcc\"", "\"\""}) {
        EXPECT_EQ(verdict_of(base + op(2, "ok", "get", seen, "\"k\""), ModelKind::kv_append), kBad) << seen;
    }
}

TEST(KvAppendModel, PutResetsAndOrdersMustAgree) {
    // Two concurrent appends then a put; gets before the put disagree on order.
    const std::string history = op(0, "invoke", "append", "\"x\"", "\"k\"") +
                                op(1, "invoke", "append", "\"y\"", "\"k\"") + op(2, "invoke", "get", "nil", "\"k\"") +
                                op(2, "ok", "get", "\"xy\"", "\"k\"") + op(3, "invoke", "get", "nil", "\"k\"") +
                                op(3, "ok", "get", "\"yx\"", "\"k\"") + op(0, "ok", "append", "\"x\"", "\"k\"") +
                                op(1, "ok", "append", "\"y\"", "\"k\"");
    EXPECT_EQ(verdict_of(history, ModelKind::kv_append), kBad);
    // With a concurrent put of "y" the views "y" and "yx" are fine: put "y",
    // get sees "y", append x, get sees "yx", append y last.
    const std::string with_put = op(0, "invoke", "append", "\"x\"", "\"k\"") +
                                 op(1, "invoke", "append", "\"y\"", "\"k\"") +
                                 op(4, "invoke", "put", "\"y\"", "\"k\"") + op(2, "invoke", "get", "nil", "\"k\"") +
                                 op(2, "ok", "get", "\"y\"", "\"k\"") + op(3, "invoke", "get", "nil", "\"k\"") +
                                 op(3, "ok", "get", "\"yx\"", "\"k\"") + op(0, "ok", "append", "\"x\"", "\"k\"") +
                                 op(1, "ok", "append", "\"y\"", "\"k\"") + op(4, "ok", "put", "\"y\"", "\"k\"");
    EXPECT_EQ(verdict_of(with_put, ModelKind::kv_append), kOk);
}

TEST(KvAppendModel, InfoAppendMayOrMayNotTakeEffect) {
    const std::string prefix = op(0, "invoke", "append", "\"a\"", "\"k\"") + op(0, "ok", "append", "\"a\"", "\"k\"") +
                               op(1, "invoke", "append", "\"b\"", "\"k\"") + op(1, "info", "append", "\"b\"", "\"k\"") +
                               op(2, "invoke", "get", "nil", "\"k\"");
    EXPECT_EQ(verdict_of(prefix + op(2, "ok", "get", "\"a\"", "\"k\""), ModelKind::kv_append), kOk);
    EXPECT_EQ(verdict_of(prefix + op(2, "ok", "get", "\"ab\"", "\"k\""), ModelKind::kv_append), kOk);
    EXPECT_EQ(verdict_of(prefix + op(2, "ok", "get", "\"ba\"", "\"k\""), ModelKind::kv_append), kBad);
}

// ---- mutex

TEST(MutexModel, TwoHoldersAtOnceFail) {
    EXPECT_EQ(verdict_of(op(0, "invoke", "acquire") + op(0, "ok", "acquire") + op(1, "invoke", "acquire") +
                             op(1, "ok", "acquire"),
                         ModelKind::mutex),
              kBad);
    EXPECT_EQ(verdict_of(op(0, "invoke", "acquire") + op(0, "ok", "acquire") + op(0, "invoke", "release") +
                             op(0, "ok", "release") + op(1, "invoke", "acquire") + op(1, "ok", "acquire"),
                         ModelKind::mutex),
              kOk);
}

TEST(MutexModel, UnknownOutcomes) {
    // A release of unknown outcome may have freed the lock.
    EXPECT_EQ(verdict_of(op(0, "invoke", "acquire") + op(0, "ok", "acquire") + op(0, "invoke", "release") +
                             op(0, "info", "release") + op(1, "invoke", "acquire") + op(1, "ok", "acquire"),
                         ModelKind::mutex),
              kOk);
    // An acquire of unknown outcome may never have happened; a failed one did not.
    EXPECT_EQ(verdict_of(op(0, "invoke", "acquire") + op(0, "info", "acquire") + op(2, "invoke", "acquire") +
                             op(2, "fail", "acquire") + op(1, "invoke", "acquire") + op(1, "ok", "acquire"),
                         ModelKind::mutex),
              kOk);
    EXPECT_EQ(verdict_of(op(0, "invoke", "release") + op(0, "ok", "release"), ModelKind::mutex), kBad);
}

// ---- set

TEST(SetModel, ReadsSeeEveryCompletedAdd) {
    const std::string adds =
        op(0, "invoke", "add", "1") + op(0, "ok", "add", "1") + op(1, "invoke", "add", "2") + op(2, "invoke", "read");
    EXPECT_EQ(verdict_of(adds + op(2, "ok", "read", "#{1}") + op(1, "ok", "add", "2"), ModelKind::set), kOk);
    EXPECT_EQ(verdict_of(adds + op(2, "ok", "read", "#{1 2}") + op(1, "ok", "add", "2"), ModelKind::set), kOk);
    EXPECT_EQ(verdict_of(adds + op(2, "ok", "read", "#{2}") + op(1, "ok", "add", "2"), ModelKind::set),
              kBad);  // lost the completed add of 1
    EXPECT_EQ(verdict_of(adds + op(2, "ok", "read", "#{1 3}") + op(1, "ok", "add", "2"), ModelKind::set),
              kBad);  // 3 was never added
}

// ---- fifo-queue

TEST(FifoQueueModel, DequeuesInOrder) {
    const std::string enqueues = op(0, "invoke", "enqueue", "1") + op(0, "ok", "enqueue", "1") +
                                 op(0, "invoke", "enqueue", "2") + op(0, "ok", "enqueue", "2");
    EXPECT_EQ(verdict_of(enqueues + op(1, "invoke", "dequeue") + op(1, "ok", "dequeue", "1") +
                             op(1, "invoke", "dequeue") + op(1, "ok", "dequeue", "2"),
                         ModelKind::fifo_queue),
              kOk);
    EXPECT_EQ(verdict_of(enqueues + op(1, "invoke", "dequeue") + op(1, "ok", "dequeue", "2"), ModelKind::fifo_queue),
              kBad);
    // An unknown dequeue may have taken 1, so 2 is next.
    EXPECT_EQ(verdict_of(enqueues + op(2, "invoke", "dequeue") + op(2, "info", "dequeue") + op(1, "invoke", "dequeue") +
                             op(1, "ok", "dequeue", "2"),
                         ModelKind::fifo_queue),
              kOk);
}

TEST(FifoQueueModel, EmptyDequeueWhenNotEmptyFails) {
    // history.jsonl: a dequeue returning null found the queue empty.
    const std::string jsonl = R"({"process":0,"type":"invoke","f":"enqueue","value":1,"time":1}
{"process":0,"type":"ok","f":"enqueue","value":1,"time":2}
{"process":1,"type":"invoke","f":"dequeue","value":null,"time":3}
{"process":1,"type":"ok","f":"dequeue","value":null,"time":4}
)";
    auto checked = check_text(jsonl, ModelKind::fifo_queue);
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_EQ(checked->verdict, kBad);
}

// ---- counter

TEST(CounterModel, ReadsSeeTheSumOfSomeOrder) {
    const std::string adds =
        op(0, "invoke", "add", "1") + op(0, "ok", "add", "1") + op(1, "invoke", "add", "10") + op(2, "invoke", "read");
    EXPECT_EQ(verdict_of(adds + op(2, "ok", "read", "1") + op(1, "ok", "add", "10"), ModelKind::counter), kOk);
    EXPECT_EQ(verdict_of(adds + op(2, "ok", "read", "11") + op(1, "ok", "add", "10"), ModelKind::counter), kOk);
    EXPECT_EQ(verdict_of(adds + op(2, "ok", "read", "10") + op(1, "ok", "add", "10"), ModelKind::counter), kBad);
    // An add of unknown outcome may count, or not.
    const std::string unknown = op(0, "invoke", "add", "5") + op(0, "info", "add", "5") + op(2, "invoke", "read");
    EXPECT_EQ(verdict_of(unknown + op(2, "ok", "read", "5"), ModelKind::counter), kOk);
    EXPECT_EQ(verdict_of(unknown + op(2, "ok", "read", "0"), ModelKind::counter), kOk);
    EXPECT_EQ(verdict_of(unknown + op(2, "ok", "read", "10"), ModelKind::counter), kBad);
}

TEST(CounterModel, AddsThatCouldOverflowItAreRefusedNotWrapped) {
    // In int64 arithmetic that wraps, these adds would reach the read's value
    // (2^63 - 1 + 2 wraps to -2^63 + 1), and the history would pass.
    const std::string wrap = op(0, "invoke", "add", "9223372036854775807") + op(0, "ok", "add", "9223372036854775807") +
                             op(0, "invoke", "add", "2") + op(0, "ok", "add", "2") + op(1, "invoke", "read") +
                             op(1, "ok", "read", "-9223372036854775807");
    auto checked = check_text(wrap, ModelKind::counter);
    ASSERT_FALSE(checked.has_value());
    EXPECT_NE(checked.error().message.find("beyond +-2^31"), std::string::npos) << checked.error().message;
    // At the bound, adds are checked as usual.
    const std::string big = op(0, "invoke", "add", "2147483648") + op(0, "ok", "add", "2147483648") +
                            op(1, "invoke", "read") + op(1, "ok", "read", "2147483648");
    EXPECT_EQ(verdict_of(big, ModelKind::counter), kOk);
    // So is a start near the ends of int64.
    LinearizabilityOptions near_the_end;
    near_the_end.initial = Json(9223372036854775807LL);
    auto start = check_text(big, ModelKind::counter, near_the_end);
    ASSERT_FALSE(start.has_value());
    EXPECT_NE(start.error().message.find("within +-2^62"), std::string::npos) << start.error().message;
    near_the_end.initial = Json(std::numeric_limits<std::int64_t>::min());
    EXPECT_FALSE(check_text(big, ModelKind::counter, near_the_end).has_value());
}

}  // namespace
}  // namespace faultline::check
