// The registry of built-in systems, and the two smallest: echo and heartbeat.
#include <fmt/format.h>

#include "check/counter_checker.h"
#include "check/echo_checker.h"
#include "check/lost_write_checker.h"
#include "check/set_checker.h"
#include "protocols/broadcast/broadcast.h"
#include "workload/set_workload.h"
#include "protocols/counter/counter.h"
#include "workload/counter_workload.h"
#include "protocols/detect/heartbeat.h"
#include "protocols/echo/echo.h"
#include "protocols/lww/lww_replica.h"
#include "workload/kv_workload.h"
#include "runner/system.h"
#include "workload/echo_workload.h"

namespace faultline::runner {

const char* verdict_name(Verdict verdict) {
    switch (verdict) {
        case Verdict::valid: return "valid";
        case Verdict::invalid: return "invalid";
        case Verdict::unknown: return "unknown";
    }
    FL_UNREACHABLE();
}

Verdict combine(Verdict a, Verdict b) {
    if (a == Verdict::invalid || b == Verdict::invalid) return Verdict::invalid;
    if (a == Verdict::unknown || b == Verdict::unknown) return Verdict::unknown;
    return Verdict::valid;
}

workload::ClientOptions System::client_options(const RunConfig& config) const {
    workload::ClientOptions options;
    options.timeout = config.timeout;
    options.retries_max = config.client_retries;
    options.timeout_retries_max = config.client_timeout_retries;
    options.blind_retries = !config.idempotency_keys;
    options.wait_forever = config.timeout == 0;
    return options;
}

namespace {

class EchoSystem final : public System {
public:
    void build(sim::Simulation& simulation, const RunConfig& config) override {
        for (int i = 0; i < config.nodes; ++i) {
            simulation.add_server(fmt::format("n{}", i), [] {
                return std::make_unique<protocols::echo::EchoServer>();
            });
        }
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override {
        return workload::next_echo_request(random);
    }
    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation&) override {
        const auto result = check::check_echo(history);
        CheckOutcome outcome{"echo", result.valid ? Verdict::valid : Verdict::invalid,
                             result.valid ? fmt::format("{} replies matched", result.ok_count)
                                          : fmt::format("{} mismatched replies", result.errors.size()),
                             Json{{"ok_count", result.ok_count}, {"errors", result.errors}}};
        return {outcome};
    }

private:
    std::shared_ptr<const workload::ClientCodec> codec_ = std::make_shared<workload::EchoCodec>();
};

class HeartbeatSystem final : public System {
public:
    void build(sim::Simulation& simulation, const RunConfig& config) override {
        for (int i = 0; i < config.nodes; ++i) {
            simulation.add_server(fmt::format("n{}", i), [] {
                return std::make_unique<protocols::detect::HeartbeatNode>(
                    protocols::detect::HeartbeatOptions{});
            });
        }
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return nullptr; }
    workload::OpRequest next_op(Prng&) override { FL_UNREACHABLE(); }
    std::vector<CheckOutcome> check(const check::History&, sim::Simulation& simulation) override {
        // The detector's final view must be exact: every live node suspects exactly
        // the peers that are down. Suspicions raised and cleared along the way are
        // counted (the accuracy cost of the timeout) but are not a failure.
        std::int64_t suspicions = 0;
        std::vector<std::string> wrong;
        for (NodeId id : simulation.servers()) {
            auto* node = simulation.node_as<protocols::detect::HeartbeatNode>(id);
            if (node == nullptr) continue;
            for (const auto& change : node->changes()) suspicions += change.suspected ? 1 : 0;
            for (NodeId peer : simulation.servers()) {
                if (peer == id) continue;
                const bool down = !simulation.is_up(peer);
                if (node->suspects(peer) != down) {
                    wrong.push_back(fmt::format("{} {} {}", simulation.name(id),
                                                down ? "does not suspect crashed" : "suspects live",
                                                simulation.name(peer)));
                }
            }
        }
        const Verdict verdict = wrong.empty() ? Verdict::valid : Verdict::invalid;
        std::string summary = wrong.empty()
                                  ? fmt::format("final view exact; {} suspicions raised", suspicions)
                                  : fmt::format("{} (and {} more)", wrong.front(), wrong.size() - 1);
        return {CheckOutcome{"detector-final-view", verdict, summary,
                             Json{{"suspicions_raised", suspicions}, {"wrong", wrong}}}};
    }
};

class CounterSystem final : public System {
public:
    explicit CounterSystem(bool idempotency_keys)
        : idempotency_keys_(idempotency_keys), codec_(std::make_shared<workload::CounterCodec>(idempotency_keys)) {}

    void build(sim::Simulation& simulation, const RunConfig&) override {
        const protocols::counter::CounterOptions options{.deduplicate = idempotency_keys_};
        simulation.add_server("n0", [options] { return std::make_unique<protocols::counter::CounterServer>(options); });
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override { return workload::next_counter_request(random); }
    std::vector<workload::OpRequest> final_ops() override { return {workload::OpRequest{"read", Json(), Json()}}; }
    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation&) override {
        const auto result = check::check_counter(history);
        if (!result.cannot_check.empty()) {
            return {CheckOutcome{"counter", Verdict::unknown, result.cannot_check,
                                 Json{{"reads_checked", result.reads_checked}, {"error", result.cannot_check}}}};
        }
        return {CheckOutcome{"counter", result.valid ? Verdict::valid : Verdict::invalid,
                             result.valid ? fmt::format("{} reads within bounds ({} adds ok, {} unknown)",
                                                        result.reads_checked, result.adds_ok, result.adds_unknown)
                                          : result.errors.front(),
                             Json{{"reads_checked", result.reads_checked}, {"errors", result.errors}}}};
    }

private:
    bool idempotency_keys_;
    std::shared_ptr<const workload::ClientCodec> codec_;
};

class BroadcastSystem final : public System {
public:
    BroadcastSystem(protocols::broadcast::Topology topology, double msgs_per_op_max)
        : topology_(topology), msgs_per_op_max_(msgs_per_op_max) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        for (int i = 0; i < config.nodes; ++i) {
            const auto topology = topology_;
            const NodeId id = simulation.add_server(fmt::format("n{}", i), [topology] {
                return std::make_unique<protocols::broadcast::BroadcastNode>(topology);
            });
            servers_.push_back(id);
        }
        finals_from_ = config.time_limit + config.recovery;
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override { return generator_.next(random); }
    // A final read of every node.
    std::vector<workload::OpRequest> final_ops() override {
        std::vector<workload::OpRequest> reads;
        for (NodeId server : servers_) reads.push_back(workload::OpRequest{"read", Json(), Json(), server});
        return reads;
    }
    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation& simulation) override {
        std::vector<CheckOutcome> outcomes;
        const auto result = check::check_set(history, finals_from_);
        outcomes.push_back(CheckOutcome{
            "set", result.valid ? Verdict::valid : Verdict::invalid,
            result.valid ? fmt::format("{} acknowledged values in all {} final reads", result.acknowledged,
                                       result.final_reads)
                         : result.errors.front(),
            Json{{"acknowledged", result.acknowledged}, {"lost", result.lost}, {"errors", result.errors}}});
        std::int64_t operations = 0;
        for (const check::Operation& op : history) operations += op.type == check::OpType::invoke ? 1 : 0;
        const double per_op = operations > 0 ? static_cast<double>(simulation.stats().server_messages) / operations : 0;
        Json details{{"server_messages", simulation.stats().server_messages}, {"operations", operations},
                     {"msgs_per_op", per_op}, {"max", msgs_per_op_max_}};
        if (msgs_per_op_max_ > 0) {
            outcomes.push_back(CheckOutcome{"msgs-per-op", per_op <= msgs_per_op_max_ ? Verdict::valid : Verdict::invalid,
                                            fmt::format("{:.1f} server messages per operation (at most {})", per_op,
                                                        msgs_per_op_max_),
                                            details});
        }
        return outcomes;
    }

private:
    protocols::broadcast::Topology topology_;
    double msgs_per_op_max_;
    std::shared_ptr<const workload::ClientCodec> codec_ = std::make_shared<workload::BroadcastCodec>();
    workload::SetGenerator generator_;
    std::vector<NodeId> servers_;
    Nanos finals_from_ = 0;
};

// Last-write-wins replicas (protocols/lww) stamping writes with physical or
// hybrid logical clocks; one register, unique written values, final reads of
// every replica, and the lost-write check.
class LwwSystem final : public System {
public:
    explicit LwwSystem(protocols::lww::Timestamps timestamps) : timestamps_(timestamps) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        const protocols::lww::LwwOptions options{.timestamps = timestamps_};
        for (int i = 0; i < config.nodes; ++i) {
            servers_.push_back(simulation.add_server(
                fmt::format("n{}", i), [options] { return std::make_unique<protocols::lww::LwwReplica>(options); }));
        }
        finals_from_ = config.time_limit + config.recovery;
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override { return generator_.next(random); }
    std::vector<workload::OpRequest> final_ops() override {
        std::vector<workload::OpRequest> reads;
        for (NodeId server : servers_) reads.push_back(workload::OpRequest{"read", Json(0), Json(), server});
        return reads;
    }
    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation&) override {
        const auto result = check::check_lost_writes(history, finals_from_);
        return {CheckOutcome{"lost-write", result.valid ? Verdict::valid : Verdict::invalid,
                             result.valid ? fmt::format("no acknowledged write lost; {} final reads agree",
                                                        result.final_reads)
                                          : fmt::format("{} (of {} problems)", result.errors.front(),
                                                        result.errors.size()),
                             Json{{"lost", result.lost}, {"final_reads", result.final_reads},
                                  {"errors", result.errors}}}};
    }

private:
    protocols::lww::Timestamps timestamps_;
    std::shared_ptr<const workload::ClientCodec> codec_ = std::make_shared<workload::KvCodec>();
    workload::UniqueWriteGenerator generator_;
    std::vector<NodeId> servers_;
    Nanos finals_from_ = 0;
};

}  // namespace

std::vector<std::string> system_names() {
    return {"raft-kv", "primary-backup", "broadcast", "echo", "counter", "heartbeat", "lww-kv", "detector"};
}

Result<std::unique_ptr<System>> make_system(const RunConfig& config) {
    if (!config.bug.empty() && config.system != "raft-kv") {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("--bug applies to raft-kv, not to '{}'", config.system));
    }
    if (config.system == "raft-kv") return make_raft_kv_system(config);
    if (config.system == "primary-backup") return make_primary_backup_system(config);
    if (config.system == "broadcast") {
        if (config.topology != "tree" && config.topology != "flood") {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("unknown topology '{}' (tree, flood)", config.topology));
        }
        return std::unique_ptr<System>(std::make_unique<BroadcastSystem>(
            config.topology == "flood" ? protocols::broadcast::Topology::flood : protocols::broadcast::Topology::tree,
            config.msgs_per_op_max));
    }
    if (config.system == "echo") return std::unique_ptr<System>(std::make_unique<EchoSystem>());
    if (config.system == "detector") return make_detector_system(config);
    if (config.system == "lww-kv") {
        if (config.timestamps != "physical" && config.timestamps != "hlc") {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("unknown timestamps '{}' (physical, hlc)", config.timestamps));
        }
        return std::unique_ptr<System>(std::make_unique<LwwSystem>(
            config.timestamps == "hlc" ? protocols::lww::Timestamps::hlc : protocols::lww::Timestamps::physical));
    }
    if (config.system == "heartbeat") return std::unique_ptr<System>(std::make_unique<HeartbeatSystem>());
    if (config.system == "counter") {
        if (config.nodes != 1) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("the counter service runs on one server: use --nodes 1 (got {})", config.nodes));
        }
        return std::unique_ptr<System>(std::make_unique<CounterSystem>(config.idempotency_keys));
    }
    std::string known;
    for (const auto& system : system_names()) known += (known.empty() ? "" : ", ") + system;
    return make_error(ErrorCode::invalid_argument,
                      fmt::format("unknown system '{}' (known: {})", config.system, known));
}

}  // namespace faultline::runner
