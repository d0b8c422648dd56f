#include "harness/workloads.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>

#include "check/echo_checker.h"
#include "check/linearizability/outcome.h"
#include "check/set_checker.h"
#include "check/txn/checker.h"
#include "workload/kv_workload.h"

namespace faultline::harness {

using workload::OpRequest;

namespace {

// A closed schema: the reply may hold only `keys` (each required) beside the
// protocol's own.
Status check_keys(const Json& reply, std::initializer_list<const char*> keys) {
    for (const char* key : keys) {
        if (!reply.contains(key)) return make_error(ErrorCode::parse_error, fmt::format("no \"{}\"", key));
    }
    for (const auto& [key, value] : reply.items()) {
        if (key == "type" || key == "in_reply_to" || key == "msg_id") continue;
        if (std::find_if(keys.begin(), keys.end(), [&](const char* k) { return key == k; }) == keys.end()) {
            return make_error(ErrorCode::parse_error, fmt::format("unknown key \"{}\"", key));
        }
    }
    return {};
}

Result<Json> expect(const Json& reply, const char* type, std::initializer_list<const char*> keys,
                    const char* value_key) {
    if (reply.value("type", "") != type) {
        return make_error(ErrorCode::parse_error,
                          fmt::format("type \"{}\", expected {}", reply.value("type", ""), type));
    }
    if (Status keys_ok = check_keys(reply, keys); !keys_ok) return keys_ok.error();
    return value_key == nullptr ? Json() : reply[value_key];
}

class EchoWorkload final : public Workload {
  public:
    std::string name() const override { return "echo"; }
    OpRequest next(Prng& random) override {
        return OpRequest{"echo", Json(), Json(fmt::format("Please echo {}", random.below(128)))};
    }
    Json request_body(const OpRequest& op) const override { return {{"type", "echo"}, {"echo", op.value}}; }
    Result<Json> ok_value(const OpRequest&, const Json& reply) const override {
        return expect(reply, "echo_ok", {"echo"}, "echo");
    }
    std::vector<std::string> checks() const override { return {"echo"}; }
    std::vector<check::Outcome> check(const check::History& history, Nanos) const override {
        return {check::outcome_of(check::check_echo(history))};
    }
};

class UniqueIdsWorkload final : public Workload {
  public:
    std::string name() const override { return "unique-ids"; }
    OpRequest next(Prng&) override { return OpRequest{"generate", Json(), Json()}; }
    Json request_body(const OpRequest&) const override { return {{"type", "generate"}}; }
    Result<Json> ok_value(const OpRequest&, const Json& reply) const override {
        return expect(reply, "generate_ok", {"id"}, "id");
    }
    std::vector<std::string> checks() const override { return {"unique-ids"}; }
    std::vector<check::Outcome> check(const check::History& history, Nanos) const override {
        return {check_unique_ids(history)};
    }
};

// broadcast and g-set: adds of 0, 1, 2, ... and reads, half and half; a final
// read of every server.
class SetWorkload final : public Workload {
  public:
    SetWorkload(bool broadcast, std::string topology) : broadcast_(broadcast), topology_(std::move(topology)) {}
    std::string name() const override { return broadcast_ ? "broadcast" : "g-set"; }
    OpRequest next(Prng& random) override {
        if (random.below(2) == 0) return OpRequest{"read", Json(), Json()};
        return OpRequest{"add", Json(), Json(next_element_++)};
    }
    Json request_body(const OpRequest& op) const override {
        if (op.f == "read") return {{"type", "read"}};
        if (broadcast_) return {{"type", "broadcast"}, {"message", op.value}};
        return {{"type", "add"}, {"element", op.value}};
    }
    Result<Json> ok_value(const OpRequest& op, const Json& reply) const override {
        if (op.f == "read") {
            auto value =
                expect(reply, "read_ok", {broadcast_ ? "messages" : "value"}, broadcast_ ? "messages" : "value");
            if (value && !value->is_array())
                return make_error(ErrorCode::parse_error, "a read of something not a list");
            return value;
        }
        if (auto ok = expect(reply, broadcast_ ? "broadcast_ok" : "add_ok", {}, nullptr); !ok) return ok;
        return op.value;
    }
    bool idempotent(const std::string& f) const override { return f == "read"; }
    std::vector<OpRequest> final_ops(const std::vector<std::string>& servers) const override {
        std::vector<OpRequest> reads;
        for (std::size_t i = 0; i < servers.size(); ++i) {
            reads.push_back(OpRequest{"read", Json(), Json(), NodeId{static_cast<std::uint32_t>(i)}});
        }
        return reads;
    }
    std::vector<Json> setup_bodies(const std::string& server, const std::vector<std::string>& servers) const override {
        if (!broadcast_) return {};
        auto topology = make_topology(topology_, servers);
        FL_ASSERT(topology.has_value());
        Json body = {{"type", "topology"}, {"topology", *topology}};
        (void)server;
        return {body};
    }
    std::vector<std::string> checks() const override { return {"set"}; }
    std::vector<check::Outcome> check(const check::History& history, Nanos finals_from) const override {
        check::Outcome outcome = check::outcome_of(check::check_set(history, finals_from));
        outcome.details["stable_latencies_ms"] = stable_latencies(history);
        return {outcome};
    }

  private:
    bool broadcast_;
    std::string topology_;
    std::int64_t next_element_ = 0;
};

class CounterWorkload final : public Workload {
  public:
    explicit CounterWorkload(bool negative) : negative_(negative) {}
    std::string name() const override { return negative_ ? "pn-counter" : "g-counter"; }
    OpRequest next(Prng& random) override {
        if (random.below(2) == 0) return OpRequest{"read", Json(), Json()};
        // Maelstrom's deltas: 0..4, or -5..4 for the pn-counter.
        return OpRequest{"add", Json(), Json(negative_ ? random.between(-5, 4) : random.between(0, 4))};
    }
    Json request_body(const OpRequest& op) const override {
        if (op.f == "read") return {{"type", "read"}};
        return {{"type", "add"}, {"delta", op.value}};
    }
    Result<Json> ok_value(const OpRequest& op, const Json& reply) const override {
        if (op.f == "read") {
            auto value = expect(reply, "read_ok", {"value"}, "value");
            if (value && !value->is_number_integer())
                return make_error(ErrorCode::parse_error, "a read of a non-integer");
            return value;
        }
        if (auto ok = expect(reply, "add_ok", {}, nullptr); !ok) return ok;
        return op.value;
    }
    std::vector<OpRequest> final_ops(const std::vector<std::string>& servers) const override {
        std::vector<OpRequest> reads;
        for (std::size_t i = 0; i < servers.size(); ++i) {
            reads.push_back(OpRequest{"read", Json(), Json(), NodeId{static_cast<std::uint32_t>(i)}});
        }
        return reads;
    }
    // Maelstrom judges both counters by their final reads only: a counter
    // that gossips may serve stale reads while the run goes on.
    std::vector<std::string> checks() const override { return {"counter"}; }
    std::vector<check::Outcome> check(const check::History& history, Nanos finals_from) const override {
        return {check_final_counter(history, finals_from)};
    }

  private:
    bool negative_;
};

class LinKvWorkload final : public Workload {
  public:
    explicit LinKvWorkload(int key_count)
        : generator_(workload::LinKvOptions{.keys_active = key_count > 0 ? key_count : 4}) {}
    std::string name() const override { return "lin-kv"; }
    OpRequest next(Prng& random) override { return generator_.next(random); }
    Json request_body(const OpRequest& op) const override {
        if (op.f == "read") return {{"type", "read"}, {"key", op.key}};
        if (op.f == "write") return {{"type", "write"}, {"key", op.key}, {"value", op.value}};
        return {{"type", "cas"}, {"key", op.key}, {"from", op.value.at(0)}, {"to", op.value.at(1)}};
    }
    Result<Json> ok_value(const OpRequest& op, const Json& reply) const override {
        if (op.f == "read") return expect(reply, "read_ok", {"value"}, "value");
        if (auto ok = expect(reply, op.f == "write" ? "write_ok" : "cas_ok", {}, nullptr); !ok) return ok;
        return op.value;
    }
    bool idempotent(const std::string& f) const override { return f == "read"; }
    std::vector<std::string> checks() const override { return {"linearizability"}; }
    std::vector<check::Outcome> check(const check::History& history, Nanos) const override {
        check::LinearizabilityOptions options;
        options.model = check::models::ModelKind::kv;
        options.semantics = check::models::faultline_history_semantics();
        return {check::linearizability_check(history, options)};
    }

  private:
    workload::LinKvGenerator generator_;
};

// Elle's transaction generators: 1..max_txn_length micro-ops over key_count
// keys in use; each key takes max_writes_per_key writes (values 1, 2, ... per
// key, so every written value is unique) and is then replaced by a fresh one.
class TxnWorkload final : public Workload {
  public:
    TxnWorkload(check::txn::Workload kind, std::vector<check::txn::Model> models, const WorkloadOptions& options)
        : kind_(kind),
          models_(std::move(models)),
          max_length_(options.max_txn_length),
          max_writes_(options.max_writes_per_key) {
        const int keys = options.key_count > 0 ? options.key_count : 10;
        for (int i = 0; i < keys; ++i) active_.push_back(next_key_++);
    }
    std::string name() const override {
        return kind_ == check::txn::Workload::list_append ? "txn-list-append" : "txn-rw-register";
    }
    OpRequest next(Prng& random) override {
        Json txn = Json::array();
        const auto length = 1 + random.below(static_cast<std::uint64_t>(max_length_));
        const char* write = kind_ == check::txn::Workload::list_append ? "append" : "w";
        for (std::uint64_t i = 0; i < length; ++i) {
            const std::size_t slot = random.below(active_.size());
            const std::int64_t key = active_[slot];
            if (random.below(2) == 0) {
                txn.push_back({"r", key, nullptr});
                continue;
            }
            const std::int64_t value = ++writes_[key];
            txn.push_back({write, key, value});
            if (value >= max_writes_) {
                writes_.erase(key);
                active_[slot] = next_key_++;
            }
        }
        return OpRequest{"txn", Json(), std::move(txn)};
    }
    Json request_body(const OpRequest& op) const override { return {{"type", "txn"}, {"txn", op.value}}; }
    Result<Json> ok_value(const OpRequest& op, const Json& reply) const override {
        auto txn = expect(reply, "txn_ok", {"txn"}, "txn");
        if (!txn) return txn;
        // The reply must be the request with its reads filled in.
        if (!txn->is_array() || txn->size() != op.value.size()) {
            return make_error(ErrorCode::parse_error, "a txn of another length than the request's");
        }
        for (std::size_t i = 0; i < txn->size(); ++i) {
            const Json& mine = op.value[i];
            const Json& theirs = (*txn)[i];
            if (!theirs.is_array() || theirs.size() != 3 || theirs[0] != mine[0] || theirs[1] != mine[1] ||
                (mine[0] != "r" && theirs[2] != mine[2])) {
                return make_error(ErrorCode::parse_error, fmt::format("micro-op {} is {}, not {} with its read filled",
                                                                      i, theirs.dump(), mine.dump()));
            }
        }
        return txn;
    }
    std::vector<std::string> checks() const override { return {"isolation"}; }
    std::vector<check::Outcome> check(const check::History& history, Nanos) const override {
        check::formats::ParsedHistory parsed;
        parsed.name = "history.jsonl";
        parsed.format = check::formats::Format::jsonl;
        parsed.history = history;
        for (std::size_t i = 0; i < history.size(); ++i) parsed.lines->push_back(static_cast<std::int32_t>(i + 1));
        auto txns = check::txn::txn_history_from(parsed, kind_);
        if (!txns) return {cannot_check(txns.error().message)};
        auto result = check::txn::check_isolation(*txns, check::txn::IsolationOptions{.models = models_});
        if (!result) return {cannot_check(result.error().message)};
        return {check::txn::outcome_of(*result)};
    }

  private:
    static check::Outcome cannot_check(std::string why) {
        check::Outcome outcome;
        outcome.name = "isolation";
        outcome.verdict = check::Verdict::unknown;
        outcome.summary = "cannot check the history: " + why;
        return outcome;
    }

    check::txn::Workload kind_;
    std::vector<check::txn::Model> models_;
    int max_length_;
    int max_writes_;
    std::vector<std::int64_t> active_;
    std::map<std::int64_t, std::int64_t> writes_;  // key -> values written so far
    std::int64_t next_key_ = 0;
};

// Maelstrom's kafka workload, with subscriptions by assign: every client reads
// every key (string keys "0".."K-1"), polling from its own position in each;
// after a poll that returned something it commits the offsets it reached.
// Sent messages are 1, 2, 3, ... (unique). A client whose operation ended in
// doubt starts again from what it committed, as a new Jepsen client would.
class KafkaWorkload final : public Workload {
  public:
    explicit KafkaWorkload(int key_count) : keys_(key_count > 0 ? key_count : 4) {}
    std::string name() const override { return "kafka"; }
    OpRequest next(Prng& random) override { return next_for(random, 0); }
    OpRequest next_for(Prng& random, std::size_t client) override {
        Consumer& consumer = consumer_of(client);
        if (consumer.commit_due) {
            consumer.commit_due = false;
            return OpRequest{"commit_offsets", Json(), positions_json(consumer.position)};
        }
        const auto dice = random.below(10);
        if (dice < 5) return OpRequest{"send", Json(key_name(random.below(keys_))), Json(++next_message_)};
        if (dice < 9) return OpRequest{"poll", Json(), positions_json(consumer.position)};
        Json keys = Json::array();
        for (std::uint64_t k = 0; k < keys_; ++k) keys.push_back(key_name(k));
        return OpRequest{"list_committed_offsets", Json(), keys};
    }
    void completed(std::size_t client, const OpRequest& op, check::OpType type, const Json& value) override {
        Consumer& consumer = consumer_of(client);
        if (type == check::OpType::info) {
            consumer.position = consumer.committed;
            return;
        }
        if (type != check::OpType::ok) return;
        if (op.f == "poll") {
            bool advanced = false;
            for (const auto& [key, messages] : value.items()) {
                if (!messages.is_array() || messages.empty()) continue;
                consumer.position[key] = messages.back().at(0).get<std::int64_t>() + 1;
                advanced = true;
            }
            consumer.commit_due = advanced;
        } else if (op.f == "commit_offsets") {
            for (const auto& [key, offset] : op.value.items()) consumer.committed[key] = offset.get<std::int64_t>();
        }
    }
    Json request_body(const OpRequest& op) const override {
        if (op.f == "send") return {{"type", "send"}, {"key", op.key}, {"msg", op.value}};
        if (op.f == "poll") return {{"type", "poll"}, {"offsets", op.value}};
        if (op.f == "commit_offsets") return {{"type", "commit_offsets"}, {"offsets", op.value}};
        return {{"type", "list_committed_offsets"}, {"keys", op.value}};
    }
    Result<Json> ok_value(const OpRequest& op, const Json& reply) const override {
        if (op.f == "send") {
            auto offset = expect(reply, "send_ok", {"offset"}, "offset");
            if (offset && !offset->is_number_integer())
                return make_error(ErrorCode::parse_error, "a non-integer offset");
            if (!offset) return offset;
            return Json::array({*offset, op.value});
        }
        if (op.f == "poll") {
            auto msgs = expect(reply, "poll_ok", {"msgs"}, "msgs");
            if (!msgs) return msgs;
            if (!msgs->is_object()) return make_error(ErrorCode::parse_error, "msgs is not an object");
            for (const auto& [key, list] : msgs->items()) {
                if (!list.is_array()) return make_error(ErrorCode::parse_error, "msgs of key " + key + " not a list");
                for (const Json& pair : list) {
                    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_integer()) {
                        return make_error(ErrorCode::parse_error,
                                          "a message that is not [offset, msg]: " + pair.dump());
                    }
                }
            }
            return msgs;
        }
        if (op.f == "commit_offsets") {
            if (auto ok = expect(reply, "commit_offsets_ok", {}, nullptr); !ok) return ok;
            return op.value;
        }
        auto offsets = expect(reply, "list_committed_offsets_ok", {"offsets"}, "offsets");
        if (offsets && !offsets->is_object()) return make_error(ErrorCode::parse_error, "offsets is not an object");
        return offsets;
    }
    std::vector<std::string> checks() const override { return {"kafka"}; }
    std::vector<check::Outcome> check(const check::History& history, Nanos) const override {
        return {check_kafka(history)};
    }

  private:
    struct Consumer {
        std::map<std::string, std::int64_t> position;   // next offset to poll from, per key
        std::map<std::string, std::int64_t> committed;  // what it committed last
        bool commit_due = false;
    };
    static std::string key_name(std::uint64_t key) { return std::to_string(key); }
    Consumer& consumer_of(std::size_t client) {
        if (consumers_.size() <= client) consumers_.resize(client + 1);
        Consumer& consumer = consumers_[client];
        for (std::uint64_t k = 0; k < keys_; ++k) consumer.position.try_emplace(key_name(k), 0);
        return consumer;
    }
    static Json positions_json(const std::map<std::string, std::int64_t>& positions) {
        Json out = Json::object();
        for (const auto& [key, offset] : positions) out[key] = offset;
        return out;
    }

    std::uint64_t keys_;
    std::vector<Consumer> consumers_;
    std::int64_t next_message_ = 0;
};

}  // namespace

const std::vector<std::string>& workload_names() {
    static const std::vector<std::string> names = {
        "echo",       "unique-ids", "broadcast",       "g-set",           "g-counter",
        "pn-counter", "lin-kv",     "txn-list-append", "txn-rw-register", "kafka"};
    return names;
}

Result<std::unique_ptr<Workload>> make_workload(const std::string& name, const WorkloadOptions& options) {
    if (name == "echo") return std::unique_ptr<Workload>(std::make_unique<EchoWorkload>());
    if (name == "unique-ids") return std::unique_ptr<Workload>(std::make_unique<UniqueIdsWorkload>());
    if (name == "broadcast" || name == "g-set") {
        if (auto topology = make_topology(options.topology, {"n0"}); !topology) return topology.error();
        return std::unique_ptr<Workload>(std::make_unique<SetWorkload>(name == "broadcast", options.topology));
    }
    if (name == "g-counter" || name == "pn-counter") {
        return std::unique_ptr<Workload>(std::make_unique<CounterWorkload>(name == "pn-counter"));
    }
    if (name == "lin-kv") return std::unique_ptr<Workload>(std::make_unique<LinKvWorkload>(options.key_count));
    if (name == "kafka") return std::unique_ptr<Workload>(std::make_unique<KafkaWorkload>(options.key_count));
    if (name == "txn-list-append" || name == "txn-rw-register") {
        auto models = check::txn::parse_models(options.consistency_models);
        if (!models) return make_error(ErrorCode::invalid_argument, "--consistency-models: " + models.error().message);
        const auto kind =
            name == "txn-list-append" ? check::txn::Workload::list_append : check::txn::Workload::rw_register;
        return std::unique_ptr<Workload>(std::make_unique<TxnWorkload>(kind, std::move(*models), options));
    }
    return make_error(ErrorCode::invalid_argument, fmt::format("unknown workload '{}'; the workloads are {}", name,
                                                               fmt::join(workload_names(), ", ")));
}

Result<Json> make_topology(const std::string& kind, const std::vector<std::string>& servers) {
    const std::size_t n = servers.size();
    std::vector<std::set<std::size_t>> neighbours(n);
    auto link = [&](std::size_t a, std::size_t b) {
        if (a == b || a >= n || b >= n) return;
        neighbours[a].insert(b);
        neighbours[b].insert(a);
    };
    if (kind == "line") {
        for (std::size_t i = 0; i + 1 < n; ++i) link(i, i + 1);
    } else if (kind == "total") {
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = i + 1; j < n; ++j) link(i, j);
        }
    } else if (kind == "grid") {
        // Row by row in a square as wide as sqrt(n) rounded up.
        const auto width = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(n))));
        for (std::size_t i = 0; i < n; ++i) {
            if ((i + 1) % width != 0) link(i, i + 1);
            link(i, i + width);
        }
    } else if (kind == "tree2" || kind == "tree3" || kind == "tree4") {
        const std::size_t fanout = static_cast<std::size_t>(kind.back() - '0');
        for (std::size_t i = 1; i < n; ++i) link(i, (i - 1) / fanout);
    } else {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("unknown topology '{}'; the topologies are grid, line, total, tree2, tree3, tree4", kind));
    }
    Json topology = Json::object();
    for (std::size_t i = 0; i < n; ++i) {
        Json list = Json::array();
        for (std::size_t j : neighbours[i]) list.push_back(servers[j]);
        topology[servers[i]] = list;
    }
    return topology;
}

namespace {

// Calls `completed(invoke, completion)` for each completion with its
// invocation (the same process's last), in history order; returns the
// invocations never completed.
template <class Completed>
std::vector<const check::Operation*> pair_operations(const check::History& history, Completed completed) {
    std::map<std::int64_t, const check::Operation*> open;  // process -> its invoke
    for (const check::Operation& op : history) {
        if (op.type == check::OpType::invoke) {
            open[op.process] = &op;
            continue;
        }
        auto found = open.find(op.process);
        if (found == open.end()) continue;
        const check::Operation& invoke = *found->second;
        open.erase(found);
        completed(invoke, op);
    }
    std::vector<const check::Operation*> unfinished;
    for (const auto& [process, invoke] : open) unfinished.push_back(invoke);
    return unfinished;
}

}  // namespace

check::Outcome check_kafka(const check::History& history) {
    struct Placed {
        Json msg;
        std::int64_t op;  // the op that reported it
    };
    std::map<std::pair<std::string, std::int64_t>, Placed> at;          // (key, offset) -> message
    std::map<std::pair<std::string, std::string>, std::int64_t> where;  // (key, msg) -> offset
    struct Sent {
        Nanos acknowledged;
        std::int64_t op;
    };
    std::map<std::string, std::map<std::int64_t, Sent>> sent;  // key -> offset -> its acknowledgement
    std::size_t sends = 0;
    struct Poll {
        Json from;  // the positions asked for
        Json msgs;
        Nanos invoked;
        std::int64_t op;
    };
    std::vector<Poll> polls;
    std::vector<std::string> errors;
    std::map<std::string, std::uint64_t> counts;
    auto problem = [&](const char* kind, std::string text) {
        ++counts[kind];
        if (errors.size() < 10) errors.push_back(fmt::format("{}: {}", kind, text));
    };
    auto place = [&](const std::string& key, std::int64_t offset, const Json& msg, std::int64_t op) {
        auto [found, inserted] = at.emplace(std::pair{key, offset}, Placed{msg, op});
        if (!inserted && found->second.msg != msg) {
            problem("inconsistent-offsets", fmt::format("key {} offset {} holds {} (op {}) and {} (op {})", key, offset,
                                                        found->second.msg.dump(), found->second.op, msg.dump(), op));
        }
        auto [other, fresh] = where.emplace(std::pair{key, msg.dump()}, offset);
        if (!fresh && other->second != offset) {
            problem("duplicate", fmt::format("message {} of key {} is at offsets {} and {} (op {})", msg.dump(), key,
                                             other->second, offset, op));
        }
    };
    pair_operations(history, [&](const check::Operation& invoke, const check::Operation& op) {
        if (op.type != check::OpType::ok) return;
        if (op.f == "send" && op.value.is_array() && op.value.size() == 2 && op.key.is_string()) {
            const std::string key = op.key.get<std::string>();
            const std::int64_t offset = op.value[0].get<std::int64_t>();
            place(key, offset, op.value[1], op.index);
            sent[key].try_emplace(offset, Sent{op.time, op.index});
            ++sends;
        }
        if (op.f == "poll" && op.value.is_object()) {
            for (const auto& [key, messages] : op.value.items()) {
                const std::int64_t from = invoke.value.value(key, std::int64_t{0});
                for (const Json& pair : messages) {
                    const std::int64_t offset = pair[0].get<std::int64_t>();
                    if (offset < from) {
                        problem("poll-below-position",
                                fmt::format("op {} polled key {} from offset {} and got offset {}", op.index, key, from,
                                            offset));
                    }
                    place(key, offset, pair[1], op.index);
                }
            }
            polls.push_back(Poll{invoke.value, op.value, invoke.time, op.index});
        }
    });
    // A write acknowledged before a poll began, that the poll's run should
    // have held: the run started at or before its offset and went past it.
    for (const Poll& poll : polls) {
        for (const auto& [key, messages] : poll.msgs.items()) {
            if (messages.empty()) continue;
            std::set<std::int64_t> returned;
            for (const Json& pair : messages) returned.insert(pair[0].get<std::int64_t>());
            const std::int64_t from = poll.from.value(key, std::int64_t{0});
            const std::int64_t last = *returned.rbegin();
            const auto& writes = sent[key];
            for (auto write = writes.lower_bound(from); write != writes.end() && write->first < last; ++write) {
                if (write->second.acknowledged >= poll.invoked || returned.contains(write->first)) continue;
                problem("lost-write", fmt::format("key {} offset {} (sent, acknowledged by op {}) is missing from "
                                                  "op {}'s poll of offsets {}..{}",
                                                  key, write->first, write->second.op, poll.op, from, last));
            }
        }
    }
    check::Outcome outcome;
    outcome.name = "kafka";
    outcome.verdict = errors.empty() ? check::Verdict::valid : check::Verdict::invalid;
    outcome.summary = errors.empty() ? fmt::format("{} sends acknowledged, {} polls consistent", sends, polls.size())
                                     : errors.front();
    outcome.details = {{"sends_acknowledged", sends}, {"polls", polls.size()}, {"counts", counts}, {"errors", errors}};
    return outcome;
}

Json stable_latencies(const check::History& history) {
    struct Read {
        Nanos invoked = 0;
        Nanos completed = 0;
        std::set<std::string> seen;
    };
    std::vector<std::pair<std::string, Nanos>> adds;  // (element, invoked) of adds that may have happened
    std::vector<Read> reads;
    pair_operations(history, [&](const check::Operation& invoke, const check::Operation& op) {
        if (op.f == "add" && op.type != check::OpType::fail) adds.emplace_back(invoke.value.dump(), invoke.time);
        if (op.f == "read" && op.type == check::OpType::ok && op.value.is_array()) {
            Read read{invoke.time, op.time, {}};
            for (const Json& element : op.value) read.seen.insert(element.dump());
            reads.push_back(std::move(read));
        }
    });
    std::vector<double> latencies_ms;
    for (const auto& [element, invoked] : adds) {
        // Stable once the last read that missed it (begun after the add) has
        // completed, if some later read saw it; every read begun after that saw it.
        Nanos stable = invoked;
        bool seen_after = false;
        for (const Read& read : reads) {
            if (read.invoked < invoked) continue;
            if (read.seen.contains(element)) {
                seen_after = true;
            } else {
                stable = std::max(stable, read.completed);
                seen_after = false;
            }
        }
        if (seen_after) latencies_ms.push_back(static_cast<double>(stable - invoked) / 1e6);
    }
    std::sort(latencies_ms.begin(), latencies_ms.end());
    Json quantiles = Json::object();
    for (const double q : {0.0, 0.5, 0.95, 0.99, 1.0}) {
        if (latencies_ms.empty()) break;
        const auto index = static_cast<std::size_t>(q * static_cast<double>(latencies_ms.size() - 1));
        quantiles[fmt::format("{}", q)] = latencies_ms[index];
    }
    return quantiles;
}

check::Outcome check_unique_ids(const check::History& history) {
    std::map<std::string, std::int64_t> seen;  // id's JSON text -> first index
    std::int64_t attempted = 0, acknowledged = 0;
    std::vector<std::string> duplicated;
    for (const check::Operation& op : history) {
        if (op.f != "generate") continue;
        if (op.type == check::OpType::invoke) ++attempted;
        if (op.type != check::OpType::ok) continue;
        ++acknowledged;
        auto [found, inserted] = seen.emplace(op.value.dump(), op.index);
        if (!inserted && duplicated.size() < 10) {
            duplicated.push_back(
                fmt::format("id {} was generated twice (ops {} and {})", op.value.dump(), found->second, op.index));
        }
    }
    const std::int64_t duplicates = acknowledged - static_cast<std::int64_t>(seen.size());
    check::Outcome outcome;
    outcome.name = "unique-ids";
    outcome.verdict = duplicates == 0 ? check::Verdict::valid : check::Verdict::invalid;
    outcome.summary = duplicates == 0 ? fmt::format("{} ids acknowledged, all distinct", acknowledged)
                                      : fmt::format("{} of {} acknowledged ids were duplicates; {}", duplicates,
                                                    acknowledged, duplicated.front());
    outcome.details = {{"attempted_count", attempted},
                       {"acknowledged_count", acknowledged},
                       {"duplicated_count", duplicates},
                       {"duplicated", duplicated}};
    return outcome;
}

check::Outcome check_final_counter(const check::History& history, Nanos finals_from) {
    std::int64_t ok_total = 0;
    std::vector<std::int64_t> unknown;
    std::vector<std::pair<std::int64_t, std::int64_t>> final_reads;  // (value, index)
    const auto unfinished = pair_operations(history, [&](const check::Operation& invoke, const check::Operation& op) {
        if (op.f == "add" && invoke.value.is_number_integer()) {
            if (op.type == check::OpType::ok) ok_total += invoke.value.get<std::int64_t>();
            if (op.type == check::OpType::info) unknown.push_back(invoke.value.get<std::int64_t>());
        }
        if (op.f == "read" && op.type == check::OpType::ok && invoke.time >= finals_from &&
            op.value.is_number_integer()) {
            final_reads.emplace_back(op.value.get<std::int64_t>(), op.index);
        }
    });
    // Adds never completed count as unknown too.
    for (const check::Operation* invoke : unfinished) {
        if (invoke->f == "add" && invoke->value.is_number_integer())
            unknown.push_back(invoke->value.get<std::int64_t>());
    }
    // Every total a subset of the unknown adds can make (deltas are small, so
    // the set stays small: at most 10 values per unknown add).
    std::set<std::int64_t> acceptable = {ok_total};
    for (std::int64_t delta : unknown) {
        std::set<std::int64_t> grown = acceptable;
        for (std::int64_t total : acceptable) grown.insert(total + delta);
        acceptable = std::move(grown);
    }
    std::vector<std::string> errors;
    for (const auto& [value, index] : final_reads) {
        if (!acceptable.contains(value) && errors.size() < 10) {
            errors.push_back(fmt::format("final read {} (op {}) is not a total the adds can make ({}..{})", value,
                                         index, *acceptable.begin(), *acceptable.rbegin()));
        }
    }
    check::Outcome outcome;
    outcome.name = "counter";
    if (final_reads.empty()) {
        outcome.verdict = check::Verdict::unknown;
        outcome.summary = "no final read completed";
    } else {
        outcome.verdict = errors.empty() ? check::Verdict::valid : check::Verdict::invalid;
        outcome.summary =
            errors.empty() ? fmt::format("{} final reads, each a possible total", final_reads.size()) : errors.front();
    }
    outcome.details = {{"final_reads", final_reads.size()},
                       {"acceptable_min", *acceptable.begin()},
                       {"acceptable_max", *acceptable.rbegin()},
                       {"errors", errors}};
    return outcome;
}

}  // namespace faultline::harness
