// Reading histories of transactions: Jepsen EDN as Elle writes it (keywords,
// :info and :fail completions, nemesis ops), faultline's history.jsonl with
// f "txn", and malformed input, which must give one error naming the file, the
// line and what is wrong.
#include <gtest/gtest.h>

#include <string>

#include "check/formats/history_formats.h"
#include "check/txn/checker.h"

namespace faultline::check::txn {
namespace {

Result<TxnHistory> read(const std::string& text, const std::string& name, Workload workload) {
    auto parsed = formats::parse_history(text, name);
    if (!parsed) return parsed.error();
    return txn_history_from(*parsed, workload);
}

std::string error_of(const std::string& text, const std::string& name, Workload workload = Workload::list_append) {
    auto history = read(text, name, workload);
    return history ? "(no error)" : history.error().message;
}

TEST(TxnFormats, ElleEdnWithInfoFailAndNemesis) {
    const std::string text = R"(
{:type :invoke, :f :txn, :value [[:append 1 1] [:r 2 nil]], :time 10, :process 0, :index 0}
{:type :invoke, :f :start, :value nil, :process :nemesis, :index 1}
{:type :invoke, :f :txn, :value [[:append 2 1]], :time 20, :process 1, :index 2}
{:type :ok, :f :txn, :value [[:append 1 1] [:r 2 [1]]], :time 30, :process 0, :index 3}
{:type :fail, :f :txn, :value [[:append 2 1]], :time 40, :process 1, :index 4, :error :conflict}
{:type :invoke, :f :txn, :value [[:r 1 nil]], :time 50, :process 2, :index 5}
{:type :info, :f :txn, :value [[:r 1 nil]], :time 60, :process 2, :index 6, :error :timeout}
{:type :invoke, :f :txn, :value [[:append 1 2]], :time 70, :process 3, :index 7}
)";
    auto history = read(text, "h.edn", Workload::list_append);
    ASSERT_TRUE(history) << history.error().message;
    ASSERT_EQ(history->txns.size(), 4u);
    const Txn& t0 = history->txns[0];
    EXPECT_EQ(t0.status, TxnStatus::ok);
    EXPECT_EQ(t0.index, 0);
    EXPECT_EQ(t0.invoke_time, 10);
    EXPECT_EQ(t0.complete_time, 30);
    EXPECT_EQ(t0.line, 2);
    const Mop& read2 = history->mops_of(t0)[1];
    EXPECT_EQ(read2.kind, MopKind::read);
    ASSERT_TRUE(read2.known);
    EXPECT_EQ(history->read_list(read2).size(), 1u);
    EXPECT_EQ(history->txns[1].status, TxnStatus::fail);
    EXPECT_EQ(history->txns[2].status, TxnStatus::info);
    EXPECT_FALSE(history->mops_of(history->txns[2])[0].known);
    EXPECT_EQ(history->txns[3].status, TxnStatus::info);  // never completed
    EXPECT_EQ(history->txns[3].complete_position, Txn::kNever);
    // T0 read key 2 = [1], written by a transaction that failed.
    auto result = check_isolation(*history);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->verdict, Verdict::invalid);
    EXPECT_EQ(result->counts[static_cast<int>(Anomaly::G1a)], 1u);
}

TEST(TxnFormats, JsonlTransactions) {
    const std::string text =
        R"({"index":0,"time":100,"process":0,"type":"invoke","f":"txn","value":[["w",1,3],["r",2,null]]})"
        "\n"
        R"({"index":1,"time":200,"process":0,"type":"ok","f":"txn","value":[["w",1,3],["r",2,null]],"node":"n1"})"
        "\n"
        R"({"index":2,"time":300,"process":1,"type":"invoke","f":"txn","value":[["r",1,null]]})"
        "\n"
        R"({"index":3,"time":400,"process":1,"type":"ok","f":"txn","value":[["r",1,3]]})"
        "\n";
    auto history = read(text, "history.jsonl", Workload::rw_register);
    ASSERT_TRUE(history) << history.error().message;
    ASSERT_EQ(history->txns.size(), 2u);
    EXPECT_TRUE(history->mops_of(history->txns[0])[1].nil);
    EXPECT_EQ(history->mops_of(history->txns[1])[0].value, 3);
    auto result = check_isolation(*history);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->verdict, Verdict::valid);
}

TEST(TxnFormats, MalformedMicroOpsNameFileAndLine) {
    const std::string head = "{:type :invoke, :f :txn, :process 0, :value [[:append 1 1]]}\n";
    EXPECT_EQ(error_of(head + "{:type :ok, :f :txn, :process 0, :value [[:append 1]]}\n", "h.edn"),
              "h.edn:2: micro-op 0 is [\"append\",1], expected [f key value]");
    EXPECT_EQ(error_of(head + "{:type :ok, :f :txn, :process 0, :value [[:append 1 \"a\"]]}\n", "h.edn"),
              "h.edn:2: micro-op 0 ([\"append\",1,\"a\"]) writes \"a\": written values must be integers");
    EXPECT_EQ(error_of("{:type :invoke, :f :txn, :process 0, :value [[:w 1 1]]}\n", "h.edn"),
              "h.edn:1: micro-op 0 is [\"w\",1,1]: a list-append micro-op is [:append k v] or [:r k v]");
    EXPECT_EQ(error_of("{:type :invoke, :f :txn, :process 0, :value [[:r 1 nil]]}\n"
                       "{:type :ok, :f :txn, :process 0, :value [[:r 1 3]]}\n",
                       "h.edn"),
              "h.edn:2: micro-op 0 ([\"r\",1,3]) read 3: a list-append read is a list or nil");
    EXPECT_EQ(error_of("{:type :ok, :f :txn, :process 0, :value []}\n", "h.edn"),
              "h.edn:1: a ok completion for process 0, which has no transaction open");
    EXPECT_EQ(error_of("{:type :invoke, :f :read, :process 0, :value nil}\n", "h.edn"),
              "h.edn:1: operation f is 'read', but a list-append history holds only txn operations");
    EXPECT_EQ(error_of(head + head, "h.edn"),
              "h.edn:2: process 0 invokes a transaction while its previous one (line 1) has not completed");
    EXPECT_EQ(error_of(head + "{:type :ok, :f :txn, :process 0, :value [[:append 2 1]]}\n", "h.edn"),
              "h.edn:2: micro-op 0 of the completion differs from its invocation's [\"append\",1,1] (line 1)");
    EXPECT_EQ(error_of("{:type :invoke, :f :txn, :process 0, :value 3}\n", "h.edn"),
              "h.edn:1: a transaction's value must be a list of micro-ops, got 3");
    EXPECT_EQ(error_of("{:type :invoke, :f :txn, :process 0, :value [[:r [1] nil]]}\n", "h.edn"),
              "h.edn:1: micro-op 0 has key [1]: keys must be integers or strings");
    // The EDN itself broken: the reader's error, with file, line and column.
    EXPECT_EQ(error_of("{:type :invoke, :f :txn, :process 0, :value [[:r 1 nil]]\n", "h.edn"),
              "h.edn:2:1: unexpected end of input: '{' opened on line 1 is never closed");
    EXPECT_EQ(error_of("{\"type\":\"invoke\",\"f\":\"txn\",\"process\":0,\"value\":[[\"r\",1,null]]\n", "h.jsonl"),
              "h.jsonl:1: not valid JSON (The JSON document has an improper structure: missing or superfluous "
              "commas, braces, missing keys, etc.)");
}

TEST(TxnFormats, DuplicateWrittenValuesAreAnErrorNotAnAnomaly) {
    const std::string text =
        "{:type :invoke, :f :txn, :process 0, :value [[:append 1 5]]}\n"
        "{:type :ok, :f :txn, :process 0, :value [[:append 1 5]]}\n"
        "{:type :invoke, :f :txn, :process 1, :value [[:append 1 5]]}\n"
        "{:type :ok, :f :txn, :process 1, :value [[:append 1 5]]}\n";
    auto history = read(text, "d.edn", Workload::list_append);
    ASSERT_TRUE(history);
    auto result = check_isolation(*history);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message,
              "d.edn: value 5 is written to key 1 twice (line 1 and line 3): list-append needs every written value of "
              "a key to be unique, so that a read names the write it saw");
}

}  // namespace
}  // namespace faultline::check::txn
