// The harness's pieces without processes: the wire format, the services'
// semantics, the topologies and the harness's own checks.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "harness/harness.h"
#include "harness/services.h"
#include "harness/wire.h"
#include "harness/workloads.h"

namespace faultline::harness {
namespace {

TEST(HarnessWire, AMessageParsesAndTheNetworkIdIsAdded) {
    auto parsed = parse_wire_line(R"({"src":"n1","dest":"c3","body":{"type":"echo_ok","in_reply_to":1,"echo":"x"}})");
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->src, "n1");
    EXPECT_EQ(parsed->dest, "c3");
    EXPECT_EQ(parsed->body["echo"], "x");
    const Json line = Json::parse(wire_line(*parsed, 14));
    EXPECT_EQ(line["id"], 14);
    EXPECT_EQ(line["body"]["type"], "echo_ok");
}

TEST(HarnessWire, WhatIsWrongWithALineIsSaidAndQuoted) {
    auto message = [](std::string_view line) {
        auto parsed = parse_wire_line(line);
        EXPECT_FALSE(parsed.has_value()) << line;
        return parsed ? std::string() : parsed.error().message;
    };
    EXPECT_EQ(message("hello"), "not well-formed JSON: 'hello'");
    EXPECT_EQ(message("[1,2]"), "not a JSON object: '[1,2]'");
    EXPECT_NE(message(R"({"dest":"n1","body":{"type":"x"}})").find("no \"src\" string"), std::string::npos);
    EXPECT_NE(message(R"({"src":"n1","body":{"type":"x"}})").find("no \"dest\" string"), std::string::npos);
    EXPECT_NE(message(R"({"src":"n1","dest":"n2","body":3})").find("no \"body\" object"), std::string::npos);
    EXPECT_NE(message(R"({"src":"n1","dest":"n2","body":{}})").find("without a \"type\""), std::string::npos);
    EXPECT_NE(message(R"({"id":"x","src":"n1","dest":"n2","body":{"type":"a"}})").find("\"id\""), std::string::npos);
    const std::string huge(kWireLineMax + 1, 'x');
    EXPECT_NE(message(huge).find("over the limit"), std::string::npos);
}

TEST(HarnessWire, ErrorCodesAreDefiniteOrNotAsMaelstromSays) {
    EXPECT_FALSE(error_code_info(0).definite);   // timeout
    EXPECT_FALSE(error_code_info(13).definite);  // crash
    EXPECT_TRUE(error_code_info(11).definite);   // temporarily unavailable
    EXPECT_TRUE(error_code_info(20).definite);
    EXPECT_TRUE(error_code_info(22).definite);
    EXPECT_TRUE(error_code_info(30).definite);
    EXPECT_FALSE(error_code_info(1000).definite);  // user codes are indefinite
    EXPECT_STREQ(error_code_info(1000).name, "unknown");
    EXPECT_STREQ(error_code_info(22).name, "precondition-failed");
}

// A context for one service: what it sends is kept, its randomness is seeded.
class ServiceContext final : public Context {
  public:
    NodeId self() const override { return NodeId{100}; }
    std::span<const NodeId> cluster() const override { return {}; }
    std::string_view name_of(NodeId) const override { return "x"; }
    Nanos now() const override { return 0; }
    void send(NodeId to, MessagePtr message) override { sent.emplace_back(to, std::move(message)); }
    TimerId set_timer(Nanos, std::uint64_t) override { return 0; }
    void cancel_timer(TimerId) override {}
    Prng& random() override { return random_; }
    Storage& storage() override { std::abort(); }
    void log(std::string_view) override { ++logged; }
    std::vector<std::pair<NodeId, MessagePtr>> sent;
    int logged = 0;

  private:
    Prng random_{7};
};

// Sends `body` (with a msg_id) from `caller` and returns the reply's body
// (null if there was none).
Json ask(Node& service, ServiceContext& ctx, std::uint32_t caller, Json body) {
    static std::uint64_t msg_id = 0;
    body["msg_id"] = ++msg_id;
    const std::size_t before = ctx.sent.size();
    service.on_message(ctx, Envelope{NodeId{caller}, NodeId{100}, std::make_shared<MaelstromMessage>(body)});
    if (ctx.sent.size() == before) return Json();
    const auto* reply = message_as<MaelstromMessage>(*ctx.sent.back().second);
    EXPECT_EQ(ctx.sent.back().first, NodeId{caller});
    EXPECT_EQ(reply->in_reply_to(), msg_id);
    EXPECT_FALSE(reply->body().contains("msg_id"));  // services send none of their own
    return reply->body();
}

TEST(HarnessServices, LinKvReadsWritesAndComparesAndSets) {
    auto service = make_service("lin-kv");
    ServiceContext ctx;
    service->start(ctx);
    EXPECT_EQ(ask(*service, ctx, 1, {{"type", "read"}, {"key", "a"}})["code"], 20);
    EXPECT_EQ(ask(*service, ctx, 1, {{"type", "cas"}, {"key", "a"}, {"from", 1}, {"to", 2}})["code"], 20);
    EXPECT_EQ(ask(*service, ctx, 1,
                  {{"type", "cas"}, {"key", "a"}, {"from", 1}, {"to", 2}, {"create_if_not_exists", true}})["type"],
              "cas_ok");
    EXPECT_EQ(ask(*service, ctx, 2, {{"type", "read"}, {"key", "a"}})["value"], 2);
    const Json refused = ask(*service, ctx, 2, {{"type", "cas"}, {"key", "a"}, {"from", 1}, {"to", 3}});
    EXPECT_EQ(refused["code"], 22);
    EXPECT_EQ(refused["text"], "current value 2 is not 1");
    EXPECT_EQ(ask(*service, ctx, 2, {{"type", "write"}, {"key", "a"}, {"value", 5}})["type"], "write_ok");
    EXPECT_EQ(ask(*service, ctx, 1, {{"type", "read"}, {"key", "a"}})["value"], 5);
    // A request of an unknown type gets no reply at all.
    EXPECT_TRUE(ask(*service, ctx, 1, {{"type", "frobnicate"}}).is_null());
    EXPECT_EQ(ctx.logged, 1);
}

TEST(HarnessServices, SeqKvMayServeStaleReadsButNeverOlderThanACallerSaw) {
    auto service = make_service("seq-kv");
    ServiceContext ctx;
    service->start(ctx);
    // Caller 1 writes 0..19; caller 2 reads. Reads may lag, but each caller's
    // reads never go backwards, and a caller sees its own writes.
    bool stale_seen = false;
    std::int64_t last_read = -1;
    for (int value = 0; value < 20; ++value) {
        ASSERT_EQ(ask(*service, ctx, 1, {{"type", "write"}, {"key", 0}, {"value", value}})["type"], "write_ok");
        EXPECT_EQ(ask(*service, ctx, 1, {{"type", "read"}, {"key", 0}})["value"], value);
        const Json read = ask(*service, ctx, 2, {{"type", "read"}, {"key", 0}});
        if (read["type"] != "read_ok") continue;  // the key may not exist yet in the state chosen
        const std::int64_t seen = read["value"].get<std::int64_t>();
        EXPECT_GE(seen, last_read);
        EXPECT_LE(seen, value);
        stale_seen |= seen < value;
        last_read = seen;
    }
    EXPECT_TRUE(stale_seen);  // with this seed, some read lagged behind
    // A write moves its caller to the newest state.
    ASSERT_EQ(ask(*service, ctx, 2, {{"type", "cas"}, {"key", 0}, {"from", 19}, {"to", 20}})["type"], "cas_ok");
    EXPECT_EQ(ask(*service, ctx, 2, {{"type", "read"}, {"key", 0}})["value"], 20);
}

TEST(HarnessServices, LwwKvMayMissRecentWritesAndHasNoCreateIfNotExists) {
    auto service = make_service("lww-kv");
    ServiceContext ctx;
    service->start(ctx);
    EXPECT_EQ(ask(*service, ctx, 1,
                  {{"type", "cas"}, {"key", "a"}, {"from", 1}, {"to", 2}, {"create_if_not_exists", true}})["code"],
              20);
    int missed = 0;
    for (int value = 0; value < 30; ++value) {
        ask(*service, ctx, 1, {{"type", "write"}, {"key", "a"}, {"value", value}});
        const Json read = ask(*service, ctx, 1, {{"type", "read"}, {"key", "a"}});
        missed += read.value("value", Json()) != Json(value) ? 1 : 0;
    }
    EXPECT_GT(missed, 0);   // two replicas: a read may hit the one that lags
    EXPECT_LT(missed, 30);  // but not always
}

TEST(HarnessServices, LinTsoCountsFromZero) {
    auto service = make_service("lin-tso");
    ServiceContext ctx;
    service->start(ctx);
    for (int expected = 0; expected < 3; ++expected) {
        EXPECT_EQ(ask(*service, ctx, 1, {{"type", "ts"}})["ts"], expected);
    }
}

TEST(HarnessWorkloads, TopologiesAreSymmetricAndConnected) {
    const std::vector<std::string> nodes = {"n0", "n1", "n2", "n3", "n4", "n5", "n6"};
    for (const char* kind : {"grid", "line", "total", "tree2", "tree3", "tree4"}) {
        auto topology = make_topology(kind, nodes);
        ASSERT_TRUE(topology.has_value()) << kind;
        std::set<std::string> reached = {"n0"};
        std::vector<std::string> frontier = {"n0"};
        while (!frontier.empty()) {
            const std::string node = frontier.back();
            frontier.pop_back();
            for (const Json& peer : (*topology)[node]) {
                const std::string name = peer.get<std::string>();
                bool back = false;
                for (const Json& other : (*topology)[name]) back |= other == node;
                EXPECT_TRUE(back) << kind << ": " << node << " -> " << name;
                if (reached.insert(name).second) frontier.push_back(name);
            }
        }
        EXPECT_EQ(reached.size(), nodes.size()) << kind;
    }
    EXPECT_EQ((*make_topology("line", nodes))["n3"], Json({"n2", "n4"}));
    EXPECT_EQ((*make_topology("total", nodes))["n0"].size(), 6u);
    EXPECT_FALSE(make_topology("ring", nodes).has_value());
}

check::Operation op(check::OpType type, std::int64_t process, std::string f, Json value, Nanos time = 0) {
    return check::Operation{.time = time, .process = process, .type = type, .f = std::move(f), .value = value};
}

TEST(HarnessChecks, UniqueIdsPassWhenDistinctAndFailOnADuplicate) {
    using T = check::OpType;
    check::History history = {op(T::invoke, 0, "generate", Json()), op(T::ok, 0, "generate", "n1-1"),
                              op(T::invoke, 1, "generate", Json()), op(T::ok, 1, "generate", "n2-1")};
    EXPECT_EQ(check_unique_ids(history).verdict, check::Verdict::valid);
    history.push_back(op(T::invoke, 1, "generate", Json()));
    history.push_back(op(T::ok, 1, "generate", "n1-1"));
    for (std::size_t i = 0; i < history.size(); ++i) history[i].index = static_cast<std::int64_t>(i);
    const check::Outcome outcome = check_unique_ids(history);
    EXPECT_EQ(outcome.verdict, check::Verdict::invalid);
    EXPECT_EQ(outcome.details["duplicated_count"], 1);
    EXPECT_NE(outcome.summary.find("\"n1-1\" was generated twice (ops 1 and 5)"), std::string::npos);
}

TEST(HarnessChecks, CounterFinalReadsMustBeATotalTheAddsCanMake) {
    using T = check::OpType;
    // ok adds 3 and -2; one add of 4 unknown: final reads may be 1 or 5.
    check::History history = {op(T::invoke, 0, "add", 3),           op(T::ok, 0, "add", 3),
                              op(T::invoke, 0, "add", -2),          op(T::ok, 0, "add", -2),
                              op(T::invoke, 1, "add", 4),           op(T::info, 1, "add", 4),
                              op(T::invoke, 2, "read", Json(), 10), op(T::ok, 2, "read", 5, 11),
                              op(T::invoke, 3, "read", Json(), 10), op(T::ok, 3, "read", 1, 11)};
    EXPECT_EQ(check_final_counter(history, 10).verdict, check::Verdict::valid);
    // A read before the finals is not judged: it may lag.
    history.push_back(op(T::invoke, 4, "read", Json(), 5));
    history.push_back(op(T::ok, 4, "read", 0, 6));
    EXPECT_EQ(check_final_counter(history, 10).verdict, check::Verdict::valid);
    history.push_back(op(T::invoke, 5, "read", Json(), 12));
    history.push_back(op(T::ok, 5, "read", 3, 13));
    const check::Outcome outcome = check_final_counter(history, 10);
    EXPECT_EQ(outcome.verdict, check::Verdict::invalid);
    EXPECT_NE(outcome.summary.find("final read 3"), std::string::npos);
    // No final read at all: nothing to judge.
    EXPECT_EQ(check_final_counter({op(T::invoke, 0, "add", 1), op(T::ok, 0, "add", 1)}, 10).verdict,
              check::Verdict::unknown);
}

TEST(HarnessWorkloads, TxnGeneratorsWriteEachValueOnceAndRetireFullKeys) {
    auto workload = make_workload("txn-list-append", WorkloadOptions{.key_count = 3, .max_writes_per_key = 4});
    ASSERT_TRUE(workload.has_value());
    Prng random(5);
    std::map<std::int64_t, std::set<std::int64_t>> written;
    std::size_t longest = 0;
    for (int i = 0; i < 500; ++i) {
        const workload::OpRequest op = (*workload)->next(random);
        ASSERT_EQ(op.f, "txn");
        longest = std::max(longest, op.value.size());
        for (const Json& micro : op.value) {
            if (micro[0] == "r") {
                EXPECT_TRUE(micro[2].is_null());
                continue;
            }
            EXPECT_EQ(micro[0], "append");
            EXPECT_TRUE(written[micro[1].get<std::int64_t>()].insert(micro[2].get<std::int64_t>()).second) << micro;
        }
    }
    EXPECT_EQ(longest, 4u);  // --max-txn-length's default
    for (const auto& [key, values] : written) EXPECT_LE(values.size(), 4u) << key;
    EXPECT_GT(written.size(), 3u);  // full keys were replaced by fresh ones
    // A reply must be the request with its reads filled in.
    workload::OpRequest op{"txn", Json(), Json::parse(R"([["r", 1, null], ["append", 1, 3]])")};
    EXPECT_TRUE((*workload)->ok_value(op, Json::parse(R"({"type":"txn_ok","txn":[["r",1,[1,2]],["append",1,3]]})")));
    EXPECT_FALSE((*workload)->ok_value(op, Json::parse(R"({"type":"txn_ok","txn":[["r",1,[1]],["append",1,4]]})")));
    EXPECT_FALSE((*workload)->ok_value(op, Json::parse(R"({"type":"txn_ok","txn":[["r",1,[1]]]})")));
    EXPECT_FALSE(make_workload("txn-rw-register", WorkloadOptions{.consistency_models = "nonsense"}).has_value());
}

TEST(HarnessChecks, KafkaCatchesInconsistentOffsetsDuplicatesAndLostWrites) {
    using T = check::OpType;
    auto send = [](std::int64_t process, std::string key, std::int64_t msg, Json ok, Nanos at) {
        check::Operation invoke = op(T::invoke, process, "send", msg, at);
        invoke.key = key;
        check::Operation done = op(T::ok, process, "send", std::move(ok), at + 1);
        done.key = key;
        return std::vector<check::Operation>{invoke, done};
    };
    auto poll = [](std::int64_t process, Json from, Json msgs, Nanos at) {
        return std::vector<check::Operation>{op(T::invoke, process, "poll", std::move(from), at),
                                             op(T::ok, process, "poll", std::move(msgs), at + 1)};
    };
    auto history_of = [](std::vector<std::vector<check::Operation>> parts) {
        check::History history;
        for (auto& part : parts) history.insert(history.end(), part.begin(), part.end());
        for (std::size_t i = 0; i < history.size(); ++i) history[i].index = static_cast<std::int64_t>(i);
        return history;
    };
    const Json from0 = {{"a", 0}};
    // Three sends at offsets 0..2, one poll that sees them all: valid.
    check::History good =
        history_of({send(0, "a", 1, {0, 1}, 0), send(0, "a", 2, {1, 2}, 10), send(0, "a", 3, {2, 3}, 20),
                    poll(1, from0, {{"a", {{0, 1}, {1, 2}, {2, 3}}}}, 30)});
    EXPECT_EQ(check_kafka(good).verdict, check::Verdict::valid);
    // The poll skips offset 1, acknowledged before it began: a lost write.
    check::History lost = history_of({send(0, "a", 1, {0, 1}, 0), send(0, "a", 2, {1, 2}, 10),
                                      send(0, "a", 3, {2, 3}, 20), poll(1, from0, {{"a", {{0, 1}, {2, 3}}}}, 30)});
    const check::Outcome outcome = check_kafka(lost);
    EXPECT_EQ(outcome.verdict, check::Verdict::invalid);
    EXPECT_NE(outcome.summary.find("lost-write: key a offset 1"), std::string::npos) << outcome.summary;
    // ...but not when the send was acknowledged after the poll began.
    check::History concurrent =
        history_of({send(0, "a", 1, {0, 1}, 0), send(0, "a", 3, {2, 3}, 20),
                    poll(1, from0, {{"a", {{0, 1}, {2, 3}}}}, 30), send(0, "a", 2, {1, 2}, 40)});
    EXPECT_EQ(check_kafka(concurrent).verdict, check::Verdict::valid);
    // Offset 0 holds two messages.
    check::History inconsistent = history_of({send(0, "a", 1, {0, 1}, 0), poll(1, from0, {{"a", {{0, 7}}}}, 10)});
    EXPECT_NE(check_kafka(inconsistent).summary.find("inconsistent-offsets"), std::string::npos);
    // One message at two offsets.
    check::History duplicate = history_of({send(0, "a", 1, {0, 1}, 0), poll(1, from0, {{"a", {{0, 1}, {1, 1}}}}, 10)});
    EXPECT_NE(check_kafka(duplicate).summary.find("duplicate"), std::string::npos);
    // A poll from offset 2 that returns offset 0.
    check::History below = history_of({poll(1, {{"a", 2}}, {{"a", {{0, 1}}}}, 10)});
    EXPECT_NE(check_kafka(below).summary.find("poll-below-position"), std::string::npos);
}

TEST(HarnessChecks, StableLatencyRunsUntilTheLastReadThatMissedTheElement) {
    using T = check::OpType;
    const Nanos ms = milliseconds(1);
    check::History history = {
        op(T::invoke, 0, "add", 1, 0),
        op(T::ok, 0, "add", 1, 2 * ms),
        op(T::invoke, 1, "read", Json(), 5 * ms),
        op(T::ok, 1, "read", Json::array(), 20 * ms),  // missed it
        op(T::invoke, 2, "read", Json(), 30 * ms),
        op(T::ok, 2, "read", Json({1}), 31 * ms),
        op(T::invoke, 0, "add", 2, 40 * ms),
        op(T::ok, 0, "add", 2, 41 * ms),
        op(T::invoke, 1, "read", Json(), 50 * ms),
        op(T::ok, 1, "read", Json({1, 2}), 51 * ms),
        op(T::invoke, 0, "add", 3, 60 * ms),
        op(T::ok, 0, "add", 3, 61 * ms),  // never read: no latency
    };
    const Json latencies = stable_latencies(history);
    EXPECT_DOUBLE_EQ(latencies["0"].get<double>(), 0.0);   // element 2: no read missed it
    EXPECT_DOUBLE_EQ(latencies["1"].get<double>(), 20.0);  // element 1: until the missing read completed
}

TEST(HarnessOptions, ConcurrencyIsNOrNPerNodeAndNodesAreNamedAsInMaelstrom) {
    HarnessConfig config;
    EXPECT_EQ(server_names(config), (std::vector<std::string>{"n1", "n2", "n3", "n4", "n5"}));
    EXPECT_EQ(*client_count(config), 5);  // 1n over five nodes
    config.node_count = 3;
    EXPECT_EQ(server_names(config), (std::vector<std::string>{"n0", "n1", "n2"}));
    config.concurrency = "2n";
    EXPECT_EQ(*client_count(config), 6);
    config.concurrency = "4";
    EXPECT_EQ(*client_count(config), 4);
    // Jepsen's --nodes names them, unless --node-count says otherwise.
    config.node_count = 0;
    config.nodes = "a,b";
    EXPECT_EQ(server_names(config), (std::vector<std::string>{"a", "b"}));
    config.node_count = 1;
    EXPECT_EQ(server_names(config), (std::vector<std::string>{"n0"}));
    // Maelstrom's client timeouts: 5 s; lin-kv 10 x the mean latency, at least 1 s.
    config.workload = "echo";
    EXPECT_EQ(client_timeout(config), seconds(5));
    config.workload = "lin-kv";
    EXPECT_EQ(client_timeout(config), seconds(1));
    config.latency_ms = 250;
    EXPECT_EQ(client_timeout(config), milliseconds(2500));
    config.client_timeout = milliseconds(300);
    EXPECT_EQ(client_timeout(config), milliseconds(300));
    for (const char* bad : {"", "n", "0", "-1", "2x", "99999999n"}) {
        config.concurrency = bad;
        EXPECT_FALSE(client_count(config).has_value()) << bad;
    }
}

}  // namespace
}  // namespace faultline::harness
