// dynamo: a Dynamo-style key-value store (protocols/dynamo) with N, R and W
// as options, under reads and writes of a few keys with unique written
// values; the stale-read check (a read must not miss a write acknowledged
// before it began) and the convergence check (at the end of the run, after
// the recovery window and the final reads, every home replica of a key holds
// the newest copy anywhere, hints included).
//
// The convergence check reads the replicas' stores (the god's view). A
// replica that lost synced data is mute, out of service for good, and is left
// out of the comparison. The check also samples the stores every 50 ms from
// the moment the faults heal and reports when they last diverged.
#include <fmt/format.h>

#include <set>

#include "check/convergence_checker.h"
#include "check/stale_read_checker.h"
#include "protocols/dynamo/dynamo_server.h"
#include "runner/system.h"
#include "systems/lin_kv.h"
#include "workload/kv_workload.h"

namespace faultline::systems {

namespace {

using protocols::dynamo::DynamoOptions;
using protocols::dynamo::DynamoServer;
using protocols::dynamo::Ring;
using runner::CheckOutcome;
using runner::RunConfig;

constexpr Nanos sample_interval = milliseconds(50);

class DynamoSystem final : public runner::System {
  public:
    DynamoSystem(DynamoOptions options, int keys, int read_percent)
        : options_(options), generator_(keys, read_percent), keys_(keys) {}

    void build(sim::Simulation& simulation, const RunConfig& config) override {
        const DynamoOptions options = options_;
        for (int i = 0; i < config.nodes; ++i) {
            servers_.push_back(simulation.add_server(fmt::format("n{}", i),
                                                     [options] { return std::make_unique<DynamoServer>(options); }));
        }
        ring_ = Ring(servers_, options_.tokens_per_server);
        healed_at_ = config.time_limit;
        finals_from_ = config.time_limit + config.recovery;
        next_sample_ = healed_at_;
    }
    std::shared_ptr<const workload::ClientCodec> codec() const override { return codec_; }
    workload::OpRequest next_op(Prng& random) override { return generator_.next(random); }
    std::vector<workload::OpRequest> final_ops() override {
        std::vector<workload::OpRequest> reads;
        for (int key = 0; key < keys_; ++key) reads.push_back(workload::OpRequest{"read", Json(key), Json()});
        return reads;
    }
    bool served(const check::Operation& completion) const override { return lin_kv_served(completion); }

    void after_step(sim::Simulation& simulation) override {
        if (simulation.now() < next_sample_) return;
        next_sample_ = simulation.now() + sample_interval;
        if (!check::check_convergence(copies(simulation), simulation.now()).valid()) {
            last_diverged_ = simulation.now();
        }
    }

    std::vector<CheckOutcome> check(const check::History& history, sim::Simulation& simulation) override {
        check::StaleReadOptions stale;
        stale.finals_from = finals_from_;
        CheckOutcome convergence = check::outcome_of(check::check_convergence(copies(simulation), simulation.now()));
        if (last_diverged_) {
            convergence.summary +=
                fmt::format("; the stores last diverged at {}, {} after the faults healed",
                            format_duration(*last_diverged_), format_duration(*last_diverged_ - healed_at_));
            convergence.details["last_diverged_ns"] = *last_diverged_;
        } else {
            convergence.summary += "; the stores agreed at every sample since the faults healed";
        }
        return {check::outcome_of(check::check_stale_reads(history, stale)), convergence};
    }

  private:
    static check::ReplicaCopy copy_of(std::string node, const protocols::quorum::Versioned* copy,
                                      std::string role = "") {
        check::ReplicaCopy out{std::move(node), {}, 0, std::move(role)};
        if (copy != nullptr) {
            out.version = {copy->version.counter, copy->version.client, copy->version.sequence};
            out.value = copy->value;
        }
        return out;
    }

    // Every key any node holds, with its home replicas' copies and everyone else's.
    std::vector<check::KeyCopies> copies(sim::Simulation& simulation) const {
        std::vector<const DynamoServer*> nodes;
        std::set<std::int64_t> keys;
        for (NodeId id : servers_) {
            const auto* server = static_cast<const DynamoServer*>(simulation.node(id));
            nodes.push_back(server);
            if (server == nullptr) continue;
            for (const auto& [key, copy] : server->store().copies()) keys.insert(key);
            for (const auto& [where, copy] : server->store().hints()) keys.insert(where.second);
        }
        std::vector<check::KeyCopies> out;
        for (std::int64_t key : keys) {
            check::KeyCopies entry;
            entry.key = key;
            const std::vector<NodeId> order = ring_.preference(key);
            for (std::size_t rank = 0; rank < order.size(); ++rank) {
                const NodeId id = order[rank];
                const DynamoServer* server = nodes[id.value];
                const std::string name(simulation.name(id));
                if (server == nullptr || server->store().mute()) continue;  // down, or out of service for good
                const auto* copy = server->store().find(key);
                if (rank < static_cast<std::size_t>(options_.replicas)) {
                    entry.replicas.push_back(copy_of(name, copy));
                } else if (copy != nullptr) {
                    entry.others.push_back(copy_of(name, copy, "not a replica"));
                }
                for (const auto& [where, hint] : server->store().hints()) {
                    if (where.second != key) continue;
                    entry.others.push_back(
                        copy_of(name, &hint, fmt::format("hint for {}", simulation.name(NodeId(where.first)))));
                }
            }
            out.push_back(std::move(entry));
        }
        return out;
    }

    DynamoOptions options_;
    std::shared_ptr<const workload::ClientCodec> codec_ = std::make_shared<KvCodec>();
    workload::UniqueWriteGenerator generator_;
    int keys_;
    std::vector<NodeId> servers_;
    Ring ring_;
    Nanos healed_at_ = 0;
    Nanos finals_from_ = 0;
    Nanos next_sample_ = 0;
    std::optional<Nanos> last_diverged_;
};

struct DynamoSystemOptions {
    int replicas = DynamoOptions{}.replicas;
    int read_quorum = DynamoOptions{}.read_quorum;
    int write_quorum = DynamoOptions{}.write_quorum;
    bool sloppy = DynamoOptions{}.sloppy;
    bool read_repair = DynamoOptions{}.read_repair;
    int keys = 5;
    int read_percent = 50;
    Nanos anti_entropy_interval = DynamoOptions{}.anti_entropy_interval;
    Nanos handoff_interval = DynamoOptions{}.handoff_interval;
    Nanos fallback_after = DynamoOptions{}.fallback_after;
    Nanos resend_interval = DynamoOptions{}.resend_interval;
    Nanos give_up_after = DynamoOptions{}.give_up_after;
};

const runner::OptionTable<DynamoSystemOptions>& dynamo_options() {
    static const auto table = [] {
        using O = DynamoSystemOptions;
        runner::OptionTable<O> t;
        t.add("replicas", &O::replicas, "N: home replicas of each key (at most --nodes)").range(1, 16);
        t.add("read_quorum", &O::read_quorum, "R: replicas that must answer a read (at most N)").range(1, 16);
        t.add("write_quorum", &O::write_quorum, "W: replicas that must acknowledge a write (at most N)").range(1, 16);
        t.add("sloppy", &O::sloppy,
              "Sloppy quorums: stand-ins replace silent home replicas and keep hints (R + W > N then no longer "
              "prevents stale reads)");
        t.add("read_repair", &O::read_repair, "Send the newest copy to home replicas a read found older");
        t.add("keys", &O::keys, "Keys the workload reads and writes").range(1, 1000);
        t.add("read_percent", &O::read_percent, "Percent of operations that are reads (the rest are writes)")
            .range(0, 100);
        t.duration("anti_entropy_interval", &O::anti_entropy_interval, milliseconds(1),
                   "How often a node syncs with a random peer (0: no anti-entropy)")
            .range(0, runner::kWindowMax);
        t.duration("handoff_interval", &O::handoff_interval, milliseconds(1),
                   "How often a stand-in tries to hand its hints back")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.duration("fallback_after", &O::fallback_after, milliseconds(1),
                   "With sloppy quorums, how long a home replica may stay silent before a stand-in replaces it")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.duration("resend_interval", &O::resend_interval, milliseconds(1),
                   "How often a coordinator resends to the nodes that have not answered")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        t.duration("give_up_after", &O::give_up_after, milliseconds(1),
                   "How long a coordinator keeps an unfinished operation before dropping it unanswered")
            .range(runner::kTimerIntervalMin, runner::kWindowMax);
        return t;
    }();
    return table;
}

Result<std::unique_ptr<runner::System>> make_dynamo(const RunConfig& config) {
    auto own = runner::system_options(config, dynamo_options());
    if (!own) return own.error();
    if (own->replicas > config.nodes) {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("replicas (N = {}) must be at most the number of nodes ({})", own->replicas, config.nodes));
    }
    if (own->read_quorum > own->replicas || own->write_quorum > own->replicas) {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("read_quorum (R = {}) and write_quorum (W = {}) must be at most replicas (N = {})",
                        own->read_quorum, own->write_quorum, own->replicas));
    }
    if (own->anti_entropy_interval > 0 && own->anti_entropy_interval < runner::kTimerIntervalMin) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("anti_entropy_interval must be 0 (off) or at least {}",
                                      format_duration(runner::kTimerIntervalMin)));
    }
    DynamoOptions options;
    options.replicas = own->replicas;
    options.read_quorum = own->read_quorum;
    options.write_quorum = own->write_quorum;
    options.sloppy = own->sloppy;
    options.read_repair = own->read_repair;
    options.anti_entropy_interval = own->anti_entropy_interval;
    options.handoff_interval = own->handoff_interval;
    options.fallback_after = own->fallback_after;
    options.resend_interval = own->resend_interval;
    options.give_up_after = own->give_up_after;
    options.bugs.local_version = config.bug == "local-version";
    return runner::new_system<DynamoSystem>(options, own->keys, own->read_percent);
}

const runner::SystemRegistration registration{{
    .name = "dynamo",
    .summary = "a Dynamo-style store: N replicas on a hash ring, R/W quorums, sloppy quorums with hinted handoff, "
               "read repair, anti-entropy",
    .options = &dynamo_options(),
    .bugs = {"local-version"},
    .checks = {"stale-read", "convergence"},
    .make = make_dynamo,
}};

}  // namespace

}  // namespace faultline::systems
