// txn-kv: a transactional list-append store whose isolation level is an
// option, and the isolation check against the models the level promises (or
// a stronger `claim`, to show what the level lets through).
#include "protocols/txn/txn_kv.h"

#include <fmt/format.h>

#include "check/txn/checker.h"
#include "runner/system.h"

namespace faultline::systems {

namespace {

using protocols::txn::Isolation;
using protocols::txn::Mop;
using runner::CheckOutcome;
using runner::RunConfig;

struct TxnKvSystemOptions {
    std::string workload = "list-append";  // the only one so far; named so that -w list-append reads as in Elle
    std::string isolation = "serializable";
    std::string claim;
    Nanos op_interval = milliseconds(2);
    int keys = 3;
    int txn_ops_max = 4;
};

// Each level, and the consistency models it promises.
struct Level {
    const char* name;
    Isolation isolation;
    const char* models;
};
constexpr Level kLevels[] = {
    {"read-uncommitted", Isolation::read_uncommitted, "read-uncommitted"},
    {"read-committed", Isolation::read_committed, "read-committed"},
    {"snapshot-isolation", Isolation::snapshot_isolation, "snapshot-isolation"},
    // The commit is one instant inside the transaction's request: strict.
    {"serializable", Isolation::serializable, "strict-serializable"},
};

const Level& level_named(const std::string& name) {
    for (const Level& level : kLevels) {
        if (name == level.name) return level;
    }
    FL_UNREACHABLE();  // the option's choices
}

const runner::OptionTable<TxnKvSystemOptions>& txn_kv_options() {
    static const auto table = [] {
        runner::OptionTable<TxnKvSystemOptions> t;
        std::vector<std::string> names;
        for (const Level& level : kLevels) names.push_back(level.name);
        t.add("workload", &TxnKvSystemOptions::workload, "The transactions' micro-ops (Elle's workload)")
            .choices({"list-append"})
            .alias("-w");
        t.add("isolation", &TxnKvSystemOptions::isolation, "The isolation level the store runs transactions at")
            .choices(names);
        t.add("claim", &TxnKvSystemOptions::claim,
              "The consistency models the isolation check holds the store to (default: what the level promises)")
            .check([](const Json& value) -> Status {
                if (value.get<std::string>().empty()) return {};
                auto models = check::txn::parse_models(value.get<std::string>());
                if (!models) return models.error();
                return {};
            });
        t.duration("op_interval", &TxnKvSystemOptions::op_interval, milliseconds(1),
                   "Think time between a transaction's micro-ops: longer, more transactions overlap")
            .range(0, seconds(1));
        t.add("keys", &TxnKvSystemOptions::keys, "Keys in use at a time (fewer: more conflicts)").range(1, 100);
        t.add("txn_ops_max", &TxnKvSystemOptions::txn_ops_max, "Micro-ops per transaction, at most").range(1, 16);
        return t;
    }();
    return table;
}

// Clients send a transaction's micro-ops ([["append", k, v], ["r", k, null]])
// as one request and complete it with the reads filled in.
class TxnCodec final : public workload::ClientCodec {
  public:
    MessagePtr encode(const workload::OpRequest& op, const workload::RequestIds& ids) const override {
        auto request = std::make_shared<protocols::txn::TxnRequest>();
        request->msg_id = ids.msg_id;
        request->client = ids.client;
        request->sequence = ids.sequence;
        for (const Json& m : op.value) {
            const bool append = m[0] == "append";
            request->mops.push_back(Mop{.kind = append ? Mop::Kind::append : Mop::Kind::read,
                                        .key = m[1].get<std::int64_t>(),
                                        .value = append ? m[2].get<std::int64_t>() : 0,
                                        .result = std::nullopt});
        }
        return request;
    }
    std::optional<workload::DecodedReply> decode(const Message& message) const override {
        const auto* reply = message_as<protocols::txn::TxnReply>(message);
        if (reply == nullptr) return std::nullopt;
        workload::DecodedReply decoded{reply->in_reply_to, {}};
        if (reply->code != protocols::txn::kTxnOk) {
            // An abort, or a server that is not the leader: definitely not done.
            decoded.completion.kind = workload::Completion::Kind::fail;
            decoded.completion.error = reply->code;
            return decoded;
        }
        decoded.completion.kind = workload::Completion::Kind::ok;
        decoded.completion.value = reply->to_json()["txn"];
        return decoded;
    }
};

// List-append transactions of 1..txn_ops_max micro-ops, half reads, over a
// window of `keys` keys; a key retires after kAppendsPerKey appends (long
// lists make reads big and the checker slow), replaced by a fresh one.
// Appended values are unique over the run.
class ListAppendGenerator {
  public:
    ListAppendGenerator(int keys, int txn_ops_max) : txn_ops_max_(txn_ops_max) {
        for (int i = 0; i < keys; ++i) active_.push_back({next_key_++, 0});
    }
    workload::OpRequest next(Prng& random) {
        Json mops = Json::array();
        const auto count = 1 + random.below(static_cast<std::uint64_t>(txn_ops_max_));
        for (std::uint64_t i = 0; i < count; ++i) {
            auto& [key, appends] = active_[random.below(active_.size())];
            if (random.chance(0.5)) {
                mops.push_back(Json::array({"r", key, nullptr}));
                continue;
            }
            mops.push_back(Json::array({"append", key, next_value_++}));
            if (++appends == kAppendsPerKey) {
                key = next_key_++;
                appends = 0;
            }
        }
        return workload::OpRequest{"txn", Json(), std::move(mops)};
    }
    // Reads of every key used, a few keys per transaction: each micro-op costs
    // the leader's think time, and one transaction of hundreds would time out.
    std::vector<workload::OpRequest> final_reads() const {
        std::vector<workload::OpRequest> reads;
        for (std::int64_t first = 0; first < next_key_; first += kKeysPerFinalRead) {
            Json mops = Json::array();
            for (std::int64_t key = first; key < std::min(next_key_, first + kKeysPerFinalRead); ++key) {
                mops.push_back(Json::array({"r", key, nullptr}));
            }
            reads.push_back(workload::OpRequest{"txn", Json(), std::move(mops)});
        }
        return reads;
    }

  private:
    static constexpr int kAppendsPerKey = 20;
    static constexpr std::int64_t kKeysPerFinalRead = 16;
    int txn_ops_max_;
    std::vector<std::pair<std::int64_t, int>> active_;  // key, appends so far
    std::int64_t next_key_ = 0;
    std::int64_t next_value_ = 1;
};

class TxnKvSystem final : public runner::System {
  public:
    TxnKvSystem(protocols::txn::TxnKvOptions options, std::vector<check::txn::Model> models,
                const TxnKvSystemOptions& own)
        : options_(options), models_(std::move(models)), generator_(own.keys, own.txn_ops_max) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        const protocols::txn::TxnKvOptions options = options_;
        for (int i = 0; i < config.nodes; ++i) {
            simulation.add_server(fmt::format("n{}", i),
                                  [options] { return std::make_unique<protocols::txn::TxnKvNode>(options); });
        }
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    // Every transaction goes to the leader, the first server.
    workload::ClientOptions client_options(const RunConfig& config) const override {
        workload::ClientOptions options = System::client_options(config);
        options.targeting = workload::ClientOptions::Targeting::fixed_first;
        return options;
    }
    workload::OpRequest next_op(Prng& random) override { return generator_.next(random); }
    std::vector<workload::OpRequest> final_ops() override { return generator_.final_reads(); }
    // An abort is an answer.
    bool served(const check::Operation& completion) const override {
        return completion.type == check::OpType::ok ||
               (completion.type == check::OpType::fail && completion.error == protocols::txn::kTxnConflict);
    }
    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation&) override {
        check::formats::ParsedHistory parsed;
        parsed.name = "history";
        for (const check::Operation& op : history) {
            if (op.f == "txn") parsed.history.push_back(op);
        }
        auto txns = check::txn::txn_history_from(parsed, check::txn::Workload::list_append);
        if (!txns) return {CheckOutcome{"isolation", runner::Verdict::unknown, txns.error().message, Json(), {}}};
        auto result = check::txn::check_isolation(*txns, check::txn::IsolationOptions{.models = models_});
        if (!result) return {CheckOutcome{"isolation", runner::Verdict::unknown, result.error().message, Json(), {}}};
        return {check::txn::outcome_of(*result)};
    }

  private:
    protocols::txn::TxnKvOptions options_;
    std::vector<check::txn::Model> models_;
    std::shared_ptr<const workload::ClientCodec> codec_ = std::make_shared<TxnCodec>();
    ListAppendGenerator generator_;
};

const runner::SystemRegistration registration{{
    .name = "txn-kv",
    .summary =
        "list-append transactions on one leader at a chosen isolation level, checked for the anomalies it forbids",
    .options = &txn_kv_options(),
    .bugs = {"skip-read-validation"},
    .checks = {"isolation"},
    .make = [](const RunConfig& config) -> Result<std::unique_ptr<runner::System>> {
        auto own = runner::system_options(config, txn_kv_options());
        if (!own) return own.error();
        const Level& level = level_named(own->isolation);
        if (config.bug == "skip-read-validation" && level.isolation != Isolation::serializable) {
            return make_error(ErrorCode::invalid_argument,
                              "--bug skip-read-validation breaks the serializable level: --isolation serializable");
        }
        auto models = check::txn::parse_models(own->claim.empty() ? level.models : own->claim);
        if (!models) return models.error();
        const protocols::txn::TxnKvOptions options{.isolation = level.isolation,
                                                   .validate_reads = config.bug != "skip-read-validation",
                                                   .op_interval = own->op_interval};
        return runner::new_system<TxnKvSystem>(options, std::move(*models), *own);
    },
}};

}  // namespace

}  // namespace faultline::systems
