// A cluster of Rafts driven entirely by hand: the test decides which node's
// clock moves, which directed links carry messages, and when a node crashes.
// Messages on a closed link wait in the network until it opens (a crash loses
// only the messages on their way to the crashed node). Used to replay exact
// schedules such as the paper's Figure 8. The invariant checker runs after every
// delivery, timer and crash.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "protocols/raft/fake_context.h"
#include "protocols/raft/invariants.h"

namespace faultline::protocols::raft::testing {

class HandCluster {
  public:
    HandCluster(int size, RaftOptions options) : options_(options), invariants_(static_cast<std::size_t>(size)) {
        for (int i = 0; i < size; ++i) {
            auto node = std::make_unique<HandNode>(NodeId(static_cast<std::uint32_t>(i)), size);
            node->raft = std::make_unique<Raft>(options_);
            node->raft->start(node->ctx);
            node->act();
            nodes_.push_back(std::move(node));
        }
        check();
    }

    Raft& raft(int i) { return *nodes_[static_cast<std::size_t>(i)]->raft; }
    const std::optional<InvariantViolation>& violation() const { return violation_; }

    // Only links between nodes of `group` carry messages; the others hold them.
    void connect_only(const std::set<int>& group) {
        links_.clear();
        for (int from : group) {
            for (int to : group) links_.insert({from, to});
        }
        flow();
    }
    // Opens one direction of one link.
    void open(int from, int to) {
        links_.insert({from, to});
        flow();
    }

    // Node i's election timeout passes; then messages flow until quiet.
    void time_out(int i) {
        HandNode& node = *nodes_[static_cast<std::size_t>(i)];
        node.ctx.advance(options_.election_timeout_max + 1, node);
        check();
        flow();
    }
    // Node i's clock moves by `duration` (heartbeats, quorum checks).
    void tick(int i, Nanos duration) {
        HandNode& node = *nodes_[static_cast<std::size_t>(i)];
        node.ctx.advance(duration, node);
        check();
        flow();
    }
    std::optional<LogIndex> propose(int i, const std::string& command) {
        HandNode& node = *nodes_[static_cast<std::size_t>(i)];
        auto index = node.raft->propose(node.ctx, command);
        node.act();
        check();
        flow();
        return index;
    }
    // Power loss and reboot: only synced state survives.
    void crash_and_restart(int i) {
        HandNode& node = *nodes_[static_cast<std::size_t>(i)];
        node.raft.reset();
        node.ctx.sent.clear();
        node.ctx.timers.clear();
        std::erase_if(network_,
                      [i](const Envelope& envelope) { return envelope.to.value == static_cast<std::uint32_t>(i); });
        node.ctx.disk().crash();
        ++node.incarnation;
        node.host = RecordingHost{};  // volatile: the state machine is rebuilt from the snapshot
        node.raft = std::make_unique<Raft>(options_);
        node.raft->recover(node.ctx);
        node.act();
        check();
        flow();
    }

    // Delivers messages on open links, oldest first, until none can move.
    void flow() {
        for (int round = 0; round < 100'000 && !violation_; ++round) {
            for (auto& sender : nodes_) {
                for (Envelope& envelope : sender->ctx.sent) network_.push_back(std::move(envelope));
                sender->ctx.sent.clear();
            }
            auto next = std::find_if(network_.begin(), network_.end(), [this](const Envelope& envelope) {
                return links_.count({static_cast<int>(envelope.from.value), static_cast<int>(envelope.to.value)}) != 0;
            });
            if (next == network_.end()) return;
            const Envelope envelope = std::move(*next);
            network_.erase(next);
            HandNode& receiver = *nodes_[envelope.to.value];
            receiver.raft->step(receiver.ctx, envelope);
            receiver.act();
            check();
        }
    }

  private:
    struct HandNode {
        HandNode(NodeId id, int size) : ctx(id, size, id.value + 1) {}
        void on_timer(Context&, TimerId timer, std::uint64_t tag) {
            raft->on_timer(ctx, timer, tag);
            act();
        }
        void act() { host.act(*raft, ctx); }
        RecordingHost host;
        FakeContext ctx;
        std::unique_ptr<Raft> raft;
        std::uint32_t incarnation = 0;
    };

    void check() {
        if (violation_) return;
        std::vector<NodeView> views;
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            views.push_back(NodeView{"s" + std::to_string(i + 1), nodes_[i]->raft.get(), nodes_[i]->incarnation});
        }
        violation_ = invariants_.check(views);
    }

    RaftOptions options_;
    std::vector<std::unique_ptr<HandNode>> nodes_;
    std::set<std::pair<int, int>> links_;
    std::vector<Envelope> network_;
    RaftInvariants invariants_;
    std::optional<InvariantViolation> violation_;
};

}  // namespace faultline::protocols::raft::testing
