#include "protocols/raft/cluster.h"

#include <fmt/format.h>

#include "base/json.h"

namespace faultline::protocols::raft::testing {

namespace {

// A node: Raft plus a host whose state is the list of applied commands,
// reported to the cluster's oracle as they are applied. It acts on the Ready
// of every input, including those the tests make through input().
class TestNode final : public Node {
  public:
    TestNode(Cluster& cluster, int index, RaftOptions options) : cluster_(cluster), index_(index), raft_(options) {}

    void start(Context& ctx) override {
        raft_.start(ctx);
        act(ctx);
    }
    void recover(Context& ctx) override {
        raft_.recover(ctx);
        act(ctx);
    }
    void on_message(Context& ctx, const Envelope& envelope) override {
        raft_.step(ctx, envelope);
        act(ctx);
    }
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override {
        raft_.on_timer(ctx, timer, tag);
        act(ctx);
    }
    Raft& raft() { return raft_; }

    void act(Context& ctx) {
        Ready ready = raft_.take_ready();
        if (ready.snapshot) {
            applied_ = LogIndex(std::stoull(ready.snapshot->data));
            cluster_.on_snapshot(index_, applied_);
        }
        for (const LogEntry& entry : ready.committed) {
            applied_ = entry.index;
            if (entry.type == EntryType::command) cluster_.on_apply(index_, entry.index, entry.data);
        }
        for (std::uint64_t read_id : ready.reads_ready) cluster_.on_read_ready(index_, read_id);
        if (ready.snapshot_wanted_at &&
            !raft_.compact(ctx, *ready.snapshot_wanted_at, std::to_string(applied_.value))) {
            return;
        }
        for (auto& [to, message] : ready.messages) ctx.send(to, std::move(message));
    }

  private:
    Cluster& cluster_;
    int index_;
    Raft raft_;
    LogIndex applied_;
};

sim::LinkConfig reliable_link() {
    sim::LinkConfig link;
    link.latency = sim::LatencyModel::exponential(milliseconds(2), microseconds(500));
    return link;
}

}  // namespace

Cluster::Cluster(ClusterOptions options)
    : options_(options),
      simulation_(std::make_unique<sim::Simulation>(
          sim::SimulationOptions{.seed = options.seed, .link = reliable_link(), .disk = options.disk})),
      connected_(static_cast<std::size_t>(options.nodes), true),
      applied_(static_cast<std::size_t>(options.nodes)),
      invariants_(static_cast<std::size_t>(options.nodes)) {
    for (int i = 0; i < options.nodes; ++i) {
        const RaftOptions raft_options = options.raft;
        nodes_.push_back(simulation_->add_server(fmt::format("n{}", i), [this, i, raft_options] {
            return std::make_unique<TestNode>(*this, i, raft_options);
        }));
        views_.push_back(NodeView{fmt::format("n{}", i), nullptr});
    }
    simulation_->set_step_hook([this] {
        if (failed()) return;
        for (int i = 0; i < size(); ++i) {
            views_[static_cast<std::size_t>(i)].raft = raft(i);
            views_[static_cast<std::size_t>(i)].incarnation =
                simulation_->incarnation(nodes_[static_cast<std::size_t>(i)]);
        }
        if (auto violation = invariants_.check(views_)) {
            fail(fmt::format("invariant {} broken: {}", violation->invariant, violation->detail));
        }
    });
    simulation_->start();
}

Cluster::~Cluster() = default;

Raft* Cluster::raft(int i) {
    Node* node = simulation_->node(nodes_[static_cast<std::size_t>(i)]);
    return node == nullptr ? nullptr : &static_cast<TestNode*>(node)->raft();
}

std::string Cluster::describe() {
    std::string out;
    for (int i = 0; i < size(); ++i) {
        Raft* node = raft(i);
        if (node == nullptr) {
            out += fmt::format("\n  n{}: down", i);
            continue;
        }
        out += fmt::format("\n  n{}: {} term {} commit {} applied {} log ({}, {}] last term {}{}{}", i,
                           role_name(node->role()), node->term().value, node->commit_index().value,
                           node->last_applied().value, node->log().snapshot_index().value,
                           node->log().last_index().value, node->log().last_term().value,
                           connected(i) ? "" : " disconnected", node->halted() ? " HALTED" : "");
        for (int j = 0; j < size(); ++j) {
            if (const Progress* progress = node->progress(NodeId(static_cast<std::uint32_t>(j)))) {
                if (j == i) continue;
                out +=
                    fmt::format("\n      n{}: {} match {} next {} inflight {}", j, progress_state_name(progress->state),
                                progress->match_index.value, progress->next_index.value, progress->inflight);
            }
        }
    }
    return out;
}

void Cluster::fail(std::string why) {
    if (failure_.empty()) {
        failure_ = fmt::format("at {}: {}{}", format_duration(simulation_->now()), why, describe());
        simulation_->stop(failure_);
    }
}

void Cluster::disconnect(int i) {
    if (i < 0) return;  // an oracle already failed and returned no node
    connected_[static_cast<std::size_t>(i)] = false;
    for (int j = 0; j < size(); ++j) {
        if (j == i) continue;
        simulation_->network().block(nodes_[static_cast<std::size_t>(i)], nodes_[static_cast<std::size_t>(j)]);
        simulation_->network().block(nodes_[static_cast<std::size_t>(j)], nodes_[static_cast<std::size_t>(i)]);
    }
}

void Cluster::connect(int i) {
    if (i < 0) return;  // an oracle already failed and returned no node
    connected_[static_cast<std::size_t>(i)] = true;
    for (int j = 0; j < size(); ++j) {
        if (j == i || !connected_[static_cast<std::size_t>(j)]) continue;
        simulation_->network().unblock(nodes_[static_cast<std::size_t>(i)], nodes_[static_cast<std::size_t>(j)]);
        simulation_->network().unblock(nodes_[static_cast<std::size_t>(j)], nodes_[static_cast<std::size_t>(i)]);
    }
}

void Cluster::crash(int i) {
    if (i < 0) return;  // an oracle already failed and returned no node
    simulation_->crash(nodes_[static_cast<std::size_t>(i)]);
    Applied& applied = applied_[static_cast<std::size_t>(i)];
    applied = Applied{};  // volatile: a restarted node re-applies from its snapshot
}

void Cluster::restart(int i) {
    if (i < 0) return;  // an oracle already failed and returned no node
    simulation_->restart(nodes_[static_cast<std::size_t>(i)]);
}

void Cluster::set_unreliable(bool unreliable) {
    sim::LinkConfig link = simulation_->network().class_config(0);
    if (unreliable) {
        link.latency = sim::LatencyModel::uniform(0, milliseconds(26));
        link.loss = 0.1;
    } else {
        link.latency = reliable_link().latency;
        link.loss = 0;
    }
    simulation_->network().set_class_config(0, link);
}

void Cluster::set_long_reordering(bool reordering) {
    sim::LinkConfig link = simulation_->network().class_config(0);
    link.reorder = reordering ? 0.66 : 0;
    link.reorder_delay = milliseconds(2200);
    simulation_->network().set_class_config(0, link);
}

void Cluster::run_for(Nanos duration) {
    simulation_->run_for(duration);
}

void Cluster::on_apply(int node, LogIndex index, const std::string& command) {
    Applied& applied = applied_[static_cast<std::size_t>(node)];
    if (index <= applied.last) {
        fail(fmt::format("n{} applied index {} again (after {})", node, index.value, applied.last.value));
        return;
    }
    applied.last = index;
    applied.entries[index] = command;
    auto [found, inserted] = oracle_.emplace(index, command);
    if (!inserted && found->second != command) {
        fail(fmt::format("n{} applied '{}' at index {}, where another node applied '{}'", node, command, index.value,
                         found->second));
    }
}

void Cluster::on_snapshot(int node, LogIndex index) {
    Applied& applied = applied_[static_cast<std::size_t>(node)];
    applied.snapshot = index;
    applied.last = std::max(applied.last, index);
}

int Cluster::check_one_leader() {
    for (int iteration = 0; iteration < 10 && !failed(); ++iteration) {
        run_for(milliseconds(450) + simulation_->now() % milliseconds(100));
        std::map<std::uint64_t, std::vector<int>> leaders;
        for (int i = 0; i < size(); ++i) {
            if (!connected(i) || raft(i) == nullptr) continue;
            if (raft(i)->role() == Role::leader) leaders[raft(i)->term().value].push_back(i);
        }
        for (const auto& [term, nodes] : leaders) {
            if (nodes.size() > 1) {
                fail(fmt::format("term {} has {} leaders", term, nodes.size()));
                return -1;
            }
        }
        if (!leaders.empty()) return leaders.rbegin()->second.front();
    }
    fail("expected one leader, got none");
    return -1;
}

void Cluster::check_no_leader() {
    for (int i = 0; i < size(); ++i) {
        if (connected(i) && raft(i) != nullptr && raft(i)->role() == Role::leader) {
            fail(fmt::format("expected no leader among connected servers, but n{} claims to be leader", i));
        }
    }
}

Term Cluster::check_terms() {
    std::optional<Term> term;
    for (int i = 0; i < size(); ++i) {
        if (!connected(i) || raft(i) == nullptr) continue;
        if (!term) {
            term = raft(i)->term();
        } else if (*term != raft(i)->term()) {
            fail("servers disagree on term");
        }
    }
    return term.value_or(Term(0));
}

std::pair<int, std::optional<std::string>> Cluster::n_committed(LogIndex index) {
    auto known = oracle_.find(index);
    int count = 0;
    for (const Applied& applied : applied_) {
        if (index <= applied.snapshot && applied.snapshot.value > 0) {
            ++count;
        } else if (applied.entries.count(index) != 0) {
            ++count;
        }
    }
    if (known == oracle_.end()) return {count, std::nullopt};
    return {count, known->second};
}

void Cluster::input(int i, const std::function<void(Raft&, Context&)>& input) {
    simulation_->invoke(nodes_[static_cast<std::size_t>(i)], [&](Node& node, Context& ctx) {
        auto& test_node = static_cast<TestNode&>(node);
        input(test_node.raft(), ctx);
        test_node.act(ctx);
    });
}

std::optional<LogIndex> Cluster::start(int i, const std::string& command) {
    if (i < 0 || raft(i) == nullptr) return std::nullopt;
    std::optional<LogIndex> index;
    input(i, [&](Raft& raft, Context& ctx) { index = raft.propose(ctx, command); });
    return index;
}

std::optional<std::string> Cluster::wait(LogIndex index, int n, Nanos timeout) {
    const Nanos deadline = simulation_->now() + timeout;
    while (simulation_->now() < deadline && !failed()) {
        auto [count, command] = n_committed(index);
        if (count >= n) return command;
        run_for(milliseconds(10));
    }
    return std::nullopt;
}

std::optional<LogIndex> Cluster::one(const std::string& command, int expected, bool retry) {
    const Nanos give_up = simulation_->now() + seconds(10);
    while (simulation_->now() < give_up && !failed()) {
        std::optional<LogIndex> index;
        for (int k = 0; k < size() && !index; ++k) {
            const int i = (next_leader_guess_ + k) % size();
            if (!connected(i)) continue;
            index = start(i, command);
            if (index) next_leader_guess_ = i;
        }
        if (index) {
            const Nanos patience = simulation_->now() + seconds(2);
            while (simulation_->now() < patience && !failed()) {
                auto [count, applied] = n_committed(*index);
                if (count >= expected && applied == command) return index;
                run_for(milliseconds(20));
            }
            if (!retry) {
                fail(fmt::format("one({}) failed to reach agreement", command));
                return std::nullopt;
            }
        } else {
            run_for(milliseconds(50));
        }
    }
    fail(fmt::format("one({}) failed to reach agreement in 10 s", command));
    return std::nullopt;
}

std::uint64_t Cluster::persisted_bytes(int i) {
    return simulation_->disk(nodes_[static_cast<std::size_t>(i)]).used_bytes();
}

}  // namespace faultline::protocols::raft::testing
